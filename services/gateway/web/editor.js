// The web editor: pick an image (a session's turn 0), say what to change, watch the denoising
// steps arrive, compare, download, and keep editing the result: every turn edits the head, undo
// moves the head back, and choosing any turn in the history branches from it.
import { api, ApiError, humanMessage } from "./api.js";
import { askForKey, forgetKey, onKeyChange } from "./api-key.js";

const $ = (id) => document.getElementById(id);
const el = {
  file: $("file"), drop: $("drop"), viewer: $("viewer"), before: $("before"), after: $("after"), preview: $("preview"),
  caption: $("caption"), compareBox: $("compareBox"), compare: $("compare"), progressBox: $("progressBox"),
  progress: $("progress"), progressText: $("progressText"), form: $("editForm"), instruction: $("instruction"),
  prediction: $("prediction"), task: $("task"), steps: $("steps"), guidance: $("guidance"), imageGuidance: $("imageGuidance"),
  seed: $("seed"), preserve: $("preserve"), threshold: $("threshold"), editButton: $("editButton"), cancelButton: $("cancelButton"),
  undoButton: $("undoButton"), download: $("download"), newButton: $("newButton"), message: $("message"), history: $("history"),
  keyBar: $("keyBar"), keyStatus: $("keyStatus"), keyButton: $("keyButton"), forgetKey: $("forgetKey"),
};

/** The session as the API last showed it, and the edit in flight. */
let session = null;
let running = null; // { turn, stop: AbortController of its event stream }

function setState(state) {
  document.body.dataset.state = state;
  const busy = state === "editing" || state === "uploading";
  el.editButton.disabled = busy;
  el.cancelButton.hidden = state !== "editing";
  el.file.disabled = busy;
  el.newButton.disabled = busy;
  updateUndo();
}

function say(text, kind = "error") {
  el.message.className = `message ${kind === "info" ? "info" : ""}`;
  el.message.textContent = text;
}

const failure = (err) => (err instanceof ApiError ? err.message : humanMessage({ code: "internal", message: String(err) }));

// ---- 1. The image: choose, drop or paste --------------------------------------------------------

async function startSession(file) {
  if (!file) return;
  if (running) return say("Wait for the current edit to finish, or cancel it, before changing the image.");
  say("");
  setState("uploading");
  try {
    const created = await api.createSession(file);
    api.dropImages();
    session = created;
    await render();
    setState("ready");
    el.instruction.focus();
  } catch (err) {
    say(failure(err));
    setState(session ? "ready" : "empty");
  } finally {
    el.file.value = "";
  }
}

el.file.addEventListener("change", () => startSession(el.file.files?.[0]));
el.drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  el.drop.classList.add("over");
});
el.drop.addEventListener("dragleave", () => el.drop.classList.remove("over"));
el.drop.addEventListener("drop", (e) => {
  e.preventDefault();
  el.drop.classList.remove("over");
  startSession(e.dataTransfer?.files?.[0]);
});
document.addEventListener("paste", (e) => {
  const item = [...(e.clipboardData?.items ?? [])].find((i) => i.kind === "file");
  if (item) startSession(item.getAsFile());
});
el.newButton.addEventListener("click", () => el.file.click());

// ---- 2. The instruction and its predicted task ------------------------------------------------

async function loadTasks() {
  try {
    const { tasks } = await api.tasks();
    for (const t of tasks) {
      const option = document.createElement("option");
      option.value = t.name;
      option.textContent = t.description ? `${t.name}: ${t.description}` : t.name;
      el.task.append(option);
    }
  } catch (err) {
    say(failure(err));
  }
}

let predictTimer = 0;
let predictSeq = 0;
async function predict() {
  const text = el.instruction.value.trim();
  const seq = ++predictSeq;
  el.prediction.classList.remove("unsure");
  if (!text) return void (el.prediction.textContent = "");
  if (el.task.value) return void (el.prediction.textContent = `Task: ${el.task.value} (chosen).`);
  try {
    const p = await api.predict(text);
    if (seq !== predictSeq) return; // a newer instruction is being asked about
    if (p.task === null) el.prediction.textContent = "This model needs no task.";
    else if (p.confident) el.prediction.textContent = `Predicted task: ${p.task} (${Math.round(p.confidence * 100)}% sure).`;
    else {
      el.prediction.classList.add("unsure");
      el.prediction.textContent = `Not sure which task this is (best guess ${p.task}, ${Math.round(p.confidence * 100)}%). Choose one under “Task”.`;
    }
  } catch (err) {
    if (seq === predictSeq) el.prediction.textContent = err instanceof ApiError && err.code === "invalid_argument" ? err.message : "";
  }
}
el.instruction.addEventListener("input", () => {
  clearTimeout(predictTimer);
  predictTimer = setTimeout(predict, 250);
});
el.task.addEventListener("change", predict);

