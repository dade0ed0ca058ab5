"""The attention model: dimension, inverse temperature, attention matrices, and the variants.

One attention layer with a residual connection and normalization is one time step of

    dx_i/dt = P_{x_i}( sum_j w_ij V x_j ),   w_ij ∝ exp(beta <A x_i, x_j>),

with the weights divided by N ("usa", unnormalized self-attention) or by their sum ("sa",
softmax self-attention) and P_x = I - x x^T [GLPR, eqs. (SA), (USA)].

Convention for A. attnflow's score is beta <A x_i, x_j>. A layer with queries Q x_i and keys
K x_j scores <Q x_i, K x_j> = <x_i, Q^T K x_j> = <K^T Q x_i, x_j>, so A = K^T Q, the transpose
of the product Q^T K that the papers write. The two coincide when Q^T K is symmetric (the
gradient-flow case); otherwise pass ``A = (Q.T @ K).T``. :func:`random_matrices` does this.

Variants (docs/theory/normalization.md, docs/theory/long-context.md, docs/theory/causal.md):
``layernorm`` (where the normalization sits: post, pre, peri, nGPT, Mix-LN, sqrt-scaling; the
fields are in :mod:`attnflow.schemes`), ``heads`` (H heads, A and V as (H, d, d) stacks, the
attention output is the sum of the heads'), ``mask="causal"`` (token i attends to j <= i),
``beta="log"`` with ``gamma`` (beta_n = gamma log n for n tokens) and ``kappa`` (noise: each token
also carries a Brownian motion of the sphere, dX_i = P_{X_i}(...) dt + sqrt(2/kappa) dB_i;
docs/theory/noise.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Literal

import numpy as np

from .ensembles import ENSEMBLES, random_matrices
from .fields import Field
from .manifolds import Euclidean, Manifold, Sphere
from .validation import choice, fail, finite_float, integer, real_array

__all__ = ["ENSEMBLES", "LAYERNORMS", "MASKS", "AttentionModel", "random_matrices"]

Normalization = Literal["sa", "usa"]
#: where the normalization sits (docs/theory/normalization.md): "post" keeps tokens on the sphere
LAYERNORMS = ("post", "pre", "peri", "ngpt", "mix", "sqrt")
#: the schemes whose tokens stay on the unit sphere (the others live in R^d, x = r theta)
SPHERICAL_LAYERNORMS = ("post", "ngpt")
MASKS = (None, "causal")


def _matrices(name: str, value, d: int) -> np.ndarray | None:
    """None, a (d, d) matrix or an (H, d, d) stack of finite real matrices (read-only float64)."""
    if value is None:
        return None
    arr = real_array(name, value, fix=f"pass a ({d}, {d}) array, an (H, {d}, {d}) stack of heads, or None",
                     finite=False)
    if arr.ndim not in (2, 3) or arr.shape[-2:] != (d, d) or (arr.ndim == 3 and arr.shape[0] == 0):
        raise fail(name, value, f"has shape {arr.shape} but the model has d={d}",
                   f"pass a ({d}, {d}) array, an (H, {d}, {d}) stack with H >= 1, or None for the identity")
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise fail(name, value, f"has a non-finite entry at {bad}",
                   "replace NaN/inf entries with finite values")
    if arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0].copy()                          # one head: the single-head model, bit for bit
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class AttentionModel(Field):
    """A frozen, validated attention model on S^{d-1}; a field on (S^{d-1})^n (or (R^d)^n).

    As a :class:`attnflow.fields.Field`, ``model.rhs(t, x)`` is the model's velocity (the
    backend chosen per call) and ``model.field(x, backend)`` prepares the evaluator once for
    states like ``x`` (what :func:`attnflow.simulate` integrates).

    Parameters
    ----------
    d : int
        Ambient dimension; tokens live on S^{d-1} in R^d (d >= 2).
    beta : float or "log"
        Inverse temperature; any finite value (negative allowed, 0 is uniform attention), or
        "log" for beta_n = gamma log n with n the number of tokens (long-context scaling,
        Chen-Lin-Polyanskiy-Rigollet arXiv 2510.05554; needs ``gamma``).
    A : (d, d) or (H, d, d) array, or None
        The score matrix: token i weighs token j by exp(beta <A x_i, x_j>), so A = K^T Q
        for queries Q x_i and keys K x_j (the transpose of the papers' Q^T K; see the module
        docstring). A stack gives one matrix per head. None means the identity.
    V : (d, d) or (H, d, d) array, or None
        The value matrix (a stack: one per head, the output projection folded in). None: the
        identity. A single matrix (or None) next to a stack is shared by every head.
    normalization : {"sa", "usa"}
        "sa": weights divided by their sum (softmax); "usa": divided by the token count N.
    layernorm : {"post", "pre", "peri", "ngpt", "mix", "sqrt"}
        Where the layer normalization sits (:mod:`attnflow.schemes`); "post" is the model of the
        seed papers, tokens on the sphere.
    mask : None or "causal"
        "causal": token i attends to the tokens j <= i (the first token never moves under SA).
    heads : int or None
        The number of heads; None infers it from the stacks (1 without one). Checked against
        the stacks when given.
    gamma : float or None
        beta_n = gamma log n when ``beta="log"`` (required then, refused otherwise).
    t_switch : float or None
        Mix-LN: post-LN for t < t_switch, pre-LN afterwards (required for "mix" only).
    alpha : float or None
        nGPT's step multiplier (dtheta/dt = alpha P_theta A/|A|); default 1 for "ngpt" only.
    kappa : float or None
        Noise: None for the deterministic flow; a positive kappa adds to each token a Brownian
        motion of S^{d-1} with generator kappa^{-1} Laplacian (noise sqrt(2/kappa) dB_i), the
        mean-field limit being d_t mu = kappa^{-1} Delta mu - div(mu X[mu]) (survey arXiv
        2512.01868, "Noisy Transformers"). Large kappa = weak noise. Post-LN only (the tokens
        must live on the sphere); integrate with a stochastic method of :func:`attnflow.simulate`.

    Examples
    --------
    >>> m = AttentionModel(d=3, beta=1.0, normalization="sa")
    >>> m.identity
    True
    >>> AttentionModel(d=3, beta=1.0, layernorm="pre").layernorm
    'pre'
    """

    d: int
    beta: float | str
    A: np.ndarray | None = None
    V: np.ndarray | None = None
    normalization: Normalization = "sa"
    name: str = dataclass_field(default="", compare=False)
    layernorm: str = "post"
    mask: str | None = None
    heads: int | None = None
    gamma: float | None = None
    t_switch: float | None = None
    alpha: float | None = None
    kappa: float | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        d = integer("d", self.d, 2, fix="pass d=2 for the circle, d=3 for S^2, ...")
        set_(self, "d", d)
        if isinstance(self.beta, str):
            if self.beta != "log":
                raise fail("beta", self.beta, "is neither a number nor \"log\"",
                           'pass a finite inverse temperature, or beta="log" with gamma for beta_n = '
                           "gamma log n")
            if self.gamma is None:
                raise fail("gamma", None, 'is required with beta="log" (beta_n = gamma log n)',
                           "pass gamma=1.0")
            set_(self, "gamma", finite_float("gamma", self.gamma, fix="pass a positive gamma", positive=True))
        else:
            set_(self, "beta", finite_float("beta", self.beta, fix="pass a finite inverse temperature, "
                                            "e.g. beta=1.0"))
            if self.gamma is not None:
                raise fail("gamma", self.gamma, 'is used only with beta="log"',
                           'drop gamma, or pass beta="log"')
        A, V = _matrices("A", self.A, d), _matrices("V", self.V, d)
        set_(self, "A", A)
        set_(self, "V", V)
        stacks = {m.shape[0] for m in (A, V) if m is not None and m.ndim == 3}
        if len(stacks) > 1:
            raise fail("V", V, f"has {V.shape[0]} heads but A has {A.shape[0]}",
                       "give both stacks the same H")
        inferred = stacks.pop() if stacks else 1
        if self.heads is not None:
            h = integer("heads", self.heads, 1, fix="pass the number of heads, or None to infer it from A, V")
            if h != inferred and not (inferred == 1 and h == 1):
                raise fail("heads", h,
                           f"does not match the matrices ({inferred} head(s) from the shapes of A, V)",
                           "pass (H, d, d) stacks for A and/or V, or heads=None")
        set_(self, "heads", inferred)
        choice("normalization", self.normalization, ("sa", "usa"),
               fix='use "sa" (softmax) or "usa" (unnormalized, divided by N)')
        choice("layernorm", self.layernorm, LAYERNORMS, fix=f"use one of {', '.join(LAYERNORMS)}")
        if self.mask not in MASKS:
            raise fail("mask", self.mask, "is not a known mask", 'use None (full attention) or "causal"')
        if self.layernorm == "mix":
            if self.t_switch is None:
                raise fail("t_switch", None,
                           'is required for layernorm="mix" (post-LN before it, pre-LN after)',
                           "pass e.g. t_switch=2.5")
            set_(self, "t_switch", finite_float("t_switch", self.t_switch, fix="pass a time >= 0"))
            if self.t_switch < 0:
                raise fail("t_switch", self.t_switch, "must be >= 0", "pass a time >= 0")
        elif self.t_switch is not None:
            raise fail("t_switch", self.t_switch, 'is used only by layernorm="mix"', "drop it")
        if self.layernorm == "ngpt":
            alpha = 1.0 if self.alpha is None else self.alpha
            set_(self, "alpha", finite_float("alpha", alpha, fix="pass a positive alpha, e.g. 1.0",
                                             positive=True))
        elif self.alpha is not None:
            raise fail("alpha", self.alpha, 'is used only by layernorm="ngpt"', "drop it")
        if self.kappa is not None:
            set_(self, "kappa", finite_float("kappa", self.kappa, fix="pass a positive noise parameter "
                                             "(noise sqrt(2/kappa) dB), e.g. kappa=2.0, or None for no noise",
                                             positive=True))
            if self.layernorm != "post":
                raise fail("kappa", self.kappa, f'adds Brownian motion on the sphere, but layernorm='
                           f'"{self.layernorm}" does not keep the tokens on it (only "post" takes noise)',
                           'use layernorm="post", or drop kappa')

    @property
    def noisy(self) -> bool:
        """True when the model has noise (``kappa`` is not None)."""
        return self.kappa is not None
    # -- views of the variants -----------------------------------------------------------
    @property
    def standard(self) -> bool:
        """True for the model of the seed papers: post-LN, one head, no mask, a numeric beta."""
        return (self.layernorm == "post" and self.heads == 1 and self.mask is None
                and not isinstance(self.beta, str))

    @property
    def spherical(self) -> bool:
        """True when the tokens stay on the unit sphere (post-LN, nGPT)."""
        return self.layernorm in SPHERICAL_LAYERNORMS

    def for_tokens(self, n: int) -> AttentionModel:
        """The model with a numeric beta for n tokens (beta_n = gamma log n when beta="log")."""
        if not isinstance(self.beta, str):
            return self
        n = integer("n", n, 1, fix="pass the number of tokens")
        return self.replace(beta=self.gamma * math.log(n), gamma=None)

    def head(self, h: int) -> AttentionModel:
        """Head ``h`` as a one-head model (same beta, normalization and mask; post-LN)."""
        h = integer("h", h, 0, maximum=self.heads - 1, fix=f"pass a head index in 0..{self.heads - 1}")

        def pick(m):
            return m if m is None or m.ndim == 2 else m[h]

        return AttentionModel(d=self.d, beta=self.beta, A=pick(self.A), V=pick(self.V),
                              normalization=self.normalization, mask=self.mask, gamma=self.gamma,
                              kappa=self.kappa)

    # -- as a field ----------------------------------------------------------------------
    @property
    def manifold(self) -> Manifold:  # type: ignore[override]
        """S^{d-1} for each token (post-LN, nGPT), else R^d (tokens x = r theta)."""
        return Sphere(self.d) if self.spherical else Euclidean()

    def output(self, t: float, x: np.ndarray) -> np.ndarray:
        """The scheme's ambient increment (post-LN: the attention output y(x)), any backend."""
        return self.field(x).output(t, x)

    def rhs(self, t: float, x: np.ndarray) -> np.ndarray:
        """The velocity of the model at ``x`` ((n, d) or (B, n, d); post-LN: P_x y(x))."""
        return self.field(x).rhs(t, x)

    def field(self, x: np.ndarray, backend: str = "auto", options: dict | None = None):
        """The model's flow with its evaluator prepared once for states shaped like ``x``
        (:func:`attnflow.backends.prepare`; ``options`` go to the backend, e.g. ``{"block": 256}``).

        Returns an :class:`attnflow.fields.AttentionField` (post-LN) or an
        :class:`attnflow.schemes.SchemeField` (``.backend`` names the evaluator); with noise, a
        :class:`attnflow.fields.NoisyField` around it with diffusivity 1/kappa (the drift's
        ``rhs`` is the deterministic velocity).
        """
        from .backends import prepare
        from .fields import AttentionField, NoisyField
        from .schemes import SchemeField

        model = self.for_tokens(int(np.shape(x)[-2]))
        probe = _directions(np.asarray(x))                # an example: shape and dtype decide "auto"
        evaluator = prepare(model, probe, backend, options)
        if model.layernorm != "post":
            return SchemeField(model, evaluator)
        drift = AttentionField(model, evaluator)
        return drift if model.kappa is None else NoisyField(drift, 1.0 / model.kappa)

    @property
    def gradient_flow(self) -> bool:
        """True when the flow increases the interaction energy E of the directions at every time:
        one head, no mask, and A = V = I or V = A symmetric (SA or USA) [GLPR]; every layernorm
        scheme only rescales each token's speed by a positive factor, so it keeps the property
        (docs/theory/mean-field.md, docs/theory/normalization.md). A noisy model is not: the noise
        moves the energy both ways."""
        if self.heads != 1 or self.mask is not None or self.kappa is not None:
            return False
        if self.V is None and self.A is None:
            return True
        A, V = self.A_matrix, self.V_matrix
        return bool(np.array_equal(A, V) and np.array_equal(A, A.T))

    def output_bound(self) -> float:
        """An upper bound of |y_i| over all configurations: sum over heads of ||V_h|| e^{|beta|
        ||A_h||} (USA) or ||V_h|| (SA), spectral norms; the scale that limits a stable step."""
        if isinstance(self.beta, str):
            raise fail("beta", self.beta, "depends on the number of tokens", "call model.for_tokens(n) first")
        total = 0.0
        for h in range(self.heads):
            m = self.head(h)
            v = 1.0 if m.V is None else float(np.linalg.norm(m.V, 2))
            a = 1.0 if m.A is None else float(np.linalg.norm(m.A, 2))
            expo = abs(self.beta) * a if self.normalization == "usa" else 0.0
            total += v * math.exp(expo) if expo < 709 else math.inf
        return total

    # -- derived views -------------------------------------------------------------------
    @property
    def A_matrix(self) -> np.ndarray:
        """A as an explicit (d, d) array (the identity when ``A`` is None); one head only."""
        self._one_head("A_matrix")
        return np.eye(self.d) if self.A is None else self.A

    @property
    def V_matrix(self) -> np.ndarray:
        """V as an explicit (d, d) array (the identity when ``V`` is None); one head only."""
        self._one_head("V_matrix")
        return np.eye(self.d) if self.V is None else self.V

    def _one_head(self, what: str) -> None:
        if self.heads != 1:
            raise fail("model", self, f"has {self.heads} heads, so {what} is not one matrix",
                       "use model.head(h) for head h")

    @property
    def identity(self) -> bool:
        """True when A = V = I (the zonal case of the papers, with fast exact evaluators)."""
        return self.A is None and self.V is None

    def _fields(self) -> dict:
        return {"d": self.d, "beta": self.beta, "A": self.A, "V": self.V,
                "normalization": self.normalization, "name": self.name, "layernorm": self.layernorm,
                "mask": self.mask, "heads": None if self.heads == 1 else self.heads, "gamma": self.gamma,
                "t_switch": self.t_switch, "alpha": self.alpha if self.layernorm == "ngpt" else None,
                "kappa": self.kappa}

    def replace(self, **changes) -> AttentionModel:
        """Return a copy with some fields changed (validated again)."""
        fields = self._fields()
        unknown = set(changes) - set(fields)
        if unknown:
            raise fail("changes", sorted(unknown), "are not fields of AttentionModel",
                       f"use some of {sorted(fields)}")
        fields.update(changes)
        return AttentionModel(**fields)

    def to_dict(self) -> dict:
        """Plain-Python description (matrices as nested lists or None), for configs and stores."""
        out = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in self._fields().items()}
        out["heads"] = self.heads
        return out

    def _key(self) -> tuple:
        return (self.d, self.beta, self.normalization, self.layernorm, self.mask, self.heads, self.gamma,
                self.t_switch, self.alpha if self.layernorm == "ngpt" else None, self.kappa)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AttentionModel):
            return NotImplemented
        return self._key() == other._key() and _same(self.A, other.A) and _same(self.V, other.V)

    def __hash__(self) -> int:
        return hash((*self._key(), None if self.A is None else self.A.tobytes(),
                     None if self.V is None else self.V.tobytes()))

    def __repr__(self) -> str:
        def mat(m):
            return "I" if m is None else ("array" if m.ndim == 2 else f"stack({m.shape[0]})")

        beta = f"{self.beta:g}" if not isinstance(self.beta, str) else f"'log', gamma={self.gamma:g}"
        extra = "".join(f", {k}={v!r}" for k, v in (("layernorm", self.layernorm), ("mask", self.mask),
                                                       ("heads", self.heads), ("t_switch", self.t_switch),
                                                       ("kappa", self.kappa))
                        if v is not None and (k, v) not in (("layernorm", "post"), ("heads", 1)))
        if self.layernorm == "ngpt" and self.alpha != 1.0:
            extra += f", alpha={self.alpha:g}"
        return (f"AttentionModel(d={self.d}, beta={beta}, A={mat(self.A)}, V={mat(self.V)}, "
                f"normalization={self.normalization!r}{extra})")

    # -- presets -------------------------------------------------------------------------
    @classmethod
    def random(cls, d: int, beta: float, ensemble: str = "ginibre", *, seed: int | None = None,
               normalization: Normalization = "sa") -> AttentionModel:
        """A model with random attention matrices from one of the peers' ensembles.

        See :func:`random_matrices` for the ensembles.
        """
        A, V = random_matrices(d, ensemble, seed=seed)
        return cls(d=d, beta=beta, A=A, V=V, normalization=normalization,
                   name=f"{ensemble}(seed={seed})")


def _directions(x: np.ndarray) -> np.ndarray:
    """x / |x| on the last axis (tokens of the off-sphere schemes; zero rows stay zero)."""
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return bool(np.array_equal(a, b))
