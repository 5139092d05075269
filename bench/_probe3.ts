import path from "node:path";
import { readFile } from "node:fs/promises";
import { launchSystem, REPO_ROOT } from "@emuedit/launcher";
const png = await readFile(path.join(REPO_ROOT, "examples", "red-circle.png"));
const sys = await launchSystem({ privateNats: true, onLine: () => undefined, serviceEntry: (name) => ({ cwd: REPO_ROOT, entry: path.join("services", name, "src", "main.ts"), nodeArgs: ["--import", "tsx", "--cpu-prof", `--cpu-prof-dir=/tmp/ovprof/${name}`] }) });
const post = async (i: number) => {
  const form = new FormData();
  form.append("image", new Blob([png]), "in.png");
  form.append("instruction", "make the circle blue");
  form.append("task", "local");
  form.append("steps", "20"); form.append("seed", String(i)); form.append("size", "working");
  const t0 = performance.now();
  const res = await fetch(`${sys.httpUrl}/v1/edits`, { method: "POST", body: form });
  await res.arrayBuffer();
  return [performance.now() - t0, res.headers.get("server-timing")] as const;
};
for (let i = 0; i < 5; i++) await post(i);
for (let i = 0; i < 40; i++) { const [w, st] = await post(i); if (i % 8 === 0) console.log(w.toFixed(1), st); }
console.log(await sys.stop());
