"""TOML run files, validated into frozen dataclasses.

A run file has three sections; every key is checked (unknown keys are errors, so typos are
caught) and every error is a ``ValueError`` that names the section, the key, the value and the
fix, e.g. ``config [run].dt=-1: must be > 0. Fix: pass a positive step, e.g. dt = 0.01.``

.. code-block:: toml

    name = "circle"                 # optional, free text (also: description)

    [model]
    d = 2                           # ambient dimension, tokens on S^{d-1}
    beta = 5.0                      # inverse temperature
    normalization = "usa"           # "sa" (softmax) or "usa" (divided by N)
    A = "identity"                  # or a d x d nested list, or {ensemble = "ginibre", seed = 0}
    V = "identity"                  # same forms as A

    [init]
    kind = "uniform"                # "uniform" | "vmf" | "angles" (S^1) | "equispaced" (S^1)
    n = 400
    seed = 0

    [run]
    t1 = 2.0
    dt = 0.005
    method = "rk4"                  # "layer" | "euler" | "rk4" | "dopri5"
    save_every = 0.01               # or save_at = [0.0, 0.5, 1.0, 2.0]
    observables = ["energy", "order_parameter"]

Precedence of A and V: an explicit value ("identity" or a nested list) always wins. A table
``{ensemble = ..., seed = ...}`` draws ``(A, V) = random_matrices(d, ensemble, seed=seed)``
once; the table's own matrix takes its part of that draw, and an *omitted* partner takes the
other part of the same draw (so ``A = {ensemble = "qk"}`` alone gives V = A^T). If both A and V
are tables, A comes from A's draw and V from V's draw. Omitted with no table anywhere means
the identity. The full format is documented in ``docs/cli.md``.
"""

from __future__ import annotations

import difflib
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .integrate import METHODS as _METHOD_ORDERS
from .model import ENSEMBLES, AttentionModel, random_matrices
from .observables import OBSERVABLES as _OBSERVABLE_REGISTRY

if sys.version_info >= (3, 11):  # pragma: no cover - depends on the interpreter
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "INIT_KINDS",
    "METHODS",
    "OBSERVABLES",
    "EnsembleSpec",
    "InitConfig",
    "ModelConfig",
    "RunConfig",
    "RunSettings",
    "load_config",
    "parse_config",
    "read_toml",
]

#: integrators accepted in ``[run].method`` ("layer", "euler", "rk4", "dopri5")
METHODS: tuple[str, ...] = tuple(_METHOD_ORDERS)
#: observables accepted in ``[run].observables`` (the names of attnflow.observables.OBSERVABLES)
OBSERVABLES: tuple[str, ...] = tuple(_OBSERVABLE_REGISTRY)
#: initial distributions accepted in ``[init].kind``
INIT_KINDS = ("uniform", "vmf", "angles", "equispaced")
#: number of saved times when neither ``save_every`` nor ``save_at`` is given
DEFAULT_SAVES = 101

_TOP_KEYS = ("name", "description", "model", "init", "run")
_MODEL_KEYS = ("d", "beta", "normalization", "A", "V")
_ENSEMBLE_KEYS = ("ensemble", "seed")
_INIT_KEYS = {
    "uniform": ("kind", "n", "seed", "batch"),
    "vmf": ("kind", "n", "seed", "batch", "mu", "kappa"),
    "angles": ("kind", "angles", "n"),
    "equispaced": ("kind", "n", "offset"),
}
_RUN_KEYS = ("t0", "t1", "dt", "method", "save_every", "save_at", "observables",
             "save_states", "backend", "rtol", "atol")