// ---- 3. Editing: a turn, its previews, cancel -------------------------------------------------

function editFields() {
  const fields = { instruction: el.instruction.value.trim() };
  if (el.task.value) fields.task = el.task.value;
  const num = (input, name) => {
    if (input.value.trim() !== "") fields[name] = Number(input.value);
  };
  num(el.steps, "steps");
  num(el.guidance, "guidance_scale");
  num(el.imageGuidance, "image_guidance_scale");
  num(el.seed, "seed");
  if (el.preserve.checked) {
    fields.preserve_unedited = true;
    num(el.threshold, "preserve_threshold");
  }
  return fields;
}

el.form.addEventListener("submit", async (e) => {
  e.preventDefault();
  if (running) return;
  if (!session) return say("Choose an image first.");
  if (!el.instruction.value.trim()) {
    el.instruction.focus();
    return say("Say what to change, e.g. “make the circle blue”.");
  }
  say("");
  setState("editing");
  showProgress(0, Number(el.steps.value) || 0);
  try {
    const { session: s, turn } = await api.edit(session.id, editFields());
    session = s;
    follow(turn);
  } catch (err) {
    endEdit();
    say(failure(err));
  }
});

function follow(turn) {
  const stop = new AbortController();
  running = { turn, stop };
  el.preview.dataset.frames = "0";
  const onEvent = (e) => {
    if (e.type !== "step") return;
    const d = JSON.parse(e.data);
    showProgress(d.step, d.steps);
    if (d.preview) {
      el.preview.src = d.preview;
      el.preview.hidden = false;
      el.preview.dataset.frames = String(Number(el.preview.dataset.frames) + 1);
    }
  };
  // The stream ends with the outcome (done, cancelled or error: the session says which), or
  // fails for good (the key was revoked, the server stayed unreachable through every retry).
  api.events(turn.events_url, onEvent, stop.signal).then(
    () => finishTurn(turn.id),
    (err) => {
      if (!stop.signal.aborted) finishTurn(turn.id, err);
    },
  );
}

function showProgress(step, steps) {
  el.progressBox.hidden = false;
  el.progress.max = Math.max(steps, 1);
  el.progress.value = step;
  el.progressText.textContent = steps ? `step ${step} of ${steps}` : "starting…";
}

el.cancelButton.addEventListener("click", cancel);
async function cancel() {
  if (!running) return;
  el.cancelButton.disabled = true;
  try {
    await api.cancel(running.turn.job_url);
  } catch (err) {
    // the edit may have finished meanwhile: its own event ends it
    if (!(err instanceof ApiError && err.code === "job_finished")) say(failure(err));
  } finally {
    el.cancelButton.disabled = false;
  }
}

/** The turn's events ended (`streamError`: their stream failed): show what became of it. */
async function finishTurn(turnId, streamError) {
  running?.stop.abort();
  try {
    session = await api.session(session.id);
    await render();
  } catch (err) {
    endEdit();
    return say(failure(streamError ?? err));
  }
  endEdit();
  const turn = session.turns[turnId];
  if (streamError && turn?.state === "running") say(failure(streamError));
  else if (turn?.state === "succeeded") {
    say("");
    el.instruction.select();
  } else if (turn?.state === "cancelled") say("The edit was cancelled.", "info");
  else say(turn?.error ? humanMessage(turn.error) : "The edit did not finish. Please try again.");
}

function endEdit() {
  running = null;
  el.preview.hidden = true;
  el.progressBox.hidden = true;
  setState(session ? "ready" : "empty");
}

// ---- 4. Showing a turn: compare, download, undo, history --------------------------------------

