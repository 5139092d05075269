/**
 * CLIP's byte-pair merge loop (`SimpleTokenizer.bpe`), on one pre-tokenized word that is
 * already spelled in byte symbols (byte-alphabet.ts).
 *
 * The word starts as its symbols with `</w>` glued to the last one ("cat" -> c a t</w>). Then,
 * repeatedly: find the adjacent pair with the lowest merge rank (the earliest line in
 * merges.txt; ties go to the leftmost pair), merge every occurrence of that pair scanning left
 * to right without overlap ("a a a" -> "aa a"), and stop when no adjacent pair has a rank or a
 * single symbol is left.
 */

/** Appended to the last symbol of every word; part of the vocabulary's tokens ("cat</w>"). */
export const END_OF_WORD = "</w>";

/** Map key for the pair (first, second): symbols never contain a space (0x20 becomes "Ġ"). */
export function pairKey(first: string, second: string): string {
  return `${first} ${second}`;
}

/**
 * Merge `symbols` (one character each, as produced by toByteSymbols) into BPE pieces.
 * `ranks` maps pairKey(first, second) -> rank, lower merges first.
 */
export function bytePairMerge(symbols: string, ranks: ReadonlyMap<string, number>): string[] {
  if (symbols.length === 0) return [];
  let word: string[] = Array.from(symbols);
  word[word.length - 1] += END_OF_WORD;

  while (word.length > 1) {
    let bestRank = Number.POSITIVE_INFINITY;
    let first = "";
    let second = "";
    for (let i = 0; i + 1 < word.length; i++) {
      const left = word[i] as string;
      const right = word[i + 1] as string;
      const rank = ranks.get(pairKey(left, right));
      if (rank !== undefined && rank < bestRank) {
        bestRank = rank;
        first = left;
        second = right;
      }
    }
    if (bestRank === Number.POSITIVE_INFINITY) break;

    const merged: string[] = [];
    for (let i = 0; i < word.length; ) {
      if (i + 1 < word.length && word[i] === first && word[i + 1] === second) {
        merged.push(first + second);
        i += 2;
      } else {
        merged.push(word[i] as string);
        i += 1;
      }
    }
    word = merged;
  }
  return word;
}
