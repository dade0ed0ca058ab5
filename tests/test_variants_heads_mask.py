"""Heads and the causal mask in af.simulate, end to end, under every layer-norm scheme.

References: the plain O(N^2) attention output of tests/variant_reference.py inside the scheme's
one-layer update (the table of attnflow.schemes); closed forms of the causal first token (with
V = I under SA it attends only to itself: its direction never moves and its radius grows linearly,
docs/theory/numerics.md#heads-and-the-causal-mask); the prefix property of the mask; H equal
heads = one head at H times the speed.
"""

from __future__ import annotations

import numpy as np
import pytest
from variant_reference import naive_output

import attnflow as af

SCHEMES = {"post": {}, "pre": {}, "peri": {}, "ngpt": {"alpha": 0.5}, "mix": {"t_switch": 0.1}, "sqrt": {}}
OFF_SPHERE = ("pre", "peri", "sqrt")


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _layer(model, t, x, h):
    """One layer of the scheme (attnflow.schemes' table) with the plain reference output."""
    scheme = model.layernorm
    a = naive_output(model, _unit(x))
    if scheme == "pre" or (scheme == "mix" and t >= model.t_switch):
        return x + h * a
    if scheme == "peri":
        return x + h * _unit(a)
    if scheme == "ngpt":
        return _unit(x + h * model.alpha * (_unit(naive_output(model, x)) - x))
    if scheme == "sqrt":
        return x + h * a / np.sqrt(1 + t)
    return _unit(x + h * a)                                       # post, Mix-LN before t_switch


@pytest.mark.parametrize("normalization", ["sa", "usa"])
@pytest.mark.parametrize("mask", [None, "causal"])
@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_layers_of_a_multi_head_model_are_the_plain_formula(scheme, mask, normalization):
    d, h, H = 3, 0.1, 3
    rng = np.random.default_rng(11)
    A, V = rng.standard_normal((2, H, d, d)) / 2
    model = af.AttentionModel(d, 1.5, A=A, V=V, mask=mask, normalization=normalization, layernorm=scheme,
                              **SCHEMES[scheme])
    x0 = af.sphere.uniform(16, d, seed=12, batch=2)                # a batch of two systems
    if scheme in OFF_SPHERE:
        x0 = x0 * rng.uniform(0.5, 2.0, (2, 16, 1))
    for backend in ("dense", "numba"):
        sol = af.simulate(model, x0, 2 * h, h, "layer", save_at=[0, h, 2 * h], backend=backend)
        one = _layer(model, 0.0, x0, h)
        expect = np.stack([x0, one, _layer(model, h, one, h)], axis=0)    # (3, B, n, d)
        np.testing.assert_allclose(sol.x, expect, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_causal_first_token_keeps_its_direction_and_its_radius_law(scheme):
    # SA, V = I, H heads: y_1 = H theta_1, so theta_1 is fixed and, off the sphere,
    # r_1' = H (pre; mix after t_switch), 1 (peri), H / sqrt(1 + t) (sqrt): r_1(t) = r_1(0) + H t,
    # + t, + 2 H (sqrt(1 + t) - 1)
    d, H, t1 = 3, 2, 1.0
    rng = np.random.default_rng(13)
    model = af.AttentionModel(d, 4.0, A=rng.standard_normal((H, d, d)), mask="causal", layernorm=scheme,
                              **SCHEMES[scheme])
    x0 = af.sphere.uniform(40, d, seed=14)
    if scheme in OFF_SPHERE:
        x0 = x0 * rng.uniform(0.5, 2.0, (40, 1))
    times = np.linspace(0, t1, 5)
    sol = af.simulate(model, x0, t1, 0.01, "rk4", save_at=times)
    theta = _unit(sol.x)
    np.testing.assert_allclose(theta[:, 0], np.broadcast_to(_unit(x0[0]), (5, d)), rtol=0, atol=4e-15)
    assert np.abs(theta[-1, 1:] - _unit(x0[1:])).max() > 0.05        # the others moved
    r = np.linalg.norm(sol.x[:, 0], axis=-1)
    r0 = np.linalg.norm(x0[0])
    law = {"pre": r0 + H * times, "peri": r0 + times, "sqrt": r0 + 2 * H * (np.sqrt(1 + times) - 1),
           "mix": 1 + H * np.maximum(times - 0.1, 0)}                 # pre-LN after t_switch = 0.1
    # RK4 integrates the linear laws exactly; 1 / sqrt(1 + t) with an error 6e-12 at dt = 0.01
    np.testing.assert_allclose(r, law.get(scheme, np.ones(5)), rtol=2e-11 if scheme == "sqrt" else 1e-14)


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_causal_tokens_never_see_later_tokens(scheme):
    # under SA the first k tokens form a closed system: a run of them alone is the first k of the
    # full run (the sums over j <= i agree up to the rounding of zero-padded sums)
    d, H, k = 3, 2, 25
    rng = np.random.default_rng(15)
    A, V = rng.standard_normal((2, H, d, d)) / 2
    model = af.AttentionModel(d, 3.0, A=A, V=V, mask="causal", layernorm=scheme, **SCHEMES[scheme])
    x0 = af.sphere.uniform(60, d, seed=16)
    if scheme in OFF_SPHERE:
        x0 = x0 * rng.uniform(0.5, 2.0, (60, 1))
    full = af.simulate(model, x0, 1.0, 0.02, "rk4")
    head = af.simulate(model, x0[:k], 1.0, 0.02, "rk4")
    np.testing.assert_allclose(head.x[-1], full.x[-1, :k], rtol=0, atol=1e-13)
    assert np.abs(full.x[-1] - x0).max() > 0.05


@pytest.mark.parametrize("normalization", ["sa", "usa"])
@pytest.mark.parametrize("mask", [None, "causal"])
def test_equal_heads_are_one_head_at_h_times_the_speed(mask, normalization):
    # post-LN: H copies of (A, V) give the field H P_x y, so the run to t with step dt is the
    # one-head run to H t with step H dt (RK4 stages x + dt H k = x + (H dt) k, up to rounding)
    d, H = 3, 3
    rng = np.random.default_rng(17)
    A, V = rng.standard_normal((2, d, d)) / 2
    x0 = af.sphere.uniform(30, d, seed=18, batch=2)
    one = af.AttentionModel(d, 2.0, A=A, V=V, mask=mask, normalization=normalization)
    many = af.AttentionModel(d, 2.0, A=np.stack([A] * H), V=np.stack([V] * H), mask=mask,
                             normalization=normalization)
    fast = af.simulate(many, x0, 0.4, 0.01, "rk4")
    slow = af.simulate(one, x0, H * 0.4, H * 0.01, "rk4")
    np.testing.assert_allclose(fast.x[-1], slow.x[-1], rtol=0, atol=1e-13)
    assert np.abs(fast.x[-1] - x0).max() > 0.05
    heads = af.simulate(many, x0, 0.4, 0.01, "rk4", backend="numba")
    np.testing.assert_allclose(heads.x, fast.x, rtol=0, atol=1e-13)


def test_energy_of_a_variant_run_is_a_clear_error():
    x0 = af.sphere.uniform(10, 3, seed=0)
    rng = np.random.default_rng(0)
    for model in (af.AttentionModel(3, 1.0, mask="causal"),
                  af.AttentionModel(3, 1.0, A=rng.standard_normal((2, 3, 3)))):
        with pytest.raises(ValueError, match=r"interaction energy.*Fix: "):
            af.simulate(model, x0, 0.1, 0.05, observables=["energy"])
        assert af.simulate(model, x0, 0.1, 0.05).metadata["status"] == "complete"   # no energy check