/** Shows the session; its images are fetched (with the key) before anything changes on screen. */
async function render() {
  if (!session) return;
  const head = session.turns[session.head];
  const parent = head.parent === null ? null : session.turns[head.parent];
  const shown = session.turns.filter((t) => t.state === "succeeded");
  const src = new Map(await Promise.all(shown.map(async (t) => [t.id, await api.image(t.image_url)])));
  el.viewer.hidden = false;
  showImage(el.after, head, src);
  showImage(el.before, parent ?? head, src);
  el.compareBox.hidden = parent === null;
  applyCompare();
  el.caption.textContent =
    head.parent === null
      ? `Your image (${head.width}×${head.height}).`
      : `Turn ${head.id}: “${head.instruction}” (task ${head.task ?? "none"}${head.task_predicted ? ", predicted" : ""}, seed ${head.seed}${
          head.reverted_pixels !== undefined ? `, ${head.reverted_pixels} pixels kept` : ""
        }).`;
  el.download.href = src.get(head.id);
  el.download.download = `emuedit-${session.id.slice(0, 8)}-turn-${head.id}.png`; // as the server names it
  el.download.setAttribute("aria-disabled", "false");
  updateUndo();
  renderHistory(src);
}

/** An image of a turn: its blob: URL, and the API URL it came from (data-url). */
function showImage(img, turn, src) {
  img.src = src.get(turn.id);
  img.dataset.url = turn.image_url;
}

function applyCompare() {
  // The after image covers the part right of the slider: 0 = all after, 100 = all before.
  el.after.style.clipPath = el.compareBox.hidden ? "none" : `inset(0 0 0 ${el.compare.value}%)`;
}
el.compare.addEventListener("input", applyCompare);

function updateUndo() {
  const head = session?.turns[session.head];
  el.undoButton.disabled = !head || head.parent === null || running !== null;
}

async function moveHead(turn) {
  if (running) return;
  try {
    session = await api.setHead(session.id, turn);
    say("");
    await render();
  } catch (err) {
    say(failure(err));
  }
}

el.undoButton.addEventListener("click", () => {
  const head = session?.turns[session.head];
  if (head && head.parent !== null) moveHead(head.parent);
});

function renderHistory(src) {
  el.history.replaceChildren(
    ...session.turns.map((t) => {
      const li = document.createElement("li");
      if (t.state !== "succeeded") {
        li.className = "failed";
        li.textContent = `Turn ${t.id}: ${t.state}`;
        return li;
      }
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.turn = String(t.id);
      if (t.id === session.head) button.setAttribute("aria-current", "true");
      const img = document.createElement("img");
      showImage(img, t, src);
      img.alt = "";
      const label = document.createElement("span");
      label.className = "turn-label";
      label.textContent = t.parent === null ? "Original" : `${t.id}. ${t.instruction}${t.parent !== t.id - 1 ? ` (from ${t.parent})` : ""}`;
      button.setAttribute("aria-label", t.parent === null ? "Go back to the original image" : `Go to turn ${t.id}: ${t.instruction}`);
      button.append(img, label);
      button.addEventListener("click", () => moveHead(t.id));
      li.append(button);
      return li;
    }),
  );
}

// ---- 5. Keyboard ------------------------------------------------------------------------------

document.addEventListener("keydown", (e) => {
  const typing = e.target instanceof HTMLInputElement && e.target.type === "text";
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z" && !typing && !el.undoButton.disabled) {
    e.preventDefault();
    el.undoButton.click();
  } else if (e.key === "Escape" && running && !$("keyDialog").open) {
    cancel();
  }
});

// ---- 6. The API key (api-key.js): shown once the server asked for one ----------------------------

onKeyChange(({ required, hasKey }) => {
  el.keyBar.hidden = !required;
  el.keyStatus.textContent = hasKey ? "An API key is in use in this tab." : "This server needs an API key.";
  el.keyButton.textContent = hasKey ? "Change key" : "Enter API key";
  el.forgetKey.hidden = !hasKey;
});
el.keyButton.addEventListener("click", async () => {
  if ((await askForKey()) !== null) {
    say("");
    if (el.task.options.length <= 1) loadTasks(); // the first load was refused
  }
});
el.forgetKey.addEventListener("click", () => {
  forgetKey();
  say("This tab no longer has the API key. To edit again, choose “Enter API key”.", "info");
  el.keyButton.focus();
});

setState("empty");
loadTasks();
