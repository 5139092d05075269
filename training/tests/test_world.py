import hashlib
import io
import json
import os
import re
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

import numpy as np

from training import data as D

from training import metrics as M
from training import tasks as T
from training import world as W


def ex(task, seed=0, split="train"):
    return T.make_example(task, np.random.default_rng(seed), split)


class Conventions(unittest.TestCase):
    def test_every_task_makes_a_valid_pair(self):
        for name in T.TASK_NAMES + ["contour"]:
            for seed in range(5):
                a, b, s = ex(name, seed)
                self.assertEqual(a.shape, (64, 64, 3))
                self.assertEqual(b.dtype, np.uint8)
                self.assertTrue(s)
                self.assertTrue((a != b).any(), name)

    def test_detect_draws_only_a_two_px_pure_green_ring(self):
        for seed in range(10):
            a, b, _ = ex("detect", seed)
            changed = (a != b).any(-1)
            self.assertTrue((b[changed] == W.DETECT_GREEN).all())
            green = (b == W.DETECT_GREEN).all(-1)
            ys, xs = np.nonzero(green)
            y0, y1, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
            self.assertTrue(green[y0:y0 + 2, x0:x1 + 1].all() and green[y1 - 1:y1 + 1, x0:x1 + 1].all())
            self.assertTrue(green[y0:y1 + 1, x0:x0 + 2].all() and green[y0:y1 + 1, x1 - 1:x1 + 1].all())
            self.assertFalse(green[y0 + 2:y1 - 1, x0 + 2:x1 - 1].any())

    def test_segment_is_binary_and_invert_and_grayscale_are_exact(self):
        a, b, _ = ex("segment", 3)
        self.assertTrue(set(np.unique(b)) <= {0, 255})
        img = W.render(W.random_scene(np.random.default_rng(1)))
        self.assertTrue((W.invert(img) == 255 - img).all())
        g = W.grayscale(img)
        f = img.astype(float)
        self.assertTrue((np.abs(g[..., 0] - (0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2])) <= 0.5 + 1e-6).all())

    def test_remove_restores_the_background(self):
        for seed in range(10):
            a, b, _ = ex("remove", seed)
            changed = (a != b).any(-1)
            bg_pixels = b[changed]
            self.assertTrue((bg_pixels == bg_pixels[0]).all())

    def test_objects_do_not_overlap_and_sizes_are_in_range(self):
        rng = np.random.default_rng(0)
        for _ in range(50):
            s = W.random_scene(rng)
            masks = [W.obj_mask(o) for o in s.objs]
            for i in range(len(masks)):
                self.assertTrue(12 <= s.objs[i].size <= 28)
                for j in range(i + 1, len(masks)):
                    self.assertFalse((masks[i] & masks[j]).any())

    def test_held_out_phrasings_are_disjoint(self):
        for td in T.TASKS:
            for v in td.templates:
                tr, te = set(T.templates(td, v, "train")), set(T.templates(td, v, "test"))
                self.assertTrue(te and tr and not (tr & te))

    def test_reworded_pairs_are_the_val_scenes_with_phrasings_of_neither_split(self):
        tasks = ["texture", "detect", "background"]
        val = D.make_pairs(3, "val", 0, tasks)
        rew = D.make_pairs(3, "val", 0, tasks, phrasings=T.REWORDED)
        self.assertTrue((val.inputs == rew.inputs).all() and (val.targets == rew.targets).all())
        self.assertEqual(list(val.task_ids), list(rew.task_ids))
        for s, name in zip(rew.texts, [t for t in tasks for _ in range(3)]):
            pats = [re.escape(tp).replace(r"\{", "{").replace(r"\}", "}") for tp in T.CLASSIFIER_VAL[name]]
            self.assertTrue(any(re.fullmatch(re.sub(r"{\w+}", ".+", p), s) for p in pats), s)
            self.assertNotIn(s, val.texts)
        self.assertEqual(len(D.make_pairs(1, "val", 0, phrasings=T.REWORDED)), len(T.REWORDED_TASKS))
        self.assertNotIn("global", T.REWORDED_TASKS)  # its instructions must name brighter / darker / contrast
        with self.assertRaises(ValueError):
            D.make_pairs(1, "val", 0, ["global"], phrasings=T.REWORDED)
        with self.assertRaises(ValueError):
            D.make_pairs(1, "val", 0, ["detect"], phrasings="other")
        from training import evaluate
        for bad in (["--tasks", "detect,global"], ["--split", "test"], ["--ceiling"]):  # refused before any run is read
            with self.subTest(bad), redirect_stderr(io.StringIO()), self.assertRaises(SystemExit):
                evaluate.main(["--run", "/nonexistent", "--split", "val", "--phrasings", "reworded"] + bad)


class Metrics(unittest.TestCase):
    def test_perfect_output_succeeds_and_input_copy_fails(self):
        a, b, _ = ex("local", 2)
        self.assertEqual(M.score("local", a, b, b)["success"], 1.0)
        self.assertEqual(M.score("local", a, b, a)["success"], 0.0)
        a, b, _ = ex("segment", 2)
        self.assertEqual(M.score("segment", a, b, b)["iou"], 1.0)
        self.assertEqual(M.score("segment", a, b, np.zeros_like(b))["success"], 0.0)


class DataFingerprint(unittest.TestCase):
    def test_text_is_drawn_in_the_bitmap_font(self):
        # digests of masks drawn with PIL's bitmap font (Debian's Pillow 9.4; the GPU image's 12.3
        # drew the same): another font, e.g. load_default()'s FreeType one since Pillow 10.1, fails
        for word, where, digest in (("cat", "top", "be31d213981fe356"), ("HELLO", "bottom", "c7141b6ff23692b1")):
            m = W.text_layer(word, where)
            self.assertEqual(hashlib.sha256(m.tobytes()).hexdigest()[:16], digest, word)
        self.assertFalse(W.text_layer("cat", "top")[32:].any())

    def test_write_then_check_passes_and_a_changed_digest_fails(self):
        with tempfile.TemporaryDirectory() as d:
            f = os.path.join(d, "fp.json")
            self.assertEqual(D.main(["write", f]), 0)
            with open(f) as fh:
                fp = json.load(fh)
            self.assertEqual(sorted(fp), sorted(T.TASK_NAMES))
            out = io.StringIO()
            with redirect_stdout(out):
                self.assertEqual(D.main(["check", f]), 0)
            self.assertIn("same on every task", out.getvalue())
            fp["text"] = "0" * 16
            with open(f, "w") as fh:
                json.dump(fp, fh)
            out = io.StringIO()
            with redirect_stdout(out):
                self.assertEqual(D.main(["check", f]), 1)
            self.assertIn("DIFFERS on text", out.getvalue())
            with open(f, "w") as fh:
                fh.write("not json")
            with self.assertRaises(SystemExit) as cm, redirect_stderr(io.StringIO()):
                D.main(["check", f])
            self.assertEqual(cm.exception.code, 2)


if __name__ == "__main__":
    unittest.main()