# ---------------------------------------------------------------------------------------
# errors and primitive validators
# ---------------------------------------------------------------------------------------
def _show(value: Any) -> str:
    """Render a value roughly as it was written in TOML, shortened."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = f'"{value}"'
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _error(where: str, value: Any, problem: str, fix: str) -> ValueError:
    return ValueError(f"config {where}={_show(value)}: {problem}. Fix: {fix}.")


def _check_keys(section: str, table: Mapping[str, Any], valid: tuple[str, ...],
                context: str = "") -> None:
    """Raise a ValueError naming the first unknown key, its section and the valid keys."""
    for key in table:
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(
                f"config {section}: unknown key {key!r}{context}. Valid keys: "
                f"{', '.join(valid)}. Fix: {hint}remove or rename {key!r}."
            )


def _table(section: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(
            f"config {section}: expected a table, got {_show(value)}. "
            f"Fix: write the section as a header {section} followed by key = value lines."
        )
    return dict(value)


def _real(where: str, value: Any, fix: str, *, positive: bool = False,
          nonneg: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _error(where, value, f"must be a number, got {type(value).__name__}", fix)
    out = float(value)
    if not math.isfinite(out):
        raise _error(where, value, "must be finite", fix)
    if positive and out <= 0:
        raise _error(where, value, "must be > 0", fix)
    if nonneg and out < 0:
        raise _error(where, value, "must be >= 0", fix)
    return out


def _int(where: str, value: Any, fix: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _error(where, value, f"must be an integer, got {type(value).__name__}", fix)
    if minimum is not None and value < minimum:
        raise _error(where, value, f"must be >= {minimum}", fix)
    return int(value)


def _choice(where: str, value: Any, choices: tuple[str, ...]) -> str:
    listed = ", ".join(f'"{c}"' for c in choices)
    if not isinstance(value, str):
        raise _error(where, value, f"must be a string, got {type(value).__name__}",
                     f"use one of {listed}")
    if value not in choices:
        close = difflib.get_close_matches(value, choices, n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        raise _error(where, value, "is not a known choice", f"use one of {listed}{hint}")
    return value


def _real_list(where: str, value: Any, fix: str) -> tuple[float, ...]:
    if not isinstance(value, list):
        raise _error(where, value, f"must be a list of numbers, got {type(value).__name__}", fix)
    return tuple(_real(f"{where}[{i}]", v, fix) for i, v in enumerate(value))


# ---------------------------------------------------------------------------------------
# [model]
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EnsembleSpec:
    """A random attention matrix: part of ``random_matrices(d, ensemble, seed=seed)``."""

    ensemble: str
    seed: int = 0

    def draw(self, d: int) -> tuple[np.ndarray, np.ndarray]:
        """The (A, V) pair of this ensemble and seed in dimension ``d``."""
        return random_matrices(d, self.ensemble, seed=self.seed)


#: a matrix entry of ``[model]``: None (omitted), "identity", explicit rows, or an ensemble
MatrixSpec = None | str | tuple[tuple[float, ...], ...] | EnsembleSpec


@dataclass(frozen=True)
class ModelConfig:
    """The ``[model]`` section.

    Attributes
    ----------
    d : int, ambient dimension (tokens on S^{d-1}), >= 2.
    beta : float, inverse temperature (finite).
    normalization : "sa" or "usa".
    A, V : None (omitted), "identity", a tuple of d rows of d floats, or an
        :class:`EnsembleSpec`; see :meth:`matrices` for how they resolve.
    """

    d: int
    beta: float
    normalization: str = "sa"
    A: MatrixSpec = None
    V: MatrixSpec = None

    def matrices(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Resolve A and V into arrays (None = identity), following the documented precedence."""
        draws: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, spec in (("A", self.A), ("V", self.V)):
            if isinstance(spec, EnsembleSpec):
                draws[name] = spec.draw(self.d)
        # an omitted partner of a single table takes the other half of the same draw
        if self.A is None and "V" in draws:
            draws["A"] = draws["V"]
        if self.V is None and "A" in draws:
            draws["V"] = draws["A"]
        A = draws["A"][0] if "A" in draws else _explicit_matrix(self.A)
        V = draws["V"][1] if "V" in draws else _explicit_matrix(self.V)
        return A, V

    def build(self) -> AttentionModel:
        """The validated :class:`~attnflow.AttentionModel`."""
        A, V = self.matrices()
        return AttentionModel(d=self.d, beta=self.beta, A=A, V=V,
                              normalization=self.normalization)  # type: ignore[arg-type]


