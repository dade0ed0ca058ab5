"""Text to token ids: the model's WordPiece tokenizer, or a word-level one for the tiny model.

:class:`WordPiece` reads the model's ``tokenizer.json`` with the ``tokenizers`` package (the
optional extra ``attnflow[real]``) and switches off its stored padding (to 128) and truncation, so
that one text gives exactly its word pieces between [CLS] and [SEP] and a text longer than the
position table is refused rather than cut. :class:`WordLevel` (the tiny random model) splits on
whitespace and punctuation and maps each lower-cased word to a fixed id by its CRC-32.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..validation import fail, instance
from .weights import require

__all__ = ["Encoding", "WordLevel", "WordPiece", "check_text"]


@dataclass(frozen=True)
class Encoding:
    """Token ids (n,) int64 and the matching word pieces, [CLS] ... [SEP]."""

    ids: np.ndarray
    tokens: tuple[str, ...]


def check_text(text: Any) -> str:
    """``text`` if it is a string with at least one non-whitespace character."""
    instance("text", text, str, "pass the text as a Python string")
    if not text.strip():
        raise fail("text", text, "is empty (only whitespace)", "pass a text with at least one word")
    return text


def _checked(text: str, ids: list[int], tokens: list[str], positions: int) -> Encoding:
    if len(ids) <= 2:
        raise fail("text", text, "gives no token between [CLS] and [SEP]",
                   "pass a text with at least one word")
    if len(ids) > positions:
        raise fail("text", text, f"is {len(ids)} tokens long ([CLS] and [SEP] included), more than the "
                   f"{positions} positions of the model",
                   f"split it into pieces of at most {positions} tokens")
    return Encoding(np.asarray(ids, dtype=np.int64), tuple(tokens))


@dataclass(frozen=True, eq=False)
class WordPiece:
    """The model's tokenizer from ``tokenizer.json`` (padding and truncation switched off)."""

    path: Path
    positions: int
    _tok: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        require("tokenizers", "tokenizing text for the real model")
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.path))
        tok.no_padding()
        tok.no_truncation()
        object.__setattr__(self, "_tok", tok)

    def encode(self, text: str) -> Encoding:
        """The ids and word pieces of ``text`` ([CLS] ... [SEP]); errors for empty or too long text."""
        enc = self._tok.encode(check_text(text))
        return _checked(text, enc.ids, enc.tokens, self.positions)


@dataclass(frozen=True)
class WordLevel:
    """Lower-cased words and punctuation marks, id = 3 + crc32(word) mod (vocab - 3); [CLS] = 1, [SEP] = 2."""

    vocab: int
    positions: int

    def encode(self, text: str) -> Encoding:
        words = re.findall(r"\w+|[^\w\s]", check_text(text).lower())
        ids = [1, *(3 + zlib.crc32(w.encode()) % (self.vocab - 3) for w in words), 2]
        return _checked(text, ids, ["[CLS]", *words, "[SEP]"], self.positions)
