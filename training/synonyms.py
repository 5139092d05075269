"""English synonyms from WordNet 3.0 (Debian's wordnet-base), a language prior for the task
classifier: the text encoder only ever saw the training phrasings, so a held-out instruction with
a word it never met ("hazy", "backdrop") reads as noise unless the classifier head has been shown
such words in place of the training words they can stand for (EDA-style synonym replacement).

    apt-get install -y wordnet-base   # /usr/share/wordnet/{index,data}.{noun,verb,adj,adv}

Only the most frequent senses of each word count (WordNet orders senses by frequency), plus the
"similar to" adjectives of those senses, so that e.g. "blurry" reaches "hazy" but "make" does not
reach its 49 senses.
"""
from __future__ import annotations

import os
from typing import Dict, List, Optional, Set

FILES = ("noun", "verb", "adj", "adv")


class WordNetMissing(RuntimeError):
    pass


def _synsets(path: str) -> Dict[str, tuple]:
    """offset -> (lemmas, offsets of "similar to" synsets) for one data.<pos> file."""
    out: Dict[str, tuple] = {}
    with open(path, encoding="latin-1") as f:
        for line in f:
            if line.startswith("  "):  # the licence header
                continue
            parts = line.split(" | ")[0].split()
            n = int(parts[3], 16)
            # adjective lemmas carry a syntactic marker such as "(a)" or "(p)"
            lemmas = [parts[4 + 2 * i].lower().split("(")[0].replace("_", " ") for i in range(n)]
            k = 4 + 2 * n
            ptrs = parts[k + 1:k + 1 + 4 * int(parts[k])]
            similar = [ptrs[i + 1] for i in range(0, len(ptrs), 4) if ptrs[i] == "&"]
            out[parts[0]] = (lemmas, similar)
    return out


def wordnet_dir() -> str:
    return os.environ.get("EMUEDIT_WORDNET", "/usr/share/wordnet")


def available(root: Optional[str] = None) -> bool:
    root = root or wordnet_dir()
    return all(os.path.exists(os.path.join(root, f"{kind}.{name}")) for kind in ("index", "data") for name in FILES)


def load(root: Optional[str] = None, senses: int = 3) -> Dict[str, List[str]]:
    """word -> sorted synonyms (other lemmas of its first `senses` senses, in every part of speech)."""
    root = root or wordnet_dir()
    if not available(root):
        raise WordNetMissing(f"WordNet not found in {root}: apt-get install -y wordnet-base "
                             "(or set EMUEDIT_WORDNET to a WordNet 3.0 dict directory)")
    syn: Dict[str, Set[str]] = {}
    for name in FILES:
        data = _synsets(os.path.join(root, f"data.{name}"))
        with open(os.path.join(root, f"index.{name}"), encoding="latin-1") as f:
            for line in f:
                if line.startswith("  "):
                    continue
                parts = line.split()
                word, count = parts[0].replace("_", " "), int(parts[2])
                out = syn.setdefault(word, set())
                for off in parts[-count:][:senses]:  # the synset offsets close the line, by frequency
                    lemmas, similar = data[off]
                    out.update(lemmas)
                    for o in similar:
                        out.update(data[o][0])
    return {w: sorted(s - {w}) for w, s in syn.items() if len(s - {w}) > 0}
