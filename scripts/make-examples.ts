// Writes examples/*.png: scenes of the synthetic world the default model was trained on
// (64x64, solid background, named colours with the exact RGB values of training/world.py).
// Run: node --import tsx scripts/make-examples.ts
import { writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";

const C = {
  red: "rgb(220,40,40)",
  green: "rgb(40,180,60)",
  blue: "rgb(40,80,220)",
  yellow: "rgb(240,210,40)",
  purple: "rgb(150,60,190)",
  orange: "rgb(245,140,30)",
  white: "rgb(245,245,245)",
  black: "rgb(20,20,20)",
  gray: "rgb(128,128,128)",
};

const circle = (cx: number, cy: number, d: number, fill: string) => `<circle cx="${cx}" cy="${cy}" r="${d / 2}" fill="${fill}"/>`;
const square = (cx: number, cy: number, d: number, fill: string) => `<rect x="${cx - d / 2}" y="${cy - d / 2}" width="${d}" height="${d}" fill="${fill}"/>`;
const triangle = (cx: number, cy: number, d: number, fill: string) =>
  `<polygon points="${cx},${cy - d / 2} ${cx - d / 2},${cy + d / 2} ${cx + d / 2},${cy + d / 2}" fill="${fill}"/>`;

const scenes: Record<string, { bg: string; shapes: string[] }> = {
  "red-circle": { bg: C.gray, shapes: [circle(32, 32, 24, C.red)] },
  "blue-square-yellow-triangle": { bg: C.white, shapes: [square(18, 20, 18, C.blue), triangle(44, 44, 22, C.yellow)] },
  "three-shapes": { bg: C.black, shapes: [circle(14, 14, 16, C.green), square(48, 16, 16, C.orange), triangle(30, 46, 22, C.purple)] },
};

const dir = path.resolve(import.meta.dirname, "../examples");
for (const [name, s] of Object.entries(scenes)) {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" shape-rendering="crispEdges">
<rect width="64" height="64" fill="${s.bg}"/>${s.shapes.join("")}</svg>`;
  await writeFile(path.join(dir, `${name}.png`), await sharp(Buffer.from(svg)).png().toBuffer());
}
console.log(`wrote ${Object.keys(scenes).length} examples to ${dir}`);
