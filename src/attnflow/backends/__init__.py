"""Exact evaluators of the attention field: the registry, prepared evaluators, shared numerics.

``velocity(model, x)`` returns P_x y, the tangent field of the flow; ``attention_output``
returns y itself (what one transformer layer adds before normalization). Every backend
computes the same exact field; ``backend="auto"`` picks the fastest one that applies.
For repeated evaluations of one model (a time integration), ``prepare`` does the work that
depends only on the model once and returns an :class:`Evaluator`.

Modules: :mod:`.registry` (the enumerable registry and the "auto" choice), :mod:`.api`
(prepare, Evaluator, velocity, attention_output), :mod:`.numerics` (shift, exact-row fallback,
USA scaling, shared by every evaluator), and the backends :mod:`.dense` (NumPy row blocks, the
reference), :mod:`.numba_dense` (fused Numba kernel), :mod:`.spectral` (A = V = I on S^1, S^2)
and :mod:`.torch_backend` (optional PyTorch, CUDA when present).
"""

from __future__ import annotations

from .api import Evaluator, attention_output, prepare, resolve_backend, velocity
from .registry import Backend, backends, choose, get_backend, register_backend

__all__ = ["Backend", "Evaluator", "attention_output", "backends", "choose", "get_backend", "prepare",
           "register_backend", "resolve_backend", "velocity"]
