"""The transformer variants in the simulator: layer-norm schemes, beta = "log", bad input.

The schemes are checked against the equiangular reductions of attnflow.theory.normalization (an
independent ODE for rho(t), r(t)) from x_i = e_i, against their one-layer formulas, and against
invariants (peri-LN and nGPT do not see SA vs USA; post-LN is the seed model bit for bit).
"""

from __future__ import annotations

import numpy as np
import pytest

import attnflow as af
from attnflow.theory.normalization import equiangular_scheme_solution

SCHEMES = {"post": {}, "pre": {}, "peri": {}, "ngpt": {}, "mix": {"t_switch": 1.0}, "sqrt": {}}


def _rho_r(sol):
    theta = sol.x / np.linalg.norm(sol.x, axis=-1, keepdims=True)
    return np.sum(theta[:, 0] * theta[:, 1], axis=-1), np.linalg.norm(sol.x[:, 0], axis=-1)


@pytest.mark.parametrize("normalization", ["sa", "usa"])
@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_every_scheme_follows_its_equiangular_reduction(scheme, normalization):
    """From x_i = e_i (rho = 0, r = 1) the particles stay equiangular; rho(t), r(t) solve the ODE."""
    d, n, beta = 6, 4, 2.0
    kw = SCHEMES[scheme]
    model = af.AttentionModel(d, beta, normalization=normalization, layernorm=scheme, **kw)
    times = np.linspace(0, 3, 7)
    sol = af.simulate(model, np.eye(d)[:n], 3.0, 0.005, "rk4", save_at=times, observables=["energy"])
    rho, r = _rho_r(sol)
    ref = equiangular_scheme_solution(times, beta, n, scheme, normalization, **kw)
    np.testing.assert_allclose(rho, ref.rho, atol=5e-9)                # measured <= 2e-10
    np.testing.assert_allclose(r, ref.r, rtol=5e-9)
    assert sol.metadata["status"] == "complete"                         # energy of directions rose
    assert np.all(np.diff(sol.observables["energy"]) >= -1e-12 * sol.observables["energy"].max())


def test_peri_ln_and_ngpt_do_not_see_the_normalization():
    """A/|A| is the same for SA and USA (they differ by a positive factor per token)."""
    rng = np.random.default_rng(0)
    A, V = rng.standard_normal((2, 3, 3)) / 2
    x0 = af.sphere.uniform(20, 3, seed=1)
    for scheme in ("peri", "ngpt"):
        sa, usa = (af.simulate(af.AttentionModel(3, 1.5, A=A, V=V, normalization=nz, layernorm=scheme),
                               x0, 2.0, 0.01, "rk4").x for nz in ("sa", "usa"))
        np.testing.assert_allclose(sa, usa, atol=1e-12)


def test_post_ln_is_the_seed_model_and_tokens_keep_their_norms_elsewhere():
    x0 = af.sphere.uniform(30, 3, seed=2)
    base = af.simulate(af.AttentionModel(3, 2.0), x0, 1.0, 0.05)
    post = af.simulate(af.AttentionModel(3, 2.0, layernorm="post"), x0, 1.0, 0.05)
    np.testing.assert_array_equal(base.x, post.x)
    r0 = np.linspace(0.5, 3.0, 30)[:, None]
    pre = af.simulate(af.AttentionModel(3, 2.0, layernorm="pre"), r0 * x0, 1.0, 0.05,
                      observables=["order_parameter"], save_at=[0.0, 1.0])
    np.testing.assert_allclose(np.linalg.norm(pre.x[0], axis=-1), r0[:, 0], rtol=1e-15)
    theta = pre.x[-1] / np.linalg.norm(pre.x[-1], axis=-1, keepdims=True)
    measured = pre.observables["order_parameter"][-1]
    assert measured == pytest.approx(np.linalg.norm(theta.mean(axis=0)), rel=1e-14)


