"""Brownian increments from counter-based streams: reproducible and resumable without stored state.

The normals of a stochastic run are a pure function of (seed, batch member, block index): block g
is drawn by a fresh Philox4x64 generator (Salmon et al., "Parallel random numbers: as easy as
1, 2, 3", SC 2011) with key (seed, member) and counter g 2^128, so

- a run resumed from a checkpoint at step k draws exactly the increments of the uninterrupted
  run (nothing about the generator is stored: the step index is in the checkpoint);
- every batch member has its own stream (key (seed, b)); member 0 of a batch equals the single
  run with the same seed (key (seed, 0)), bit for bit when the drift is evaluated alike;
- blocks never overlap: one block may use 2^128 Philox counters before reaching the next.

**The Brownian path.** Step k of a scheme that needs ``pieces`` increments per step (two half
steps for a splitting scheme) is cut into q = pieces * substeps blocks of equal length h / q; block
g = k q + i holds the standard normals z_g and the increment of piece j is
sqrt(h / q) sum_{i in piece j} z_{kq + i}. On a uniform grid the block g always covers the same
time interval [g h/q, (g + 1) h/q), whatever the step: a run with step h and ``substeps=m``
follows the same Brownian path as a run with step h/m and ``substeps=1`` (its increments are the
sums of the fine ones). This is how strong errors are measured against a finer solution.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..validation import integer

__all__ = ["COUNTER_STRIDE", "BrownianIncrements"]

#: counter distance between consecutive blocks (the block index sits in the third 64-bit word)
COUNTER_STRIDE = 1 << 128


@dataclass(frozen=True, eq=False)
class BrownianIncrements:
    """Brownian increments of a stochastic run (module docstring).

    Parameters
    ----------
    seed : int in [0, 2^64), the run's noise seed.
    batched : the state's first axis is a batch of independent members (B, ...), each with its
        own stream; otherwise one stream (member 0) for the whole state.
    substeps : blocks per piece of a step (1 for a run; m > 1 to follow the path of a run with
        m times smaller steps).
    """

    seed: int
    batched: bool = False
    substeps: int = 1
    _bits: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self):
        seed = integer("seed", self.seed, 0, maximum=2**64 - 1,
                       fix="pass an integer seed in [0, 2^64), e.g. seed=0")
        object.__setattr__(self, "seed", seed)
        object.__setattr__(self, "substeps", integer("substeps", self.substeps, 1,
                                                     fix="pass a positive number of blocks per step"))

    def _generator(self, member: int) -> tuple[np.random.Philox, np.random.Generator, dict]:
        """The member's Philox bit generator (created once; its counter is set per block)."""
        got = self._bits.get(member)
        if got is None:
            bits = np.random.Philox(key=np.array([self.seed, member], dtype=np.uint64))
            got = (bits, np.random.Generator(bits), bits.state)
            self._bits[member] = got
        return got

    def block(self, g: int, shape: tuple[int, ...], member: int = 0) -> np.ndarray:
        """The standard normals of block ``g`` (shape ``shape``) of one member's stream."""
        bits, gen, state = self._generator(member)
        bits.state = {**state, "state": {"counter": np.array([0, 0, g, 0], dtype=np.uint64),
                                         "key": state["state"]["key"]},
                      "buffer_pos": 4, "has_uint32": 0, "uinteger": 0}
        return gen.standard_normal(shape)

    def normals(self, g: int, shape: tuple[int, ...]) -> np.ndarray:
        """The normals of block ``g`` for a whole state of shape ``shape`` (per member if batched)."""
        if not self.batched:
            return self.block(g, shape)
        out = np.empty(shape)
        for b in range(shape[0]):
            out[b] = self.block(g, shape[1:], b)
        return out

    def increments(self, step: int, h: float, shape: tuple[int, ...], pieces: int = 1) -> np.ndarray:
        """The Brownian increments of the ``pieces`` equal parts of step ``step`` (length ``h``):
        an array (pieces, *shape), each entry N(0, h / pieces), independent across entries."""
        m = self.substeps
        q = pieces * m
        scale = np.sqrt(h / q)
        out = np.empty((pieces, *shape))
        for j in range(pieces):
            total = self.normals(step * q + j * m, shape)
            for i in range(1, m):
                total += self.normals(step * q + j * m + i, shape)
            out[j] = scale * total
        return out
