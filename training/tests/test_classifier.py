"""The classifier's language prior: WordNet synonyms (training/synonyms.py) and how the head's
training instructions use them (training/classifier.py)."""
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

from training import classifier as C
from training import synonyms as SYN
from training import tasks as T

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# a miniature WordNet 3.0 database in its own file format (wndb(5WN)): data lines are
# "offset lex_filenum ss_type w_cnt word lex_id ... p_cnt [ptr offset pos src/tgt]... | gloss",
# index lines "lemma pos synset_cnt p_cnt [ptr]... sense_cnt tagsense_cnt offset..." (most frequent first)
MINI = {
    "data.adj": ["  1 This software and database is being provided to you, the LICENSEE, by",
                 "00000100 00 a 02 blurry 0 blurred 0 001 & 00000200 a 0000 | indistinct",
                 "00000200 00 s 01 hazy 0 001 & 00000100 a 0000 | filled with haze"],
    "index.adj": ["  1 This software and database is being provided to you, the LICENSEE, by",
                  "blurred a 1 1 & 1 0 00000100", "blurry a 1 1 & 1 0 00000100", "hazy a 1 1 & 1 0 00000200"],
    "data.verb": ["00000300 35 v 02 remove 0 take_away 0 000 | first sense",
                  "00000400 35 v 02 remove 0 withdraw 0 000 | second sense",
                  "00000500 35 v 02 remove 0 transfer 0 000 | third sense",
                  "00000600 35 v 02 remove 0 murder 0 000 | fourth, rare sense"],
    "index.verb": ["murder v 1 0 1 0 00000600", "remove v 4 0 4 0 00000300 00000400 00000500 00000600",
                   "take_away v 1 0 1 0 00000300", "transfer v 1 0 1 0 00000500", "withdraw v 1 0 1 0 00000400"],
    "data.noun": [], "index.noun": [], "data.adv": [], "index.adv": [],
}


def write_mini(d: str) -> None:
    for name, lines in MINI.items():
        with open(os.path.join(d, name), "w", encoding="latin-1") as f:
            f.write("".join(line + "\n" for line in lines))


class Synonyms(unittest.TestCase):
    def test_reads_the_frequent_senses_and_similar_adjectives(self):
        with tempfile.TemporaryDirectory() as d:
            write_mini(d)
            syn = SYN.load(d, senses=3)
        self.assertEqual(syn["remove"], ["take away", "transfer", "withdraw"])  # not the 4th sense, not itself
        self.assertEqual(syn["blurry"], ["blurred", "hazy"])  # "hazy" through "similar to"
        self.assertEqual(syn["murder"], ["remove"])
        self.assertIn("blurry", syn["hazy"])

    def test_a_missing_wordnet_is_a_clear_error(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertFalse(SYN.available(d))
            with self.assertRaises(SYN.WordNetMissing) as e:
                SYN.load(d)
            self.assertIn("apt-get install -y wordnet-base", str(e.exception))
            env = dict(os.environ, EMUEDIT_WORDNET=d)
            r = subprocess.run([sys.executable, "-m", "training.classifier", "--run", d], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("wordnet-base", r.stderr)
            r = subprocess.run([sys.executable, "-m", "training.classifier", "--run", d, "--synonyms", "1.5"],
                               cwd=ROOT, capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 2)
            self.assertIn("--synonyms must be in [0, 1]", r.stderr)

    @unittest.skipUnless(SYN.available(), "Debian's wordnet-base is not installed")
    def test_debians_wordnet_links_words_the_phrasings_use(self):
        syn = SYN.load()
        self.assertIn("hazy", syn["blurry"])
        self.assertIn("take away", syn["remove"])
        every_sense = SYN.load(senses=100)
        # "make" has 49 verb senses; only the frequent ones are kept ("brand", "create", ...)
        self.assertLess(len(syn["make"]), len(every_sense["make"]) // 4)

    def test_synonyms_replace_meaning_words_never_slot_values(self):
        syn = {"remove": ["take away"], "circle": ["round"], "red": ["crimson"], "the": ["this"],
               "picture": ["image"]}
        rng = np.random.default_rng(0)
        text = "remove the red circle from the picture"
        self.assertEqual(C.replace_synonyms(text, syn, 1.0, rng), "take away the red circle from the image")
        self.assertEqual(C.replace_synonyms(text, syn, 0.0, rng), text)

    def test_validation_phrasings_are_in_neither_split(self):
        self.assertEqual(set(T.CLASSIFIER_VAL), set(T.TASK_NAMES))
        for td in T.TASKS:
            known = {t for ts in td.templates.values() for t in ts}
            self.assertFalse(known & set(T.CLASSIFIER_VAL[td.name]), td.name)
        rng = np.random.default_rng(0)
        for tpls in T.CLASSIFIER_VAL.values():
            for t in tpls:
                self.assertNotIn("{", T.fill_template(t, rng))


if __name__ == "__main__":
    unittest.main()
