"""Tests of attnflow.sweep: grid parsing, cell seeds, the store, resume, and Dask fault tolerance."""

from __future__ import annotations

import os
import signal
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from attnflow import sphere
from attnflow.sweep import load_sweep, open_sweep, parse_sweep, run_cell, run_sweep

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SMALL = EXAMPLES / "sweep-small.toml"
DATA_VARS = ("clustering_density", "order_parameter", "cluster_count")


def small_doc() -> dict:
    with SMALL.open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def spec():
    return load_sweep(SMALL)


@pytest.fixture(scope="module")
def serial(spec, tmp_path_factory):
    """The reference: every cell computed in this process, no Dask."""
    path = tmp_path_factory.mktemp("serial") / "serial.zarr"
    summary = run_sweep(spec, path, scheduler="serial", progress=False)
    assert summary.computed == spec.size == 16 and summary.failed == 0
    return open_sweep(path).load()


# -- the grid ---------------------------------------------------------------------------------------
def test_the_small_example_parses_into_its_grid(spec):
    assert spec.dims == ("d", "beta", "replica")
    assert spec.shape == (2, 4, 2) and spec.size == 16
    np.testing.assert_allclose(spec.axes[1].values, np.linspace(0.5, 4.0, 4), rtol=0, atol=1e-15)
    assert spec.variables() == DATA_VARS
    np.testing.assert_allclose(spec.times(), np.arange(0, 6.01, 0.5), atol=1e-12)
    cfg = spec.cell_config((1, 2, 1))
    assert cfg.model.d == 3 and cfg.model.beta == spec.axes[1].values[2]
    assert cfg.init.batch == 8 and cfg.init.n == 16 and not cfg.run.save_states
    assert cfg.init.seed == spec.cell_seed((1, 2, 1))
    assert spec.fixed()["n"] == 16 and spec.fixed()["method"] == "layer"


def test_the_shipped_sweep_examples_are_the_documented_grids():
    # [GLPR] Fig. 3: SA, layer dt = 0.1, n = 32, d in {2, 8, 32, 128}, 90 betas 0.1..9, 2048
    # samples per beta, T = 30
    fig3 = load_sweep(EXAMPLES / "glpr-fig3.toml")
    assert fig3.dims == ("d", "beta") and fig3.shape == (4, 90)
    assert fig3.axes[0].values == (2, 8, 32, 128)
    np.testing.assert_allclose(fig3.axes[1].values, np.linspace(0.1, 9.0, 90), atol=1e-15)
    assert fig3.samples == 2048 and not fig3.keep_samples
    cfg = fig3.cell_config((3, 89))
    assert (cfg.model.d, cfg.model.beta, cfg.model.normalization) == (128, 9.0, "sa")
    assert (cfg.init.n, cfg.run.method, cfg.run.dt, cfg.run.t1) == (32, "layer", 0.1, 30.0)
    assert cfg.model.A is None and cfg.model.V is None                 # A = V = I
    d2 = load_sweep(EXAMPLES / "glpr-fig3-d2.toml")
    assert d2.shape == (1, 90)
    # same master seed and coordinates: the d = 2 column of the full sweep has the same cells
    assert [d2.cell_seed((0, i)) for i in range(90)] == [fig3.cell_seed((0, i)) for i in range(90)]
    kmax = load_sweep(EXAMPLES / "kmax-circle.toml")
    assert kmax.dims == ("beta",) and kmax.shape == (32,)
    assert "dominant_mode" in kmax.variables() and kmax.cell_config((0,)).model.d == 2


def test_cell_seeds_are_distinct_stable_and_follow_seed_axes(spec):
    seeds = {spec.cell_seed(i) for i in spec.cells()}
    assert len(seeds) == spec.size
    again = load_sweep(SMALL)
    assert [again.cell_seed(i) for i in again.cells()] == [spec.cell_seed(i) for i in spec.cells()]
    # adding a beta value does not change the seeds of the cells that were there
    doc = small_doc()
    doc["sweep"]["axes"]["beta"] = [*spec.axes[1].values, 5.0]
    longer = parse_sweep(doc)
    assert longer.cell_seed((0, 1, 1)) == spec.cell_seed((0, 1, 1))
    # common random numbers: seeds that ignore beta are shared along beta
    doc = small_doc()
    doc["sweep"]["seed_axes"] = ["d", "replica"]
    common = parse_sweep(doc)
    assert common.cell_seed((0, 0, 1)) == common.cell_seed((0, 3, 1)) != common.cell_seed((0, 3, 0))
    doc["sweep"]["seed"] = 1
    assert parse_sweep(doc).cell_seed((0, 0, 1)) != common.cell_seed((0, 0, 1))


