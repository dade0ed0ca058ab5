"""The attention model: dimension, inverse temperature, attention matrices, normalization.

One attention layer with a residual connection and normalization is one time step of

    dx_i/dt = P_{x_i}( sum_j w_ij V x_j ),   w_ij ∝ exp(beta <A x_i, x_j>),

with the weights divided by N ("usa", unnormalized self-attention) or by their sum ("sa",
softmax self-attention) and P_x = I - x x^T [GLPR, eqs. (SA), (USA)].

Convention for A. attnflow's score is beta <A x_i, x_j>. A layer with queries Q x_i and keys
K x_j scores <Q x_i, K x_j> = <x_i, Q^T K x_j> = <K^T Q x_i, x_j>, so A = K^T Q, the transpose
of the product Q^T K that the papers write. The two coincide when Q^T K is symmetric (the
gradient-flow case); otherwise pass ``A = (Q.T @ K).T``. :func:`random_matrices` does this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Literal

import numpy as np

from .fields import Field
from .manifolds import Sphere
from .validation import fail, finite_float, square_matrix

__all__ = ["ENSEMBLES", "AttentionModel", "random_matrices"]

Normalization = Literal["sa", "usa"]
ENSEMBLES = ("ginibre", "goe", "wigner", "qk")


@dataclass(frozen=True, eq=False)
class AttentionModel(Field):
    """A frozen, validated attention model on S^{d-1}; a field on (S^{d-1})^n.

    As a :class:`attnflow.fields.Field`, ``model.rhs(t, x)`` is the velocity P_x y(x) (the
    backend chosen per call) and ``model.field(x, backend)`` prepares the evaluator once for
    states like ``x`` (what :func:`attnflow.simulate` integrates).

    Parameters
    ----------
    d : int
        Ambient dimension; tokens live on S^{d-1} in R^d (d >= 2).
    beta : float
        Inverse temperature; any finite value (negative allowed, 0 is uniform attention).
    A : (d, d) array or None
        The score matrix: token i weighs token j by exp(beta <A x_i, x_j>), so A = K^T Q
        for queries Q x_i and keys K x_j (the transpose of the papers' Q^T K; see the module
        docstring). None means the identity.
    V : (d, d) array or None
        The value matrix. None means the identity.
    normalization : {"sa", "usa"}
        "sa": weights divided by their sum (softmax); "usa": divided by the token count N.

    Examples
    --------
    >>> m = AttentionModel(d=3, beta=1.0, normalization="sa")
    >>> m.identity
    True
    """

    d: int
    beta: float
    A: np.ndarray | None = None
    V: np.ndarray | None = None
    normalization: Normalization = "sa"
    name: str = dataclass_field(default="", compare=False)

    def __post_init__(self) -> None:
        d = self.d
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 2:
            raise fail("d", d, "must be an integer >= 2", "pass d=2 for the circle, d=3 for S^2, ...")
        object.__setattr__(self, "d", int(d))
        beta = finite_float("beta", self.beta, fix="pass a finite inverse temperature, e.g. beta=1.0")
        object.__setattr__(self, "beta", beta)
        A = square_matrix("A", self.A, self.d)
        V = square_matrix("V", self.V, self.d)
        object.__setattr__(self, "A", A)
        object.__setattr__(self, "V", V)
        if self.normalization not in ("sa", "usa"):
            raise fail("normalization", self.normalization, "is not a known normalization",
                       'use "sa" (softmax) or "usa" (unnormalized, divided by N)')

    # -- as a field ----------------------------------------------------------------------
    @property
    def manifold(self) -> Sphere:  # type: ignore[override]
        """The sphere S^{d-1} of each token."""
        return Sphere(self.d)

    def output(self, t: float, x: np.ndarray) -> np.ndarray:
        """The attention output y(x) (the layer scheme's increment), any applicable backend."""
        from .backends import resolve_backend

        return resolve_backend(self, x, "auto").output(self, x)

    def rhs(self, t: float, x: np.ndarray) -> np.ndarray:
        """The velocity P_x y(x) of the flow at ``x`` ((n, d) or (B, n, d))."""
        return self.manifold.project(x, self.output(t, x))

    def field(self, x: np.ndarray, backend: str = "auto", options: dict | None = None):
        """The flow with its evaluator prepared once for states shaped like ``x``
        (:func:`attnflow.backends.prepare`; ``options`` go to the backend, e.g. ``{"block": 256}``).

        Returns an :class:`attnflow.fields.AttentionField` (``.backend`` names the evaluator).
        """
        from .backends import prepare
        from .fields import AttentionField

        return AttentionField(self, prepare(self, x, backend, options))

    @property
    def gradient_flow(self) -> bool:
        """True when the flow increases the interaction energy E at every time: A = V = I, or
        V = A symmetric (SA or USA) [GLPR]; see docs/theory/mean-field.md."""
        if self.V is None and self.A is None:
            return True
        A, V = self.A_matrix, self.V_matrix
        return bool(np.array_equal(A, V) and np.array_equal(A, A.T))

    def output_bound(self) -> float:
        """An upper bound of |y_i| over all configurations: ||V|| e^{|beta| ||A||} (USA) or
        ||V|| (SA), spectral norms; the scale that limits a stable explicit step."""
        v = 1.0 if self.V is None else float(np.linalg.norm(self.V, 2))
        if self.normalization == "sa":
            return v
        a = 1.0 if self.A is None else float(np.linalg.norm(self.A, 2))
        expo = abs(self.beta) * a
        return v * math.exp(expo) if expo < 709 else math.inf

    # -- derived views -------------------------------------------------------------------
    @property
    def A_matrix(self) -> np.ndarray:
        """A as an explicit (d, d) array (the identity when ``A`` is None)."""
        return np.eye(self.d) if self.A is None else self.A

    @property
    def V_matrix(self) -> np.ndarray:
        """V as an explicit (d, d) array (the identity when ``V`` is None)."""
        return np.eye(self.d) if self.V is None else self.V

    @property
    def identity(self) -> bool:
        """True when A = V = I (the zonal case of the papers, with fast exact evaluators)."""
        return self.A is None and self.V is None

    def replace(self, **changes) -> AttentionModel:
        """Return a copy with some fields changed (validated again)."""
        fields = {"d": self.d, "beta": self.beta, "A": self.A, "V": self.V,
                  "normalization": self.normalization, "name": self.name}
        unknown = set(changes) - set(fields)
        if unknown:
            raise fail("changes", sorted(unknown), "are not fields of AttentionModel",
                       f"use some of {sorted(fields)}")
        fields.update(changes)
        return AttentionModel(**fields)

    def to_dict(self) -> dict:
        """Plain-Python description (matrices as nested lists or None), for configs and stores."""
        return {
            "d": self.d, "beta": self.beta, "normalization": self.normalization,
            "A": None if self.A is None else self.A.tolist(),
            "V": None if self.V is None else self.V.tolist(),
            "name": self.name,
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AttentionModel):
            return NotImplemented
        return (self.d == other.d and self.beta == other.beta
                and self.normalization == other.normalization
                and _same(self.A, other.A) and _same(self.V, other.V))

    def __hash__(self) -> int:
        return hash((self.d, self.beta, self.normalization,
                     None if self.A is None else self.A.tobytes(),
                     None if self.V is None else self.V.tobytes()))

    def __repr__(self) -> str:
        a = "I" if self.A is None else "array"
        v = "I" if self.V is None else "array"
        return (f"AttentionModel(d={self.d}, beta={self.beta:g}, A={a}, V={v}, "
                f"normalization={self.normalization!r})")

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


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return bool(np.array_equal(a, b))


def random_matrices(d: int, ensemble: str = "ginibre", *, seed: int | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Random (A, V) for the random-matrix experiments of [GLPR, Fig. 5], A = K^T Q.

    Ensembles (entries scaled so that the spectra stay O(1) as d grows):

    - ``"ginibre"``: Q, K, V with iid N(0, 1/d) entries; A = K^T Q (score <Q x_i, K x_j>).
    - ``"goe"``: Q, K, V drawn from the Gaussian orthogonal ensemble, (G + G^T)/sqrt(2 d).
    - ``"wigner"``: symmetric Q, K, V with iid +-1/sqrt(d) entries on and above the diagonal.
    - ``"qk"``: Ginibre Q, K and V = Q^T K (= A^T), the case "V = Q^T K" of [GLPR].

    Returns
    -------
    A, V : (d, d) float64 arrays
    """
    if ensemble not in ENSEMBLES:
        raise fail("ensemble", ensemble, "is not a known ensemble", f"use one of {ENSEMBLES}")
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 2:
        raise fail("d", d, "must be an integer >= 2", "pass the ambient dimension")
    rng = np.random.default_rng(seed)

    def draw() -> np.ndarray:
        if ensemble in ("ginibre", "qk"):
            return rng.standard_normal((d, d)) / np.sqrt(d)
        if ensemble == "goe":
            g = rng.standard_normal((d, d))
            return (g + g.T) / np.sqrt(2 * d)
        s = rng.choice([-1.0, 1.0], size=(d, d))
        s = np.triu(s) + np.triu(s, 1).T
        return s / np.sqrt(d)

    Q, K, V = draw(), draw(), draw()
    A = K.T @ Q
    if ensemble == "qk":
        V = Q.T @ K
    return A, V
