import unittest

import torch

from training import diffusion as Df


class Sampler(unittest.TestCase):
    def test_schedule_has_zero_terminal_snr(self):
        ab = Df.alphas_cumprod()
        self.assertEqual(float(ab[-1]), 0.0)
        self.assertAlmostEqual(float(ab[0]), 1 - 0.00085, places=5)
        self.assertTrue(bool((ab[1:] < ab[:-1]).all()))

    def test_trailing_timesteps_match_diffusers(self):
        self.assertEqual(Df.ddim_timesteps(20)[:3].tolist(), [999, 949, 899])
        self.assertEqual(Df.ddim_timesteps(20)[-1], 49)

    def test_ddim_with_an_oracle_recovers_the_target(self):
        ab = Df.alphas_cumprod()
        x0 = torch.randn(2, 4, 16, 16)

        def oracle(sample, t):
            a = ab[t.long()].view(-1, 1, 1, 1)
            xt = sample[:, :4]
            target = torch.cat([x0, x0, x0])
            eps = (xt - a.sqrt() * target) / (1 - a).sqrt()
            return a.sqrt() * eps - (1 - a).sqrt() * target

        out = Df.sample(oracle, torch.zeros(2, 4, 16, 16), steps=10, g_text=2.5, g_image=1.5,
                        generator=torch.Generator().manual_seed(0))
        # the last DDIM step lands on alpha_bar[0] (set_alpha_to_one = False), not on x0 itself:
        # the remainder is sqrt(1 - alpha_bar[0]) * eps, about 0.03 * |eps|
        self.assertLess(float((out - x0).abs().mean()), 0.04)
        self.assertLess(float((out - ab[0].sqrt() * x0).abs().max()), 0.2)

    def test_sampling_can_start_part_way_from_a_given_sample(self):
        ab = Df.alphas_cumprod()
        x0 = torch.randn(2, 4, 16, 16)
        seen = []

        def oracle(sample, t):
            seen.append(int(t[0]))
            a = ab[t.long()].view(-1, 1, 1, 1)
            xt, target = sample[:, :4], torch.cat([x0, x0, x0])
            return a.sqrt() * (xt - a.sqrt() * target) / (1 - a).sqrt() - (1 - a).sqrt() * target

        ts = Df.ddim_timesteps(10)
        a = ab[ts[6]]
        x_init = a.sqrt() * x0 + (1 - a).sqrt() * torch.randn(2, 4, 16, 16)
        out = Df.sample(oracle, torch.zeros(2, 4, 16, 16), steps=10, start=6, x_init=x_init)
        self.assertEqual(seen, ts[6:].tolist())
        self.assertLess(float((out - x0).abs().mean()), 0.04)
        for bad in (dict(start=6), dict(start=10, x_init=x_init), dict(start=-1, x_init=x_init)):
            with self.assertRaises(ValueError):
                Df.sample(oracle, torch.zeros(2, 4, 16, 16), steps=10, **bad)

    def test_add_noise_v_target_is_consistent(self):
        ab = Df.alphas_cumprod()
        x0, n = torch.randn(3, 4, 8, 8), torch.randn(3, 4, 8, 8)
        t = torch.tensor([0, 500, 999])
        xt, v = Df.add_noise(x0, n, t, ab)
        a = ab[t].view(-1, 1, 1, 1)
        self.assertLess(float((a.sqrt() * xt - (1 - a).sqrt() * v - x0).abs().max()), 1e-5)


if __name__ == "__main__":
    unittest.main()
