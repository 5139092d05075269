"""Carrying a run between machines (training/carry.py), wall-time budgets, and the parallel data
generation: the pieces the GPU recipe (training/gpu_recipe.sh) relies on."""
import os
import tempfile
import time
import unittest

import torch

from training import carry, train_unet, train_vae
from training import data as D
from training.common import Clock, load_ckpt, save_ckpt
from training.models import Config


class Carry(unittest.TestCase):
    def test_pack_then_unpack_restores_weights_without_optimizer_state(self):
        with tempfile.TemporaryDirectory() as d:
            run, parts, back = (os.path.join(d, x) for x in ("run", "parts", "back"))
            main_w = {"a.weight": torch.randn(3, 4), "n.num_batches": torch.tensor(7)}
            side_w = {"a.weight": torch.randn(5)}
            save_ckpt(os.path.join(run, "unet.pt"), model=main_w, ema=main_w, opt={"state": {}}, step=9,
                      cfg={"unet_channels": (8, 16, 32)}, scaling_factor=0.5, finished=True)
            save_ckpt(os.path.join(run, "unet-notask.pt"), model=side_w, ema=side_w, opt={}, step=9, cfg={})
            save_ckpt(os.path.join(run, "vae.pt"), model=main_w, opt={}, step=3, cfg={})
            with open(os.path.join(run, "vae_eval.json"), "w") as f:
                f.write("{}")
            paths = carry.pack(run, parts, part_mb=0.0005)  # several parts, reassembled in order
            self.assertGreater(len(paths), 1)
            carry.unpack(parts, back)
            st = load_ckpt(os.path.join(back, "unet.pt"))
            self.assertNotIn("opt", st)
            self.assertNotIn("model", st)  # the EMA weights are what later phases use
            self.assertTrue(torch.equal(st["ema"]["a.weight"], main_w["a.weight"]))  # the shipped model: exact
            self.assertEqual(int(st["ema"]["n.num_batches"]), 7)
            self.assertEqual((st["step"], st["scaling_factor"], st["finished"]), (9, 0.5, True))
            side = load_ckpt(os.path.join(back, "unet-notask.pt"))["ema"]["a.weight"]
            self.assertEqual(side.dtype, torch.float32)
            self.assertTrue(torch.allclose(side, side_w["a.weight"], atol=1e-2))  # travelled as fp16
            self.assertIn("model", load_ckpt(os.path.join(back, "vae.pt")))
            self.assertTrue(os.path.exists(os.path.join(back, "vae_eval.json")))

    def test_a_carried_unet_checkpoint_is_used_as_is(self):
        with tempfile.TemporaryDirectory() as d:
            save_ckpt(os.path.join(d, "unet.pt"), ema={}, step=42, cfg={})
            self.assertEqual(train_unet.train(d, 100), {"steps": 42})


class Budgets(unittest.TestCase):
    def test_clock_spreads_progress_over_the_wall_time_budget(self):
        c = Clock(10**9, minutes=0.5 / 60)
        self.assertLess(c.progress(0), 0.5)
        self.assertFalse(c.done(0))
        time.sleep(0.55)
        self.assertTrue(c.done(1))
        self.assertGreaterEqual(c.progress(1), 1.0)
        self.assertTrue(Clock(5, None).done(5))

    def test_a_budgeted_autoencoder_run_ends_finished_and_is_not_retrained(self):
        with tempfile.TemporaryDirectory() as d:
            cfg = Config.tiny(0)
            train_vae.train(d, cfg, 10**9, batch=2, n_per_task=1, minutes=0.3 / 60)
            st = load_ckpt(os.path.join(d, "vae.pt"))
            self.assertTrue(st["finished"] and st["budget"])
            mtime = os.path.getmtime(os.path.join(d, "vae.pt"))
            train_vae.train(d, cfg, 10**9, batch=2, n_per_task=1, minutes=0.3 / 60)
            self.assertEqual(os.path.getmtime(os.path.join(d, "vae.pt")), mtime)


class ParallelData(unittest.TestCase):
    def test_worker_processes_do_not_change_the_data(self):
        a = D.make_pairs(130, "train", 3, workers=1)
        b = D.make_pairs(130, "train", 3, workers=2)
        self.assertEqual(a.texts, b.texts)
        self.assertTrue((a.inputs == b.inputs).all() and (a.targets == b.targets).all())
        self.assertTrue((a.task_ids == b.task_ids).all())


class GpuRecipeScript(unittest.TestCase):
    def test_a_missing_fingerprint_file_stops_the_recipe_before_any_training(self):
        import subprocess
        import sys
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        with tempfile.TemporaryDirectory() as d:
            run, out = os.path.join(d, "run"), os.path.join(d, "out")
            env = dict(os.environ, DEVICE="cpu", PYTHON=sys.executable, FINGERPRINT=os.path.join(d, "nope.json"))
            done = subprocess.run(["bash", os.path.join(root, "training", "gpu_recipe.sh"), run, out, "60"], cwd=root,
                                  env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(done.returncode, 2, done.stdout[-2000:] + done.stderr[-2000:])
            self.assertIn("FINGERPRINT", done.stderr)
            self.assertFalse(os.path.exists(os.path.join(run, "vae.pt")))


if __name__ == "__main__":
    unittest.main()
