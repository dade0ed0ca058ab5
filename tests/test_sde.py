"""Stochastic schemes of the solver core (attnflow.solve.sde, .noise): streams, orders, stationary law.

Mathematical bases:
- the heat kernel of S^{d-1} (generator D Delta): E<x_t, x_0> = e^{-(d-1) D t}; a step whose law
  is invariant under the rotations fixing the current point multiplies degree-1 harmonics by
  m_1 = E<x_1, x_0> (Funk-Hecke), so n drift-free steps give exactly m_1^n;
- the moment hierarchy of the drift c P_x e: m_k = E P_k(<x, e>) solves the linear system
  dm_k/dt = -D k(k+d-2) m_k + c k(k+d-2)/(2k+d-2) (m_{k-1} - m_{k+1}) (exact reference with drift);
- its stationary law is von Mises-Fisher, mean <x, e> = I_{d/2}(c/D) / I_{d/2-1}(c/D);
- strong errors against a finer solution on the same Brownian path (summed increments).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate
from scipy.linalg import expm
from scipy.special import eval_gegenbauer, ive
from scipy.stats import chi2

import attnflow as af
from attnflow.fields import FunctionField, NoisyField
from attnflow.manifolds import Euclidean, Sphere
from attnflow.solve import SDE_SOLVERS, BrownianIncrements, ConstantStep, SaveAt, StateStep, solve


def _toward(d: int, c: float, D: float) -> NoisyField:
    """dX = c P_X e dt + sqrt(2 D) dB on S^{d-1}, e the first axis (states (N, d))."""
    e = np.zeros(d)
    e[0] = 1.0
    return NoisyField(FunctionField(lambda t, y: c * (e - (y @ e)[..., None] * y), manifold=Sphere(d)), D)


def _run(field, x0, h, name, seed=7, substeps=1, t1=1.0, ts=None):
    saves = SaveAt(ts=[t1] if ts is None else ts)
    traj = solve(field, x0, 0.0, t1, solver=name, stepsize=ConstantStep(h),
                 noise=BrownianIncrements(seed, substeps=substeps), saveat=saves)
    return traj.ys


def _moment(d: int, D: float, c: float, t: float, m0: np.ndarray) -> float:
    """E<x_t, e> from the moment hierarchy truncated at degree 60 (m0: initial moments m_k)."""
    K = m0.size - 1
    k = np.arange(K + 1)
    lap = (k * (k + d - 2)).astype(float)
    L = np.diag(-D * lap)
    for j in range(1, K + 1):
        coef = c * lap[j] / (2 * j + d - 2)
        L[j, j - 1] += coef
        if j < K:
            L[j, j + 1] -= coef
    return float((expm(L * t) @ m0)[1])


def _moments_at_equator(d: int, K: int = 60) -> np.ndarray:
    """m_k(0) = P_k(0) for tokens starting on the great circle orthogonal to e."""
    k = np.arange(K + 1)
    if d == 2:
        return np.cos(k * np.pi / 2)
    nu = (d - 2) / 2
    return eval_gegenbauer(k, nu, 0.0) / eval_gegenbauer(k, nu, 1.0)


# -- the streams ------------------------------------------------------------------------------------
def test_increments_are_a_pure_function_of_seed_member_and_step():
    a, b = BrownianIncrements(3), BrownianIncrements(3)
    x = a.increments(5, 0.01, (4, 3))
    np.testing.assert_array_equal(x, b.increments(5, 0.01, (4, 3)))     # another object, same numbers
    a.increments(9, 0.01, (4, 3))                                        # drawing others changes nothing
    np.testing.assert_array_equal(x, a.increments(5, 0.01, (4, 3)))
    assert not np.array_equal(x, a.increments(6, 0.01, (4, 3)))
    assert not np.array_equal(x, BrownianIncrements(4).increments(5, 0.01, (4, 3)))
    batch = BrownianIncrements(3, batched=True).increments(5, 0.01, (2, 4, 3))
    np.testing.assert_array_equal(batch[0, 0], x[0])                       # member 0 = the single stream
    assert not np.array_equal(batch[0, 1], batch[0, 0])
    with pytest.raises(ValueError, match="seed"):
        BrownianIncrements(-1)


def test_increments_have_the_brownian_law_and_consecutive_blocks_do_not_overlap():
    noise = BrownianIncrements(11)
    z = np.stack([noise.increments(k, 0.04, (20000,))[0] for k in range(3)])
    assert abs(z.var() / 0.04 - 1) < 0.02                                 # 60000 samples: std 0.006
    assert abs(z.mean()) < 4 * 0.2 / np.sqrt(z.size)
    assert abs(np.corrcoef(z[0], z[1])[0, 1]) < 4 / np.sqrt(20000)
    assert np.intersect1d(z[0], z[1]).size == 0                           # no shared numbers at all


def test_a_coarse_step_follows_the_path_of_the_fine_steps():
    """substeps=m: the increment of step k is the sum of the m fine increments k m .. k m + m - 1."""
    coarse = BrownianIncrements(2, substeps=4).increments(3, 0.08, (5,), pieces=2)
    fine = BrownianIncrements(2).increments
    want = [sum(fine(3 * 4 + 2 * j + i, 0.02, (5,), pieces=2).sum(axis=0) for i in range(2))
            for j in range(2)]
    np.testing.assert_allclose(coarse, np.array(want), rtol=1e-13, atol=1e-15)


# -- the driver ---------------------------------------------------------------------------------------
def test_the_driver_refuses_mismatched_noise_and_controllers():
    field = _toward(3, 1.0, 1.0)
    x0 = af.sphere.uniform(4, 3, seed=0)
    with pytest.raises(ValueError, match="required by the stochastic scheme"):
        solve(field, x0, 0.0, 1.0, solver="euler_maruyama", stepsize=ConstantStep(0.1))
    with pytest.raises(ValueError, match="no use in the deterministic scheme"):
        solve(field, x0, 0.0, 1.0, solver="rk4", stepsize=ConstantStep(0.1), noise=BrownianIncrements(0))
    with pytest.raises(ValueError, match="ConstantStep"):
        solve(field, x0, 0.0, 1.0, solver="strang", stepsize=StateStep(lambda t, y: 0.1),
              noise=BrownianIncrements(0))
    with pytest.raises(ValueError, match="no diffusivity"):
        solve(FunctionField(lambda t, y: 0 * y, manifold=Sphere(3)), x0, 0.0, 1.0, solver="euler_maruyama",
              stepsize=ConstantStep(0.1), noise=BrownianIncrements(0))


@pytest.mark.parametrize("name", sorted(SDE_SOLVERS))
def test_a_run_resumed_from_a_checkpoint_draws_the_same_increments(name):
    field = _toward(3, 1.0, 0.5)
    x0 = af.sphere.uniform(30, 3, seed=1)
    full = solve(field, x0, 0.0, 1.0, solver=name, stepsize=ConstantStep(0.05), noise=BrownianIncrements(9),
                 saveat=SaveAt(ts=[0.0, 0.5, 1.0]))
    half = solve(field, x0, 0.0, 0.5, solver=name, stepsize=ConstantStep(0.05), noise=BrownianIncrements(9),
                 saveat=SaveAt(ts=[0.0, 0.5]))
    # continue from the step index and state where the first half stopped
    rest = solve(field, x0, 0.0, 1.0, solver=name, stepsize=ConstantStep(0.05), noise=BrownianIncrements(9),
                 saveat=SaveAt(ts=[0.0, 0.5, 1.0]), start=half.final)
    np.testing.assert_array_equal(rest.ys[-1], full.ys[-1])
    assert np.allclose(np.linalg.norm(full.ys, axis=-1), 1.0, atol=1e-14)


# -- weak order ----------------------------------------------------------------------------------------
def _multiplier(name: str, d: int, tau: float) -> float:
    """m_1 = E<x_1, x_0> of one drift-free step (tau = D h) from the scheme's definition, by quadrature
    over q = |P_x z|^2 ~ chi^2_{d-1}: Euler-Maruyama (1 + 2 tau q)^{-1/2}; Strang two heat half steps
    cos(s sqrt(q)), s^2 = 2 (tau/2) / (1 + (d-2)(tau/2)/3)."""
    if name == "euler_maruyama":
        return integrate.quad(lambda q: (1 + 2 * tau * q) ** -0.5 * chi2.pdf(q, d - 1), 0, np.inf)[0]
    s = np.sqrt(tau / (1 + (d - 2) * tau / 6))
    half = integrate.quad(lambda q: np.cos(s * np.sqrt(q)) * chi2.pdf(q, d - 1), 0, np.inf, limit=200)[0]
    return half**2


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("name", sorted(SDE_SOLVERS))
def test_drift_free_runs_draw_the_analysed_law_and_approach_the_heat_kernel(name, d):
    """The code's E<x_T, x_0> equals m_1^n of the analysis within 4.5 standard errors (2e5 tokens),
    and the analysed error m_1^n - e^{-(d-1) D T} has the declared weak order as h -> 0."""
    D, T, N = 1.0, 0.5, 200_000
    field = NoisyField(FunctionField(lambda t, y: np.zeros_like(y), manifold=Sphere(d)), D)
    x0 = np.zeros((N, d))
    x0[:, 0] = 1.0
    exact = np.exp(-(d - 1) * D * T)
    for h in (0.1, 0.025):
        got = _run(field, x0, h, name, t1=T)[-1][:, 0]
        law = _multiplier(name, d, D * h) ** round(T / h)
        assert abs(got.mean() - law) < 4.5 * got.std() / np.sqrt(N), (h, got.mean(), law)
    taus = np.array([4e-3, 2e-3, 1e-3])
    errs = [abs(_multiplier(name, d, tau) ** round(T / tau) - exact) for tau in taus]
    order = SDE_SOLVERS[name].weak_order
    if name == "strang" and d == 2:
        # the heat step is the exact wrapped Gaussian on S^1 (E cos(s z) = e^{-s^2/2}): what is left is
        # the quadrature's rounding raised to the power T / tau (measured 4e-10)
        assert max(errs) < 2e-9
        return
    slope = np.polyfit(np.log(taus), np.log(errs), 1)[0]
    assert abs(slope - order) < 0.03, (errs, slope)   # measured: 0.99 (EM), 2.00 (Strang, d = 3)


def test_the_splitting_has_weak_order_two_with_a_drift():
    """E<x_T, e> for the drift 4 P_x e on S^2 against the moment hierarchy: errors 4e-2, 1.2e-2,
    2.7e-3 at h = 1/4, 1/8, 1/16 (2e5 tokens, standard error 6e-4): fitted order 2.00."""
    d, D, c, N = 3, 1.0, 4.0, 200_000
    x0 = np.zeros((N, d))
    x0[:, 1] = 1.0
    exact = _moment(d, D, c, 1.0, _moments_at_equator(d))
    hs = np.array([1 / 4, 1 / 8, 1 / 16])
    errs = [abs(_run(_toward(d, c, D), x0, h, "strang")[-1][:, 0].mean() - exact) for h in hs]
    assert abs(np.polyfit(np.log(hs), np.log(errs), 1)[0] - 2) < 0.15, errs


# -- strong order --------------------------------------------------------------------------------------
@pytest.mark.parametrize("d, expected", [(2, 1.0), (3, 0.5)])
@pytest.mark.parametrize("name", sorted(SDE_SOLVERS))
def test_strong_order_against_a_finer_run_on_the_same_brownian_path(name, d, expected):
    """RMS distance at T = 1 to the same scheme at h = 1/512 on the same path (4000 tokens, D = 1/2):
    order 1 on S^1 (commutative noise, the angle is additive), 1/2 on S^2 (measured 0.94 and 1.01 on
    S^1, 0.52 and 0.52 on S^2 for Euler-Maruyama and Strang)."""
    field = _toward(d, 1.0, 0.5)
    x0 = np.zeros((4000, d))
    x0[:, 1] = 1.0
    fine = 1 / 512
    ref = _run(field, x0, fine, name)[-1]
    hs = np.array([1 / 16, 1 / 32, 1 / 64])
    errs = [np.sqrt(np.mean(np.sum((_run(field, x0, h, name, substeps=round(h / fine))[-1] - ref) ** 2, -1)))
            for h in hs]
    slope = np.polyfit(np.log(hs), np.log(errs), 1)[0]
    assert abs(slope - expected) < 0.1, (errs, slope)
    assert SDE_SOLVERS[name].strong_order == 0.5


def test_additive_noise_in_euclidean_space_is_classical_euler_maruyama():
    """Ornstein-Uhlenbeck dX = -X dt + sqrt(2) dW: one step is x (1 - h) + dW sqrt(2) exactly."""
    field = NoisyField(FunctionField(lambda t, y: -y, manifold=Euclidean()), 1.0)
    x0 = np.array([[1.0, -2.0]])
    got = _run(field, x0, 0.1, "euler_maruyama", seed=5, t1=0.1)[-1]
    dw = BrownianIncrements(5).increments(0, 0.1, (1, 2))[0]
    np.testing.assert_allclose(got, x0 * 0.9 + np.sqrt(2.0) * dw, rtol=1e-15)


# -- the stationary law -----------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("name, h, bias", [("euler_maruyama", 0.025, 0.006), ("strang", 0.1, 0.002)])
def test_the_stationary_law_of_a_fixed_direction_drift_is_von_mises_fisher(name, h, bias, d):
    """Drift P_x e, D = 1/2: the invariant law is e^{2 <x, e>}/Z, mean I_{d/2}(2)/I_{d/2-1}(2).
    From uniform tokens the transient at t = 12 is below 4e-5 (moment hierarchy); saves over [12, 20]
    of 20000 tokens. Measured biases: EM h = 0.025: +0.004 (d = 2), +0.006 (d = 3); Strang h = 0.1:
    within 0.001."""
    field = _toward(d, 1.0, 0.5)
    x0 = af.sphere.uniform(20000, d, seed=4)
    xs = _run(field, x0, h, name, seed=8, t1=20.0, ts=np.arange(12.0, 20.01, 1.0))
    mean = xs[..., 0].mean()
    want = ive(d / 2, 2.0) / ive(d / 2 - 1, 2.0)
    assert abs(mean - want) < bias + 4 * 0.5 / np.sqrt(20000 * 3), (mean, want)
