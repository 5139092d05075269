import { readFileSync } from "node:fs";
import { readForm } from "./src/http-body.js";
const png = readFileSync("../../examples/red-circle.png");
const form = new FormData();
form.append("image", new Blob([png]), "in.png"); form.append("instruction", "make the circle blue"); form.append("task", "local");
form.append("steps", "20"); form.append("seed", "1"); form.append("size", "working");
const req = new Request("http://x/", { method: "POST", body: form });
const ct = req.headers.get("content-type")!; const body = Buffer.from(await req.arrayBuffer());
console.log("png bytes", png.length, "body", body.length);
for (let i = 0; i < 50; i++) await readForm(ct, body);
const t = performance.now(); for (let i = 0; i < 500; i++) { const f = await readForm(ct, body); await (f.get("image") as Blob).arrayBuffer(); }
console.log("readForm ms", ((performance.now() - t) / 500).toFixed(3));
