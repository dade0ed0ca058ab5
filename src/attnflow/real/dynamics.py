"""The theory's dynamic questions asked of a real model: its heads as flows, Pi, the looped stack.

Notation: x^l (n, d) the input of layer l (the hidden states, LayerNorm outputs), theta^l =
x^l / |x^l| its directions, beta_l = beta_eff(x^l) (:func:`.analysis.effective_beta`), A_h, V_h
the heads of layer l (:mod:`.heads`). The attnflow model of layer l is
AttentionModel(d, beta_l, (A_h), (V_h), "sa"): its flow on the sphere is dtheta/dt = P_theta
sum_h sum_j w^h_ij V_h theta_j, and one residual layer of it is the attnflow "layer" scheme with
dt = 1, theta <- (theta + y(theta)) / |theta + y(theta)|.

- :func:`layer_errors`: where the flow (t = 1), the attnflow layer and "staying put" send the
  tokens, against where the real layer sends them: the direction of x + attn(x) (the residual
  update, which is what the flow models), of LN_1(x + attn(x)), and of the layer output. Error
  of a token: 1 - cos(predicted, real). Per head, the flow of head h alone against the direction
  of x + attn_h(x), attn_h(x)_i = sum_j a^h_ij (V_h x_j + W_O^h b_V^h) the real head's share.
- :func:`pi_distance`: the head flow at beta_l from theta^l for a long time against the
  zero-temperature projection Pi(theta^l) of [L] (:mod:`.limits`).
- :func:`loop_stack`, :func:`loop_flow`: the stack looped many times (as Abella, Silvestre,
  Tabuada, arXiv 2412.02682, do with GPT-2), with and without the feed-forward blocks, and the
  attention-only flow of the same heads (layer l on [6 k + l, 6 k + l + 1) for loop k).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import AttentionModel
from ..observables import clusters
from ..schemes import directions
from ..solve import ConstantStep, SaveAt, solve
from ..validation import integer
from . import forward
from .analysis import THRESHOLDS, effective_beta, pair_cosines
from .limits import hardmax_limit
from .transformer import Transformer

__all__ = ["CLUSTER_TOL", "PREDICTIONS", "TARGETS", "LayerErrors", "LoopStats", "attention_output", "flow",
           "layer_errors", "loop_flow", "loop_stack", "pi_distance"]

#: what predicts a layer's effect on the token directions (rows of :func:`layer_errors`)
PREDICTIONS = ("stay", "flow", "attnflow layer")
#: where the real layer sends the tokens (columns of :func:`layer_errors`)
TARGETS = ("x + attn(x)", "LN1(x + attn(x))", "layer output")
#: clusters: tokens linked when cos >= 1 - CLUSTER_TOL
CLUSTER_TOL = 1e-2


def attention_output(model: AttentionModel, x: np.ndarray) -> np.ndarray:
    """The attnflow attention output y_i = sum_h sum_j w^h_ij V_h x_j of ``model`` at states x that
    need not be unit vectors (the real tokens; the evaluator extends the field off the sphere)."""
    return model.field(directions(x)).output(0.0, np.ascontiguousarray(x, dtype=np.float64))


def flow(model: AttentionModel, theta: np.ndarray, t1: float, dt: float, method: str = "rk4",
         save_at: np.ndarray | None = None) -> np.ndarray:
    """The states of the attnflow flow of ``model`` from ``theta`` at ``save_at`` (default [0, t1])."""
    field = model.field(theta)
    ts = SaveAt(None if save_at is None else np.asarray(save_at, dtype=np.float64))
    return solve(field, np.array(theta), 0.0, t1, solver=method, stepsize=ConstantStep(dt), saveat=ts).ys


def _error(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """1 - cos(pred_i, target_i) per token."""
    return 1.0 - np.einsum("nd,nd->n", directions(pred), directions(target))


@dataclass(frozen=True)
class LayerErrors:
    """The errors of :func:`layer_errors` for one sentence.

    beta : (L,) beta_eff per layer; tokens : (L, P, T, n) per-token errors, P = PREDICTIONS,
    T = TARGETS; heads : (L, H, 2, n) per-token errors of (stay, head flow) against the head's share.
    """

    beta: np.ndarray
    tokens: np.ndarray
    heads: np.ndarray


def layer_errors(tr: Transformer, states: np.ndarray, dt: float = 0.1) -> LayerErrors:
    """Flows of each layer's heads (and of each head alone) against the real layer (module docstring)."""
    L, n = states.shape[0] - 1, states.shape[1]
    H = tr.n_heads
    betas = np.empty(L)
    tokens = np.empty((L, len(PREDICTIONS), len(TARGETS), n))
    per_head = np.empty((L, H, 2, n))
    for layer in range(L):
        x = states[layer]
        theta = directions(x)
        beta = betas[layer] = effective_beta(x)[0]
        attn, weights = tr.attention(layer, x)
        lw = tr.weights.layers[layer]
        h1 = forward.layer_norm(x + attn, lw.ln1_g, lw.ln1_b, tr.config.eps)
        targets = (x + attn, h1, states[layer + 1])
        model = tr.attention_model(layer, beta=beta)
        preds = (theta, flow(model, theta, 1.0, dt)[-1], flow(model, theta, 1.0, 1.0, "layer")[-1])
        for p, pred in enumerate(preds):
            for t, target in enumerate(targets):
                tokens[layer, p, t] = _error(pred, target)
        V = tr.heads(layer)[1]
        value = tr.head_biases(layer).value
        for h in range(H):
            share = weights[h] @ (x @ V[h].T + value[h])
            per_head[layer, h, 0] = _error(theta, x + share)
            per_head[layer, h, 1] = _error(flow(model.head(h), theta, 1.0, dt)[-1], x + share)
    return LayerErrors(betas, tokens, per_head)


