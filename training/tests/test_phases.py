"""A few steps of every phase on tiny widths, the ONNX export, and ONNX-vs-torch agreement."""
import dataclasses
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch

from training import ort, recipe, train_unet, train_vae
from training import data as D
from training.models import Config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HAVE_ORT = ort.available()

RUN_FILES = ("unet.pt", "vae.pt", "vae_eval.json", "tokenizer")


def copy_run(src: str, dst: str, files=RUN_FILES) -> str:
    """A new run dst holding src's files (the tokenizer folder included); returns dst."""
    os.makedirs(dst)
    for f in files:
        (shutil.copytree if f == "tokenizer" else shutil.copy)(os.path.join(src, f), os.path.join(dst, f))
    return dst


class Recipe(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="emuedit-train-")
        cls.run_dir = os.path.join(cls.tmp, "run")
        cls.out = os.path.join(cls.tmp, "pkg")
        recipe.main(["--run", cls.run_dir, "--out", cls.out, "--tiny", "--vae-steps", "3", "--unet-steps", "3",
                     "--eval-per-task", "1", "--sample-steps", "2", "--extras", "--pipeline-eval"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_package_follows_the_contract(self):
        for f in ["model_index.json", "scheduler/scheduler_config.json", "tokenizer/vocab.json", "tokenizer/merges.txt",
                  "tokenizer/tokenizer_config.json", "text_encoder/model.onnx", "unet/model.onnx", "vae_encoder/model.onnx",
                  "vae_decoder/model.onnx", "vae_decoder/config.json", "emuedit.json", "tasks/tasks.json",
                  "task_classifier/model.onnx"]:
            self.assertTrue(os.path.exists(os.path.join(self.out, f)), f)
        with open(os.path.join(self.out, "emuedit.json")) as f:
            emu = json.load(f)
        with open(os.path.join(self.out, "tasks", "tasks.json")) as f:
            tasks = json.load(f)
        self.assertEqual(len(tasks["tasks"]), 16)
        self.assertEqual([t["id"] for t in tasks["tasks"]], list(range(16)))
        self.assertEqual(len(tasks["tasks"][0]["embedding"]), emu["task_embedding_dim"])
        with open(os.path.join(self.out, "scheduler", "scheduler_config.json")) as f:
            self.assertEqual(json.load(f)["prediction_type"], "v_prediction")

    @unittest.skipUnless(HAVE_ORT, "no onnxruntime (python) and no onnxruntime-node in packages/onnx-runtime")
    def test_onnx_matches_torch(self):
        with open(os.path.join(self.run_dir, "package.json")) as f:
            info = json.load(f)
        diffs = info["max_abs_diff"]
        self.assertEqual((info["init_steps"], info["steps_behind_weights"]), (0, info["trained_steps"]))
        self.assertEqual(set(diffs), {"text_encoder", "unet", "vae_encoder", "vae_decoder", "task_classifier"})
        for k, v in diffs.items():
            self.assertLess(v, 1e-4, k)

    def test_every_phase_wrote_its_results(self):
        with open(os.path.join(self.run_dir, "results.json")) as f:
            res = json.load(f)
        self.assertEqual(set(res["vae_eval"]["ceiling"]), set(res["eval-unet"]["per_task"]))
        self.assertIn("classifier", res["eval-unet"])
        self.assertIn("thresholded", res["multiturn"])
        self.assertEqual(sorted(res["inversion"]), ["1", "10", "100", "from_start"])
        self.assertIn("success", res["inversion"]["from_start"]["metrics"])
        self.assertIsNotNone(res["eval-unet-notask"])
        self.assertIn("after", res["classifier"])
        self.assertEqual(set(res["classifier"]["val_after"]), set(res["classifier"]["after"]))
        self.assertEqual(res["classifier"]["synonyms"], 0.8)
        if os.path.exists(os.path.join(os.path.dirname(__file__), "..", "..", "packages", "pipeline", "src", "index.ts")):
            self.assertEqual(res["pipeline-eval"]["edits"], 16)
        from training.models import task_vector_dim
        # a task vector (what the UNet takes), not a row of the 32-d training table
        self.assertEqual(len(res["inversion"]["10"]["entry"]["embedding"]), task_vector_dim(train_unet.load_editor(self.run_dir)[0].cfg))

    def test_text_robust_trains_the_text_encoder_and_head_only(self):
        from training import synonyms as SYN
        from training import text_robust
        syn = "1.0" if SYN.available() else "0"  # without Debian's WordNet: the originals only
        text_robust.main(["--run", self.run_dir, "--steps", "3", "--n-per-task", "2", "--batch", "4",
                          "--warmup", "1", "--lr", "1e-2", "--synonyms", syn, "--out", "unet-textrob"])
        before = torch.load(os.path.join(self.run_dir, "unet.pt"))
        after = torch.load(os.path.join(self.run_dir, "unet-textrob.pt"))
        changed = {n for n, w in before["ema"].items() if not torch.equal(after["ema"][n], w)}
        self.assertTrue(changed)
        self.assertTrue(all(n.startswith(("text.", "classifier.")) for n in changed), changed)
        self.assertTrue(any(n.startswith("text.") for n in changed))
        with open(os.path.join(self.run_dir, "unet-textrob.json")) as f:
            res = json.load(f)
        self.assertEqual((res["steps"], res["samples"]), (3, 12))
        self.assertEqual(res["reworded"], 12 if syn == "1.0" else 0)  # --synonyms 1: every one shown
        for bad in (["--out", "unet"], ["--synonyms", "1.5"]):  # usage errors, before any training
            with self.assertRaises(SystemExit):
                text_robust.main(["--run", self.run_dir, "--steps", "1"] + bad)
        with self.assertRaises(SystemExit):  # neither a budget nor a step count
            text_robust.main(["--run", self.run_dir])

    def test_text_robust_anchor_holds_unreworded_instructions_to_the_starting_encoder(self):
        from training import data as D
        from training import text_robust
        ids = torch.tensor([train_unet.tokenizer(self.run_dir)(s) for s in D.make_pairs(2, "train", 3).texts])
        start = train_unet.load_editor(self.run_dir)[0].text
        drift = {}
        for anchor in ("0", "100"):  # nothing reworded: every instruction is anchored
            text_robust.main(["--run", self.run_dir, "--steps", "8", "--n-per-task", "2", "--batch", "8", "--warmup", "1",
                              "--lr", "1e-2", "--synonyms", "0", "--anchor", anchor, "--out", f"unet-anchor{anchor}"])
            moved = train_unet.load_editor(self.run_dir, f"unet-anchor{anchor}")[0].text
            with torch.no_grad():
                drift[anchor] = float(((moved(ids)[0] - start(ids)[0]) ** 2).mean())
        self.assertGreater(drift["0"], 0.0)
        self.assertLess(drift["100"], 0.5 * drift["0"], drift)
        with self.assertRaises(SystemExit):
            text_robust.main(["--run", self.run_dir, "--steps", "1", "--anchor", "-1"])

    def test_a_run_continues_from_another_runs_weights_with_task_weights(self):
        src = torch.load(os.path.join(self.run_dir, "unet.pt"))
        train_unet.train(self.run_dir, 2, batch=4, n_per_task=8, small=True, name="unet-ft",
                         init_from=os.path.join(self.run_dir, "unet.pt"), task_weights={"text": 5.0}, lr=1e-9)
        st = torch.load(os.path.join(self.run_dir, "unet-ft.pt"))
        self.assertEqual(st["init_steps"], src["step"])
        self.assertEqual(st["task_weights"], {"text": 5.0})
        w = "unet.out.bias"
        self.assertTrue(torch.allclose(st["model"][w], src["ema"][w], atol=1e-6))  # started there, barely moved

    def test_another_seed_trains_on_other_scenes_kept_in_their_own_pool(self):
        dev = torch.device("cpu")
        base = train_unet.build_pool(self.run_dir, 8, dev)
        other = train_unet.build_pool(self.run_dir, 8, dev, seed=5)
        self.assertTrue(os.path.exists(train_unet.pool_path(self.run_dir, seed=5)))
        self.assertEqual(train_unet.pool_path(self.run_dir), os.path.join(self.run_dir, "pool.pt"))  # earlier runs' name
        self.assertEqual(other["z_in"].shape, base["z_in"].shape)
        self.assertFalse(torch.equal(other["z_in"], base["z_in"]))  # other scenes, not the seed-0 pool reused
        self.assertTrue(torch.equal(train_unet.build_pool(self.run_dir, 8, dev)["z_in"], base["z_in"]))
        train_unet.main(["--run", self.run_dir, "--steps", "2", "--batch", "4", "--n-per-task", "8", "--small",
                         "--init-from", os.path.join(self.run_dir, "unet.pt"), "--name", "unet-s5", "--seed", "5"])
        s5 = torch.load(os.path.join(self.run_dir, "unet-s5.pt"))
        self.assertEqual((s5["seed"], s5["pool_seeds"]), (5, [0, 5]))  # its own pool and that of the run it continued
        self.assertEqual(train_unet.trained_scene_seeds(s5), {100, 105})
        # a continuation of that one on a third pool has seen all three; a checkpoint without the record, seed 0's
        train_unet.train(self.run_dir, 2, batch=4, n_per_task=8, small=True, init_from=os.path.join(self.run_dir, "unet-s5.pt"),
                         name="unet-s7", seed=7)
        self.assertEqual(train_unet.trained_scene_seeds(torch.load(os.path.join(self.run_dir, "unet-s7.pt"))), {100, 105, 107})
        self.assertEqual(train_unet.trained_scene_seeds({}), {100})

    def test_batch_auto_probes_on_copies_and_trains_as_the_chosen_batch_would(self):
        init = os.path.join(self.run_dir, "unet.pt")
        kw = dict(n_per_task=8, small=True, init_from=init, lr=1e-3, warmup=1)
        train_unet.train(self.run_dir, 2, batch=0, batch_candidates=(2, 3), name="unet-auto", **kw)
        auto = torch.load(os.path.join(self.run_dir, "unet-auto.pt"))
        self.assertIn(auto["batch"], (2, 3))
        train_unet.train(self.run_dir, 2, batch=auto["batch"], name="unet-fixed", **kw)
        fixed = torch.load(os.path.join(self.run_dir, "unet-fixed.pt"))
        for k, v in fixed["model"].items():  # the probe touched neither the weights nor the data order
            self.assertTrue(torch.equal(v, auto["model"][k]), k)
        with self.assertRaises(SystemExit):
            train_unet.main(["--run", "/nonexistent", "--batch", "-3"])

    def test_task_noise_reaches_the_unet_and_is_recorded(self):
        init = os.path.join(self.run_dir, "unet.pt")
        kw = dict(batch=4, n_per_task=8, small=True, init_from=init, lr=1e-3, warmup=1)
        w = {}
        for name, noise in (("unet-n0", 0.0), ("unet-n0b", 0.0), ("unet-n1", 1.0)):
            train_unet.train(self.run_dir, 2, name=name, task_noise=noise, **kw)
            w[name] = torch.load(os.path.join(self.run_dir, f"{name}.pt"))
        key = "unet.task_t.0.weight"
        self.assertTrue(torch.equal(w["unet-n0"]["model"][key], w["unet-n0b"]["model"][key]))  # deterministic
        self.assertFalse(torch.equal(w["unet-n0"]["model"][key], w["unet-n1"]["model"][key]))  # the noise is used
        self.assertEqual(w["unet-n1"]["task_noise"], 1.0)
        with self.assertRaises(SystemExit):
            train_unet.main(["--run", "/nonexistent", "--task-noise", "-1"])

    def test_frozen_text_stays_byte_identical_and_the_timestep_range_is_used_and_recorded(self):
        init = os.path.join(self.run_dir, "unet.pt")
        src = torch.load(init)["ema"]
        kw = dict(batch=4, n_per_task=8, small=True, init_from=init, lr=1e-3, warmup=1)
        w = {}
        for name, extra in (("unet-fz", dict(freeze_text=True)), ("unet-lo", dict(t_range=(0, 300))),
                            ("unet-lo2", dict(t_range=(0, 300))), ("unet-hi", dict(t_range=(700, 1000)))):
            # 5 steps: the EMA's x * d + x * (1 - d) first differs from x at step 3 (d = 4/13)
            train_unet.train(self.run_dir, 5, name=name, **kw, **extra)
            w[name] = torch.load(os.path.join(self.run_dir, f"{name}.pt"))
        fz = w["unet-fz"]
        frozen = [k for k in src if k.startswith(("text.", "classifier."))]
        self.assertTrue(frozen)
        for part in ("model", "ema"):  # the optimizer and the EMA leave the frozen parts as they were
            for k in frozen:
                self.assertTrue(torch.equal(fz[part][k], src[k]), (part, k))
        self.assertFalse(torch.equal(fz["model"]["unet.out.bias"], src["unet.out.bias"]))  # the UNet trains
        self.assertTrue(fz["freeze_text"])
        self.assertFalse(torch.equal(w["unet-lo"]["model"]["text.tok.weight"], src["text.tok.weight"]))  # trained by default
        key = "unet.out.bias"
        self.assertTrue(torch.equal(w["unet-lo"]["model"][key], w["unet-lo2"]["model"][key]))  # deterministic
        self.assertFalse(torch.equal(w["unet-lo"]["model"][key], w["unet-hi"]["model"][key]))  # the range is used
        self.assertEqual(w["unet-lo"]["t_range"], [0, 300])
        for bad in ("500:100", "0:2000", "x:1", "5"):
            with self.assertRaises(SystemExit):
                train_unet.main(["--run", "/nonexistent", "--t-range", bad])
        with self.assertRaises(ValueError):
            train_unet.train(self.run_dir, 1, name="unet-bad", t_range=(10, 10), **kw)

    def test_the_probe_from_pure_noise_is_evaluates_edit_and_a_later_start_uses_the_truth(self):
        from training import evaluate, probe
        ev = evaluate.evaluate(self.run_dir, per_task=3, tasks=["detect", "remove"], split="val", clf_per_task=0)
        pr = probe.probe(self.run_dir, ["detect", "remove"], per_task=3, split="val", starts=(0, 19))
        first, last = pr["by_start_t"]["999"], pr["by_start_t"]["49"]
        for task in ("detect", "remove"):
            self.assertEqual(first[task]["psnr_in"], ev["per_task"][task]["psnr_in"], task)
            # this tiny model is no editor, so only "different": the sampler itself is checked with an
            # oracle in test_diffusion (a late start from the truth ends at the truth)
            self.assertNotEqual(last[task]["psnr_in"], first[task]["psnr_in"], task)
        for bad in (["--tasks", "detect,nosuchtask"], ["--tasks", "detect", "--per-task", "0"], ["--tasks", ","]):
            with self.assertRaises(SystemExit):
                probe.main(["--run", self.run_dir, *bad])

    def test_kept_latents_give_the_same_evaluation_and_refuse_another_one(self):
        from training import evaluate
        kept = os.path.join(self.tmp, "kept-val.npz")
        kw = dict(per_task=2, tasks=["detect", "texture"], split="val", clf_per_task=0)
        plain = evaluate.evaluate(self.run_dir, **kw)
        first = evaluate.evaluate(self.run_dir, latents=kept, **kw)  # samples and keeps
        self.assertTrue(os.path.exists(kept))
        stamp = os.path.getmtime(kept)
        again = evaluate.evaluate(self.run_dir, latents=kept, **kw)  # reads them back
        self.assertEqual(os.path.getmtime(kept), stamp)
        for res in (first, again):
            self.assertEqual(res["per_task"], plain["per_task"])
            self.assertEqual(res["edits"], plain["edits"])
        # another decoder of the same UNet: read back, decoded by the new decoder
        other = copy_run(self.run_dir, os.path.join(self.tmp, "kept-other"))
        vae = torch.load(os.path.join(other, "vae.pt"))
        dec_key = next(k for k in vae["model"] if k.startswith("decoder.") and k.endswith("weight"))
        vae["model"][dec_key] = vae["model"][dec_key] * 0.5
        torch.save(vae, os.path.join(other, "vae.pt"))
        moved = evaluate.evaluate(other, latents=kept, **kw)
        self.assertEqual(os.path.getmtime(kept), stamp)
        self.assertNotEqual(moved["per_task"]["detect"]["psnr_in"], plain["per_task"]["detect"]["psnr_in"])
        # other edits, another sampler or another encoder: refused, never decoded as if they matched
        with self.assertRaisesRegex(ValueError, "differs in per_task"):
            evaluate.evaluate(self.run_dir, latents=kept, **dict(kw, per_task=3))
        with self.assertRaisesRegex(ValueError, "differs in sampler"):
            evaluate.evaluate(self.run_dir, latents=kept, g_text=2.0, **kw)
        vae["model"] = {k: (v + 1 if k.startswith("encoder.") and v.is_floating_point() else v) for k, v in vae["model"].items()}
        torch.save(vae, os.path.join(other, "vae.pt"))
        with self.assertRaisesRegex(ValueError, "differs in unet_and_encoder"):
            evaluate.evaluate(other, latents=kept, **kw)
        for bad in (["--latents", kept, "--ceiling"], ["--latents", "kept.json"]):
            with self.assertRaises(SystemExit):
                evaluate.main(["--run", self.run_dir, *bad])

    def test_skip_samples_only_the_later_scenes_of_every_task(self):
        from training import compare, evaluate
        kw = dict(per_task=3, tasks=["detect", "remove"], split="val", clf_per_task=0)
        full = evaluate.load_edits(self.run_dir, "unet", 3, "val", kw["tasks"])[5]
        later = evaluate.load_edits(self.run_dir, "unet", 3, "val", kw["tasks"], skip=1)[5]
        self.assertEqual(later.texts, full.texts[1:3] + full.texts[4:6])
        np.testing.assert_array_equal(later.targets, full.targets[[1, 2, 4, 5]])
        np.testing.assert_array_equal(later.task_ids, full.task_ids[[1, 2, 4, 5]])
        res = evaluate.evaluate(self.run_dir, skip=1, **kw)
        self.assertEqual({t: len(e) for t, e in res["edits"].items()}, {"detect": 2, "remove": 2})
        self.assertEqual(res["skip"], 1)
        self.assertEqual(compare.compare(res, res)["total"]["n"], 4)
        with self.assertRaisesRegex(ValueError, "skip"):
            compare.compare(evaluate.evaluate(self.run_dir, per_task=2, tasks=kw["tasks"], split="val", clf_per_task=0), res)
        with self.assertRaises(ValueError):
            evaluate.evaluate(self.run_dir, skip=3, **kw)
        for bad in (["--per-task", "3", "--skip", "3"], ["--skip", "-1"], ["--ceiling", "--skip", "1"]):
            with self.assertRaises(SystemExit):
                evaluate.main(["--run", self.run_dir, *bad])

    def test_position_tables_join_a_trained_model_without_changing_it_and_survive_a_package(self):
        from training.editor import Editor
        src_model = train_unet.load_editor(self.run_dir)[0]
        self.assertFalse(src_model.cfg.unet_pos)
        with_pos = Editor(dataclasses.replace(src_model.cfg, unet_pos=True)).eval()
        missing, _ = with_pos.load_state_dict(src_model.state_dict(), strict=False)
        self.assertEqual(sorted(missing), ["unet.pos1", "unet.pos2", "unet.pos3"])
        C = src_model.cfg.latent_channels
        x, t = torch.randn(2, 2 * C, 16, 16), torch.tensor([10.0, 700.0])
        h, te = torch.randn(2, 77, src_model.cfg.text_dim), src_model.task_vectors(torch.tensor([3, 8]))
        with torch.no_grad():
            self.assertTrue(torch.equal(src_model.denoise(x, t, h, te), with_pos.denoise(x, t, h, te)))
        # a continuation adds them (zero) and trains them at NEW_PARAM_LR_SCALE x the rate
        pos_run = copy_run(self.run_dir, os.path.join(self.tmp, "pos-run"), ("vae.pt", "vae_eval.json", "tokenizer"))
        train_unet.main(["--run", pos_run, "--steps", "3", "--batch", "4", "--n-per-task", "8", "--lr", "1e-3",
                         "--init-from", os.path.join(self.run_dir, "unet.pt"), "--pos-emb"])
        st = torch.load(os.path.join(pos_run, "unet.pt"))
        self.assertTrue(st["cfg"]["unet_pos"])
        self.assertGreater(float(st["model"]["unet.pos1"].abs().max()), 0.0)
        self.assertEqual([g["lr_scale"] for g in st["opt"]["param_groups"]], [1.0, train_unet.NEW_PARAM_LR_SCALE])
        if not HAVE_ORT:
            return
        from training import from_package, package
        pkg = os.path.join(self.tmp, "pkg-pos")
        package.build(pos_run, pkg, fp16=False, check=True)
        back = from_package.write_run(pkg, os.path.join(self.tmp, "back-pos"))
        self.assertTrue(back["config"]["unet_pos"])
        rebuilt = torch.load(os.path.join(self.tmp, "back-pos", "unet.pt"))["ema"]
        for k in ("unet.pos1", "unet.pos2", "unet.pos3"):
            self.assertTrue(torch.equal(rebuilt[k], st["ema"][k]), k)

    def test_sigterm_checkpoints_the_current_step(self):
        import signal
        proc = subprocess.Popen([sys.executable, "-m", "training.train_unet", "--run", self.run_dir, "--name", "unet-int",
                                 "--small", "--steps", "1000000", "--n-per-task", "8", "--batch", "2",
                                 "--ckpt-every", "1000000"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        try:
            for line in proc.stdout:  # type: ignore[union-attr]
                if "unet-int step=" in line:  # training is under way (a log line every 50 steps)
                    break
            proc.send_signal(signal.SIGTERM)
            out = proc.communicate(timeout=60)[0]
        finally:
            proc.kill()
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("interrupted, checkpoint saved", out)
        st = torch.load(os.path.join(self.run_dir, "unet-int.pt"))
        self.assertGreaterEqual(st["step"], 50)  # no periodic checkpoint was due: this one is the handler's
        self.assertFalse(st["finished"])

    @unittest.skipUnless(HAVE_ORT, "no onnxruntime (python) and no onnxruntime-node in packages/onnx-runtime")
    def test_a_package_keeps_the_scenes_its_unet_trained_on(self):
        from training import export, from_package, package
        for seeds in ([0], [0, 23]):
            run = copy_run(self.run_dir, os.path.join(self.tmp, f"seeds-{len(seeds)}"))
            st = torch.load(os.path.join(run, "unet.pt"))
            st["pool_seeds"] = seeds
            torch.save(st, os.path.join(run, "unet.pt"))
            pkg = run + "-pkg"
            package.build(run, pkg, fp16=False, check=False)
            with open(os.path.join(pkg, "emuedit.json")) as f:
                meta = json.load(f)
            # seed 0's alone leaves emuedit.json as every earlier package wrote it
            self.assertEqual(meta.get(export.POOL_SEEDS_KEY), None if seeds == [0] else seeds)
            from_package.write_run(pkg, run + "-back")
            self.assertEqual(train_unet.pool_seeds(torch.load(os.path.join(run + "-back", "unet.pt"))), seeds)

    @unittest.skipUnless(HAVE_ORT, "no onnxruntime (python) and no onnxruntime-node in packages/onnx-runtime")
    def test_a_package_turns_back_into_the_run_it_came_from(self):
        from training import from_package, package
        from training.models import task_vector_dim
        src = torch.load(os.path.join(self.run_dir, "unet.pt"))
        src_model = train_unet.load_editor(self.run_dir)[0]
        with torch.no_grad():
            vectors = src_model.task_vectors()
        # packages hold task vectors (the task MLP folded away); "row" is the layout of older packages
        for fp16, task_input in ((False, "vector"), (True, "vector"), (False, "row")):
            pkg = os.path.join(self.tmp, f"pkg-fp16-{fp16}" + ("-row" if task_input == "row" else ""))
            package.build(self.run_dir, pkg, fp16=fp16, check=False, task_input=task_input)
            back = pkg.replace("pkg-", "back-")
            info = from_package.write_run(pkg, back)
            st = torch.load(os.path.join(back, "unet.pt"))
            cfg = dict(src["cfg"], unet_channels=tuple(src["cfg"]["unet_channels"]),
                       vae_channels=tuple(src["cfg"]["vae_channels"]))
            if task_input == "vector":
                cfg.update(task_mlp=False, task_dim=task_vector_dim(src_model.cfg))
            got = dict(st["cfg"], unet_channels=tuple(st["cfg"]["unet_channels"]), vae_channels=tuple(st["cfg"]["vae_channels"]))
            self.assertEqual(got, cfg)  # heads (2 in the tiny config, not the default 4) found by trial
            folded = ("tasks.weight", "unet.task_t.", "unet.task_tok.") if task_input == "vector" else ()
            self.assertEqual(set(st["ema"]), {n for n in src["ema"] if not n.startswith(folded[1:])})
            for name, w in src["ema"].items():
                if name.startswith(folded):
                    continue
                # tasks.json keeps the task embeddings in fp32 whatever the weights' storage
                want = w.half().float() if fp16 and w.numel() >= 256 and name != "tasks.weight" else w
                self.assertTrue(torch.equal(st["ema"][name], want), name)
            if task_input == "vector":
                self.assertTrue(torch.equal(st["ema"]["tasks.weight"], vectors))
                # the rebuilt run edits as the source does: same task vectors, same UNet
                C = src_model.cfg.latent_channels
                x, t, h = torch.randn(2, 2 * C, 16, 16), torch.tensor([10.0, 700.0]), torch.randn(2, 77, src_model.cfg.text_dim)
                rebuilt = train_unet.load_editor(back)[0]
                ids = torch.tensor([3, 8])
                with torch.no_grad():
                    want_out = src_model.denoise(x, t, h, src_model.task_vectors(ids))
                    got_out = rebuilt.denoise(x, t, h, rebuilt.task_vectors(ids))
                self.assertLess(float((want_out - got_out).abs().max()), 1e-3 if fp16 else 1e-6)
                if not fp16:  # a rebuilt run trains on (what a GPU continuation of the package does)
                    train_unet.train(back, 2, batch=4, n_per_task=8, name="unet-cont", task_noise=0.5,
                                     init_from=os.path.join(back, "unet.pt"))
                    cont = torch.load(os.path.join(back, "unet-cont.pt"))
                    self.assertFalse(cont["cfg"]["task_mlp"])
                    self.assertEqual(tuple(cont["model"]["tasks.weight"].shape), tuple(vectors.shape))
            vae_src, vae_back = torch.load(os.path.join(self.run_dir, "vae.pt")), torch.load(os.path.join(back, "vae.pt"))
            for name, w in vae_src["model"].items():
                want = w.half().float() if fp16 and w.numel() >= 256 else w
                self.assertTrue(torch.equal(vae_back["model"][name], want), name)
            self.assertEqual(st["scaling_factor"], src["scaling_factor"])
            self.assertLess(max(info["max_abs_diff"].values()), 1e-4)
            # the rebuilt run is a run: inversion starts from it
            self.assertEqual(train_unet.load_editor(back)[0].cfg.text_heads, src["cfg"]["text_heads"])
        from training import invert
        fresh = os.path.join(self.tmp, "inverted-from-package")
        invert.main(["--package", os.path.join(self.tmp, "pkg-fp16-False"), "--run", fresh, "--k", "1", "--steps", "2",
                     "--eval-n", "1"])
        with open(os.path.join(fresh, "inversion", "contour-k1.entry.json")) as f:
            self.assertEqual(len(json.load(f)["embedding"]), task_vector_dim(src_model.cfg))
        # refining one known task's vector on the rebuilt run changes that row and nothing else
        from training import refine_task
        back = os.path.join(self.tmp, "back-fp16-False")
        refine_task.main(["--run", back, "--task", "detect", "--pairs", "4", "--steps", "3", "--batch", "2",
                          "--t-range", "0:500", "--out", "unet-ref"])
        before, after = torch.load(os.path.join(back, "unet.pt")), torch.load(os.path.join(back, "unet-ref.pt"))
        from training import tasks as T
        tid = T.TASK_INDEX["detect"]
        for name, w in before["ema"].items():
            if name == "tasks.weight":
                keep = torch.arange(len(w)) != tid
                self.assertTrue(torch.equal(after["ema"][name][keep], w[keep]))
                self.assertFalse(torch.equal(after["ema"][name][tid], w[tid]))
            else:
                self.assertTrue(torch.equal(after["ema"][name], w), name)
        with open(os.path.join(back, "unet-ref-detect.json")) as f:
            self.assertEqual(json.load(f)["t_range"], [0, 500])
        self.assertEqual(after["refined_tasks"]["detect"]["steps"], 3)
        for bad in (["--out", "unet"], ["--task", "contour"], ["--steps", "0"]):  # refused with a usage error
            args = dict(zip(["--task", "--out", "--steps"], ["detect", "unet-ref2", "1"]))
            args.update(dict(zip(bad[::2], bad[1::2])))
            with self.assertRaises(SystemExit):
                refine_task.main(["--run", back] + [x for kv in args.items() for x in kv])
        with self.assertRaises(SystemExit):  # a run that reaches its vectors through the task MLP
            refine_task.main(["--run", self.run_dir, "--task", "detect", "--steps", "1", "--out", "unet-ref"])
        with open(os.path.join(self.tmp, "pkg-fp16-False", "unet", "model.onnx"), "r+b") as f:
            f.truncate(f.seek(0, 2) // 2)  # a damaged package is refused, not half-loaded
        with self.assertRaises(Exception):
            from_package.write_run(os.path.join(self.tmp, "pkg-fp16-False"), os.path.join(self.tmp, "back-bad"))

    def test_gpu_continue_script_trains_from_a_base_run_and_packs_the_result(self):
        run, out = os.path.join(self.tmp, "cont"), os.path.join(self.tmp, "cont-out")
        # BATCH left at its default, auto: the probe's candidates scaled down to this tiny model
        env = dict(os.environ, DEVICE="cpu", PYTHON=sys.executable, UNET_SECONDS="2", BATCH_CANDIDATES="2,4",
                   N_PER_TASK="4", EMUEDIT_TRAIN_THREADS="1", LOW_SECONDS="1", LOW_T="0:300")
        script = os.path.join(ROOT, "training", "gpu_continue.sh")
        done = subprocess.run(["bash", script, self.run_dir, run, out, "300"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
        self.assertEqual(done.returncode, 0, done.stdout[-2000:] + done.stderr[-2000:])
        src = torch.load(os.path.join(self.run_dir, "unet.pt"))
        st = torch.load(os.path.join(run, "unet.pt"))
        self.assertTrue(st["finished"] and st["budget"])
        self.assertEqual(st["init_steps"], src["step"])
        self.assertEqual(st["cfg"], src["cfg"])  # the base's architecture, not this machine's defaults
        self.assertIn(st["batch"], (2, 4))
        self.assertIn("batch probe", done.stdout)
        back = os.path.join(self.tmp, "cont-back")
        from training import carry
        carry.unpack(out, back)
        self.assertTrue(os.path.exists(os.path.join(back, "unet.pt")) and os.path.exists(os.path.join(back, "vae.pt")))
        # the low-noise phase continues phase 1's result on t < LOW_T's end, with phase 1's batch
        low_back = os.path.join(self.tmp, "cont-low-back")
        carry.unpack(os.path.join(out, "low"), low_back)
        low = torch.load(os.path.join(low_back, "unet.pt"))
        self.assertEqual(low["t_range"], [0, 300])
        self.assertEqual(low["init_from"], os.path.join(run, "unet.pt"))
        self.assertEqual(low["init_steps"], st["init_steps"] + st["step"])  # steps behind the weights, in all
        self.assertEqual(low["batch"], st["batch"])
        self.assertFalse(os.path.exists(os.path.join(low_back, "pool.pt")))
        # a second call with the same RUN is refused rather than overwriting a trained model
        again = subprocess.run(["bash", script, self.run_dir, run, out, "300"], cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=60)
        self.assertEqual(again.returncode, 2)
        self.assertIn("exists", again.stderr)
        bad = subprocess.run(["bash", script, self.run_dir, run + "-new", out, "300"], cwd=ROOT,
                             env=dict(env, LOW_SECONDS="1.5"), capture_output=True, text=True, timeout=60)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("whole number", bad.stderr)
        self.assertFalse(os.path.exists(run + "-new"))  # refused before anything is written
        # RUN is new but RUN-low holds a trained model: refused before phase 1 spends its time
        os.makedirs(run + "-new-low")
        shutil.copy(os.path.join(run, "unet.pt"), os.path.join(run + "-new-low", "unet.pt"))
        clash = subprocess.run(["bash", script, self.run_dir, run + "-new", out, "300"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(clash.returncode, 2)
        self.assertIn("-new-low/unet.pt exists", clash.stderr)
        self.assertFalse(os.path.exists(run + "-new"))
        # TOTAL 40: under 30 s can be left after phase 1 (40 - 15 margin), so phase 2 is skipped, not run unlimited
        short_out = os.path.join(self.tmp, "cont-short-out")
        short = subprocess.run(["bash", script, self.run_dir, run + "-short", short_out, "40"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=120)
        self.assertEqual(short.returncode, 0, short.stderr[-2000:])
        self.assertIn("the low-noise phase is skipped", short.stderr)
        self.assertFalse(os.path.exists(os.path.join(short_out, "low")))
        self.assertFalse(os.path.exists(run + "-short-low"))
        tiny = subprocess.run(["bash", script, self.run_dir, run + "-tiny", out, "10"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(tiny.returncode, 2)
        self.assertIn("leaves no time to train", tiny.stderr)

    def test_finishing_a_continuation_swaps_the_decoder_retrains_it_and_compares_on_val(self):
        from training import carry, finish_continue as F, from_package, package
        pkg = os.path.join(self.tmp, "pkg-finish")
        package.build(self.run_dir, pkg, fp16=False, check=False)
        base = os.path.join(self.tmp, "finish-base")
        from_package.write_run(pkg, base)  # the shipped model, as the command expects it
        # the continued run's decoder differs from the package's (it had learned other latents)
        cont = copy_run(self.run_dir, os.path.join(self.tmp, "finish-cont"))
        vae = torch.load(os.path.join(cont, "vae.pt"))
        dec_key = next(k for k in vae["model"] if k.startswith("decoder.") and k.endswith("weight"))
        vae["model"][dec_key] = vae["model"][dec_key] * 2
        torch.save(vae, os.path.join(cont, "vae.pt"))
        parts = os.path.join(self.tmp, "finish-parts")
        carry.pack(cont, parts)
        run = os.path.join(self.tmp, "finish-run")
        small = dict(val_per_task=1, ceiling_per_task=1, decoder={"steps": 2, "generated": 1, "n_per_task": 1},
                     classifier_steps=3, classifier_per_task=2, decoder_eval_per_task=1,
                     source_decoder={"steps": 3, "generated": 1, "n_per_task": 1, "generated_extra": {"texture": 1}},
                     unseen_decoder={"steps": 2, "generated": 1, "n_per_task": 1, "generated_extra": {"detect": 1}})
        res = F.finish(parts, run, base, pkg, **small)
        want = torch.load(os.path.join(self.run_dir, "vae.pt"))["model"][dec_key]
        started = torch.load(os.path.join(run, "vae-before-decoder.pt"))["model"][dec_key]
        self.assertTrue(torch.equal(started, want))  # the package's decoder, not the run's own
        # then the decoder of that fine-tuning learned to read the source image
        mid = torch.load(os.path.join(run, "vae-before-source.pt"))
        self.assertEqual(mid["decoder_finetune"]["steps"], 2)  # a step count, not a wall-time budget
        self.assertEqual(mid["decoder_finetune"]["generated_min_psnr"], F.DECODER["generated_min_psnr"])
        self.assertFalse(mid["cfg"].get("decoder_source", False))
        src = torch.load(os.path.join(run, "vae-before-unseen.pt"))
        self.assertTrue(src["cfg"]["decoder_source"])
        self.assertEqual((src["decoder_finetune"]["steps"], src["decoder_finetune"]["source"]), (3, True))
        self.assertEqual(src["decoder_finetune"]["generated_extra"], {"texture": 1})
        # and last, from that one, the pass on sampled edits of scenes no UNet saw
        done = torch.load(os.path.join(run, "vae.pt"))
        self.assertEqual((done["decoder_finetune"]["steps"], done["decoder_finetune"]["lr"]), (2, F.UNSEEN_DECODER["lr"]))
        self.assertEqual(done["decoder_finetune"]["generated_extra"], {"detect": 1})
        self.assertFalse(torch.equal(done["model"][dec_key], src["model"][dec_key]))
        self.assertEqual(res["source_decoder"]["task_weights"], F.SOURCE_DECODER["task_weights"])
        self.assertEqual(res["compare"]["total"]["n"], 16)
        self.assertEqual(res["compare"]["split"], "val")
        with self.assertRaisesRegex(ValueError, "seed 0, not 1"):  # a finished head is not redone silently
            F.finish(parts, run, base, pkg, classifier_seed=1, **small)
        self.assertEqual(set(res["ceiling_val"]["per_task"]), set(res["val"]["per_task"]))
        self.assertIsInstance(res["ship_candidate"], bool)
        with open(os.path.join(run, "finish.json")) as f:
            self.assertEqual(json.load(f)["compare"], res["compare"])
        # resumed: nothing is redone (the decoder would otherwise be swapped and trained again)
        stamp = {f: os.path.getmtime(os.path.join(run, f))
                 for f in ("vae.pt", "vae-before-source.pt", "vae-before-unseen.pt", "unet.pt", "finish-val-1.json")}
        again = F.finish(parts, run, base, pkg, **small)
        self.assertEqual(again["compare"], res["compare"])
        self.assertEqual(stamp, {f: os.path.getmtime(os.path.join(run, f)) for f in stamp})
        # an evaluation of other weights is not reused
        with open(os.path.join(base, "finish-val-1.json")) as f:
            stale = json.load(f)
        stale["fingerprint"], stale["mean_success"] = "other weights", -1.0
        with open(os.path.join(base, "finish-val-1.json"), "w") as f:
            json.dump(stale, f)
        self.assertEqual(F.finish(parts, run, base, pkg, **small)["val"]["base"], res["val"]["base"])
        # a decoder from another latent space is refused before anything is trained
        vae["model"] = {k: (v + 1 if k.startswith("encoder.") and v.is_floating_point() else v) for k, v in vae["model"].items()}
        torch.save(vae, os.path.join(cont, "vae.pt"))
        carry.pack(cont, parts)
        other = os.path.join(self.tmp, "finish-other")
        with self.assertRaisesRegex(ValueError, "not the latent space"):
            F.finish(parts, other, base, pkg, **small)
        self.assertFalse(os.path.exists(os.path.join(other, "finish-decoder.json")))
        with self.assertRaises(SystemExit):  # no packed run there
            carry.unpack(os.path.join(self.tmp, "no-such-parts"), os.path.join(self.tmp, "nothing"))

    def test_finishing_a_frozen_text_continuation_keeps_the_packages_classifier_head(self):
        from training import finish_continue as F, from_package, package
        pkg = os.path.join(self.tmp, "pkg-frozen")
        package.build(self.run_dir, pkg, fp16=False, check=False)
        base = os.path.join(self.tmp, "frozen-base")
        from_package.write_run(pkg, base)
        run = copy_run(base, os.path.join(self.tmp, "frozen-run"), ("vae.pt", "vae_eval.json", "tokenizer"))
        train_unet.train(run, 2, batch=4, n_per_task=8, init_from=os.path.join(base, "unet.pt"), lr=1e-3, warmup=1,
                         freeze_text=True)
        small = dict(val_per_task=1, ceiling_per_task=1, decoder={"steps": 2, "generated": 1, "n_per_task": 1},
                     classifier_steps=3, classifier_per_task=2, decoder_eval_per_task=1, source_decoder={"steps": 0})
        res = F.finish(None, run, base, pkg, **small)
        # without the source step the decoder stays one that reads only the latent
        self.assertFalse(torch.load(os.path.join(run, "vae.pt"))["cfg"].get("decoder_source", False))
        self.assertFalse(os.path.exists(os.path.join(run, "finish-source-decoder.json")))
        head = {k: v for k, v in torch.load(os.path.join(base, "unet.pt"))["ema"].items() if k.startswith("classifier.")}
        done = torch.load(os.path.join(run, "unet.pt"))["ema"]
        for k, v in head.items():
            self.assertTrue(torch.equal(done[k], v), k)
        with open(os.path.join(run, "finish-classifier.json")) as f:
            self.assertIn("kept", json.load(f))
        self.assertGreaterEqual(res["classifier_val"], 0.0)
        self.assertFalse(os.path.exists(os.path.join(run, "classifier.json")))

    def test_finish_command_refuses_bad_arguments_before_any_work(self):
        run = os.path.join(self.tmp, "finish-cli")
        cmd = [sys.executable, "-m", "training.finish_continue", "--parts", os.path.join(self.tmp, "nothing"),
               "--run", run, "--base", self.run_dir]
        cases = [(["--decoder-from", self.run_dir], "not a model package"),
                 (["--decoder-from", self.out], "no such folder"),
                 (["--decoder-from", self.out, "--base", os.path.join(self.tmp, "nothing")], "training.from_package"),
                 (["--decoder-from", self.out, "--val-per-task", "0"], "must be positive"),
                 (["--decoder-from", self.out, "--source-decoder-steps", "-1"], "must be 0 or more")]
        for extra, msg in cases:
            with self.subTest(msg):
                r = subprocess.run(cmd + extra, cwd=ROOT, capture_output=True, text=True, timeout=120)
                self.assertEqual(r.returncode, 2, r.stderr[-1000:])
                self.assertIn(msg, r.stderr)
        self.assertFalse(os.path.exists(run))

    def test_decoder_finetuning_keeps_the_latent_space(self):
        from training import finetune_decoder
        run = os.path.join(self.tmp, "dec")
        os.makedirs(run)
        shutil.copyfile(os.path.join(self.run_dir, "vae.pt"), os.path.join(run, "vae.pt"))
        res = finetune_decoder.finetune(run, minutes=0.01, batch=2, lr=1e-2, n_per_task=1, task_weights={"texture": 3.0},
                                        eval_per_task=1)
        self.assertGreater(res["steps"], 0)
        self.assertEqual(res["images"], 16 * 2 + 2)  # every task's input and target, and 2 more texture targets
        self.assertEqual(set(res["after"]["per_task"]), set(res["before"]["per_task"]))
        old = torch.load(os.path.join(run, "vae-before-decoder.pt"))["model"]
        new = torch.load(os.path.join(run, "vae.pt"))["model"]
        for name, w in old.items():
            if name.startswith("encoder."):
                self.assertTrue(torch.equal(new[name], w), name)
        self.assertTrue(any(not torch.equal(new[n], w) for n, w in old.items() if n.startswith("decoder.")))
        # a second run starts again from the kept original, it does not compound
        res = finetune_decoder.finetune(run, minutes=0.01, batch=2, lr=1e-2, n_per_task=1, eval_per_task=1)
        self.assertTrue(all(torch.equal(torch.load(os.path.join(run, "vae-before-decoder.pt"))["model"][n], w)
                            for n, w in old.items()))
        # `evaluate --ceiling` measures the run's current decoder as the fine-tuning reported it
        from training import evaluate
        out = os.path.join(self.tmp, "ceiling.json")
        self.assertEqual(evaluate.main(["--run", run, "--ceiling", "--per-task", "1", "--out", out]), 0)
        with open(out) as f:
            got = json.load(f)
        self.assertEqual((got["split"], got["per_task"]), ("test", res["after"]["per_task"]))

    def test_decoder_learns_from_the_unets_sampled_latents(self):
        from training import finetune_decoder
        from training.evaluate import edit
        run = copy_run(self.run_dir, os.path.join(self.tmp, "dec-gen"))
        ae = train_unet.load_vae(run)
        model, sf, _ = train_unet.load_editor(run)
        z, gp = finetune_decoder.generated_pairs(run, ae, 1, seed=3)
        self.assertEqual(tuple(z.shape), (16, model.cfg.latent_channels, 16, 16))
        # the sampled latents are edit()'s: decoding them gives edit()'s images
        tok = train_unet.tokenizer(run)
        pairs = D.make_pairs(1, "train", 3)
        self.assertTrue(np.array_equal(gp.targets, pairs.targets))
        imgs = edit(model, ae, sf, torch.tensor([tok(s) for s in pairs.texts]), torch.tensor(tok("")), pairs.inputs,
                    model.task_vectors(torch.from_numpy(pairs.task_ids)).detach(), seed=3, batch=64)
        with torch.no_grad():
            self.assertTrue(np.array_equal(D.to_uint8(ae.decoder(z)), imgs))
        self.assertTrue(os.path.exists(os.path.join(run, "generated-1-3.pt")))  # sampled once, then reused
        again, _ = finetune_decoder.generated_pairs(run, ae, 1, seed=3)
        self.assertTrue(torch.equal(again, z))
        # the quality filter keeps exactly the sampled edits within the threshold inside the edit region
        from training import metrics as M
        from training.tasks import TASK_NAMES
        psnr_in = np.array([M.score(TASK_NAMES[pairs.task_ids[k]], pairs.inputs[k], pairs.targets[k], imgs[k])["psnr_in"]
                            for k in range(len(imgs))])
        thr = float(np.sort(psnr_in)[8])
        keep = finetune_decoder.near_target(ae, z, gp, thr)
        self.assertTrue(np.array_equal(keep, psnr_in >= thr))
        self.assertTrue(0 < keep.sum() < len(keep))
        self.assertTrue(finetune_decoder.near_target(ae, z, gp, 0.0).all())
        res = finetune_decoder.finetune(run, minutes=0.01, batch=4, lr=1e-2, n_per_task=1, eval_per_task=1, generated=1,
                                        generated_fraction=0.25, generated_min_psnr=thr, seed=1)  # samples with seed 1 + 2
        self.assertEqual((res["generated_per_task"], res["generated_fraction"]), (1, 0.25))
        self.assertEqual(sum(res["generated_kept_per_task"].values()), int(keep.sum()))
        if np.isfinite(psnr_in).all():  # a filter that keeps nothing is refused, not trained on an empty set
            with self.assertRaises(ValueError):
                finetune_decoder.finetune(run, minutes=0.01, n_per_task=1, eval_per_task=1, generated=1,
                                          generated_min_psnr=float(psnr_in.max()) + 1, seed=1)
        with self.assertRaises(ValueError):  # a share outside [0, 1] is refused before any work
            finetune_decoder.finetune(run, minutes=0.01, n_per_task=1, eval_per_task=1, generated=1,
                                      generated_fraction=1.5)
        # more sampled edits of one task: other scenes of that task only, cached apart, counted in what was kept
        z_more, more = finetune_decoder.generated_pairs(run, ae, 2, seed=4, tasks=["detect"])
        self.assertEqual(z_more.shape[0], 2)
        self.assertTrue(np.array_equal(more.targets, D.make_pairs(2, "train", 4, ["detect"]).targets))
        self.assertTrue(os.path.exists(os.path.join(run, "generated-2-4-detect.pt")))
        res = finetune_decoder.finetune(run, minutes=0.0, steps=2, batch=4, lr=1e-2, n_per_task=1, eval_per_task=1,
                                        generated=1, generated_fraction=0.5, generated_extra={"detect": 2}, seed=1)
        self.assertEqual(res["generated_extra"], {"detect": 2})
        self.assertEqual(res["generated_kept_per_task"]["detect"], 3)  # no filter: 1 + 2 detect edits
        self.assertEqual(sum(res["generated_kept_per_task"].values()), 18)
        # the edit region's weight reaches the training: the same seed without it gives the same decoder
        # again, with it another one, and the setting is recorded
        decoders = []
        for w in (0.0, 0.0, 4.0):
            res = finetune_decoder.finetune(run, minutes=0.0, steps=2, batch=4, lr=1e-2, n_per_task=1, eval_per_task=1,
                                            generated=1, generated_fraction=0.5, seed=1, generated_region_weight=w)
            self.assertEqual(res["generated_region_weight"], w)
            decoders.append(torch.load(os.path.join(run, "vae.pt"))["model"])
        same = [all(torch.equal(a[n], b[n]) for n in a if n.startswith("decoder.")) for a, b in
                ((decoders[0], decoders[1]), (decoders[0], decoders[2]))]
        self.assertEqual(same, [True, False])
        with self.assertRaisesRegex(ValueError, "--generated-region-weight must be >= 0"):
            finetune_decoder.finetune(run, minutes=0.01, n_per_task=1, eval_per_task=1, generated=1,
                                      generated_region_weight=-1.0)
        with self.assertRaisesRegex(ValueError, "--generated, which is 0"):  # extras without the sampled part they add to
            finetune_decoder.finetune(run, minutes=0.01, n_per_task=1, eval_per_task=1, generated_extra={"detect": 2})
        old = torch.load(os.path.join(run, "vae-before-decoder.pt"))["model"]
        new = torch.load(os.path.join(run, "vae.pt"))
        self.assertEqual(new["decoder_finetune"]["generated_per_task"], 1)
        self.assertTrue(all(torch.equal(new["model"][n], w) for n, w in old.items() if n.startswith("encoder.")))
        # the CLI's --seed picks the training edits, hence which cache of sampled latents is read
        self.assertEqual(finetune_decoder.main(["--run", run, "--steps", "1", "--batch", "4", "--n-per-task", "1",
                                                "--eval-per-task", "1", "--generated", "1", "--seed", "1"]), 0)
        self.assertEqual(torch.load(os.path.join(run, "vae.pt"))["decoder_finetune"]["seed"], 1)
        self.assertFalse(os.path.exists(os.path.join(run, "generated-1-13.pt")))  # seed 1's latents (SEED+2 = 3) reused
        # sampling the scenes the UNet was trained on (seed stream 100) is refused, before any sampling
        with self.assertRaisesRegex(ValueError, "seed 98 samples the training scenes of seed stream 100"):
            finetune_decoder.finetune(run, minutes=0.01, n_per_task=1, eval_per_task=1, generated=1, seed=98)
        with self.assertRaisesRegex(ValueError, "seed 97 .* stream 100"):  # its extras' SEED+3
            finetune_decoder.finetune(run, minutes=0.01, n_per_task=1, eval_per_task=1, generated=1,
                                      generated_extra={"detect": 1}, seed=97)
        self.assertFalse(glob.glob(os.path.join(run, "generated-*-10[01]*.pt")))
        r = subprocess.run([sys.executable, "-m", "training.finetune_decoder", "--run", run, "--generated", "1",
                            "--seed", "98"], cwd=ROOT, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 2)
        self.assertIn("the UNet was trained on", r.stderr)

    def test_a_decoder_given_the_source_image_starts_as_before_fine_tunes_and_survives_a_package(self):
        from training import evaluate, finetune_decoder, from_package, package
        from training.models import AutoEncoder
        run = copy_run(self.run_dir, os.path.join(self.tmp, "dec-src"))
        plain = train_unet.load_vae(run)
        self.assertFalse(plain.decoder.takes_source)
        st = torch.load(os.path.join(run, "vae.pt"))
        g = torch.Generator().manual_seed(0)
        z = torch.randn(3, st["cfg"]["latent_channels"], 16, 16, generator=g)
        src, other = torch.rand(3, 3, 64, 64, generator=g) * 2 - 1, torch.rand(3, 3, 64, 64, generator=g) * 2 - 1
        # the branches start at zero: the grown decoder decodes exactly as the plain one
        grown = AutoEncoder(Config(**dict(st["cfg"], vae_channels=tuple(st["cfg"]["vae_channels"]), decoder_source=True)))
        missing, unexpected = grown.load_state_dict(st["model"], strict=False)
        self.assertEqual(unexpected, [])
        self.assertTrue(missing and all(k.startswith(("decoder.src16.", "decoder.src32.")) for k in missing))
        with torch.no_grad():
            self.assertTrue(torch.equal(grown.decoder(z, src), plain.decoder(z)))
        with self.assertRaises(ValueError):  # a decoder that reads the source refuses to decode without it
            grown.decoder(z)
        res = finetune_decoder.finetune(run, minutes=0.0, steps=4, batch=4, lr=1e-2, n_per_task=1, eval_per_task=1,
                                        source=True, source_lr_scale=3.0)
        self.assertEqual((res["steps"], res["source"], res["source_lr_scale"]), (4, True, 3.0))
        ae = train_unet.load_vae(run)
        self.assertTrue(ae.decoder.takes_source)
        old = torch.load(os.path.join(run, "vae-before-decoder.pt"))["model"]
        new = torch.load(os.path.join(run, "vae.pt"))["model"]
        self.assertTrue(all(torch.equal(new[n], w) for n, w in old.items() if n.startswith("encoder.")))
        with torch.no_grad():  # trained: what it draws now depends on the source image
            self.assertFalse(torch.equal(ae.decoder(z, src), ae.decoder(z, other)))
            # evaluate's decode gives each latent its own edit's source
            imgs = ((src + 1) * 127.5).round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()
            want = np.concatenate([D.to_uint8(ae.decoder(z[i:i + 2], D.to_tensor(imgs[i:i + 2]))) for i in (0, 2)])
            self.assertTrue(np.array_equal(evaluate.decode(ae, z, imgs, batch=2), want))
            self.assertFalse(np.array_equal(evaluate.decode(ae, z, imgs[::-1].copy(), batch=2), want))
        # exported with the second input, checked against torch, and read back as such
        pkg = os.path.join(self.tmp, "pkg-src")
        info = package.build(run, pkg, fp16=False, check=HAVE_ORT)
        if HAVE_ORT:
            self.assertLess(info["max_abs_diff"]["vae_decoder"], 1e-4)
        import onnx
        self.assertEqual([i.name for i in onnx.load(os.path.join(pkg, "vae_decoder", "model.onnx")).graph.input],
                         ["latent_sample", "source_sample"])
        back = os.path.join(self.tmp, "back-src")
        got = from_package.write_run(pkg, back)
        self.assertTrue(got["config"]["decoder_source"])
        vae_back = torch.load(os.path.join(back, "vae.pt"))["model"]
        self.assertTrue(all(torch.equal(vae_back[n], w) for n, w in new.items()))
        self.assertLess(max(got["max_abs_diff"].values()), 1e-4)

    def test_a_refinement_head_starts_as_before_fine_tunes_and_survives_a_package(self):
        from training import finetune_decoder, from_package, package
        from training.models import AutoEncoder
        run = copy_run(self.run_dir, os.path.join(self.tmp, "dec-refine"))
        finetune_decoder.finetune(run, minutes=0.0, steps=2, batch=4, lr=1e-2, n_per_task=1, eval_per_task=1, source=True)
        st = torch.load(os.path.join(run, "vae.pt"))
        src_dec = train_unet.load_vae(run).decoder
        g = torch.Generator().manual_seed(0)
        z = torch.randn(3, st["cfg"]["latent_channels"], 16, 16, generator=g)
        src = torch.rand(3, 3, 64, 64, generator=g) * 2 - 1
        # the head's last convolution starts at zero: the grown decoder decodes exactly as before
        grown = AutoEncoder(Config(**dict(st["cfg"], vae_channels=tuple(st["cfg"]["vae_channels"]), decoder_refine=8)))
        missing, unexpected = grown.load_state_dict(st["model"], strict=False)
        self.assertEqual(unexpected, [])
        self.assertTrue(missing and all(k.startswith("decoder.refine.") for k in missing))
        with torch.no_grad():
            self.assertTrue(torch.equal(grown.decoder(z, src), src_dec(z, src)))
        with self.assertRaises(ValueError):  # the head reads the source image
            AutoEncoder(Config(**dict(st["cfg"], vae_channels=tuple(st["cfg"]["vae_channels"]), decoder_source=False,
                                      decoder_refine=8)))
        res = finetune_decoder.finetune(run, minutes=0.0, steps=3, batch=4, lr=1e-2, n_per_task=1, eval_per_task=1,
                                        start=os.path.join(run, "vae.pt"), refine=8, refine_lr_scale=2.0)
        self.assertEqual((res["refine"], res["refine_lr_scale"], res["source"]), (8, 2.0, True))
        new = torch.load(os.path.join(run, "vae.pt"))
        self.assertEqual(new["cfg"]["decoder_refine"], 8)
        self.assertGreater(float(new["model"]["decoder.refine.4.weight"].abs().sum()), 0.0)  # the head trained
        self.assertTrue(all(torch.equal(new["model"][n], w) for n, w in st["model"].items() if n.startswith("encoder.")))
        # a head of another width is refused; on a decoder without source branches it brings them too
        with self.assertRaisesRegex(ValueError, "width 8, not 4"):
            finetune_decoder.finetune(run, minutes=0.0, steps=1, n_per_task=1, eval_per_task=1,
                                      start=os.path.join(run, "vae.pt"), refine=4)
        with self.assertRaisesRegex(ValueError, "--refine"):
            finetune_decoder.finetune(run, minutes=0.0, steps=1, n_per_task=1, eval_per_task=1, refine=-1)
        plain = copy_run(self.run_dir, os.path.join(self.tmp, "dec-refine-plain"))
        res = finetune_decoder.finetune(plain, minutes=0.0, steps=1, batch=4, n_per_task=1, eval_per_task=1, refine=4)
        self.assertEqual((res["refine"], res["source"]), (4, True))
        # exported inside vae_decoder (same inputs), checked against torch, and read back as such
        pkg = os.path.join(self.tmp, "pkg-refine")
        info = package.build(run, pkg, fp16=False, check=HAVE_ORT)
        if HAVE_ORT:
            self.assertLess(info["max_abs_diff"]["vae_decoder"], 1e-4)
        back = os.path.join(self.tmp, "back-refine")
        got = from_package.write_run(pkg, back)
        self.assertEqual(got["config"]["decoder_refine"], 8)
        vae_back = torch.load(os.path.join(back, "vae.pt"))["model"]
        self.assertTrue(all(torch.equal(vae_back[n], w) for n, w in new["model"].items()))
        # the CLI starts from a given decoder too (here the one with the head), or says the file is missing
        args = ["--run", run, "--steps", "1", "--batch", "4", "--n-per-task", "1", "--eval-per-task", "1"]
        self.assertEqual(finetune_decoder.main(args + ["--start", os.path.join(run, "vae.pt")]), 0)
        self.assertEqual(torch.load(os.path.join(run, "vae.pt"))["decoder_finetune"]["refine"], 8)
        with self.assertRaises(SystemExit) as cm:
            finetune_decoder.main(args + ["--start", os.path.join(run, "nothing.pt")])
        self.assertEqual(cm.exception.code, 2)

    def test_recipe_resumes_without_redoing_finished_phases(self):
        before = os.path.getmtime(os.path.join(self.run_dir, "vae.pt"))
        recipe.main(["--run", self.run_dir, "--out", self.out, "--tiny", "--vae-steps", "3", "--unet-steps", "3",
                     "--eval-per-task", "1"])
        self.assertEqual(os.path.getmtime(os.path.join(self.run_dir, "vae.pt")), before)


class Checkpoints(unittest.TestCase):
    def test_vae_training_resumes_from_its_checkpoint(self):
        with tempfile.TemporaryDirectory() as d:
            cfg = Config.tiny(0)
            train_vae.train(d, cfg, 2, batch=4, n_per_task=2, ckpt_every=1)
            self.assertEqual(torch.load(os.path.join(d, "vae.pt"))["step"], 2)
            train_vae.train(d, cfg, 4, batch=4, n_per_task=2, ckpt_every=1)
            self.assertEqual(torch.load(os.path.join(d, "vae.pt"))["step"], 4)

    def test_edge_weight_marks_colour_changes(self):
        pairs = D.make_pairs(1, "train", 0, ["detect"])
        w = train_vae.edge_weight(D.to_tensor(pairs.targets))
        self.assertGreater(float(w.max()), 1.0)
        self.assertEqual(float(w.min()), 1.0)

    def test_a_loss_weight_multiplies_the_edge_weight_where_it_is_given(self):
        x = D.to_tensor(D.make_pairs(2, "train", 0, ["detect"]).targets)
        r = x + 0.1 * torch.randn(x.shape, generator=torch.Generator().manual_seed(0))
        plain = train_vae.recon_loss(r, x)
        self.assertTrue(torch.allclose(train_vae.recon_loss(r, x, torch.ones_like(x[:, :1])), plain))
        self.assertTrue(torch.allclose(train_vae.recon_loss(r, x, torch.full_like(x[:, :1], 3.0)), 3 * plain))
        half = torch.ones_like(x[:, :1])
        half[:, :, :32] = 5.0  # only the top half weighs more: the loss grows by that half's share
        w, err = train_vae.edge_weight(x) * half, r - x
        self.assertTrue(torch.allclose(train_vae.recon_loss(r, x, half), (w * err.abs()).mean() + (w * err * err).mean()))
        self.assertGreater(float(train_vae.recon_loss(r, x, half)), float(plain))


if __name__ == "__main__":
    unittest.main()


class BatchProbe(unittest.TestCase):
    def test_a_larger_batch_is_chosen_only_when_clearly_faster_per_sample(self):
        self.assertEqual(train_unet.pick_batch({256: 4000.0, 512: 4500.0, 1024: 4700.0}), 256)  # CPU-like
        self.assertEqual(train_unet.pick_batch({256: 4000.0, 512: 7900.0, 1024: 15000.0, 2048: 16000.0}), 1024)
        self.assertEqual(train_unet.pick_batch({256: 4000.0, 512: 4100.0, 1024: 5000.0}), 1024)

    def test_the_probe_stops_at_the_first_batch_that_runs_out_of_memory(self):
        def trial(b):
            if b >= 1024:
                raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
            return 0.05
        self.assertEqual(train_unet.probe_batch(trial, (2048, 256, 1024, 512)), {256: 5120.0, 512: 10240.0})
        def raises(err):
            def trial(b):
                raise err
            return trial
        with self.assertRaises(RuntimeError):
            train_unet.probe_batch(raises(RuntimeError("out of memory")), (256,))
        with self.assertRaises(ValueError):  # any other error is not swallowed
            train_unet.probe_batch(raises(ValueError("bug")), (256,))


class TaskWeights(unittest.TestCase):
    def test_task_weights_are_parsed_and_a_misspelt_task_is_refused(self):
        from training.common import parse_task_weights
        self.assertEqual(parse_task_weights(["text=2.5", "detect=2"], ["text", "detect"]), {"text": 2.5, "detect": 2.0})
        for bad in (["txet=2"], ["text"], ["text=x"], ["text=0"], ["text=-1"]):
            with self.assertRaises(ValueError, msg=bad):
                parse_task_weights(bad, ["text", "detect"])
        with self.assertRaises(SystemExit):  # the command line says so instead of ignoring the weight
            train_unet.main(["--run", "/nonexistent", "--task-weight", "txet=2"])

    def test_counts_of_extra_sampled_edits_are_whole_positive_numbers(self):
        from training import finetune_decoder
        from training.common import parse_task_counts
        self.assertEqual(parse_task_counts(["detect=750"], ["detect"], "--generated-extra"), {"detect": 750})
        for bad in (["detect=1.5"], ["detect=0"], ["dtect=3"], ["detect=x"]):
            with self.assertRaisesRegex(ValueError, "--generated-extra .*(N must be|TASK=N)", msg=bad):
                parse_task_counts(bad, ["detect"], "--generated-extra")
        for argv in (["--generated-extra", "detect=2"], ["--generated", "1", "--generated-extra", "detect=x"],
                     ["--generated", "1", "--generated-region-weight", "-1"], ["--generated", "1", "--generated-fraction", "1.5"]):
            with self.assertRaises(SystemExit, msg=argv):
                finetune_decoder.main(["--run", "/nonexistent"] + argv)