@pytest.mark.parametrize("scheme", ["pre", "peri", "ngpt", "sqrt", "mix"])
def test_one_layer_is_the_scheme_update(scheme):
    """The layer scheme: x + h A (pre), x + h A/|A| (peri), N(x + h alpha (A/|A| - x)) (nGPT),
    x + h A/sqrt(1 + t) (sqrt), N(x + h A) before t_switch then x + h A (Mix-LN)."""
    d, h = 3, 0.1
    rng = np.random.default_rng(3)
    A, V = rng.standard_normal((2, d, d)) / 2
    kw = {"t_switch": 0.1} if scheme == "mix" else ({"alpha": 0.5} if scheme == "ngpt" else {})
    model = af.AttentionModel(d, 1.0, A=A, V=V, layernorm=scheme, **kw)
    x0 = af.sphere.uniform(12, d, seed=4)
    if scheme in ("pre", "peri", "sqrt"):
        x0 = x0 * rng.uniform(0.5, 2.0, (12, 1))
    sol = af.simulate(model, x0, 2 * h, h, "layer", save_at=[0, h, 2 * h])
    base = af.AttentionModel(d, 1.0, A=A, V=V)

    def att(x):
        return af.attention_output(base, x / np.linalg.norm(x, axis=-1, keepdims=True))

    def unit(v):
        return v / np.linalg.norm(v, axis=-1, keepdims=True)

    def layer(t, x):
        a = att(x)
        if scheme == "pre" or (scheme == "mix" and t >= 0.1):
            return x + h * a
        if scheme == "peri":
            return x + h * unit(a)
        if scheme == "ngpt":
            return unit(x + h * 0.5 * (unit(af.attention_output(base, x)) - x))
        if scheme == "sqrt":
            return x + h * a / np.sqrt(1 + t)
        return unit(x + h * a)                                     # Mix-LN before t_switch

    expect = [layer(0.0, x0)]
    expect.append(layer(h, expect[0]))
    np.testing.assert_allclose(sol.x[1:], np.stack(expect), rtol=1e-13, atol=1e-15)


def test_beta_log_is_gamma_log_n():
    x0 = af.sphere.uniform(64, 3, seed=5)
    sol = af.simulate(af.AttentionModel(3, "log", gamma=0.8, layernorm="pre"), x0, 1.0, 0.05)
    ref = af.simulate(af.AttentionModel(3, 0.8 * np.log(64), layernorm="pre"), x0, 1.0, 0.05)
    np.testing.assert_array_equal(sol.x, ref.x)
    assert sol.model.beta == pytest.approx(0.8 * np.log(64), rel=1e-15)
    assert sol.metadata["beta_rule"] == {"beta": "log", "gamma": 0.8}


def test_a_variant_run_is_stored_and_resumed(tmp_path):
    model = af.AttentionModel(3, 1.5, layernorm="mix", t_switch=0.3, normalization="usa")
    x0 = af.sphere.uniform(10, 3, seed=6)
    full = af.simulate(model, x0, 1.0, 0.02, store=tmp_path / "a.zarr")
    back = af.io.load(tmp_path / "a.zarr")
    assert back.model == model and back.model.t_switch == 0.3
    np.testing.assert_array_equal(back.x, full.x)
    for name in ("b.zarr", "b.nc"):
        af.io.save(full, tmp_path / name)
        assert af.io.load(tmp_path / name).model == model


@pytest.mark.parametrize("kwargs,match", [
    ({"layernorm": "rms"}, r"layernorm='rms'.*post, pre, peri"),
    ({"layernorm": "mix"}, r"t_switch=None: is required"),
    ({"t_switch": 1.0}, r"t_switch=1.0: is used only by"),
    ({"alpha": 0.5}, r"alpha=0.5: is used only by"),
    ({"mask": "future"}, r"mask='future'"),
    ({"beta": "linear"}, r"beta='linear'"),
    ({"beta": "log"}, r"gamma=None: is required"),
    ({"gamma": 1.0}, r"gamma=1.0: is used only with"),
    ({"A": np.zeros((2, 3, 3)), "V": np.zeros((3, 3, 3))}, r"V=.*3 heads but A has 2"),
    ({"A": np.zeros((2, 3, 3)), "heads": 3}, r"heads=3: does not match"),
])
def test_bad_variant_options_are_clear_errors(kwargs, match):
    args = {"d": 3, "beta": 1.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        af.AttentionModel(**args)


def test_a_token_at_the_origin_is_refused_for_pre_ln():
    x0 = af.sphere.uniform(5, 3, seed=0)
    x0[2] = 0.0
    with pytest.raises(ValueError, match=r"x0=.*zero vector at particle index \(2,\).*no direction"):
        af.simulate(af.AttentionModel(3, 1.0, layernorm="pre"), x0, 1.0, 0.1)
    with pytest.raises(ValueError, match=r"x0=.*not on the unit sphere"):   # Mix-LN starts as post-LN
        af.simulate(af.AttentionModel(3, 1.0, layernorm="mix", t_switch=0.5), 2 * af.sphere.uniform(5, 3),
                    1.0, 0.1)
