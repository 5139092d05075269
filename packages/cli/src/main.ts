// Process entry point (bin/emuedit.mjs imports this): wires process I/O and Ctrl-C into main().

import { main } from "./cli.js";

const controller = new AbortController();
const onSigint = (): void => controller.abort();
process.once("SIGINT", onSigint);

process.exitCode = await main(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr },
  process.env,
  controller.signal,
);
process.off("SIGINT", onSigint);
