"""CLIP-format byte-level BPE: learning a vocabulary and tokenizing exactly like CLIP's tokenizer.

The serving tokenizer (packages/tokenizer) runs CLIP's algorithm on vocab.json/merges.txt, so the
ids produced here must be the ones that algorithm gives: bytes_to_unicode, lower-case, whitespace
clean, CLIP's pre-tokenization regex, '</w>' word ends, lowest-rank merge first, specials
<|startoftext|>/<|endoftext|>, padded to 77 with the pad token.
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from typing import Dict, Iterable, List, Sequence, Tuple

BOS = "<|startoftext|>"
EOS = "<|endoftext|>"
MAX_LENGTH = 77

# CLIP's pattern with \p{L} -> [^\W\d_] and \p{N} -> \d (python's re has no \p classes).
_PAT = re.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+""",
    re.IGNORECASE,
)


def bytes_to_unicode() -> Dict[int, str]:
    """GPT-2/CLIP map from byte values to printable unicode characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


_BYTE_ENCODER = bytes_to_unicode()


def clean_text(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def pre_tokenize(text: str) -> List[str]:
    """Words in byte-unicode form, as CLIP feeds them to BPE."""
    return ["".join(_BYTE_ENCODER[b] for b in tok.encode("utf-8")) for tok in _PAT.findall(clean_text(text))]


def learn_bpe(corpus: Iterable[str], num_merges: int) -> List[Tuple[str, str]]:
    """Learn up to num_merges merges (most frequent pair first) over the corpus' words."""
    words: Counter = Counter()
    for line in corpus:
        for w in pre_tokenize(line):
            words[w] += 1
    seqs = {w: tuple(w[:-1]) + (w[-1] + "</w>",) for w in words}
    merges: List[Tuple[str, str]] = []
    for _ in range(num_merges):
        pairs: Counter = Counter()
        for w, seq in seqs.items():
            f = words[w]
            for a, b in zip(seq, seq[1:]):
                pairs[(a, b)] += f
        if not pairs:
            break
        # deterministic tie-break: highest count, then lexicographic pair
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        merges.append(best)
        joined = best[0] + best[1]
        for w, seq in seqs.items():
            if len(seq) < 2:
                continue
            out: List[str] = []
            i = 0
            while i < len(seq):
                if i < len(seq) - 1 and seq[i] == best[0] and seq[i + 1] == best[1]:
                    out.append(joined)
                    i += 2
                else:
                    out.append(seq[i])
                    i += 1
            seqs[w] = tuple(out)
    return merges


def build_vocab(merges: Sequence[Tuple[str, str]]) -> Dict[str, int]:
    """CLIP's vocabulary order: 256 byte chars, the same with '</w>', merges, then the specials."""
    base = list(_BYTE_ENCODER.values())
    vocab = base + [v + "</w>" for v in base] + ["".join(m) for m in merges] + [BOS, EOS]
    return {tok: i for i, tok in enumerate(vocab)}


class ClipTokenizer:
    """CLIP's BPE tokenizer over a vocab.json/merges.txt pair."""

    def __init__(self, vocab: Dict[str, int], merges: Sequence[Tuple[str, str]], max_length: int = MAX_LENGTH):
        self.encoder = dict(vocab)
        self.ranks = {tuple(m): i for i, m in enumerate(merges)}
        self.max_length = max_length
        self.bos_id = self.encoder[BOS]
        self.eos_id = self.encoder[EOS]
        self.pad_id = self.eos_id
        self._cache: Dict[str, List[str]] = {}

    @property
    def vocab_size(self) -> int:
        return len(self.encoder)

    @classmethod
    def from_merges(cls, merges: Sequence[Tuple[str, str]]) -> "ClipTokenizer":
        return cls(build_vocab(merges), merges)

    @classmethod
    def from_dir(cls, path: str) -> "ClipTokenizer":
        with open(os.path.join(path, "vocab.json"), encoding="utf-8") as f:
            vocab = json.load(f)
        with open(os.path.join(path, "merges.txt"), encoding="utf-8") as f:
            lines = f.read().split("\n")
        merges = [tuple(l.split()) for l in lines[1:] if l.strip()]
        return cls(vocab, merges)  # type: ignore[arg-type]

    def bpe(self, token: str) -> List[str]:
        if token in self._cache:
            return self._cache[token]
        word = list(token[:-1]) + [token[-1] + "</w>"]
        while len(word) > 1:
            pairs = [(word[i], word[i + 1]) for i in range(len(word) - 1)]
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            out: List[str] = []
            i = 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == best[0] and word[i + 1] == best[1]:
                    out.append(best[0] + best[1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        self._cache[token] = word
        return word

    def tokenize(self, text: str) -> List[int]:
        """Ids without specials or padding."""
        ids: List[int] = []
        for w in pre_tokenize(text):
            ids.extend(self.encoder[t] for t in self.bpe(w))
        return ids

    def __call__(self, text: str) -> List[int]:
        """[BOS] ids [EOS] padded with EOS to max_length (truncated keeping the final EOS)."""
        ids = [self.bos_id] + self.tokenize(text)[: self.max_length - 2] + [self.eos_id]
        return ids + [self.pad_id] * (self.max_length - len(ids))

    def save(self, path: str, merges: Sequence[Tuple[str, str]]) -> None:
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "vocab.json"), "w", encoding="utf-8") as f:
            json.dump(self.encoder, f, ensure_ascii=False)
        with open(os.path.join(path, "merges.txt"), "w", encoding="utf-8") as f:
            f.write("#version: 0.2\n")
            for a, b in merges:
                f.write(f"{a} {b}\n")
        special = {"content": EOS, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}
        cfg = {
            "tokenizer_class": "CLIPTokenizer",
            "model_max_length": self.max_length,
            "do_lower_case": True,
            "bos_token": dict(special, content=BOS),
            "eos_token": special,
            "unk_token": special,
            "pad_token": EOS,
            "errors": "replace",
            "add_prefix_space": False,
        }
        with open(os.path.join(path, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(cfg, f, indent=2)
        with open(os.path.join(path, "special_tokens_map.json"), "w", encoding="utf-8") as f:
            json.dump({"bos_token": BOS, "eos_token": EOS, "unk_token": EOS, "pad_token": EOS}, f, indent=2)
