"""Settings of the normalization reproduction: the schemes, the run sizes per mode, and the curves
read off the paper's figure.

- :data:`SCHEMES`, :data:`LABELS`, :data:`COLORS`, :data:`OPTIONS`: the six schemes of the
  figure in its legend order, its curve colours (matplotlib's tab10, as in the figure), and the
  scheme options (Mix-LN's switch time, nGPT's alpha);
- :data:`MODES`: sizes of the random-weight runs (quick for the tests, full for the gallery);
- :data:`RATE_CASES`, :data:`RATE_SETTING`: the equiangular particle runs of the rate rows;
- :data:`PAPER_T`, :data:`PAPER_CURVES`: the figure's mean cosine per scheme, digitized.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["COLORS", "FIGURE_ORDER", "LABELS", "MODES", "OPTIONS", "PAPER_CURVES", "PAPER_T", "RATE_CASES",
           "RATE_SETTING", "SCHEMES", "T_END", "T_SWITCH"]

#: the schemes in the legend order of the paper's figure
SCHEMES = ("post", "pre", "peri", "mix", "ngpt", "sqrt")
LABELS = {"post": "Post-LN", "pre": "Pre-LN", "peri": "Peri-LN", "mix": "Mix-LN", "ngpt": "nGPT",
          "sqrt": "sqrt-scaling"}
COLORS = {"post": "#1f77b4", "pre": "#ff7f0e", "peri": "#2ca02c", "mix": "#9467bd", "ngpt": "#d62728",
          "sqrt": "#8c564b"}
#: Mix-LN: post-LN on the first quarter of the depth [0, 10] (where the figure's Mix-LN curve
#: leaves post-LN's, between t = 2.5 and 3); nGPT: alpha = 1
T_SWITCH = 2.5
OPTIONS: dict[str, dict] = {"mix": {"t_switch": T_SWITCH}, "ngpt": {"alpha": 1.0}}
#: the order of the schemes by the time their mean cosine reaches 1/2, read from the figure
FIGURE_ORDER = ("ngpt", "peri", "post", "mix", "pre", "sqrt")
T_END = 10.0

#: the random-weight runs: dimension d, beta = sqrt(d), n tokens, weight draws x starts per draw
MODES = {
    "quick": {"d": 128, "n": 16, "draws": 2, "starts": 2, "dt": 0.05, "save": 0.125},
    "full": {"d": 512, "n": 32, "draws": 5, "starts": 4, "dt": 0.05, "save": 0.125},
}

#: the equiangular particle runs (x_i = e_i, A = V = I): n tokens in R^d at beta
RATE_SETTING = {"n": 8, "d": 8, "beta": 1.5, "t_power": 2000.0, "window": (1e-12, 1e-6)}
#: (scheme, normalization, options) of the rate rows; nGPT with alpha = 0.5 so that its rate
#: 2 alpha = 1 differs from post-LN's 2
RATE_CASES = (("post", "sa", {}), ("post", "usa", {}), ("ngpt", "sa", {"alpha": 0.5}), ("pre", "sa", {}),
              ("pre", "usa", {}), ("peri", "sa", {}), ("mix", "sa", {"t_switch": 1.0}), ("sqrt", "sa", {}))

#: times of the digitized curves: 0, 0.25, ..., 10
PAPER_T = np.arange(41) * 0.25
_ = math.nan
#: the figure's mean cosine (arXiv 2510.22026, as reproduced in the survey arXiv 2512.01868), read
#: off its PNG by the curve colours (median row of the line's pixels in columns t +- 0.005; the
#: axis calibrated on the grid lines; lines are ~0.005 thick). NaN: the curve is hidden under
#: another one there (post-LN under Mix-LN before t = 2.75 and under nGPT after t = 5.75, peri-LN
#: under the Mix-LN and pre-LN lines near t = 9.5, the first points of the curves under each other).
PAPER_CURVES: dict[str, tuple[float, ...]] = {
    "post": (_, _, _, _, _, _, _, _, _, _, _, 0.387, 0.503, 0.625, 0.735, 0.822, 0.886, 0.927, 0.956, 0.974,
             0.985, 0.991, 0.994, 0.995, _, _, _, _, _, _, _, _, _, _, _, _, _, _, _, _, _),
    "pre": (_, _, _, _, _, _, _, 0.066, 0.107, 0.164, 0.237, 0.322, 0.415, 0.506, 0.591, 0.663, 0.724, 0.772,
            0.811, 0.842, 0.867, 0.887, 0.903, 0.916, 0.926, 0.936, 0.943, 0.949, 0.955, 0.959, 0.963, 0.966,
            0.970, 0.972, 0.975, 0.976, 0.978, 0.979, 0.980, 0.981, 0.982),
    "peri": (_, _, 0.135, 0.279, 0.413, 0.527, 0.620, 0.692, 0.748, 0.791, 0.825, 0.851, 0.873, 0.890, 0.904,
             0.916, 0.926, 0.934, 0.941, 0.946, 0.952, 0.956, 0.960, 0.963, 0.967, 0.969, 0.971, 0.974, 0.976,
             0.978, 0.980, 0.982, 0.984, 0.985, 0.987, _, _, _, _, 0.984, _),
    "mix": (_, _, _, 0.010, 0.015, 0.025, 0.044, 0.073, 0.116, 0.180, 0.268, 0.374, 0.484, 0.584, 0.670,
            0.738, 0.791, 0.831, 0.863, 0.887, 0.906, 0.920, 0.931, 0.941, 0.949, 0.955, 0.960, 0.965, 0.969,
            0.972, 0.975, 0.977, 0.979, 0.980, 0.982, 0.984, 0.985, 0.986, 0.987, 0.988, 0.989),
    "ngpt": (_, 0.039, 0.151, 0.308, 0.474, 0.621, 0.738, 0.824, 0.885, 0.926, 0.952, 0.970, 0.981, 0.988,
             0.992, 0.995, 0.998, 0.999, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000,
             1.000, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000),
    "sqrt": (0.000, 0.001, 0.003, 0.005, 0.009, 0.015, 0.021, 0.030, 0.042, 0.056, 0.074, 0.095, 0.121, 0.151,
             0.186, 0.225, 0.269, 0.316, 0.366, 0.417, 0.470, 0.522, 0.572, 0.620, 0.665, 0.707, 0.745, 0.779,
             0.809, 0.836, 0.859, 0.879, 0.897, 0.912, 0.925, 0.936, 0.946, 0.954, 0.960, 0.966, 0.971),
}
