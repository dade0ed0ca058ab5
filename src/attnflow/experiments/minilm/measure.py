"""The measurements of the MiniLM experiment: one function per group of rows, each returning arrays.

Every number of the report comes from here; :mod:`attnflow.experiments.minilm` turns them into
rows. Times are wall-clock seconds on one BLAS thread (the experiment runs under
``blas_threads(1)``: these small products are fastest there on a shared machine).
"""

from __future__ import annotations

import time

import numpy as np

from ...model import AttentionModel
from ...real import Transformer
from ...real.analysis import cosine_profile, effective_beta, energy_changes, identity_energy
from ...real.dynamics import attention_output, flow, layer_errors, loop_flow, loop_stack, pi_distance
from ...real.limits import hardmax_limit
from ...schemes import directions

__all__ = ["exactness", "flows", "geometry", "loops", "pi_runs", "spectra", "transposed_flows"]


def geometry(tr: Transformer, texts: list[str]) -> dict:
    """Hidden states, the cosine profile, beta_eff per layer, the energies, the forward-pass time."""
    t0 = time.perf_counter()
    states = [tr.hidden_states(s) for s in texts]
    forward_time = (time.perf_counter() - t0) / len(texts)
    betas = np.array([[effective_beta(s[layer]) for layer in range(s.shape[0])] for s in states])
    heads = [tr.heads(layer) for layer in range(tr.n_layers)]
    t0 = time.perf_counter()
    dE = np.array([energy_changes(heads, s) for s in states])                  # (S, L, H)
    e1 = np.array([identity_energy(s, 1.0) for s in states])                    # (S, L + 1)
    return {"states": states, "profile": cosine_profile(states), "beta": betas[:, :, 0],
            "spread": betas[:, :, 1], "energy_change": dE, "identity_energy": e1,
            "forward_time": forward_time, "energy_time": time.perf_counter() - t0,
            "tokens": np.array([s.shape[1] for s in states])}


def exactness(tr: Transformer, states: np.ndarray) -> dict:
    """max |attn(x) - (attnflow output of the affine heads + b_O)| over the layers of one sentence
    (relative to max |attn(x)|), and the same for the bilinear heads alone (biases dropped)."""
    affine, bilinear = [], []
    for layer in range(tr.n_layers):
        x = states[layer]
        attn = tr.attention(layer, x)[0]
        xa = np.concatenate([x, np.ones((x.shape[0], 1))], axis=1)
        b = tr.head_biases(layer)
        y = attention_output(tr.augmented_model(layer), xa)[:, :-1] + b.out
        y0 = attention_output(tr.attention_model(layer), x)
        scale = np.abs(attn).max()
        affine.append(np.abs(y - attn).max() / scale)
        bilinear.append(np.abs(y0 - attn).max() / scale)
    return {"affine": np.array(affine), "bilinear": np.array(bilinear)}


def spectra(tr: Transformer) -> dict:
    """The spectra of every head and the summary arrays (L, H) of the report."""
    sp = [tr.head_spectra(layer) for layer in range(tr.n_layers)]
    return {"spectra": sp,
            "a_asym": np.array([[s.a_asym for s in row] for row in sp]),
            "m_asym": np.array([[s.m_asym for s in row] for row in sp]),
            "a_psd": np.array([[s.a_definiteness == "psd" for s in row] for row in sp]),
            "v_definiteness": [s.v_definiteness for row in sp for s in row],
            "m_real": np.array([[s.m_top_real for s in row] for row in sp]),
            "v_trace": np.array([[s.v.real.sum() for s in row] for row in sp])}


def flows(tr: Transformer, states: list[np.ndarray], dt: float) -> dict:
    """:func:`attnflow.real.dynamics.layer_errors` over sentences: mean errors (L, P, T), the
    per-token errors against x + attn(x) of all sentences (L, P, tokens), the per-head ratio
    flow/stay (L, H), the time per sentence."""
    t0 = time.perf_counter()
    errs = [layer_errors(tr, s, dt) for s in states]
    tokens = np.mean([e.tokens.mean(axis=-1) for e in errs], axis=0)
    heads = np.mean([e.heads.mean(axis=-1) for e in errs], axis=0)              # (L, H, 2)
    return {"tokens": tokens, "per_token": np.concatenate([e.tokens[:, :, 0] for e in errs], axis=-1),
            "head_ratio": heads[:, :, 1] / heads[:, :, 0], "beta": errs[0].beta,
            "time": (time.perf_counter() - t0) / len(states)}


