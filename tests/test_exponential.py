"""Exponential (ETD) Runge-Kutta schemes for split fields dy/dt = L y + N(t, y) (attnflow.solve.exponential).

Bases: a stiff linear problem with a known solution (matrix exponential) measures each scheme's
order; equilibria of L y + N(y) are fixed points of every step (the property that makes relaxed
states stationary); L = 0 reduces to the underlying RK scheme; the contour evaluation of the
phi-functions against their series.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import expm

from attnflow.fields import DiagonalLinear, FunctionField, SplitField
from attnflow.solve import SPLIT_SOLVERS, ConstantStep, solve
from attnflow.solve.exponential import phi_functions

# y' = diag(lam) y + B y: a diagonal part and a coupling, exact solution expm((diag + B) t)
LAM = np.array([0.0, -1.0, -4.0, -10.0])
STIFF = np.array([0.0, -1.0, -400.0, -1e4])
B = np.array([[0.0, 0.5, 0.0, 0.2], [-0.5, 0.0, 0.3, 0.0], [0.0, -0.3, 0.1, 0.4], [0.1, 0.0, -0.4, 0.0]])
Y0 = np.array([1.0, 0.5, -0.3, 0.2])


def _split(lam=LAM, coupling=B) -> SplitField:
    return SplitField(DiagonalLinear(lam), lambda t, y: coupling @ y)


def _errors(name: str, lam: np.ndarray, hs) -> list[float]:
    want = expm(np.diag(lam) + B) @ Y0
    return [float(np.abs(solve(_split(lam), Y0, 0.0, 1.0, solver=name, stepsize=ConstantStep(h)).ys[-1]
                         - want).max()) for h in hs]


@pytest.mark.parametrize("name", sorted(SPLIT_SOLVERS))
def test_etd_schemes_converge_at_their_order(name):
    """h |lambda| <= 1: measured slopes 2.00 (etdrk2) and 3.96 (etdrk4)."""
    hs = np.array([0.1, 0.05, 0.025])
    errs = _errors(name, LAM, hs)
    assert min(errs) > 1e-12
    assert abs(np.polyfit(np.log(hs), np.log(errs), 1)[0] - SPLIT_SOLVERS[name].order) < 0.1, errs


@pytest.mark.parametrize("name", sorted(SPLIT_SOLVERS))
def test_stiff_modes_do_not_limit_the_step(name):
    """h |lambda_max| = 1000 to 250 (an explicit RK4 needs h |lambda| < 2.8 and would overflow): the
    runs stay accurate to 2e-3; the stiff modes are slaved to the slow ones and the order drops to
    ~1.2 (the known order reduction of ETD schemes when stiff modes feed back into slow ones:
    Hochbruck-Ostermann, Acta Numerica 2010), errors measured 2.2e-3 .. 1e-4."""
    errs = _errors(name, STIFF, [0.1, 0.05, 0.025])
    assert max(errs) < 3e-3 and errs[0] > errs[1] > errs[2], errs


@pytest.mark.parametrize("name", sorted(SPLIT_SOLVERS))
def test_an_equilibrium_is_a_fixed_point_of_every_step(name):
    """y' = L y + N(y) with N(y) = f - B y: at y* = (L - B)^{-1}... the step returns y* for any h."""
    f = np.array([0.0, 1.0, 2.0, -3.0])
    lam = np.array([-0.5, -1.0, -40.0, -400.0])
    A = np.diag(lam) - B
    ystar = -np.linalg.solve(A, f)
    field = SplitField(DiagonalLinear(lam), lambda t, y: f - B @ y)
    for h in (0.01, 1.0, 10.0):
        out = solve(field, ystar, 0.0, h, solver=name, stepsize=ConstantStep(h)).ys[-1]
        np.testing.assert_allclose(out, ystar, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("name, rk", [("etdrk2", "heun2"), ("etdrk4", "rk4")])
def test_without_a_linear_part_the_scheme_is_its_runge_kutta_scheme(name, rk):
    a = solve(_split(np.zeros(4)), Y0, 0.0, 1.0, solver=name, stepsize=ConstantStep(0.1)).ys[-1]
    b = solve(FunctionField(lambda t, y: B @ y), Y0, 0.0, 1.0, solver=rk, stepsize=ConstantStep(0.1)).ys[-1]
    np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-14)


def test_a_mode_with_zero_eigenvalue_and_no_forcing_stays_exact():
    """Mass conservation of the PDE solvers: if N never feeds mode 0 and L_0 = 0, y_0 is unchanged."""
    Bm = B.copy()
    Bm[0] = 0.0
    ys = solve(_split(coupling=Bm), Y0, 0.0, 5.0, solver="etdrk4", stepsize=ConstantStep(0.01)).ys
    assert np.all(ys[:, 0] == Y0[0])


def test_a_basis_change_is_applied_around_the_diagonal_factor():
    """u' = u'' in Fourier space (N = 0): one step is exact, e^{-k^2 t} per mode."""
    M = 32
    k = np.arange(M // 2 + 1)
    lin = DiagonalLinear(-(k.astype(float) ** 2), forward=np.fft.rfft, inverse=lambda c: np.fft.irfft(c, n=M))
    theta = 2 * np.pi * np.arange(M) / M
    u0 = 1 + np.cos(theta) + 0.5 * np.sin(3 * theta)
    got = solve(SplitField(lin, lambda t, u: 0 * u), u0, 0.0, 0.3, solver="etdrk4",
                stepsize=ConstantStep(0.3)).ys[-1]
    want = 1 + np.exp(-0.3) * np.cos(theta) + 0.5 * np.exp(-2.7) * np.sin(3 * theta)
    np.testing.assert_allclose(got, want, atol=1e-14)


def test_phi_functions_from_the_contour_match_their_series_and_closed_forms():
    z = np.array([0.0, -1e-8, -1e-3, -0.5, -3.0, -50.0])
    phi1, phi2 = phi_functions(z, lambda w: (np.exp(w) - 1) / w, lambda w: (np.exp(w) - 1 - w) / w**2)
    series1 = sum(z**k / float(math.factorial(k + 1)) for k in range(25))
    series2 = sum(z**k / float(math.factorial(k + 2)) for k in range(25))
    small = np.abs(z) <= 0.5
    np.testing.assert_allclose(phi1[small], series1[small], rtol=1e-14)
    np.testing.assert_allclose(phi2[small], series2[small], rtol=1e-14)
    big = ~small
    np.testing.assert_allclose(phi1[big], np.expm1(z[big]) / z[big], rtol=1e-14)
    np.testing.assert_allclose(phi2[big], (np.expm1(z[big]) - z[big]) / z[big] ** 2, rtol=1e-14)
