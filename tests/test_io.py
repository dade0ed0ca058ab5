import numpy as np
import pytest

import attnflow as af


def _run(**kw):
    model = af.AttentionModel.random(3, 1.5, "ginibre", seed=1, normalization="usa")
    x0 = af.sphere.uniform(12, 3, seed=2)
    args = dict(t1=2.0, dt=0.05, method="rk4", save_at=np.linspace(0, 2, 21),
                provenance={"init": {"seed": 2}})
    args.update(kw)
    return model, x0, args


def _assert_same(a, b):
    np.testing.assert_array_equal(a.t, b.t)
    if a.x is None:
        assert b.x is None
    else:
        np.testing.assert_array_equal(a.x, b.x)
    assert a.model == b.model and a.method == b.method and a.dt == b.dt
    assert sorted(a.observables) == sorted(b.observables)
    for k in a.observables:
        np.testing.assert_array_equal(a.observables[k], b.observables[k])


@pytest.mark.parametrize("suffix", [".zarr", ".nc"])
def test_save_load_roundtrip(tmp_path, suffix):
    model, x0, args = _run()
    sol = af.simulate(model, x0, observables=["energy", "order_parameter"], **args)
    path = af.io.save(sol, tmp_path / f"run{suffix}")
    back = af.io.load(path)
    _assert_same(sol, back)
    assert back.metadata["seed"] == 2 and back.metadata["backend"] == "dense"
    with pytest.raises(FileExistsError, match="overwrite=True"):
        af.io.save(sol, path)


def test_dataset_layout_batched():
    model = af.AttentionModel(d=2, beta=1.0)
    sol = af.simulate(model, af.sphere.uniform(7, 2, seed=0, batch=2), 0.5, 0.1,
                      observables=["order_parameter"])
    ds = af.io.to_dataset(sol)
    assert ds["x"].dims == ("time", "batch", "particle", "dim")
    assert ds["order_parameter"].dims == ("time", "batch")
    assert ds.attrs["beta"] == 1.0 and ds.attrs["normalization"] == "sa"
    assert ds.attrs["method"] == "rk4" and "attnflow_version" in ds.attrs


def test_store_written_during_run_equals_result(tmp_path):
    model, x0, args = _run()
    sol = af.simulate(model, x0, store=tmp_path / "s.zarr", observables=["energy"], **args)
    _assert_same(sol, af.io.load(tmp_path / "s.zarr"))
    with pytest.raises(FileExistsError, match="resume=True"):
        af.simulate(model, x0, store=tmp_path / "s.zarr", observables=["energy"], **args)


class _CtrlC:
    """An observable that interrupts the run (as Ctrl-C would) once, after some saves."""

    def __init__(self, stop_after):
        self.stop_after, self.calls_seen, self.fired = stop_after, 0, False

    def __call__(self, model, x):
        if not self.fired and self.calls_seen >= self.stop_after:
            self.fired = True
            raise KeyboardInterrupt
        self.calls_seen += 1
        return 0.0


@pytest.mark.parametrize("method", ["rk4", "layer", "dopri5"])
@pytest.mark.parametrize("save_states", [True, False])
def test_interrupted_run_resumes_to_identical_result(tmp_path, method, save_states):
    model, x0, args = _run(method=method, save_states=save_states)
    full = af.simulate(model, x0, observables=["energy"], **args)
    stop = _CtrlC(11)                                 # interrupt at the 12th save
    obs = {"energy": af.observables.OBSERVABLES["energy"], "stop": stop}
    path = tmp_path / "r.zarr"
    with pytest.raises(KeyboardInterrupt):
        af.simulate(model, x0, store=path, observables=obs, flush_seconds=0.0, **args)
    partial = af.io.load(path)
    assert 0 < partial.t.size < full.t.size          # data written before the interrupt kept
    assert partial.metadata["status"] == "interrupted"
    resumed = af.simulate(model, x0, store=path, resume=True, observables=obs, **args)
    assert resumed.metadata["status"] == "complete"
    np.testing.assert_array_equal(resumed.t, full.t)
    if save_states:
        np.testing.assert_array_equal(resumed.x, full.x)
    np.testing.assert_array_equal(resumed.observables["energy"], full.observables["energy"])
    _assert_same(resumed, af.io.load(path))


def test_resume_refuses_a_different_run(tmp_path):
    model, x0, args = _run()
    path = tmp_path / "r.zarr"
    af.simulate(model, x0, store=path, **args)
    with pytest.raises(ValueError, match=r"store=.*dt differs"):
        af.simulate(model, x0, store=path, resume=True, **dict(args, dt=0.1))
    with pytest.raises(ValueError, match=r"store=.*model differs"):
        af.simulate(model.replace(beta=2.0), x0, store=path, resume=True, **args)


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="path="):
        af.io.load(tmp_path / "missing.zarr")
