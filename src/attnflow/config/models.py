"""The run file as pydantic models: one class per TOML table, every key typed and described.

:class:`RunFile` is a whole run file; :class:`ModelSection`, the ``[init]`` kinds (a union
discriminated by ``kind``: :class:`UniformInit`, :class:`VmfInit`, :class:`AnglesInit`,
:class:`EquispacedInit`) and :class:`RunSection` are its tables. Every table forbids unknown
keys (a typo is an error naming the closest valid key) and is frozen; every key states its
type, default, allowed values and meaning, which ``python -m attnflow.config.docs`` prints as
the tables of docs/cli.md. Integers are accepted where a real number is expected, never
booleans or strings. Errors become the project's dialect in :mod:`attnflow.config.errors`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Union

import numpy as np
from pydantic import (
    AllowInfNan,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    Tag,
    field_validator,
    model_validator,
)

from ..ensembles import ENSEMBLES, random_matrices
from ..integrate import METHODS as _METHOD_ORDERS
from ..model import LAYERNORMS, AttentionModel
from ..observables import OBSERVABLES as _OBSERVABLE_REGISTRY
from .errors import choice_fix, problem, unknown_key

__all__ = [
    "DEFAULT_SAVES", "INIT_KINDS", "METHODS", "OBSERVABLES", "AnglesInit", "EnsembleSpec", "EquispacedInit",
    "InitBase", "InitSection", "ModelSection", "RunFile", "RunSection", "Section", "UniformInit", "VmfInit",
    "known_backends",
]

#: integrators accepted in ``[run].method``: the solver registry (attnflow.solve.SOLVERS)
METHODS: tuple[str, ...] = tuple(_METHOD_ORDERS)
#: observables accepted in ``[run].observables`` (the names of attnflow.observables.OBSERVABLES)
OBSERVABLES: tuple[str, ...] = tuple(_OBSERVABLE_REGISTRY)
#: initial distributions accepted in ``[init].kind``
INIT_KINDS = ("uniform", "vmf", "angles", "equispaced")
#: number of saved times when neither ``save_every`` nor ``save_at`` is given
DEFAULT_SAVES = 101

#: an integer (not a bool, not a float such as 1e11)
Int = Annotated[int, Strict()]
#: a finite real number; an integer is accepted (beta = 5), a bool or a string is not
Real = Annotated[float, Strict(), AllowInfNan(False)]
Flag = Annotated[bool, Strict()]
Text = Annotated[str, Strict()]


class Section(BaseModel):
    """A TOML table: unknown keys are errors naming the closest valid key; frozen once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    #: added to unknown-key errors, e.g. ' for kind = "vmf"'
    CONTEXT: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for key in data:
                if key not in cls.model_fields:
                    raise unknown_key(key, tuple(cls.model_fields), cls.CONTEXT)
        return data

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__}.{name}: a validated section is frozen. "
                             "Fix: build a new one with .model_copy(update={...}).")


# ---------------------------------------------------------------------------------------
# [model]
# ---------------------------------------------------------------------------------------
_MATRIX_FIX = ('write "identity", a d x d nested list of rows such as [[1, 0], [0, 2]] for d = 2, '
               'or a table { ensemble = "ginibre", seed = 0 }')


class EnsembleSpec(Section):
    """A random attention matrix: its part of ``random_matrices(d, ensemble, seed=seed)``."""

    CONTEXT: ClassVar[str] = " (a random-matrix table)"
    ensemble: Literal[ENSEMBLES] = Field(description="the ensemble of attnflow.random_matrices",
                                         examples=["ginibre"])
    seed: Int = Field(0, ge=0, description="seed of the draw", examples=[0])

    def draw(self, d: int) -> tuple[np.ndarray, np.ndarray]:
        """The (A, V) pair of this ensemble and seed in dimension ``d``."""
        return random_matrices(d, self.ensemble, seed=self.seed)


