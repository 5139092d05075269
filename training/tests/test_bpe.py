import gzip
import os
import tempfile
import unittest

from training import bpe
from training import tasks as T

# OpenAI CLIP's vocabulary, kept in the repository beside the TypeScript tokenizer's tests
# (MIT, see the LICENSE and README.md in that folder).
CLIP_MERGES = os.path.join(
    os.path.dirname(__file__), "..", "..", "packages", "tokenizer", "test", "fixtures", "clip", "bpe_simple_vocab_16e6.txt.gz"
)


class ClipAlgorithm(unittest.TestCase):
    def test_real_clip_vocab_gives_clip_ids(self):
        self.assertTrue(
            os.path.exists(CLIP_MERGES),
            f"CLIP vocabulary missing: {os.path.normpath(CLIP_MERGES)} is part of the repository "
            "(packages/tokenizer/test/fixtures/clip/bpe_simple_vocab_16e6.txt.gz); restore it from git",
        )
        with gzip.open(CLIP_MERGES, "rt", encoding="utf-8") as f:
            lines = f.read().split("\n")
        merges = [tuple(l.split()) for l in lines[1:49152 - 256 - 2 + 1]]
        tok = bpe.ClipTokenizer.from_merges(merges)
        self.assertEqual(tok.vocab_size, 49408)
        ids = tok("a photo of a cat")
        self.assertEqual(ids[:7], [49406, 320, 1125, 539, 320, 2368, 49407])
        self.assertEqual(len(ids), 77)
        self.assertTrue(all(i == 49407 for i in ids[7:]))
        self.assertEqual(tok("A   Photo of a CAT"), ids)

    def test_learned_vocab_round_trips_through_files(self):
        merges = bpe.learn_bpe(T.corpus("train")[:500], 150)
        tok = bpe.ClipTokenizer.from_merges(merges)
        with tempfile.TemporaryDirectory() as d:
            tok.save(d, merges)
            again = bpe.ClipTokenizer.from_dir(d)
        for s in ["make the red circle blue", "write hi at the top!", "don't   ERASE it", "ünïcode 42"]:
            self.assertEqual(again(s), tok(s))
        self.assertEqual(tok.vocab_size, 512 + len(merges) + 2)
        self.assertEqual(tok.eos_id, tok.vocab_size - 1)

    def test_pre_tokenization_follows_clip_regex(self):
        words = bpe.pre_tokenize("Don't stop-it 42x")
        self.assertEqual(words, ["don", "'t", "stop", "-", "it", "4", "2", "x"])

    def test_merges_compress_the_corpus(self):
        corpus = T.corpus("train")
        merges = bpe.learn_bpe(corpus, 2000)
        tok = bpe.ClipTokenizer.from_merges(merges)
        # every training word is a single token once merges run to completion
        self.assertTrue(all(len(tok.tokenize(w)) == 1 for line in corpus[:300] for w in line.split()))


if __name__ == "__main__":
    unittest.main()