def test_a_cell_equals_a_plain_simulation_with_its_seed(spec):
    from attnflow import simulate

    idx = (0, 3, 1)
    res = run_cell(spec, idx)
    cfg = spec.cell_config(idx)
    x0 = sphere.uniform(16, 2, seed=spec.cell_seed(idx), batch=8)
    sol = simulate(cfg.build_model(), x0, 6.0, 0.1, "layer", save_at=spec.times(),
                   observables=list(DATA_VARS), save_states=False)
    assert res.status == 1
    for name in DATA_VARS:
        np.testing.assert_array_equal(res.values[name], sol.observables[name].T)   # (sample, time)


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda d: d["sweep"]["axes"].update(betta=[1.0]), "'betta' is not a short axis name"),
        (lambda d: d["sweep"]["axes"].update({"run.t1": [1.0, 2.0]}), "cannot be an axis"),
        (lambda d: d["sweep"]["axes"].update(beta=[]), "holds no values"),
        (lambda d: d["sweep"]["axes"].update(beta={"start": 1.0, "stop": 2.0}), "missing required key 'num'"),
        (lambda d: d["sweep"]["axes"].update(beta=[1.0, 1.0]), "repeats a value"),
        (lambda d: d["sweep"]["axes"].update(replica=0), "must be >= 1"),
        (lambda d: d["sweep"]["axes"].update(d=[2, 1]), "[model].d"),
        (lambda d: d["sweep"].update(sampels=4), "'sampels'"),
        (lambda d: d["sweep"].update(seed_axes=["gamma"]), "seed_axes"),
        (lambda d: d["run"].update(save_states=True), "observables only"),
        (lambda d: d["sweep"]["axes"].update({"model.A.seed": [0, 1]}), "is not a table"),
        (lambda d: d.pop("sweep"), "no [sweep] section"),
    ],
)
def test_bad_sweep_files_name_the_key_and_the_fix(edit, fragment):
    doc = small_doc()
    edit(doc)
    with pytest.raises(ValueError, match="Fix") as info:
        parse_sweep(doc)
    assert fragment in str(info.value)


def test_a_random_matrix_seed_can_be_an_axis():
    doc = small_doc()
    doc["model"]["A"] = {"ensemble": "ginibre", "seed": 0}
    doc["sweep"]["axes"] = {"model.A.seed": [0, 1, 2], "replica": 1}
    spec = parse_sweep(doc)
    assert spec.dims == ("A_seed", "replica")
    mats = [spec.cell_config((i, 0)).build_model().A for i in range(3)]
    assert not np.allclose(mats[0], mats[1]) and not np.allclose(mats[1], mats[2])


# -- the store --------------------------------------------------------------------------------------
def test_the_serial_store_holds_every_cell_once(serial, spec):
    assert serial.attrs["axes"] == ["d", "beta", "replica"]
    assert serial["clustering_density"].dims == ("d", "beta", "replica", "sample", "time")
    assert np.all(serial["status"].values == 1) and np.all(serial["write_count"].values == 1)
    for name in DATA_VARS:
        assert np.all(np.isfinite(serial[name].values))
    dens = serial["clustering_density"].values
    assert np.all((dens >= 0) & (dens <= 1))
    np.testing.assert_array_equal(serial["seed"].values.reshape(-1),
                                  [spec.cell_seed(i) for i in spec.cells()])
    # order parameter of a uniform start ~ N^{-1/2}; clustering drives it up at small beta
    r = serial["order_parameter"]
    assert float(r.isel(time=0).mean()) < 0.4
    assert float(r.sel(d=2, beta=0.5).isel(time=-1).mean()) > 0.8


