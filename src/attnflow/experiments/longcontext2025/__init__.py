"""Long-context attention [CLPR]: the phase transition of one layer at beta_n = gamma log n.

[CLPR] Chen, Lin, Polyanskiy, Rigollet, arXiv 2510.05554, as stated in the survey arXiv 2512.01868
(section "Long context Transformers", Theorem "long-context phase transition"): for n unit inputs
with pairwise cosine rho and beta_n = gamma ln n, the output directions of one attention layer have
pairwise cosine tending to 1, 4 rho/(1 + 3 rho) or rho as gamma is below, at or above
1/(1 - rho). Theory: docs/theory/long-context.md (the exact finite-n cosine and the rates).

Rows (every value comes from the computations made here; rho = 1/2, gamma = 1.2, 2, 3):

1. :mod:`.claims_one_layer`: one pre-LN layer of the model on n equiangular tokens against the
   exact finite-n cosine; the exact cosine at n = 1e6 against the limits; the power and constant
   of the approach against :func:`attnflow.theory.long_context_rate`;
2. :mod:`.claims_layers`: repeated residual pre-LN layers (``simulate``, method "layer"): rho per
   layer against a closed-form equiangular layer map; uniform contraction below the critical
   scale, near identity above it.

Modules: :mod:`.settings`, :mod:`.layer` (inputs, the model's layer, the closed-form map),
:mod:`.claims_one_layer`, :mod:`.claims_layers`, :mod:`.figures`.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..report import Report, start
from . import claims_layers, claims_one_layer
from .figures import figure
from .layer import equiangular_tokens, one_layer_cosines, pre_ln_layer_map
from .settings import GAMMAS, MODES, N_FORMULA

__all__ = ["PAPER", "TITLE", "equiangular_tokens", "one_layer_cosines", "pre_ln_layer_map", "run"]

TITLE = "Long-context attention: the one-layer phase transition at beta_n = gamma log n [CLPR]"
PAPER = ("Chen, Lin, Polyanskiy, Rigollet, arXiv 2510.05554 (Theorem \"long-context phase transition\" of "
         "the survey arXiv 2512.01868)")


def run(out_dir: Path, quick: bool = False) -> Report:
    """Run the one-layer and repeated-layer rows (module docstring); the figure goes into ``out_dir``."""
    rep, out = start("longcontext2025", TITLE, PAPER, out_dir, quick)
    P = MODES[rep.mode]
    walls: dict[str, float] = {}
    t0 = time.perf_counter()
    one = claims_one_layer.add_claims(rep, P)
    walls["one layer"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    layers = claims_layers.add_claims(rep, P)
    walls["repeated layers"] = time.perf_counter() - t0
    rep.data.update({"n_layer": one["sizes"], "n_formula": N_FORMULA,
                     **{f"cos_layer_{k}": one["measured"][k] for k in GAMMAS},
                     **{f"rho_layers_{k}": layers[k]["rho"] for k in GAMMAS},
                     **{f"rho_map_{k}": layers[k]["pred"] for k in GAMMAS}})
    rep.figures.append(figure(out, one, layers))
    rep.notes += [
        "The theorem's cosines are those of the attention branch ATT(x_i) = sum_j A_ij x_j (survey); the "
        "model's pre-LN layer computes it as its increment (model.field(x).output), from the normalized "
        "tokens.",
        "The repeated-layer rows use the residual layer x + ATT(theta): its cosine lies between rho and the "
        "attention branch's, so the one-layer limits bound each layer's move; the critical scale contracts "
        "too once rho has grown (gamma_c = 1/(1 - rho) grows with rho).",
        "Wall times: " + ", ".join(f"{k} {v:.1f} s" for k, v in walls.items()) + ".",
    ]
    return rep