def transposed_flows(tr: Transformer, states: list[np.ndarray], dt: float) -> np.ndarray:
    """(L, 2) mean over the sentences and tokens of 1 - cos(prediction, x + attn(x)) for the heads in the
    transposed convention A_h^T (scores <x_i, A_h x_j>, i.e. A = Q^T K): the 12-head flow (t = 1, RK4
    step ``dt``) and one layer step, at beta_eff, from the directions of each layer's input; the foil
    of the rows of :func:`flows`."""
    errors = np.empty((len(states), tr.n_layers, 2))
    for i, s in enumerate(states):
        for layer in range(tr.n_layers):
            x = s[layer]
            theta = directions(x)
            target = directions(x + tr.attention(layer, x)[0])
            A, V = tr.heads(layer)
            model = AttentionModel(d=tr.d, beta=effective_beta(x)[0], A=A.transpose(0, 2, 1), V=V,
                                   normalization="sa")
            preds = (flow(model, theta, 1.0, dt)[-1], flow(model, theta, 1.0, 1.0, "layer")[-1])
            for p, pred in enumerate(preds):
                errors[i, layer, p] = np.mean(1.0 - np.einsum("nd,nd->n", directions(pred), target))
    return errors.mean(axis=0)


def pi_runs(tr: Transformer, states: np.ndarray, n_heads: int, t1: float, dt: float) -> dict:
    """The heads whose M_h has a real top eigenvalue, the ``n_heads`` of largest gap run from the
    sentence's layer inputs: distance to Pi over time."""
    gaps = []
    for layer in range(tr.n_layers):
        A, _ = tr.heads(layer)
        lw = tr.weights.layers[layer]
        dh = tr.config.head_dim
        for h in range(tr.n_heads):
            lim = hardmax_limit(lw.Wo[:, h * dh:(h + 1) * dh], lw.Wv[h * dh:(h + 1) * dh] @ A[h])
            if lim.exists:
                gaps.append((lim.gap, layer, h))
    gaps.sort(reverse=True)
    t0 = time.perf_counter()
    curves, chosen = {}, []
    times = None
    for gap, layer, h in gaps[:n_heads]:
        times, dist = pi_distance(tr, states[layer], layer, h, t1, dt)
        curves[f"layer {layer} head {h} (gap {gap:.3f})"] = dist
        chosen.append((layer, h, gap))
    return {"with_limit": len(gaps), "times": times, "curves": curves, "chosen": chosen,
            "min": np.array([c.min() for c in curves.values()]),
            "time": time.perf_counter() - t0}


def loops(tr: Transformer, states: list[np.ndarray], n_loops: int, flow_loops: int, dt: float) -> dict:
    """The looped real stack (with / without FFN) and the looped attention-only flow (skipped when
    ``flow_loops`` is 0), per sentence; the wall time per loop of each."""
    counts = {"stack with FFN": n_loops, "stack without FFN": n_loops, "attnflow flow": flow_loops}
    counts = {k: v for k, v in counts.items() if v > 0}
    runs: dict[str, list] = {k: [] for k in counts}
    walls = dict.fromkeys(counts, 0.0)
    for s in states:
        for key in counts:
            t0 = time.perf_counter()
            if key == "attnflow flow":
                betas = np.array([effective_beta(s[layer])[0] for layer in range(tr.n_layers)])
                runs[key].append(loop_flow(tr, s[0], flow_loops, betas, dt))
            else:
                runs[key].append(loop_stack(tr, s[0], n_loops, ffn=key == "stack with FFN"))
            walls[key] += time.perf_counter() - t0
    return {"runs": runs, "time_per_loop": {k: walls[k] / (len(states) * counts[k]) for k in counts}}