def test_keep_samples_false_stores_mean_and_std(tmp_path, serial):
    doc = small_doc()
    doc["sweep"]["keep_samples"] = False
    spec = parse_sweep(doc)
    assert spec.variables() == tuple(v for n in DATA_VARS for v in (n, f"{n}_std"))
    run_sweep(spec, tmp_path / "avg.zarr", scheduler="serial", progress=False)
    ds = open_sweep(tmp_path / "avg.zarr").load()
    assert "sample" not in ds.dims
    for name in DATA_VARS:
        np.testing.assert_allclose(ds[name].values, serial[name].mean("sample").values, rtol=1e-14)
        np.testing.assert_allclose(ds[f"{name}_std"].values, serial[name].std("sample").values,
                                   rtol=1e-12, atol=1e-15)


def test_interrupted_sweep_resumes_computing_only_the_missing_cells(tmp_path, spec, serial):
    path = tmp_path / "s.zarr"
    seen = []

    def stop_after_five(res):
        seen.append(res.index)
        if len(seen) == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, path, scheduler="serial", progress=False, callback=stop_after_five)
    ds = open_sweep(path).load()
    assert int((ds["status"] == 1).sum()) == 5                  # the five delivered cells are kept
    assert np.isnan(ds["order_parameter"].values).sum() == 11 * 8 * 13
    with pytest.raises(FileExistsError, match="resume"):
        run_sweep(spec, path, scheduler="serial", progress=False)
    summary = run_sweep(spec, path, scheduler="serial", progress=False, resume=True)
    assert summary.already_done == 5 and summary.computed == 11 and summary.missing == 0
    ds = open_sweep(path).load()
    assert np.all(ds["write_count"].values == 1)
    for name in DATA_VARS:
        np.testing.assert_array_equal(ds[name].values, serial[name].values)
    again = run_sweep(spec, path, scheduler="serial", progress=False, resume=True)
    assert again.computed == 0 and again.already_done == 16


def test_max_cells_stops_early_and_resume_refuses_another_sweep(tmp_path, spec):
    path = tmp_path / "s.zarr"
    first = run_sweep(spec, path, scheduler="serial", progress=False, max_cells=3)
    assert first.computed == 3 and first.missing == 13
    doc = small_doc()
    doc["sweep"]["seed"] = 7
    with pytest.raises(ValueError, match="different sweep"):
        run_sweep(parse_sweep(doc), path, scheduler="serial", progress=False, resume=True)
    replaced = run_sweep(parse_sweep(doc), path, scheduler="serial", progress=False, overwrite=True,
                         max_cells=1)
    assert replaced.already_done == 0 and replaced.computed == 1


def test_a_cell_that_blows_up_is_recorded_as_failed(tmp_path):
    # USA at a huge beta overflows the field: the cell fails, the sweep goes on
    doc = small_doc()
    doc["model"]["normalization"] = "usa"
    doc["sweep"]["axes"] = {"beta": [1.0, 900.0]}
    spec = parse_sweep(doc)
    summary = run_sweep(spec, tmp_path / "f.zarr", scheduler="serial", progress=False)
    assert summary.computed == 1 and summary.failed == 1
    assert "overflow" in summary.failures[(1,)].lower() or "finite" in summary.failures[(1,)].lower()
    ds = open_sweep(tmp_path / "f.zarr").load()
    np.testing.assert_array_equal(ds["status"].values, [1, -1])
    assert np.all(np.isnan(ds["order_parameter"].sel(beta=900.0).values))
    retried = run_sweep(spec, tmp_path / "f.zarr", scheduler="serial", progress=False, resume=True,
                        retry_failed=True)
    assert retried.failed == 1 and retried.already_done == 1


def test_a_combination_that_does_not_validate_is_a_failed_cell(tmp_path):
    # each value validates with the others' first value, but (d = 3, equispaced) does not exist
    doc = small_doc()
    del doc["sweep"]["samples"]
    doc["sweep"]["axes"] = {"d": [2, 3], "init.kind": ["uniform", "equispaced"]}
    spec = parse_sweep(doc)
    summary = run_sweep(spec, tmp_path / "c.zarr", scheduler="serial", progress=False)
    assert summary.computed == 3 and summary.failed == 1
    assert "S^1" in summary.failures[(1, 1)] and "Fix" in summary.failures[(1, 1)]
    np.testing.assert_array_equal(open_sweep(tmp_path / "c.zarr")["status"].values, [[1, 1], [1, -1]])


