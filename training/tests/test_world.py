import unittest

import numpy as np

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


class Metrics(unittest.TestCase):
    def test_perfect_output_succeeds_and_input_copy_fails(self):
        a, b, _ = ex("local", 2)
        self.assertEqual(M.score("local", a, b, b)["success"], 1.0)
        self.assertEqual(M.score("local", a, b, a)["success"], 0.0)
        a, b, _ = ex("segment", 2)
        self.assertEqual(M.score("segment", a, b, b)["iou"], 1.0)
        self.assertEqual(M.score("segment", a, b, np.zeros_like(b))["success"], 0.0)


if __name__ == "__main__":
    unittest.main()
