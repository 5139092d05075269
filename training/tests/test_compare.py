"""The paired comparison that decides whether a model is measurably better (training/compare.py)."""
import copy
import json
import os
import subprocess
import sys
import tempfile
import unittest

from training import compare as CMP

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def ev(edits, split="val", sampler=None):
    """The fields of a training.evaluate result that a comparison reads."""
    return {"split": split, "sampler": sampler or {"steps": 20, "g_text": 1.5, "g_image": 1.5}, "edits": edits}


class SignTest(unittest.TestCase):
    def test_exact_two_sided_values(self):
        self.assertEqual(CMP.sign_test(0, 0), 1.0)
        self.assertAlmostEqual(CMP.sign_test(10, 0), 2 / 1024)
        self.assertAlmostEqual(CMP.sign_test(0, 10), 2 / 1024)
        self.assertAlmostEqual(CMP.sign_test(5, 1), 2 * 7 / 64)  # P(X <= 1) = (1 + 6) / 64
        self.assertEqual(CMP.sign_test(5, 5), 1.0)
        self.assertEqual(CMP.sign_test(6, 5), 1.0)  # capped, not 1.23
        self.assertLess(CMP.sign_test(21, 0), 1e-6)  # the decoder's 21 gained, none lost (model card)


class Compare(unittest.TestCase):
    def test_counts_gained_and_lost_edits_per_task(self):
        before = ev({"add": [1, 0, 0, 1], "text": [0, 0, 0, 0]})
        after = ev({"add": [1, 1, 1, 0], "text": [0, 1, 0, 0]})
        res = CMP.compare(before, after)
        self.assertEqual(res["per_task"]["add"], {"n": 4, "before": 2, "after": 3, "gained": 2, "lost": 1})
        self.assertEqual(res["per_task"]["text"], {"n": 4, "before": 0, "after": 1, "gained": 1, "lost": 0})
        self.assertEqual(res["total"], {"n": 8, "before": 2, "after": 4, "gained": 3, "lost": 1})
        self.assertAlmostEqual(res["p"], CMP.sign_test(3, 1))
        self.assertEqual(res["verdict"], "no significant difference")

    def test_verdict_follows_the_sign_test(self):
        zeros, ones = ev({"add": [0] * 12}), ev({"add": [1] * 12})
        self.assertEqual(CMP.compare(zeros, ones)["verdict"], "better")
        self.assertEqual(CMP.compare(ones, zeros)["verdict"], "worse")
        self.assertEqual(CMP.compare(ones, ones)["verdict"], "no significant difference")
        # same success rate, different edits: no difference, however many edits changed
        a, b = ev({"add": [1, 0] * 10}), ev({"add": [0, 1] * 10})
        self.assertEqual(CMP.compare(a, b)["total"]["gained"], 10)
        self.assertEqual(CMP.compare(a, b)["verdict"], "no significant difference")

    def test_evaluations_of_different_edits_are_refused(self):
        base = ev({"add": [1, 0], "text": [0, 0]})
        cases = {
            "split": ev({"add": [1, 0], "text": [0, 0]}, split="test"),
            "sampler": ev({"add": [1, 0], "text": [0, 0]}, sampler={"steps": 50, "g_text": 1.5, "g_image": 1.5}),
            "tasks": ev({"add": [1, 0], "local": [0, 0]}),
            "edits per task": ev({"add": [1, 0], "text": [0]}),
            "phrasings": dict(ev({"add": [1, 0], "text": [0, 0]}), phrasings="reworded"),  # same scenes, other words
            "skip": dict(ev({"add": [1, 0], "text": [0, 0]}), skip=2),  # later scenes, their own noise
        }
        for what, other in cases.items():
            with self.subTest(what):
                with self.assertRaises(ValueError):
                    CMP.compare(base, other)
        old = copy.deepcopy(base)
        del old["edits"]
        with self.assertRaisesRegex(ValueError, "older training.evaluate"):
            CMP.compare(old, base)

    def test_from_edit_compares_only_the_later_edits_of_every_task(self):
        before = ev({"add": [0, 0, 1, 0], "text": [1, 1, 0, 0]})
        after = ev({"add": [1, 1, 1, 1], "text": [0, 0, 1, 1]})
        self.assertEqual(CMP.compare(before, after)["total"], {"n": 8, "before": 3, "after": 6, "gained": 5, "lost": 2})
        res = CMP.compare(before, after, from_edit=2)
        self.assertEqual(res["per_task"]["add"], {"n": 2, "before": 1, "after": 2, "gained": 1, "lost": 0})
        self.assertEqual(res["total"], {"n": 4, "before": 1, "after": 4, "gained": 3, "lost": 0})
        self.assertEqual(res["from_edit"], 2)
        for bad in (-1, 4):  # nothing left to compare, or a negative count, is refused
            with self.assertRaisesRegex(ValueError, "from_edit"):
                CMP.compare(before, after, from_edit=bad)
        # the choice on the first edits, the confirmation on the rest: together the whole comparison
        first = CMP.compare(before, after, to_edit=2)
        self.assertEqual(first["total"], {"n": 4, "before": 2, "after": 2, "gained": 2, "lost": 2})
        self.assertEqual(first["to_edit"], 2)
        self.assertEqual(CMP.compare(before, after, from_edit=1, to_edit=3)["per_task"]["text"],
                         {"n": 2, "before": 1, "after": 1, "gained": 1, "lost": 1})
        for lo, hi in ((2, 2), (0, 5), (3, 1)):
            with self.assertRaisesRegex(ValueError, "to_edit"):
                CMP.compare(before, after, from_edit=lo, to_edit=hi)

    def test_across_samplers_pairs_one_models_edits_at_two_settings(self):
        a = ev({"add": [1, 0, 0], "text": [0, 0, 1]})
        b = ev({"add": [1, 1, 1], "text": [0, 0, 1]}, sampler={"steps": 20, "g_text": 2.0, "g_image": 1.5})
        with self.assertRaises(ValueError):
            CMP.compare(a, b)
        res = CMP.compare(a, b, across_samplers=True)
        self.assertEqual(res["total"]["gained"], 2)
        self.assertEqual(res["sampler"]["after"]["g_text"], 2.0)
        with self.assertRaises(ValueError):  # the split still has to match
            CMP.compare(a, ev({"add": [1, 0, 0], "text": [0, 0, 1]}, split="test"), across_samplers=True)

    def test_command_line_writes_the_result_and_refuses_bad_input(self):
        with tempfile.TemporaryDirectory() as d:
            a, b, out = (os.path.join(d, n) for n in ("a.json", "b.json", "out.json"))
            for path, e in ((a, ev({"add": [0] * 12})), (b, ev({"add": [1] * 12}))):
                with open(path, "w") as f:
                    json.dump(e, f)
            ok = subprocess.run([sys.executable, "-m", "training.compare", a, b, "--out", out], cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
            self.assertEqual(ok.returncode, 0, ok.stderr)
            self.assertIn("verdict=better", ok.stdout)
            with open(out) as f:
                self.assertEqual(json.load(f)["total"]["gained"], 12)
            with open(b, "w") as f:
                json.dump(ev({"add": [1] * 12}, split="test"), f)
            bad = subprocess.run([sys.executable, "-m", "training.compare", a, b], cwd=ROOT, capture_output=True,
                                 text=True, timeout=60)
            self.assertEqual(bad.returncode, 2)
            self.assertIn("not the same edits: split", bad.stderr)
            missing = subprocess.run([sys.executable, "-m", "training.compare", a, os.path.join(d, "none.json")],
                                     cwd=ROOT, capture_output=True, text=True, timeout=60)
            self.assertEqual(missing.returncode, 2)
            self.assertIn("none.json", missing.stderr)


if __name__ == "__main__":
    unittest.main()