def _explicit_matrix(spec: MatrixSpec) -> np.ndarray | None:
    if spec is None or isinstance(spec, (str, EnsembleSpec)):
        return None
    return np.array(spec, dtype=np.float64)


def _matrix(name: str, value: Any, d: int) -> MatrixSpec:
    where = f"[model].{name}"
    fix = (f'write {name} = "identity", a {d} x {d} nested list such as '
           f'{name} = {_identity_example(d)}, or {name} = {{ ensemble = "ginibre", seed = 0 }}')
    if isinstance(value, str):
        if value.lower() in ("identity", "i", "eye"):
            return "identity"
        raise _error(where, value, "is not a known matrix name", fix)
    if isinstance(value, Mapping):
        table = dict(value)
        _check_keys(where, table, _ENSEMBLE_KEYS, " (a random-matrix table)")
        if "ensemble" not in table:
            raise ValueError(f"config {where}: the table has no 'ensemble' key. Fix: {fix}.")
        ens = _choice(f"{where}.ensemble", table["ensemble"], ENSEMBLES)
        seed = _int(f"{where}.seed", table.get("seed", 0), "pass an integer seed, e.g. seed = 0",
                    minimum=0)
        return EnsembleSpec(ens, seed)
    if isinstance(value, list):
        if len(value) != d or not all(isinstance(row, list) and len(row) == d for row in value):
            rows = [len(r) if isinstance(r, list) else "scalar" for r in value]
            raise _error(where, value,
                         f"must be a {d} x {d} nested list (d = {d}); got {len(value)} rows "
                         f"of lengths {rows}", fix)
        return tuple(tuple(_real(f"{where}[{i}][{j}]", v, fix) for j, v in enumerate(row))
                     for i, row in enumerate(value))
    raise _error(where, value, f"has type {type(value).__name__}", fix)


def _identity_example(d: int) -> str:
    if d > 3:
        return "[[1, 0, ...], [0, 1, ...], ...]"
    rows = [[1 if i == j else 0 for j in range(d)] for i in range(d)]
    return str(rows).replace(" ", "").replace(",", ", ")


def _parse_model(raw: Any) -> ModelConfig:
    table = _table("[model]", raw)
    _check_keys("[model]", table, _MODEL_KEYS)
    for key in ("d", "beta"):
        if key not in table:
            raise ValueError(f"config [model]: missing required key {key!r}. "
                             f"Fix: add e.g. {'d = 2' if key == 'd' else 'beta = 1.0'}.")
    d = _int("[model].d", table["d"], "d = 2 for the circle S^1, d = 3 for S^2, ...", minimum=2)
    beta = _real("[model].beta", table["beta"],
                 "pass a finite inverse temperature, e.g. beta = 1.0")
    norm = _choice("[model].normalization", table.get("normalization", "sa"), ("sa", "usa"))
    A = _matrix("A", table["A"], d) if "A" in table else None
    V = _matrix("V", table["V"], d) if "V" in table else None
    return ModelConfig(d=d, beta=beta, normalization=norm, A=A, V=V)


