"""Settings of the causal-attention reproduction: the two settings of [KPR] and the run sizes.

- the first token (rows of :mod:`.claims_first_token`): n tokens on S^2, causal SA, V = I, with
  A = I (token 2 then follows the closed-form pair equation of attnflow.theory.causal) and with
  Ginibre A (Theorem 4.1 holds for any A);
- the Renyi centres (rows of :mod:`.claims_renyi`): [KPR]'s Fig. 2, n = 200 iid uniform tokens on
  S^1, beta = 64, A = V = I, causal SA; separation delta = 4 beta^{-1/2} = 0.5.
"""

from __future__ import annotations

__all__ = ["BETA_RENYI", "C_LEMMA", "EPS_LEMMA", "MODES", "N_RENYI", "PAIR", "RATE_WINDOW", "SCALE"]

#: [KPR] Fig. 2: tokens, inverse temperature, separation factor of delta = SCALE / sqrt(beta)
N_RENYI = 200
BETA_RENYI = 64.0
SCALE = 4.0
#: [KPR] Lemma 5.1 as restated (docs/theory/causal.md#persistence): c and epsilon
C_LEMMA = 4.0
EPS_LEMMA = 0.1
#: the pair run: tokens on S^2, beta, seed, end time, step
PAIR = {"n": 6, "d": 3, "beta": 3.0, "seed": 3, "t_end": 45.0, "dt": 0.02, "save": 0.1}
#: window of the rate fits of 1 - <x_1, x_k> (1 - c from ~1e-10 to ~1e-16 there, computed as |x_k - x_1|^2/2;
#: late, because the next-order correction of tokens k >= 3 decays only like e^{-t/6})
RATE_WINDOW = (30.0, 45.0)
#: modes: general-A runs (betas, tokens, end time), Renyi runs (seeds, end time, saves), iid samples
MODES = {
    "quick": {"betas_A": (1.0,), "n_A": 32, "t_A": 30.0, "seeds": (0,), "t_renyi": 10.0, "save_renyi": 0.5,
              "t_lemma": 10.0, "samples": 300},
    "full": {"betas_A": (1.0, 4.0), "n_A": 32, "t_A": 60.0, "seeds": (0, 1, 2, 3), "t_renyi": 150.0,
             "save_renyi": 1.0, "t_lemma": 20.0, "samples": 4000},
}
