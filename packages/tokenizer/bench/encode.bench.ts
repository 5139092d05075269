/**
 * Tokenizer throughput on the real CLIP vocabulary (test/fixtures/clip/bpe_simple_vocab_16e6.txt.gz,
 * turned into vocab.json / merges.txt by test/helpers/clip-fixture.ts). Not part of the test
 * suite. Run from packages/tokenizer:
 *
 *   node --import tsx bench/encode.bench.ts [count]
 *
 * Prints the load time, then the time for `count` (default 10,000) encodePadded calls over
 * a rotating set of instruction-like prompts, with a warm word cache (steady state of a
 * running service) and with the cache disabled (worst case: every word is new).
 */
import { ClipTokenizer } from "../src/index.js";
import { writeClipTokenizerFiles } from "../test/helpers/clip-fixture.js";

const count = Number(process.argv[2] ?? 10_000);

const SUBJECTS = ["the cat", "a red car", "the old man", "her dog", "the mountain lake", "this building"];
const EDITS = [
  "make it look like a watercolor painting of",
  "replace the sky behind",
  "add a tiny wizard hat on",
  "remove",
  "turn into a snowy winter scene with",
  "change the color of",
];
const EXTRAS = ["", " at sunset", ", in the style of Van Gogh!", " (photorealistic, 4k)", " — café lights ✨", " 2 times bigger"];
const prompts: string[] = [];
for (const edit of EDITS) for (const subject of SUBJECTS) for (const extra of EXTRAS) prompts.push(`${edit} ${subject}${extra}`);

function run(tokenizer: ClipTokenizer): number {
  const start = performance.now();
  let checksum = 0;
  for (let i = 0; i < count; i++) checksum += tokenizer.encodePadded(prompts[i % prompts.length] as string)[1] as number;
  const ms = performance.now() - start;
  if (checksum === 0) throw new Error("unreachable: keeps the loop from being optimized away");
  return ms;
}

const fixture = writeClipTokenizerFiles();
try {
  const start = performance.now();
  const cached = ClipTokenizer.fromFiles(fixture.vocabPath, fixture.mergesPath);
  const loadMs = performance.now() - start;
  const uncached = ClipTokenizer.fromFiles(fixture.vocabPath, fixture.mergesPath, undefined, { bpeCacheMaxWords: 0 });
  run(cached); // warm up the JIT and the word cache
  const cachedMs = run(cached);
  const uncachedMs = run(uncached);
  const line = (label: string, ms: number) =>
    `${label}: ${count} encodes in ${ms.toFixed(0)} ms (${((count / ms) * 1000).toFixed(0)}/s)`;
  console.log(`load vocab.json + merges.txt: ${loadMs.toFixed(0)} ms`);
  console.log(line("warm word cache", cachedMs));
  console.log(line("no word cache  ", uncachedMs));
} finally {
  fixture.remove();
}