# ---------------------------------------------------------------------------------------
# [init]
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InitConfig:
    """The ``[init]`` section: how the initial tokens are drawn.

    Attributes
    ----------
    kind : "uniform", "vmf", "angles" (S^1: explicit list) or "equispaced" (S^1).
    n : number of tokens.
    seed : random seed ("uniform", "vmf"); None for the deterministic kinds.
    batch : number of independent configurations (B), or None for a single one.
    mu, kappa : mean direction (length d) and concentration >= 0 for "vmf".
    angles : the explicit angles for "angles".
    offset : angle of the first point for "equispaced".
    """

    kind: str
    n: int
    seed: int | None = 0
    batch: int | None = None
    mu: tuple[float, ...] | None = None
    kappa: float | None = None
    angles: tuple[float, ...] | None = None
    offset: float = 0.0

    def points(self, d: int) -> np.ndarray:
        """The initial points, shape (n, d) or (batch, n, d)."""
        from . import sphere

        if self.kind == "uniform":
            return sphere.uniform(self.n, d, self.seed, batch=self.batch)
        if self.kind == "vmf":
            return sphere.von_mises_fisher(self.n, np.array(self.mu), self.kappa, self.seed,
                                           batch=self.batch)
        if self.kind == "angles":
            return sphere.angles_to_points(np.array(self.angles))
        theta = self.offset + 2 * np.pi * np.arange(self.n) / self.n
        return sphere.angles_to_points(theta)


def _parse_init(raw: Any, d: int) -> InitConfig:
    table = _table("[init]", raw)
    kind = _choice("[init].kind", table.get("kind", "uniform"), INIT_KINDS)
    _check_keys("[init]", table, _INIT_KEYS[kind], f' for kind = "{kind}"')
    if kind in ("angles", "equispaced") and d != 2:
        raise _error("[init].kind", kind,
                     f"exists only on the circle S^1 (d = 2), but [model].d = {d}",
                     'use kind = "uniform" or "vmf", or set d = 2')
    n_fix = "pass the number of tokens, e.g. n = 256"
    if kind == "angles":
        if "angles" not in table:
            raise ValueError('config [init]: kind = "angles" needs the key \'angles\'. '
                             "Fix: add angles = [0.0, 1.0, 2.0, ...] (radians).")
        angles = _real_list("[init].angles", table["angles"],
                            "write the angles in radians, e.g. angles = [0.0, 1.5, 3.0]")
        if not angles:
            raise _error("[init].angles", [], "holds no angles", "list at least one angle")
        if "n" in table:
            n = _int("[init].n", table["n"], n_fix, minimum=1)
            if n != len(angles):
                raise _error("[init].n", n, f"differs from the {len(angles)} angles given",
                             "drop n (it is implied by angles) or make them agree")
        return InitConfig(kind=kind, n=len(angles), seed=None, angles=angles)
    if "n" not in table:
        raise ValueError(f"config [init]: missing required key 'n'. Fix: {n_fix}.")
    n = _int("[init].n", table["n"], n_fix, minimum=1)
    if kind == "equispaced":
        offset = _real("[init].offset", table.get("offset", 0.0),
                       "pass the angle of the first point in radians, e.g. offset = 0.0")
        return InitConfig(kind=kind, n=n, seed=None, offset=offset)
    seed = _int("[init].seed", table.get("seed", 0), "pass an integer seed, e.g. seed = 0",
                minimum=0)
    batch = None
    if "batch" in table:
        batch = _int("[init].batch", table["batch"],
                     "pass the number of independent configurations, e.g. batch = 8, "
                     "or remove the key", minimum=1)
    if kind == "uniform":
        return InitConfig(kind=kind, n=n, seed=seed, batch=batch)
    mu_fix = f"give a non-zero mean direction of length d = {d}, e.g. mu = {[0] * (d - 1) + [1]}"
    if "mu" not in table:
        raise ValueError(f'config [init]: kind = "vmf" needs the key \'mu\'. Fix: {mu_fix}.')
    mu = _real_list("[init].mu", table["mu"], mu_fix)
    if len(mu) != d or not any(mu):
        raise _error("[init].mu", table["mu"],
                     f"must be a non-zero list of length d = {d}", mu_fix)
    if "kappa" not in table:
        raise ValueError('config [init]: kind = "vmf" needs the key \'kappa\'. '
                         "Fix: add a concentration >= 0, e.g. kappa = 10.0.")
    kappa = _real("[init].kappa", table["kappa"], "pass a concentration >= 0, e.g. kappa = 10.0",
                  nonneg=True)
    return InitConfig(kind=kind, n=n, seed=seed, batch=batch, mu=mu, kappa=kappa)