def test_a_store_is_written_by_one_sweep_at_a_time(tmp_path, spec):
    import socket
    import subprocess

    path = tmp_path / "s.zarr"
    lock = tmp_path / "s.zarr.lock"
    lock.write_text(f"{os.getpid()} {socket.gethostname()}")          # a live writer
    with pytest.raises(FileExistsError, match="another sweep"):
        run_sweep(spec, path, scheduler="serial", progress=False, max_cells=1)
    assert not path.exists()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    lock.write_text(f"{gone.stdout.strip()} {socket.gethostname()}")   # a writer that died
    summary = run_sweep(spec, path, scheduler="serial", progress=False, max_cells=1)
    assert summary.computed == 1 and not lock.exists()                # taken over, then released


def test_open_sweep_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        open_sweep(tmp_path / "none.zarr")


def test_a_sweep_store_opens_with_xarray_without_any_warning(tmp_path, spec):
    import warnings

    import xarray as xr

    path = tmp_path / "s.zarr"
    run_sweep(spec, path, scheduler="serial", progress=False, max_cells=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                        # e.g. "no consolidated metadata"
        ds = xr.open_zarr(path)
        again = open_sweep(path)
    assert ds.attrs["kind"] == "attnflow sweep" and int((ds["status"] == 1).sum()) == 2
    np.testing.assert_array_equal(again["status"].values, ds["status"].values)
    # a store written before consolidated metadata still opens, also without a warning
    old = tmp_path / "old.zarr"
    xr.Dataset({"status": ("beta", np.array([1, 0], dtype=np.int8))}, coords={"beta": [1.0, 2.0]},
               attrs={"kind": "attnflow sweep"}).to_zarr(old, consolidated=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(open_sweep(old)["status"].values, [1, 0])


def test_the_lock_holds_through_symlinks(tmp_path, spec):
    from attnflow.sweep.lock import store_lock

    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "via").symlink_to(real, target_is_directory=True)   # a symlinked folder
    (real / "alias.zarr").symlink_to(real / "s.zarr")                # a symlink to the store itself
    with store_lock(real / "s.zarr") as lock:
        assert lock == real.resolve() / "s.zarr.lock"
        for other in (tmp_path / "via" / "s.zarr", real / "alias.zarr", real / "sub" / ".." / "s.zarr"):
            with pytest.raises(FileExistsError, match="another sweep") as info:
                run_sweep(spec, other, scheduler="serial", progress=False, max_cells=1)
            assert str(real.resolve() / "s.zarr") in str(info.value)        # the store both paths reach
    assert not (real / "s.zarr").exists() and not lock.exists()


def test_an_unwritable_store_is_reported_as_such_before_anything_runs(tmp_path, spec):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    store = blocker / "s.zarr"                                   # fails for root too
    with pytest.raises(PermissionError, match=r"store=.*a_file/s\.zarr.*cannot be written"):
        run_sweep(spec, store, scheduler="tcp://127.0.0.1:1", progress=False)


def test_a_store_in_a_read_only_folder_is_reported_as_unwritable(tmp_path, spec):
    readonly = tmp_path / "ro"
    readonly.mkdir()
    readonly.chmod(0o555)
    try:
        if os.access(readonly, os.W_OK):
            pytest.skip("this user (root) can write into a read-only folder")
        with pytest.raises(PermissionError, match="no write permission"):
            run_sweep(spec, readonly / "s.zarr", scheduler="serial", progress=False)
    finally:
        readonly.chmod(0o755)


# -- Dask -------------------------------------------------------------------------------------------
def test_an_unreachable_scheduler_leaves_the_store_untouched(tmp_path, spec):
    dask = pytest.importorskip("dask")
    path = tmp_path / "s.zarr"
    run_sweep(spec, path, scheduler="serial", progress=False, max_cells=3)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}), \
            pytest.raises(ConnectionError, match=r"scheduler='tcp://127\.0\.0\.1:1' cannot be reached"):
        run_sweep(spec, path, scheduler="tcp://127.0.0.1:1", progress=False, overwrite=True)
    assert int((open_sweep(path)["status"] == 1).sum()) == 3      # not replaced before connecting


