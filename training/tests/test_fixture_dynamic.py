"""The dynamic-spatial test fixture (training.fixture --dynamic-spatial, models/fixture-dynamic):
symbolic height/width on every image and latent axis, and graphs that run at other sizes."""
import json
import os
import shutil
import tempfile
import unittest

import onnx
import torch

from training import export, fixture, ort


def dims(value_info) -> list:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def graph_io(path: str) -> dict:
    g = onnx.load(path, load_external_data=False).graph
    return {v.name: dims(v) for v in list(g.input) + list(g.output)}


def emu_opts(dynamic: bool) -> export.ExportOptions:
    # task_input "row": what fixture.build exports whatever it is given (verify_sizes feeds by it)
    return export.ExportOptions(layout="emu", timestep_shape="batch", timestep_dtype="float32",
                                input_ids_dtype="int64", task_input="row", dynamic_spatial=dynamic)


class DynamicFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.out = os.path.join(cls.tmp, "fixture-dynamic")
        cls.opts = emu_opts(True)
        cls.models = fixture.build(cls.out, cls.opts, decoder_source=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_spatial_axes_are_symbolic(self):
        lat, pix = ["batch", 4, "latent_height", "latent_width"], ["batch", 3, "height", "width"]
        self.assertEqual(graph_io(os.path.join(self.out, "unet", "model.onnx")), {
            "sample": ["batch", 8, "latent_height", "latent_width"], "timestep": ["batch"],
            "encoder_hidden_states": ["batch", 77, 32], "task_embedding": ["batch", 16], "out_sample": lat})
        self.assertEqual(graph_io(os.path.join(self.out, "vae_encoder", "model.onnx")),
                         {"sample": pix, "latent_sample": lat})
        self.assertEqual(graph_io(os.path.join(self.out, "vae_decoder", "model.onnx")),
                         {"latent_sample": lat, "source_sample": pix, "sample": pix})

    def test_emuedit_json_states_the_scale_factor(self):
        with open(os.path.join(self.out, "emuedit.json"), encoding="utf-8") as f:
            emu = json.load(f)
        self.assertEqual(emu["name"], "fixture-dynamic")
        self.assertEqual(emu["vae_scale_factor"], fixture.VAE_SCALE_FACTOR)
        self.assertEqual(emu["resolution"], 64)

    def test_torch_forward_at_two_sizes(self):
        unet, ae = self.models["unet"], self.models["ae"]
        for hp, wp in ((96, 64), (64, 128)):
            img = torch.rand(2, 3, hp, wp) * 2 - 1
            with torch.no_grad():
                z = ae.encoder(img)
                self.assertEqual(tuple(z.shape), (2, 4, hp // 4, wp // 4))
                self.assertEqual(tuple(ae.decoder(z, img).shape), (2, 3, hp, wp))
                eps = unet(torch.cat([z, z], 1), torch.tensor([999.0, 1.0]), torch.randn(2, 77, 32),
                           task_row=torch.randn(2, 16))
            self.assertEqual(tuple(eps.shape), (2, 4, hp // 4, wp // 4))

    @unittest.skipUnless(ort.available(), "no onnxruntime (Python) and no onnxruntime-node in packages/onnx-runtime")
    def test_onnx_matches_torch_at_other_sizes(self):
        diffs = fixture.verify_sizes(self.out, self.models["unet"], self.models["ae"], self.opts,
                                     ((96, 64), (64, 128)))
        self.assertEqual(len(diffs), 6)
        for name, diff in diffs.items():
            self.assertLess(diff, 1e-4, name)

    def test_sides_not_a_multiple_of_16_are_refused(self):
        with self.assertRaises(ValueError):
            fixture.verify_sizes(self.out, self.models["unet"], self.models["ae"], self.opts, ((72, 64),))
        with torch.no_grad(), self.assertRaises(RuntimeError):  # the UNet's skip shapes do not match
            self.models["unet"](torch.randn(1, 8, 18, 16), torch.tensor([1.0]), torch.randn(1, 77, 32),
                                task_row=torch.randn(1, 16))


class StaticByDefault(unittest.TestCase):
    def test_without_the_flag_the_axes_stay_static(self):
        with tempfile.TemporaryDirectory() as d:
            fixture.build(d, emu_opts(False), decoder_source=True)
            self.assertEqual(graph_io(os.path.join(d, "unet", "model.onnx"))["sample"], ["batch", 8, 16, 16])
            self.assertEqual(graph_io(os.path.join(d, "vae_decoder", "model.onnx")),
                             {"latent_sample": ["batch", 4, 16, 16], "source_sample": ["batch", 3, 64, 64],
                              "sample": ["batch", 3, 64, 64]})
            with open(os.path.join(d, "emuedit.json"), encoding="utf-8") as f:
                emu = json.load(f)
            self.assertEqual(emu["name"], "fixture-tiny")
            self.assertNotIn("vae_scale_factor", emu)


if __name__ == "__main__":
    unittest.main()