# ---------------------------------------------------------------------------------------
# [run]
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunSettings:
    """The ``[run]`` section: integrator, times, what to save.

    Attributes
    ----------
    t1 : final time (> t0).
    dt : step (the initial step for "dopri5"), > 0.
    method : "layer", "euler", "rk4" or "dopri5".
    t0 : initial time (default 0).
    save_every : spacing of saved times, or None.
    save_at : explicit saved times in [t0, t1], or None.
    observables : names computed at the saved times.
    save_states : store the states (False: observables only).
    backend : velocity backend ("auto" picks the fastest exact one).
    rtol, atol : tolerances of "dopri5".
    """

    t1: float
    dt: float
    method: str = "rk4"
    t0: float = 0.0
    save_every: float | None = None
    save_at: tuple[float, ...] | None = None
    observables: tuple[str, ...] = ("energy", "order_parameter")
    save_states: bool = True
    backend: str = "auto"
    rtol: float = 1e-8
    atol: float = 1e-10

    def save_times(self) -> np.ndarray:
        """The saved times: ``save_at``, or t0, t0 + save_every, ..., t1, or 101 even times."""
        if self.save_at is not None:
            return np.array(self.save_at, dtype=np.float64)
        span = self.t1 - self.t0
        if self.save_every is None:
            return np.linspace(self.t0, self.t1, DEFAULT_SAVES)
        k = span / self.save_every
        steps = round(k)
        if abs(k - steps) <= 1e-9 * max(1.0, k):
            return np.linspace(self.t0, self.t1, steps + 1)
        times = self.t0 + self.save_every * np.arange(math.floor(k) + 1)
        return np.append(times, self.t1)


def _parse_run(raw: Any) -> RunSettings:
    table = _table("[run]", raw)
    _check_keys("[run]", table, _RUN_KEYS)
    for key, example in (("t1", "t1 = 10.0"), ("dt", "dt = 0.01")):
        if key not in table:
            raise ValueError(f"config [run]: missing required key {key!r}. "
                             f"Fix: add e.g. {example}.")
    t0 = _real("[run].t0", table.get("t0", 0.0), "pass the initial time, e.g. t0 = 0.0")
    t1 = _real("[run].t1", table["t1"], "pass a final time after t0, e.g. t1 = 10.0")
    if t1 <= t0:
        raise _error("[run].t1", table["t1"], f"must be > t0 = {t0:g}",
                     "pass a final time after the initial time")
    dt = _real("[run].dt", table["dt"], "pass a positive step, e.g. dt = 0.01", positive=True)
    if dt > t1 - t0:
        raise _error("[run].dt", table["dt"],
                     f"is larger than the time span t1 - t0 = {t1 - t0:g}",
                     "pass a step smaller than t1 - t0")
    method = _choice("[run].method", table.get("method", "rk4"), METHODS)
    if "save_every" in table and "save_at" in table:
        raise ValueError("config [run]: both 'save_every' and 'save_at' are given. "
                         "Fix: keep only one of them.")
    save_every = save_at = None
    if "save_every" in table:
        save_every = _real("[run].save_every", table["save_every"],
                           "pass a positive spacing of saved times, e.g. save_every = 0.1",
                           positive=True)
    if "save_at" in table:
        fix = f"list increasing times between t0 = {t0:g} and t1 = {t1:g}"
        save_at = _real_list("[run].save_at", table["save_at"], fix)
        if not save_at:
            raise _error("[run].save_at", [], "holds no times", fix)
        arr = np.array(save_at)
        if arr.min() < t0 or arr.max() > t1:
            raise _error("[run].save_at", table["save_at"], f"has times outside [{t0:g}, {t1:g}]",
                         fix)
        if np.any(np.diff(arr) <= 0):
            raise _error("[run].save_at", table["save_at"], "is not strictly increasing", fix)
    observables: tuple[str, ...] = RunSettings.observables
    if "observables" in table:
        obs = table["observables"]
        if not isinstance(obs, list):
            raise _error("[run].observables", obs, "must be a list of names",
                         f"write e.g. observables = [\"energy\"]; names: {', '.join(OBSERVABLES)}")
        observables = tuple(_choice(f"[run].observables[{i}]", o, OBSERVABLES)
                            for i, o in enumerate(obs))
        if len(set(observables)) != len(observables):
            raise _error("[run].observables", obs, "lists a name twice", "list each name once")
    save_states = table.get("save_states", True)
    if not isinstance(save_states, bool):
        raise _error("[run].save_states", save_states, "must be true or false",
                     "write save_states = true (store states) or false (observables only)")
    if not save_states and not observables:
        raise _error("[run].save_states", save_states, "with no observables nothing is saved",
                     "set save_states = true or list some observables")
    backend = table.get("backend", "auto")
    known = _known_backends()
    if not isinstance(backend, str) or backend not in known:
        listed = ", ".join(f'"{b}"' for b in known)
        raise _error("[run].backend", backend, "is not a known velocity backend",
                     f"use one of {listed}")
    rtol = _real("[run].rtol", table.get("rtol", 1e-8), "pass a positive tolerance, e.g. 1e-8",
                 positive=True)
    atol = _real("[run].atol", table.get("atol", 1e-10), "pass a positive tolerance, e.g. 1e-10",
                 positive=True)
    return RunSettings(t1=t1, dt=dt, method=method, t0=t0, save_every=save_every,
                       save_at=save_at, observables=observables, save_states=save_states,
                       backend=backend, rtol=rtol, atol=atol)


