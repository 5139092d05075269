"""Independent reference for the expected ids in packages/tokenizer/test.

Re-implements OpenAI CLIP's `SimpleTokenizer.encode` (clip/simple_tokenizer.py) from its
published behaviour, in plain Python, straight from bpe_simple_vocab_16e6.txt.gz:

    text -> ftfy.fix_text -> html.unescape twice -> strip -> collapse whitespace -> lower
         -> CLIP pre-tokenization regex -> UTF-8 bytes -> bytes_to_unicode -> BPE (`</w>`)

It only generates literals for the TypeScript tests; nothing at run time uses it.
Needs the `ftfy` and `regex` Python packages (any Python >= 3.9). Usage:

    python3 reference-ids.py BPE_GZ [--no-fix-encoding] < texts.json > ids.json

texts.json is a JSON list of strings; ids.json is the list of id lists (with
<|startoftext|>=49406 and <|endoftext|>=49407 around each, no truncation, no padding).
--no-fix-encoding turns off ftfy's mojibake repair, the one ftfy step the TypeScript
tokenizer does not reproduce, to compare everything else exactly.
"""

import gzip
import html
import json
import sys

import ftfy
import regex

PATTERN = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE,
)
SPECIALS = ("<|startoftext|>", "<|endoftext|>")


def bytes_to_unicode():
    """Printable bytes map to themselves; the other 68 bytes to U+0100 onwards, in byte order.

    Insertion order matters: the vocabulary lists the printable bytes first ("!" is id 0).
    """
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table = {byte: chr(byte) for byte in printable}
    others = [byte for byte in range(256) if byte not in table]
    table.update({byte: chr(256 + n) for n, byte in enumerate(others)})
    return table


class Reference:
    def __init__(self, bpe_gz, fix_encoding=True):
        lines = gzip.open(bpe_gz).read().decode("utf-8").split("\n")[1 : 49152 - 256 - 2 + 1]
        merges = [tuple(line.split()) for line in lines]
        self.byte_encoder = bytes_to_unicode()
        base = list(self.byte_encoder.values())
        vocab = base + [b + "</w>" for b in base] + ["".join(m) for m in merges] + list(SPECIALS)
        self.encoder = {token: i for i, token in enumerate(vocab)}
        self.ranks = {merge: i for i, merge in enumerate(merges)}
        self.fix_encoding = fix_encoding

    def bpe(self, token):
        if token in SPECIALS:
            return [token]
        word = list(token[:-1]) + [token[-1] + "</w>"]
        while len(word) > 1:
            pairs = [(self.ranks.get(p, float("inf")), p) for p in zip(word, word[1:])]
            rank, best = min(pairs, key=lambda x: x[0])
            if rank == float("inf"):
                break
            merged, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        return word

    def encode(self, text):
        text = ftfy.fix_text(text, fix_encoding=self.fix_encoding)
        text = html.unescape(html.unescape(text)).strip()
        text = regex.sub(r"\s+", " ", text).strip().lower()
        ids = [self.encoder["<|startoftext|>"]]
        for token in PATTERN.findall(text):
            mapped = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            ids.extend(self.encoder[piece] for piece in self.bpe(mapped))
        return ids + [self.encoder["<|endoftext|>"]]


if __name__ == "__main__":
    reference = Reference(sys.argv[1], fix_encoding="--no-fix-encoding" not in sys.argv)
    json.dump([reference.encode(t) for t in json.load(sys.stdin)], sys.stdout)
    sys.stdout.write("\n")
