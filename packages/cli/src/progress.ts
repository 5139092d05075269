// Denoising progress on stderr: a redrawn bar on a terminal, plain lines otherwise (logs, CI).

export interface TextOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressUpdate {
  readonly step: number;
  readonly totalSteps: number;
  readonly stage: string;
}

const BAR_WIDTH_CHARS = 30;

export class ProgressReporter {
  readonly #out: TextOutput;
  readonly #tty: boolean;
  #last = "";
  #drawn = false;

  constructor(out: TextOutput) {
    this.#out = out;
    this.#tty = out.isTTY === true;
  }

  update(update: ProgressUpdate): void {
    const text = this.#tty ? bar(update) : line(update);
    if (text === this.#last) return; // a repeated update adds nothing
    this.#last = text;
    if (this.#tty) {
      // \r + erase line: redraw in place.
      this.#out.write(`\r\x1b[2K${text}`);
      this.#drawn = true;
    } else {
      this.#out.write(`${text}\n`);
    }
  }

  /** Ends the bar's line so later output starts on a fresh one. */
  finish(): void {
    if (this.#drawn) this.#out.write("\n");
    this.#drawn = false;
  }
}

function label(stage: string): string {
  return stage === "" ? "edit" : stage;
}

function line({ step, totalSteps, stage }: ProgressUpdate): string {
  return totalSteps > 0 ? `${label(stage)} ${step}/${totalSteps}` : label(stage);
}

function bar({ step, totalSteps, stage }: ProgressUpdate): string {
  if (totalSteps <= 0) return `${label(stage)} ...`;
  const fraction = Math.min(1, Math.max(0, step / totalSteps));
  const filled = Math.round(fraction * BAR_WIDTH_CHARS);
  const percent = Math.floor(fraction * 100);
  return `${label(stage)} [${"#".repeat(filled)}${"-".repeat(BAR_WIDTH_CHARS - filled)}] ${step}/${totalSteps} ${percent}%`;
}