def test_local_cluster_with_a_killed_worker_loses_and_duplicates_nothing(tmp_path, spec, serial):
    """2 worker processes over TCP on loopback; one SIGKILLs itself while it executes a cell.

    A watcher thread on the victim polls its executing tasks every millisecond and, as soon as a
    cell runs, writes the cell's key to a file and kills its own process (no race with the cell's
    end: the cell takes ~0.1 s). The killed cell must then come from the other worker (the retry
    path), and the store must equal the serial run bit for bit, each cell written once.
    """
    distributed = pytest.importorskip("distributed")
    record = tmp_path / "killed_cell.txt"

    def die_inside_a_cell(dask_worker, record):
        import threading
        import time

        def watch():
            while True:
                keys = [str(ts.key) for ts in list(dask_worker.state.executing)]
                cells = [k for k in keys if k.startswith("attnflow-cell-")]
                if cells:
                    with open(record, "w") as fh:
                        fh.write(cells[0])
                        fh.flush()
                        os.fsync(fh.fileno())
                    os.kill(os.getpid(), signal.SIGKILL)
                time.sleep(0.001)

        threading.Thread(target=watch, daemon=True).start()

    delivered: dict[tuple[int, ...], str] = {}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", host="127.0.0.1") as cluster, \
            distributed.Client(cluster) as client:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        pids = client.run(os.getpid)
        victim = sorted(pids)[0]
        client.run(die_inside_a_cell, record=str(record), workers=[victim])
        summary = run_sweep(spec, tmp_path / "dask.zarr", client=client, progress=False,
                            callback=lambda res: delivered.setdefault(res.index, res.worker))
        after = client.run(os.getpid)
    assert pids[victim] not in after.values()                 # the worker really died
    key = record.read_text()                                  # ... while it was running this cell
    killed = tuple(int(i) for i in key.split("-")[-len(spec.shape):])
    assert key == f"attnflow-cell-{spec.fingerprint()}-" + "-".join(map(str, killed))
    assert delivered[killed] != victim                        # recomputed on another worker
    assert summary.computed == 16 and summary.already_done == 0 and summary.lost == 0
    ds = open_sweep(tmp_path / "dask.zarr").load()
    assert np.all(ds["status"].values == 1)
    assert np.all(ds["write_count"].values == 1)               # no cell written twice
    for name in DATA_VARS:
        np.testing.assert_array_equal(ds[name].values, serial[name].values)


# -- the command line -------------------------------------------------------------------------------
def test_cli_sweep_resume_and_plot_sweep(tmp_path):
    from typer.testing import CliRunner

    from attnflow.cli import app

    runner = CliRunner()
    store = tmp_path / "small.zarr"
    args = ["sweep", str(SMALL), "--store", str(store), "--scheduler", "serial", "--no-progress"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "computed" in first.output and "16" in first.output
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "--resume" in again.output
    resumed = runner.invoke(app, [*args, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert open_sweep(store)["write_count"].values.max() == 1       # nothing recomputed
    png = tmp_path / "pd.png"
    drawn = runner.invoke(app, ["plot-sweep", str(store), "--var", "clustering_density", "--x", "beta",
                                "--facet", "d", "--theory", "equiangular", "--out", str(png)])
    assert drawn.exit_code == 0, drawn.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    curve = runner.invoke(app, ["plot-sweep", str(store), "--var", "cluster_count", "--x", "beta",
                                "--curve", "--select", "d=2", "--theory", "kmax"])
    assert curve.exit_code == 0, curve.output
    assert (tmp_path / "small_cluster_count.png").exists()
    bad = runner.invoke(app, ["plot-sweep", str(store), "--var", "clustering_densty", "--x", "beta",
                              "--facet", "d"])
    assert bad.exit_code == 2 and "clustering_density" in bad.output and "Traceback" not in bad.output
    plan = runner.invoke(app, ["sweep", str(SMALL), "--dry-run", "--store", str(tmp_path / "dry.zarr")])
    assert plan.exit_code == 0 and "16" in plan.output and "axis beta" in plan.output
    assert not (tmp_path / "dry.zarr").exists()                    # a dry run writes nothing
    typo = tmp_path / "typo.toml"
    typo.write_text(SMALL.read_text().replace("samples = 8", "sample = 8"))
    wrong = runner.invoke(app, ["sweep", str(typo), "--store", str(tmp_path / "t.zarr")])
    assert wrong.exit_code == 2 and "'sample'" in wrong.output
