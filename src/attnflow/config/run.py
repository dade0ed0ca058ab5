"""A validated run file (:class:`RunConfig`) and the functions that read one.

.. code-block:: toml

    name = "circle"                 # optional, free text (also: description)

    [model]
    d = 2                           # ambient dimension, tokens on S^{d-1}
    beta = 5.0                      # inverse temperature
    normalization = "usa"           # "sa" (softmax) or "usa" (divided by N)
    A = "identity"                  # or a d x d nested list, or {ensemble = "ginibre", seed = 0}

    [init]
    kind = "uniform"                # "uniform" | "vmf" | "angles" (S^1) | "equispaced" (S^1)
    n = 400
    seed = 0

    [run]
    t1 = 2.0
    dt = 0.005
    method = "rk4"                  # "layer" | "euler" | "rk4" | "dopri5" | ... (attnflow.solve.SOLVERS)
    save_every = 0.01               # or save_at = [0.0, 0.5, 1.0, 2.0]
    observables = ["energy", "order_parameter"]

Every key and its meaning: docs/cli.md (generated from :mod:`attnflow.config.models`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from ..model import AttentionModel
from .errors import file_error, from_validation_error, prefix
from .models import AnglesInit, EquispacedInit, ModelSection, RunFile, RunSection, UniformInit, VmfInit

__all__ = ["RunConfig", "estimated_bytes", "load_config", "parse_config", "read_toml"]

#: working copies of the state an integrator holds (rk4: the state, four stages, a sum, the field)
_WORKING_COPIES = 8


@dataclass(frozen=True)
class RunConfig:
    """A validated run file: ``[model]``, ``[init]`` and ``[run]``.

    Examples
    --------
    >>> cfg = parse_config({"model": {"d": 2, "beta": 5.0, "normalization": "usa"},
    ...                     "init": {"kind": "uniform", "n": 100, "seed": 1},
    ...                     "run": {"t1": 1.0, "dt": 0.01}})
    >>> cfg.build_model().normalization
    'usa'
    >>> cfg.initial_points().shape
    (100, 2)
    """

    model: ModelSection
    init: UniformInit | VmfInit | AnglesInit | EquispacedInit
    run: RunSection
    name: str = ""
    description: str = ""
    source: str | None = field(default=None, compare=False)

    def build_model(self) -> AttentionModel:
        """The :class:`~attnflow.AttentionModel` of ``[model]``."""
        model = self.model.build()
        return model.replace(name=self.name) if self.name else model

    def initial_points(self) -> np.ndarray:
        """The initial tokens of ``[init]``: (n, d), or (batch, n, d)."""
        return self.init.points(self.model.d)

    def simulate_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`attnflow.simulate` for ``[run]`` (model and x0 excluded)."""
        r = self.run
        return {
            "t1": r.t1, "dt": r.dt, "method": r.method, "save_at": r.save_times(), "t0": r.t0,
            "observables": r.observables, "save_states": r.save_states,
            "backend": r.backend, "rtol": r.rtol, "atol": r.atol, "seed": r.seed,
            "provenance": {"init": self.init.model_dump(mode="json", exclude_none=True)},
        }

    def simulate(self, *, store: str | Path | None = None, resume: bool = False,
                 progress: bool | None = None):
        """Run the configured simulation; returns a :class:`~attnflow.Solution`.

        Parameters
        ----------
        store : path of a Zarr store written as the run goes (None: in memory only).
        resume : continue an interrupted run from ``store``.
        progress : None (auto), True or False: show a progress bar.
        """
        from .. import simulate

        return simulate(self.build_model(), self.initial_points(), store=store, resume=resume,
                        progress=progress, **self.simulate_kwargs())


def estimated_bytes(cfg: RunConfig) -> tuple[int, int, int]:
    """Memory a run needs at least, in bytes: (total, one state, the saved states and observables).

    One float64 state is batch x n x d x 8 bytes; the integrator holds about eight working
    copies; every saved time keeps a state (``save_states``) and one value per observable and
    batch member.
    """
    batch = cfg.init.batch or 1
    state = 8 * batch * cfg.init.n * cfg.model.d
    per_save = (state if cfg.run.save_states else 0) + 8 * batch * len(cfg.run.observables)
    saved = cfg.run.n_saves() * per_save
    return _WORKING_COPIES * state + saved, state, saved


def _physical_memory() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):        # not a POSIX system: no check
        return None


def _size(nbytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if nbytes < 1000 or unit == "PB":
            return f"{nbytes:.3g} {unit}"
        nbytes /= 1000
    raise AssertionError("unreachable")


def _check_memory(cfg: RunConfig) -> None:
    """Refuse, before anything is allocated, a run that cannot fit in this machine's memory."""
    total, state, saved = estimated_bytes(cfg)
    memory = _physical_memory()
    if memory is None or total <= memory:
        return
    need = (f"needs at least {_size(total)} of memory ({_size(state)} per state x {_WORKING_COPIES} "
            f"working copies, {_size(saved)} for {cfg.run.n_saves()} saved times), more than the "
            f"{_size(memory)} of this machine")
    if _WORKING_COPIES * state > memory:
        raise file_error(cfg.source, "[init].n", cfg.init.n, need,
                         "lower n (or batch), or run on a machine with more memory")
    key = "save_every" if cfg.run.save_every is not None else "save_at"
    raise file_error(cfg.source, f"[run].{key}", getattr(cfg.run, key), need,
                     "save fewer times (a larger save_every), or set save_states = false")


def parse_config(data: Mapping[str, Any], source: str | None = None) -> RunConfig:
    """Validate a parsed TOML document (a dict) into a :class:`RunConfig`.

    Raises
    ------
    ValueError
        On any unknown key, missing key, wrong type or out-of-range value, or a run too large
        for this machine's memory; the message names the file (``source``), the table, the key,
        the value and the fix.
    """
    try:
        doc = RunFile.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, RunFile, source) from None
    cfg = RunConfig(model=doc.model, init=doc.init, run=doc.run, name=doc.name,
                    description=doc.description, source=source)
    try:
        cfg.build_model()              # let AttentionModel run its own checks now, not mid-run
    except ValueError as exc:
        raise ValueError(f"{prefix(source)} [model]: {exc}") from None
    _check_memory(cfg)
    return cfg


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a TOML run file.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If ``path`` is a directory, is not valid TOML or does not validate (the message names
        the file and the key).
    """
    path = Path(path)
    return parse_config(read_toml(path), source=str(path))


def read_toml(path: str | Path) -> dict[str, Any]:
    """The TOML document at ``path`` as a dict.

    A syntax error is a ValueError with its position; a directory or a file that is not UTF-8
    text is a ValueError naming the path; a missing file is a FileNotFoundError.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path}: is a directory, not a TOML file. Fix: pass the path of a .toml file "
                         "(e.g. examples/circle.toml).")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc}). Fix: correct the syntax at the position "
                         "shown.") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file (not UTF-8). Fix: pass a TOML run file.") from None