def _known_backends() -> tuple[str, ...]:
    """"auto" and the registered velocity backends."""
    from .backends import backends

    return ("auto", *backends())


# ---------------------------------------------------------------------------------------
# the whole file
# ---------------------------------------------------------------------------------------
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

    model: ModelConfig
    init: InitConfig
    run: RunSettings
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
            "backend": r.backend, "rtol": r.rtol, "atol": r.atol, "seed": self.init.seed,
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
        from . import simulate

        return simulate(self.build_model(), self.initial_points(), store=store, resume=resume,
                        progress=progress, **self.simulate_kwargs())


def parse_config(data: Mapping[str, Any], source: str | None = None) -> RunConfig:
    """Validate a parsed TOML document (a dict) into a :class:`RunConfig`.

    Raises
    ------
    ValueError
        On any unknown key, missing key, wrong type or out-of-range value; the message names
        the section, the key, the value and the fix.
    """
    data = _table("(top level)", data)
    _check_keys("(top level)", data, _TOP_KEYS)
    for section in ("model", "init", "run"):
        if section not in data:
            raise ValueError(f"config (top level): missing section [{section}]. Fix: add a [{section}] "
                             "table (see docs/cli.md for its keys).")
    texts = {}
    for key in ("name", "description"):
        value = data.get(key, "")
        if not isinstance(value, str):
            raise _error(key, value, "must be a string", f'write {key} = "..."')
        texts[key] = value
    model = _parse_model(data["model"])
    init = _parse_init(data["init"], model.d)
    run = _parse_run(data["run"])
    cfg = RunConfig(model=model, init=init, run=run, source=source, **texts)
    cfg.build_model()  # let AttentionModel run its own checks now, not mid-run
    return cfg


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a TOML run file.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not valid TOML or does not validate (the message names the key).
    """
    path = Path(path)
    return parse_config(read_toml(path), source=str(path))


def read_toml(path: str | Path) -> dict[str, Any]:
    """The TOML document at ``path`` as a dict; a syntax error is a ValueError with its position."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config {path}: not valid TOML ({exc}). Fix: correct the syntax "
                         "at the position shown.") from None
