"""Settings of the long-context reproduction: the input cosine, the three scales gamma, the sizes.

beta_n = gamma ln n; the critical scale is gamma_c = 1/(1 - rho) = 2 at rho = 1/2. The three
gammas are chosen so that the three regimes approach their limits with three different powers
(:func:`attnflow.theory.long_context_rate`): n^-0.8 below, n^-1 at, n^-0.5 above.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GAMMAS", "MODES", "N_FORMULA", "RATE_WINDOW", "REGIMES", "RHO"]

RHO = 0.5
#: regime -> gamma (gamma_c = 1/(1 - RHO) = 2): kappa = gamma (1 - rho) = 0.6, 1, 1.5
GAMMAS = {"below": 1.2, "critical": 2.0, "above": 3.0}
REGIMES = {"below": "below the critical scale", "critical": "at the critical scale",
           "above": "above the critical scale"}
#: sequence lengths of the exact formula (the approach to the limits)
N_FORMULA = np.unique(np.round(np.geomspace(2.0, 1e6, 121)))
#: window of the rate fit
RATE_WINDOW = (1e4, 1e6)
#: one-layer sizes (n tokens in R^{n+1}) and the repeated-layer runs (n tokens, layers)
MODES = {
    "quick": {"n_layer": (125, 250, 500), "n_long": 300, "layers": 6},
    "full": {"n_layer": (250, 500, 1000, 2000), "n_long": 1000, "layers": 10},
}
