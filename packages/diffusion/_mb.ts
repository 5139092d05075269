import { initialLatents, gaussianNoise } from "./src/index.js";
for (let i = 0; i < 200; i++) initialLatents(i, 2048, 1);
let t = performance.now(); for (let i = 0; i < 2000; i++) initialLatents(i, 2048, 1); console.log("initialLatents 2048 ms", ((performance.now() - t) / 2000).toFixed(4));
let s = 0; for (let i = 0; i < 100; i++) { const a = gaussianNoise(i, 7, 2048); for (const x of a) s += x; } console.log("checksum", s);
