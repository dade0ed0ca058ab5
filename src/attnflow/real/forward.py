"""The exact forward pass of a BERT encoder in float64 NumPy, layer by layer.

For one sequence of token ids t_1..t_n (one segment, no padding, so no attention mask):

    x^0_i = LN_e( E_word[t_i] + E_pos[i] + E_type[0] )                       (embeddings)
    q_i = W_Q x_i + b_Q,  k_i = W_K x_i + b_K,  v_i = W_V x_i + b_V           (per layer)
    a^h_ij = softmax_j( <q^h_i, k^h_j> / sqrt(d_h) ),  c^h_i = sum_j a^h_ij v^h_j   (head h)
    attn(x)_i = W_O [c^1_i; ...; c^H_i] + b_O
    h_i = LN_1( x_i + attn(x)_i )                                            (post-LN block)
    x'_i = LN_2( h_i + W_2 gelu(W_1 h_i + b_1) + b_2 )

with LN(z) = g * (z - mean(z)) / sqrt(var(z) + eps) + b over the d features (biased variance),
gelu(z) = z (1 + erf(z / sqrt 2)) / 2 (the exact GELU of BERT), q^h the coordinates
h d_h .. (h + 1) d_h - 1 [Devlin et al., arXiv 1810.04805; Vaswani et al., arXiv 1706.03762].
``hidden_states`` returns x^0 .. x^L, (L + 1, n, d): the embeddings after their LayerNorm, then
the output of each layer. ``ffn=False`` drops each layer's feed-forward block (its residual branch
and its LayerNorm LN_2): x' = h.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf

from ..validation import fail, integer
from .weights import BertWeights, LayerWeights

__all__ = ["attention", "check_ids", "embed", "feed_forward", "gelu", "hidden_states", "layer", "layer_norm"]


def layer_norm(z: np.ndarray, g: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    """g * (z - mean) / sqrt(var + eps) + b over the last axis (biased variance)."""
    c = z - z.mean(axis=-1, keepdims=True)
    return g * c / np.sqrt((c * c).mean(axis=-1, keepdims=True) + eps) + b


def gelu(z: np.ndarray) -> np.ndarray:
    """The exact GELU z Phi(z) = z (1 + erf(z / sqrt 2)) / 2."""
    return 0.5 * z * (1.0 + erf(z / np.sqrt(2.0)))


def embed(w: BertWeights, ids: np.ndarray) -> np.ndarray:
    """x^0 = LN_e(word + position + type-0 embeddings), (n, d), for validated ids."""
    n = ids.shape[0]
    return layer_norm(w.word[ids] + w.position[:n] + w.token_type[0], w.emb_g, w.emb_b, w.config.eps)


def attention(lw: LayerWeights, x: np.ndarray, heads: int) -> tuple[np.ndarray, np.ndarray]:
    """The attention block's output attn(x) (n, d) (before the residual) and its weights a (H, n, n)."""
    n, d = x.shape
    dh = d // heads

    def split(z: np.ndarray) -> np.ndarray:                     # (n, d) -> (H, n, d_h)
        return z.reshape(n, heads, dh).transpose(1, 0, 2)

    q, k, v = (split(x @ W.T + b) for W, b in ((lw.Wq, lw.bq), (lw.Wk, lw.bk), (lw.Wv, lw.bv)))
    s = q @ k.transpose(0, 2, 1) / np.sqrt(dh)
    s -= s.max(axis=-1, keepdims=True)
    a = np.exp(s)
    a /= a.sum(axis=-1, keepdims=True)
    c = (a @ v).transpose(1, 0, 2).reshape(n, d)
    return c @ lw.Wo.T + lw.bo, a


def feed_forward(lw: LayerWeights, h: np.ndarray) -> np.ndarray:
    """W_2 gelu(W_1 h + b_1) + b_2, (n, d)."""
    return gelu(h @ lw.W1.T + lw.b1) @ lw.W2.T + lw.b2


def layer(w: BertWeights, index: int, x: np.ndarray, *, ffn: bool = True) -> np.ndarray:
    """Layer ``index`` applied to x (n, d): LN_2(h + FFN(h)) with h = LN_1(x + attn(x)); h if not ffn."""
    lw = w.layers[index]
    eps = w.config.eps
    h = layer_norm(x + attention(lw, x, w.config.heads)[0], lw.ln1_g, lw.ln1_b, eps)
    if not ffn:
        return h
    return layer_norm(h + feed_forward(lw, h), lw.ln2_g, lw.ln2_b, eps)


def check_ids(w: BertWeights, ids) -> np.ndarray:
    """``ids`` as a 1-D int64 array of valid token ids, at most the position-table length."""
    arr = np.asarray(ids)
    cfg = w.config
    if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iu":
        raise fail("ids", ids, "is not a non-empty 1-D sequence of integer token ids",
                   "pass the ids of one sequence, e.g. tr.ids(text)")
    if arr.size > cfg.positions:
        raise fail("ids", ids, f"has {arr.size} tokens, more than the {cfg.positions} positions of the model",
                   f"split the text into pieces of at most {cfg.positions} tokens ([CLS] and [SEP] included)")
    integer("ids.min()", int(arr.min()), 0, maximum=cfg.vocab - 1, fix=f"pass ids in 0..{cfg.vocab - 1}")
    integer("ids.max()", int(arr.max()), 0, maximum=cfg.vocab - 1, fix=f"pass ids in 0..{cfg.vocab - 1}")
    return arr.astype(np.int64)


def hidden_states(w: BertWeights, ids, *, ffn: bool = True) -> np.ndarray:
    """x^0 .. x^L for the token ids ``ids``: (L + 1, n, d) float64 (module docstring)."""
    ids = check_ids(w, ids)
    out = np.empty((w.config.layers + 1, ids.size, w.config.d))
    out[0] = embed(w, ids)
    for i in range(w.config.layers):
        out[i + 1] = layer(w, i, out[i], ffn=ffn)
    return out
