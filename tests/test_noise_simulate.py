"""Noisy attention models end to end: AttentionModel(kappa=...), simulate(method=..., seed=...),
stores and resume, run and sweep files.

The stochastic schemes themselves (orders, stationary laws) are tested in tests/test_sde.py; here:
the interface, its errors, reproducibility (a pure function of the seed, the batch member and the
step), bit-for-bit resume, and that every drift backend sees the same Brownian path.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

import attnflow as af
from attnflow.config import parse_config
from attnflow.sweep import load_sweep, parse_sweep

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _model(**kw):
    return af.AttentionModel(2, 1.0, normalization="usa", kappa=2.0, **kw)


# -- the model ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kappa", [0, -1.0, math.nan, math.inf, "2", True])
def test_kappa_must_be_a_positive_finite_number(kappa):
    with pytest.raises(ValueError, match="kappa="):
        af.AttentionModel(3, 1.0, kappa=kappa)


def test_noise_only_with_tokens_on_the_sphere():
    with pytest.raises(ValueError, match='only "post" takes noise'):
        af.AttentionModel(3, 1.0, kappa=1.0, layernorm="pre")


def test_kappa_in_equality_hash_repr_dict_and_replace():
    m = _model()
    assert m == _model() and hash(m) == hash(_model())
    assert m != _model().replace(kappa=3.0) and m != m.replace(kappa=None)
    assert "kappa=2.0" in repr(m) and "kappa" not in repr(m.replace(kappa=None))
    assert m.to_dict()["kappa"] == 2.0 and af.AttentionModel(**m.to_dict()) == m
    assert m.noisy and not m.replace(kappa=None).noisy
    assert not m.gradient_flow and m.replace(kappa=None).gradient_flow     # noise moves the energy both ways
    heads = af.AttentionModel(2, 1.0, A=np.stack([np.eye(2)] * 2), kappa=2.0)
    assert heads.head(1).kappa == 2.0
    field = m.field(af.sphere.uniform(5, 2, seed=0))
    assert field.diffusivity == 0.5 and field.manifold.d == 2


# -- simulate: the interface ------------------------------------------------------------------------
def test_simulate_refuses_mismatched_methods_and_seeds():
    x0 = af.sphere.uniform(10, 2, seed=0)
    with pytest.raises(ValueError, match="deterministic but the model has noise"):
        af.simulate(_model(), x0, 1.0, 0.1, method="rk4", seed=0)
    with pytest.raises(ValueError, match="is required for a noisy model"):
        af.simulate(_model(), x0, 1.0, 0.1, method="euler_maruyama")
    plain = _model().replace(kappa=None)
    with pytest.raises(ValueError, match="seeds nothing"):
        af.simulate(plain, x0, 1.0, 0.1, method="rk4", seed=0)
    with pytest.raises(ValueError, match="stochastic scheme but the model has no noise"):
        af.simulate(plain, x0, 1.0, 0.1, method="strang")
    with pytest.raises(ValueError, match="not a known integrator"):
        af.simulate(plain, x0, 1.0, 0.1, method="etdrk4")              # for split (PDE) fields only
    with pytest.raises(ValueError, match="seed="):
        af.simulate(_model(), x0, 1.0, 0.1, method="euler_maruyama", seed=-3)


@pytest.mark.parametrize("method", ["euler_maruyama", "strang"])
def test_a_noisy_run_is_a_function_of_its_seed(method):
    x0 = af.sphere.uniform(40, 2, seed=1)
    kw = dict(method=method, save_at=[0.0, 0.5, 1.0], backend="dense")
    a = af.simulate(_model(), x0, 1.0, 0.05, seed=5, **kw)
    b = af.simulate(_model(), x0, 1.0, 0.05, seed=5, **kw)
    c = af.simulate(_model(), x0, 1.0, 0.05, seed=6, **kw)
    np.testing.assert_array_equal(a.x, b.x)
    assert np.abs(a.x[-1] - c.x[-1]).max() > 0.1                # another stream: other paths
    assert a.metadata["noise_seed"] == 5 and a.metadata["status"] == "complete"
    assert np.allclose(np.linalg.norm(a.x, axis=-1), 1.0, atol=1e-14)
    # the noise is not negligible: a path moves O(sqrt(2 t / kappa)) away from the deterministic flow
    det = af.simulate(_model().replace(kappa=None), x0, 1.0, 0.05, method="euler", save_at=[1.0],
                      backend="dense")
    assert 0.3 < np.linalg.norm(a.x[-1] - det.x[-1], axis=-1).mean() < 1.5


def test_batch_members_have_their_own_streams_and_member_zero_is_the_single_run():
    xb = af.sphere.uniform(12, 3, seed=2, batch=3)
    m = af.AttentionModel(3, 2.0, normalization="sa", kappa=4.0)
    batch = af.simulate(m, xb, 0.5, 0.05, method="euler_maruyama", seed=11, save_at=[0.5], backend="dense")
    single = af.simulate(m, xb[0], 0.5, 0.05, method="euler_maruyama", seed=11, save_at=[0.5],
                         backend="dense")
    np.testing.assert_array_equal(batch.x[-1, 0], single.x[-1])
    other = af.simulate(m, xb[1], 0.5, 0.05, method="euler_maruyama", seed=11, save_at=[0.5],
                        backend="dense")
    assert np.abs(batch.x[-1, 1] - other.x[-1]).max() > 1e-3          # member 1 has stream (11, 1)


def test_every_drift_backend_sees_the_same_brownian_path():
    """USA on S^1 with the identity: dense, numba and the spectral drift agree to rounding, so their
    noisy runs (same seed) agree to ~1e-12 after 20 steps."""
    x0 = af.sphere.uniform(300, 2, seed=3)
    runs = {b: af.simulate(_model(), x0, 1.0, 0.05, method="strang", seed=2, save_at=[1.0], backend=b).x[-1]
            for b in ("dense", "numba", "spectral")}
    for name, x in runs.items():
        assert np.abs(x - runs["dense"]).max() < 1e-11, name


@pytest.mark.parametrize("method", ["euler_maruyama", "strang"])
def test_float32_states_stay_float32(method):
    x0 = af.sphere.uniform(20, 3, seed=0).astype(np.float32)
    m = af.AttentionModel(3, 1.0, kappa=3.0)
    sol = af.simulate(m, x0, 0.2, 0.05, method=method, seed=0, backend="dense")
    assert sol.x.dtype == np.float32


# -- stores and resume ------------------------------------------------------------------------------
def test_a_noisy_run_resumed_from_its_store_equals_the_uninterrupted_run(tmp_path):
    model = af.AttentionModel(3, 1.5, normalization="usa", kappa=3.0)
    x0 = af.sphere.uniform(60, 3, seed=4)
    save_at = np.linspace(0, 2.0, 41)
    full = af.simulate(model, x0, 2.0, 0.01, method="strang", seed=21, save_at=save_at, backend="dense")

    class Stop:
        calls = 0

        def __call__(self, m, x):
            Stop.calls += 1
            if Stop.calls == 25:
                raise KeyboardInterrupt
            return 0.0

    store = tmp_path / "noisy.zarr"
    obs = {"stop": Stop()}
    with pytest.raises(KeyboardInterrupt):
        af.simulate(model, x0, 2.0, 0.01, method="strang", seed=21, save_at=save_at, observables=obs,
                    store=store, backend="dense", flush_seconds=0.0)
    part = af.io.load(store)
    assert 0 < part.t.size < 41 and part.model == model                # kappa stored and read back
    with pytest.raises(ValueError, match="noise seed differs"):
        af.simulate(model, x0, 2.0, 0.01, method="strang", seed=22, save_at=save_at, observables=obs,
                    store=store, backend="dense", resume=True)
    done = af.simulate(model, x0, 2.0, 0.01, method="strang", seed=21, save_at=save_at, observables=obs,
                       store=store, backend="dense", resume=True)
    np.testing.assert_array_equal(done.x, full.x)
    loaded = af.io.load(store)
    np.testing.assert_array_equal(loaded.x, full.x)
    assert loaded.metadata["noise_seed"] == 21


# -- run and sweep files ---------------------------------------------------------------------------
def _doc(**run) -> dict:
    return {"model": {"d": 2, "beta": 1.0, "normalization": "usa", "kappa": 2.0},
            "init": {"kind": "uniform", "n": 50, "seed": 1},
            "run": {"t1": 0.5, "dt": 0.05, "method": "euler_maruyama", **run}}


def test_run_files_take_kappa_and_a_noise_seed():
    cfg = parse_config(_doc(seed=3))
    assert cfg.build_model().kappa == 2.0 and cfg.simulate_kwargs()["seed"] == 3
    sol = cfg.simulate(progress=False)
    direct = af.simulate(cfg.build_model(), cfg.initial_points(), 0.5, 0.05, method="euler_maruyama",
                         seed=3, save_at=cfg.run.save_times())
    np.testing.assert_array_equal(sol.x, direct.x)
    with pytest.raises(ValueError, match=r"\[run\]\.seed.*required with noise"):
        parse_config(_doc())
    plain = _doc(seed=3)
    del plain["model"]["kappa"]
    plain["run"]["method"] = "rk4"
    with pytest.raises(ValueError, match=r"\[run\]\.seed.*seeds nothing"):
        parse_config(plain)
    bad = _doc(seed=1)
    bad["model"]["kappa"] = 0.0
    with pytest.raises(ValueError, match=r"\[model\]\.kappa"):
        parse_config(bad)


def test_the_phase_diagram_sweep_example_parses_and_seeds_the_noise_per_cell():
    spec = load_sweep(EXAMPLES / "noise-phase-diagram.toml")
    assert spec.dims[:2] == ("beta", "kappa")
    cells = list(spec.cells())
    cfgs = [spec.cell_config(i) for i in cells[:5]]
    seeds = [c.run.seed for c in cfgs]
    assert seeds == [spec.cell_seed(i) for i in cells[:5]] and len(set(seeds)) == 5
    assert all(c.model.kappa is not None and c.run.method in ("euler_maruyama", "strang") for c in cfgs)
    with (EXAMPLES / "noise-phase-diagram.toml").open("rb") as fh:
        doc = tomllib.load(fh)
    doc["run"]["seed"] = 5                                      # a fixed noise seed is kept as given
    assert parse_sweep(doc).cell_config(cells[0]).run.seed == 5
