"""Causal attention [KPR]: convergence to the first token and the Renyi centres.

[KPR] Karagodin, Polyanskiy, Rigollet, "Clustering in causal attention masking", arXiv 2411.04990.
Only the abstract, figure captions and a detailed third-party reading of the paper could be
consulted (docs/theory/causal.md); the theory used here is in :mod:`attnflow.theory.causal`.

Rows (every value comes from the computations made here):

1. :mod:`.claims_first_token`: with V = I the first token never moves and every token converges to
   it ([KPR] Theorem 4.1, Ginibre A); with A = I token 2 follows the closed-form pair law (cosine
   and time), and every token converges at rate 1;
2. :mod:`.claims_renyi`: [KPR] Fig. 2's setting (n = 200 on S^1, beta = 64, A = V = I): the counts
   of strong and ordinary Renyi centres of iid tokens against their expectations, the persistence
   of the strong centres (Lemma 5.1 and beyond), and the meta-stable cluster count over time
   against the centre counts.

Modules: :mod:`.settings`, :mod:`.claims_first_token`, :mod:`.claims_renyi`, :mod:`.figures`.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..report import Report, start
from . import claims_first_token, claims_renyi
from .figures import convergence_figure, renyi_figure
from .settings import MODES

__all__ = ["PAPER", "TITLE", "run"]

TITLE = "Causal attention: convergence to the first token and meta-stable Renyi centres [KPR]"
PAPER = ("Karagodin, Polyanskiy, Rigollet, \"Clustering in causal attention masking\", arXiv 2411.04990")


def _lag(t, run: dict) -> str:
    """Per run: #clusters and #Renyi centres of x(t) at the end, and the last time they differ."""
    differ = np.flatnonzero(run["clusters"] != run["renyi_t"])
    last = f"last differ at t = {t[differ[-1]]:g}" if differ.size else "equal at every save"
    return (f"seed {run['seed']}: {run['clusters'][-1]} clusters, {run['renyi_t'][-1]} Renyi centres at the "
            f"end, {last}")


def run(out_dir: Path, quick: bool = False) -> Report:
    """Run the first-token and Renyi-centre rows (module docstring); the figures go into ``out_dir``."""
    rep, out = start("causal2024", TITLE, PAPER, out_dir, quick)
    P = MODES[rep.mode]
    results, walls = {}, {}
    for group, add_claims in (("first token", claims_first_token.add_claims),
                              ("Renyi centres", claims_renyi.add_claims)):
        t0 = time.perf_counter()
        results[group] = add_claims(rep, P)
        walls[group] = time.perf_counter() - t0
    first, renyi = results["first token"], results["Renyi centres"]
    run0 = renyi["runs"][0]
    rep.data.update({"t_pair": first["t"], "gap_pair": first["gap"], "gap_pair_law": first["pred"],
                     "rates": first["rates"], "t_renyi": renyi["t"], "theta_renyi": run0["theta"],
                     "strong_centres": run0["strong"], "renyi_centres": run0["renyi"],
                     "clusters_t": [r["clusters"] for r in renyi["runs"]],
                     "renyi_count_t": [r["renyi_t"] for r in renyi["runs"]],
                     "sample_counts": renyi["samples"]})
    rep.figures += [convergence_figure(out, first), renyi_figure(out, renyi)]
    rep.notes += [
        "The definitions of the (strong) Renyi centres, Lemma 5.1 and Theorem 4.1 are taken from a "
        "third-party reading of [KPR] (docs/theory/causal.md, tag [U]); the pair law, its time, the rates "
        "and the expected counts are derived for the project (tag [D]).",
        "All runs use the dense backend: its results do not depend on the number of threads, so the stored "
        "values of the quick run are reproducible bit for bit.",
        "Clusters against the Renyi centres of the current configuration x(t) (the figure's dashed lines; "
        "no row: both are counts of the measured state): "
        + "; ".join(_lag(renyi["t"], r) for r in renyi["runs"]) + ".",
        "Wall times: " + ", ".join(f"{k} {v:.1f} s" for k, v in walls.items()) + ".",
    ]
    return rep