def pi_distance(tr: Transformer, x: np.ndarray, layer: int, head: int, t1: float, dt: float,
                saves: int = 41) -> tuple[np.ndarray, np.ndarray | None]:
    """(times, mean_i (1 - <theta_i(t), Pi(theta_i(0))>)) for the flow of one head at beta_eff(x)
    from the directions of x; the distance is None when Pi does not exist (complex top pair)."""
    layer, head = tr.layer_index(layer), tr.head_index(head)
    A, V = tr.heads(layer)
    lw = tr.weights.layers[layer]
    dh = tr.config.head_dim
    Wo = lw.Wo[:, head * dh:(head + 1) * dh]
    limit = hardmax_limit(Wo, lw.Wv[head * dh:(head + 1) * dh] @ A[head])
    times = np.linspace(0.0, t1, saves)
    if not limit.exists:
        return times, None
    theta = directions(x)
    model = AttentionModel(d=tr.d, beta=effective_beta(x)[0], A=A[head], V=V[head])
    path = flow(model, theta, t1, dt, save_at=times)
    pi = limit(theta)
    return times, 1.0 - np.einsum("tnd,nd->tn", path, pi).mean(axis=1)


@dataclass(frozen=True)
class LoopStats:
    """Statistics of a looped run after each loop k = 0 .. K (k = 0: the start).

    mean_cos : (K + 1,) mean pairwise cosine; above : (K + 1, 2) fractions of pairs with cosine
    > 0.9, > 0.99; clusters : (K + 1,) number of clusters (tokens linked at cos >= 0.99);
    norm : (K + 1,) mean token norm (1 for the flow); final : (n, d) final directions.
    """

    mean_cos: np.ndarray
    above: np.ndarray
    clusters: np.ndarray
    norm: np.ndarray
    final: np.ndarray

    @property
    def settled(self) -> int:
        """The first loop from which the cluster count keeps its final value."""
        c = self.clusters
        k = len(c) - 1
        while k > 0 and c[k - 1] == c[-1]:
            k -= 1
        return k


def _stats(snapshots: list[np.ndarray]) -> LoopStats:
    mean_cos, above, count, norm = [], [], [], []
    for x in snapshots:
        c = pair_cosines(x)
        mean_cos.append(c.mean())
        above.append([np.mean(c > t) for t in THRESHOLDS])
        count.append(clusters(directions(x), CLUSTER_TOL).count)
        norm.append(np.linalg.norm(x, axis=1).mean())
    return LoopStats(np.array(mean_cos), np.array(above), np.array(count), np.array(norm),
                     directions(snapshots[-1]))


def loop_stack(tr: Transformer, x0: np.ndarray, loops: int, *, ffn: bool = True) -> LoopStats:
    """The real layers 0 .. L - 1 applied ``loops`` times to x0 (the embeddings), with or without
    the feed-forward blocks; statistics after each loop."""
    loops = integer("loops", loops, 1, fix="pass a positive number of loops")
    snaps, x = [x0], x0
    for _ in range(loops):
        for i in range(tr.n_layers):
            x = forward.layer(tr.weights, i, x, ffn=ffn)
        snaps.append(x)
    return _stats(snaps)


def loop_flow(tr: Transformer, x0: np.ndarray, loops: int, betas: np.ndarray, dt: float,
              method: str = "rk4") -> LoopStats:
    """The attention-only flow of the same heads looped: layer l's model (beta = betas[l]) for one
    unit of time, l = 0 .. L - 1, ``loops`` times, from the directions of x0."""
    loops = integer("loops", loops, 1, fix="pass a positive number of loops")
    models = [tr.attention_model(i, beta=float(b)) for i, b in enumerate(betas)]
    theta = directions(x0)
    snaps = [theta]
    for _ in range(loops):
        for m in models:
            theta = flow(m, theta, 1.0, dt, method)[-1]
        snaps.append(theta)
    return _stats(snaps)