def _matrix_name(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("identity", "i", "eye"):
        return "identity"
    raise problem("is not a known matrix name", _MATRIX_FIX)


def _matrix_form(value: Any) -> str | None:
    if isinstance(value, str):
        return "@name"
    if isinstance(value, (Mapping, EnsembleSpec)):
        return "@table"
    if isinstance(value, (list, tuple)):
        return "@rows"
    return None


#: a matrix entry of ``[model]``: "identity", explicit rows, or an ensemble table
MatrixSpec = Annotated[Union[  # noqa: UP007 - tagged members need the Union form
    Annotated[Annotated[Literal["identity"], BeforeValidator(_matrix_name)], Tag("@name")],
    Annotated[tuple[tuple[Real, ...], ...], Tag("@rows")],
    Annotated[EnsembleSpec, Tag("@table")],
], Discriminator(_matrix_form, custom_error_type="attnflow_problem", custom_error_message="is not a matrix")]


class ModelSection(Section):
    """The ``[model]`` table: the attention model dx_i/dt = P_{x_i}(sum_j w_ij V x_j),
    w_ij proportional to e^{beta <A x_i, x_j>}.

    ``A`` and ``V`` resolve as documented in :meth:`matrices`.
    """

    d: Int = Field(ge=2, description="ambient dimension; tokens live on S^{d-1} (2: the circle, 3: S^2)",
                   examples=[2],
                   json_schema_extra={"fix": "write d = 2 for the circle S^1, d = 3 for the sphere S^2"})
    beta: Real | Literal["log"] = Field(
        description='inverse temperature (0 = uniform attention; negative allowed), or "log" for beta_n = '
                    "gamma log n (long context)", examples=[1.0],
        json_schema_extra={"fix": 'pass a finite inverse temperature, e.g. beta = 1.0, or beta = "log" '
                                  "with gamma"})
    gamma: Real | None = Field(None, gt=0, description='beta_n = gamma log n, with beta = "log" only',
                               examples=[1.0])
    layernorm: Literal[LAYERNORMS] = Field(
        "post", description='where the layer normalization sits: "post" (tokens on the sphere), "pre", '
        '"peri", "ngpt", "mix" (needs t_switch), "sqrt" (docs/theory/normalization.md)')
    mask: Literal["causal"] | None = Field(None, description='"causal": token i attends to j <= i')
    t_switch: Real | None = Field(None, ge=0, description='Mix-LN: post-LN before this time, pre-LN after',
                                  examples=[2.5])
    alpha: Real | None = Field(None, gt=0, description='nGPT step multiplier (default 1)', examples=[1.0])
    kappa: Real | None = Field(None, gt=0, description="noise: each token also moves by sqrt(2/kappa) dB, "
                               "B a Brownian motion of the sphere (large kappa = weak noise; omitted: none); "
                               'needs a stochastic [run].method and [run].seed', examples=[2.0])
    normalization: Literal["sa", "usa"] = Field(
        "sa", description='"sa": softmax, weights divided by their sum; "usa": divided by the token count N')
    A: MatrixSpec | None = Field(None, description='score matrix (weights e^{beta <A x_i, x_j>}); '
                                 '"identity", d x d rows, or { ensemble, seed }; omitted: see below',
                                 json_schema_extra={"fix": _MATRIX_FIX, "default_text": "identity"})
    V: MatrixSpec | None = Field(None, description="value matrix; same forms as A",
                                 json_schema_extra={"fix": _MATRIX_FIX, "default_text": "identity"})

    @model_validator(mode="after")
    def _square(self) -> ModelSection:
        for name in ("A", "V"):
            rows = getattr(self, name)
            if isinstance(rows, tuple) and (len(rows) != self.d or any(len(r) != self.d for r in rows)):
                raise problem(f"must be a {self.d} x {self.d} nested list (d = {self.d}); got {len(rows)} "
                              f"rows of lengths {[len(r) for r in rows]}", key=name,
                              value=[list(r) for r in rows])
        return self

    def matrices(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """A and V as arrays (None = identity).

        An explicit value ("identity" or rows) always wins. A table ``{ensemble, seed}`` takes
        its own part of ``random_matrices(d, ensemble, seed=seed)``, and an *omitted* partner
        takes the other part of the same draw (``A = {ensemble = "qk"}`` alone gives V = A^T).
        Both tables: A from A's draw, V from V's. Omitted with no table anywhere: identity.
        """
        draws: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, spec in (("A", self.A), ("V", self.V)):
            if isinstance(spec, EnsembleSpec):
                draws[name] = spec.draw(self.d)
        if self.A is None and "V" in draws:
            draws["A"] = draws["V"]
        if self.V is None and "A" in draws:
            draws["V"] = draws["A"]
        A = draws["A"][0] if "A" in draws else _explicit(self.A)
        V = draws["V"][1] if "V" in draws else _explicit(self.V)
        return A, V

    def build(self) -> AttentionModel:
        """The validated :class:`~attnflow.AttentionModel`."""
        A, V = self.matrices()
        return AttentionModel(d=self.d, beta=self.beta, A=A, V=V, normalization=self.normalization,
                              layernorm=self.layernorm, mask=self.mask, gamma=self.gamma,
                              t_switch=self.t_switch, alpha=self.alpha, kappa=self.kappa)


def _explicit(spec: Any) -> np.ndarray | None:
    return np.array(spec, dtype=np.float64) if isinstance(spec, tuple) else None


# ---------------------------------------------------------------------------------------
# [init]
# ---------------------------------------------------------------------------------------
_KIND_EXTRA = {"choices": INIT_KINDS}
_N = dict(description="number of tokens", examples=[256])


class InitBase(Section):
    """An ``[init]`` kind: how the initial tokens are drawn (every kind has ``kind``, ``n``,
    ``seed`` and ``batch``; the deterministic kinds have ``seed = batch = None``)."""

    def points(self, d: int) -> np.ndarray:
        """The initial points, shape (n, d) or (batch, n, d)."""
        raise NotImplementedError


class _RandomInit(InitBase):
    kind: str
    n: Int = Field(ge=1, **_N)
    seed: Int = Field(0, ge=0, description="random seed (recorded in the store's metadata)", examples=[0])
    batch: Int | None = Field(None, ge=1, description="B independent configurations at once: states "
                              "(B, n, d)", examples=[8])


class UniformInit(_RandomInit):
    """``kind = "uniform"``: n iid uniform points on S^{d-1}."""

    CONTEXT: ClassVar[str] = ' for kind = "uniform"'
    kind: Literal["uniform"] = Field("uniform", description="the distribution",
                                     json_schema_extra=_KIND_EXTRA)

    def points(self, d: int) -> np.ndarray:
        from ..sphere import uniform

        return uniform(self.n, d, self.seed, batch=self.batch)


class VmfInit(_RandomInit):
    """``kind = "vmf"``: the von Mises-Fisher law proportional to e^{kappa <mu, x>}."""

    CONTEXT: ClassVar[str] = ' for kind = "vmf"'
    kind: Literal["vmf"] = Field(description="the distribution", json_schema_extra=_KIND_EXTRA)
    mu: tuple[Real, ...] = Field(description="mean direction, d numbers (normalized; non-zero)",
                                 examples=[[0.0, 0.0, 1.0]])
    kappa: Real = Field(ge=0, description="concentration (0 = uniform)", examples=[10.0])

    @field_validator("mu")
    @classmethod
    def _nonzero(cls, mu: tuple[float, ...]) -> tuple[float, ...]:
        if not any(mu):
            raise problem("must be a non-zero direction", "give a non-zero mean direction of length d")
        return mu

    def points(self, d: int) -> np.ndarray:
        from ..sphere import von_mises_fisher

        return von_mises_fisher(self.n, np.array(self.mu), self.kappa, self.seed, batch=self.batch)


class AnglesInit(InitBase):
    """``kind = "angles"`` (S^1 only): the points (cos theta, sin theta) of the listed angles."""

    CONTEXT: ClassVar[str] = ' for kind = "angles"'
    seed: ClassVar[None] = None
    batch: ClassVar[None] = None
    kind: Literal["angles"] = Field(description="the distribution", json_schema_extra=_KIND_EXTRA)
    angles: tuple[Real, ...] = Field(min_length=1, description="angles in radians",
                                     examples=[[0.0, 1.5, 3.0]])
    n: Int = Field(ge=1, description="number of tokens; implied by angles (if given, it must equal their "
                   "count)", json_schema_extra={"default_text": "len(angles)"})

    @model_validator(mode="before")
    @classmethod
    def _n_from_angles(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "n" not in data and isinstance(data.get("angles"), (list, tuple)):
            return {**data, "n": len(data["angles"])}
        return data

    @model_validator(mode="after")
    def _n_matches(self) -> AnglesInit:
        if self.n != len(self.angles):
            raise problem(f"differs from the {len(self.angles)} angles given",
                          "drop n (it is implied by angles) or make them agree", key="n", value=self.n)
        return self

    def points(self, d: int) -> np.ndarray:
        from ..sphere import angles_to_points

        return angles_to_points(np.array(self.angles))


class EquispacedInit(InitBase):
    """``kind = "equispaced"`` (S^1 only): n equally spaced points from the angle ``offset``."""

    CONTEXT: ClassVar[str] = ' for kind = "equispaced"'
    seed: ClassVar[None] = None
    batch: ClassVar[None] = None
    kind: Literal["equispaced"] = Field(description="the distribution", json_schema_extra=_KIND_EXTRA)
    n: Int = Field(ge=1, **_N)
    offset: Real = Field(0.0, description="angle of the first point, in radians", examples=[0.0])

    def points(self, d: int) -> np.ndarray:
        from ..sphere import angles_to_points

        return angles_to_points(self.offset + 2 * np.pi * np.arange(self.n) / self.n)


def _init_kind(value: Any) -> str:
    # an unknown kind is validated as "uniform", whose `kind` key then names the valid kinds
    kind = value.get("kind", "uniform") if isinstance(value, Mapping) else getattr(value, "kind", None)
    return f"@{kind}" if kind in INIT_KINDS else "@uniform"


#: the ``[init]`` table: one model per ``kind`` (default "uniform")
InitSection = Annotated[Union[  # noqa: UP007 - tagged members need the Union form
    Annotated[UniformInit, Tag("@uniform")], Annotated[VmfInit, Tag("@vmf")],
    Annotated[AnglesInit, Tag("@angles")], Annotated[EquispacedInit, Tag("@equispaced")],
], Discriminator(_init_kind)]


# ---------------------------------------------------------------------------------------
# [run]
# ---------------------------------------------------------------------------------------
def known_backends() -> tuple[str, ...]:
    """"auto" and the velocity backends registered now (a backend may be registered at run time)."""
    from ..backends import backends

    return ("auto", *backends())


class RunSection(Section):
    """The ``[run]`` table: integrator, times, what to save."""

    t0: Real = Field(0.0, description="initial time", examples=[0.0])
    t1: Real = Field(description="final time, > t0", examples=[10.0])
    dt: Real = Field(gt=0, description='the step (fixed-step methods) or the initial step (adaptive '
                     '"bosh3", "dopri5"); <= t1 - t0', examples=[0.01])
    method: Literal[METHODS] = Field(
        "rk4", description='"layer": one post-LN transformer layer per step, x <- (x + dt y)/|x + dt y|; '
        'explicit Runge-Kutta schemes "euler", "midpoint", "heun2", "ssprk3", "rk4", "rk38" (fixed '
        'steps); "bosh3", "dopri5": adaptive, with rtol and atol; with noise ([model].kappa) the '
        'stochastic "euler_maruyama" (weak order 1) or "strang" (weak order 2)')
    seed: Int | None = Field(None, ge=0, le=2**64 - 1, description="noise seed: required when [model].kappa "
                             "is set (the Brownian increments are a function of it, the batch member and the "
                             "step), refused otherwise", examples=[0])
    save_every: Real | None = Field(None, gt=0, description="save at t0, t0 + save_every, ..., and always "
                                    "at t1", examples=[0.1])
    save_at: tuple[Real, ...] | None = Field(None, min_length=1, description="save exactly at these strictly "
                                             "increasing times in [t0, t1]", examples=[[0.0, 0.5, 1.0]])
    observables: tuple[Literal[OBSERVABLES], ...] = Field(
        ("energy", "order_parameter"), description="statistics computed at every saved time",
        examples=[["energy", "order_parameter"]], json_schema_extra={"choices": OBSERVABLES})
    save_states: Flag = Field(True, description="store the states x; false stores only the observables",
                              examples=[True])
    backend: Text = Field("auto", description='velocity evaluator: "auto" picks the fastest exact one, or a '
                          'registered backend', json_schema_extra={"choices_from": "velocity backends"})
    rtol: Real = Field(1e-8, gt=0, description="relative tolerance of the adaptive methods", examples=[1e-8])
    atol: Real = Field(1e-10, gt=0, description="absolute tolerance of the adaptive methods",
                       examples=[1e-10])

    @field_validator("backend")
    @classmethod
    def _registered(cls, backend: str) -> str:
        known = known_backends()
        if backend not in known:
            raise problem("is not a known velocity backend", choice_fix(backend, known))
        return backend

    @model_validator(mode="after")
    def _times(self) -> RunSection:
        if self.t1 <= self.t0:
            raise problem(f"must be > t0 = {self.t0:g}", "pass a final time after the initial time",
                          key="t1", value=self.t1)
        if self.dt > self.t1 - self.t0:
            raise problem(f"is larger than the time span t1 - t0 = {self.t1 - self.t0:g}",
                          "pass a step smaller than t1 - t0", key="dt", value=self.dt)
        if self.save_every is not None and self.save_at is not None:
            raise problem("is given together with save_every", "keep only one of save_every and save_at",
                          key="save_at", value=list(self.save_at))
        if self.save_at is not None:
            fix = f"list increasing times between t0 = {self.t0:g} and t1 = {self.t1:g}"
            if min(self.save_at) < self.t0 or max(self.save_at) > self.t1:
                raise problem(f"has times outside [{self.t0:g}, {self.t1:g}]", fix, key="save_at",
                              value=list(self.save_at))
            if any(b <= a for a, b in zip(self.save_at, self.save_at[1:], strict=False)):
                raise problem("is not strictly increasing", fix, key="save_at", value=list(self.save_at))
        if len(set(self.observables)) != len(self.observables):
            raise problem("lists a name twice", "list each name once", key="observables",
                          value=list(self.observables))
        if not self.save_states and not self.observables:
            raise problem("with no observables nothing is saved",
                          "set save_states = true or list some observables", key="save_states", value=False)
        return self

    def n_saves(self) -> int:
        """How many times are saved (counted, not allocated: a tiny save_every is refused by size)."""
        if self.save_at is not None:
            return len(self.save_at)
        if self.save_every is None:
            return DEFAULT_SAVES
        k = (self.t1 - self.t0) / self.save_every
        return round(k) + 1 if abs(k - round(k)) <= 1e-9 * max(1.0, k) else math.floor(k) + 2

    def save_times(self) -> np.ndarray:
        """The saved times: ``save_at``, or t0, t0 + save_every, ..., t1, or 101 even times."""
        if self.save_at is not None:
            return np.array(self.save_at, dtype=np.float64)
        if self.save_every is None:
            return np.linspace(self.t0, self.t1, DEFAULT_SAVES)
        k = (self.t1 - self.t0) / self.save_every
        if abs(k - round(k)) <= 1e-9 * max(1.0, k):
            return np.linspace(self.t0, self.t1, round(k) + 1)
        return np.append(self.t0 + self.save_every * np.arange(math.floor(k) + 1), self.t1)


# ---------------------------------------------------------------------------------------
# the file
# ---------------------------------------------------------------------------------------
class RunFile(Section):
    """A whole run file: optional ``name`` and ``description``, and the three tables."""

    name: Text = Field("", description="a label for the run (shown in the summary, attached to the model)",
                       examples=["circle"])
    description: Text = Field("", description="free text", examples=["a first run"])
    model: ModelSection
    init: InitSection
    run: RunSection

    @model_validator(mode="after")
    def _init_fits_model(self) -> RunFile:
        d, init = self.model.d, self.init
        if isinstance(init, (AnglesInit, EquispacedInit)) and d != 2:
            raise problem(f"exists only on the circle S^1 (d = 2), but [model].d = {d}",
                          'use kind = "uniform" or "vmf", or set d = 2', key=("init", "kind"),
                          value=init.kind)
        if isinstance(init, VmfInit) and len(init.mu) != d:
            raise problem(f"must be a non-zero list of length d = {d}",
                          f"give a mean direction of length d = {d}, e.g. mu = {[0] * (d - 1) + [1]}",
                          key=("init", "mu"), value=list(init.mu))
        if self.model.kappa is not None and self.run.seed is None:
            raise problem(f"is required with noise ([model].kappa = {self.model.kappa:g}): it seeds the "
                          "Brownian increments", "add seed = 0 (any integer) to [run]", key=("run", "seed"),
                          value=None)
        if self.model.kappa is None and self.run.seed is not None:
            raise problem("seeds nothing: the model has no noise ([model].kappa is not set; [init].seed "
                          "seeds the initial tokens)", "drop it, or set [model].kappa",
                          key=("run", "seed"), value=self.run.seed)
        return self
