"""Run stores survive hard kills: the commit protocol of attnflow.io.runstore, tested with real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import attnflow as af
from attnflow.io import DamagedStoreError

# the run every trial kills: USA on S^2, random A and V, rk4, a save every step, a commit every step
RUN = """
import sys, numpy as np, attnflow as af
model = af.AttentionModel.random(3, 1.5, "ginibre", seed=1, normalization="usa")
x0 = af.sphere.uniform(400, 3, seed=2)
af.simulate(model, x0, {t1}, 0.01, "rk4", save_at=np.linspace(0, {t1}, {saves}),
            observables=["energy", "order_parameter"], store=sys.argv[1], resume=len(sys.argv) > 2,
            flush_seconds=0.0, backend="dense")
"""
T1, SAVES = 4.0, 401


def _args():
    model = af.AttentionModel.random(3, 1.5, "ginibre", seed=1, normalization="usa")
    x0 = af.sphere.uniform(400, 3, seed=2)
    kw = dict(save_at=np.linspace(0, T1, SAVES), observables=["energy", "order_parameter"], backend="dense")
    return model, x0, kw


@pytest.fixture(scope="module")
def full():
    model, x0, kw = _args()
    return af.simulate(model, x0, T1, 0.01, "rk4", **kw)


def _script(tmp_path: Path) -> Path:
    path = tmp_path / "run.py"
    path.write_text(RUN.format(t1=T1, saves=SAVES))
    return path


def _start(script: Path, store: Path, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(Path(af.__file__).parents[1]))
    return subprocess.Popen([sys.executable, str(script), str(store), *extra], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for_commits(store: Path, at_least: int, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if json.loads((store / "zarr.json").read_text())["attributes"].get("committed", 0) >= at_least:
                return
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.01)
    raise AssertionError(f"no {at_least} commits in {timeout} s")


@pytest.mark.parametrize("trial,sig", [(0, signal.SIGKILL), (1, signal.SIGKILL), (2, signal.SIGKILL),
                                       (3, signal.SIGTERM)])
def test_a_killed_run_is_readable_and_resumes_to_the_uninterrupted_run(tmp_path, full, trial, sig):
    """Kill at a random moment (every step is a commit, so most kills land inside a flush); the
    store must load with the committed prefix and status, and --resume must finish it bit for bit."""
    rng = np.random.default_rng(trial)
    script = _script(tmp_path)
    store = tmp_path / "run.zarr"
    proc = _start(script, store)
    _wait_for_commits(store, 5)
    time.sleep(float(rng.uniform(0.0, 1.0)))
    proc.send_signal(sig)
    proc.wait(timeout=30)
    part = af.io.load(store)
    assert part.metadata["status"] in ("killed", "complete")
    n = part.t.size
    assert n >= 5
    np.testing.assert_array_equal(part.t, full.t[:n])
    np.testing.assert_array_equal(part.x, full.x[:n])
    for name in ("energy", "order_parameter"):
        np.testing.assert_array_equal(part.observables[name], full.observables[name][:n])
    resumed = _start(script, store, "--resume")
    assert resumed.wait(timeout=120) == 0, resumed.stderr.read().decode()[-2000:]
    done = af.io.load(store)
    assert done.metadata["status"] == "complete"
    np.testing.assert_array_equal(done.t, full.t)
    np.testing.assert_array_equal(done.x, full.x)
    for name in ("energy", "order_parameter"):
        np.testing.assert_array_equal(done.observables[name], full.observables[name])


def test_a_store_being_written_is_readable_from_another_process(tmp_path, full):
    script = _script(tmp_path)
    store = tmp_path / "run.zarr"
    proc = _start(script, store)
    try:
        _wait_for_commits(store, 3)
        seen = []
        for _ in range(5):
            sol = af.io.load(store)
            seen.append(sol.t.size)
            assert sol.metadata["status"] in ("running", "complete")
            np.testing.assert_array_equal(sol.x, full.x[: sol.t.size])
            time.sleep(0.05)
        assert seen == sorted(seen) and seen[-1] >= 3
    finally:
        proc.kill()
        proc.wait()


def _finished_store(tmp_path: Path) -> Path:
    model, x0, _ = _args()
    store = tmp_path / "s.zarr"
    af.simulate(model, x0[:20], 0.5, 0.05, "rk4", save_at=np.linspace(0, 0.5, 11),
                observables=["energy"], store=store)
    return store


def test_a_missing_chunk_is_named_not_read_as_nan(tmp_path):
    store = _finished_store(tmp_path)
    chunks = sorted(p for p in (store / "energy" / "c").rglob("*") if p.is_file())
    assert chunks
    chunks[0].unlink()
    with pytest.raises(DamagedStoreError, match=r"variable 'energy' is missing .* saves, 0\.\.10"):
        af.io.load(store)


def test_an_undecodable_chunk_is_named(tmp_path):
    store = _finished_store(tmp_path)
    chunk = next(p for p in (store / "x" / "c").rglob("*") if p.is_file())
    chunk.write_bytes(b"\x00garbage" * 3)
    with pytest.raises(DamagedStoreError, match=r"variable 'x' cannot be decoded at saves 0\.\."):
        af.io.load(store)


def test_rows_past_the_commit_are_never_read_and_are_rewritten_on_resume(tmp_path, full):
    """Data written after the last commit (a kill between data and commit) is ignored by readers
    and overwritten by resume: no duplicated saves."""
    model, x0, kw = _args()
    store = tmp_path / "r.zarr"

    class Stop:
        calls = 0

        def __call__(self, m, x):
            Stop.calls += 1
            if Stop.calls == 40:
                raise KeyboardInterrupt
            return 0.0

    obs = {"energy": af.observables.OBSERVABLES["energy"], "order_parameter":
           af.observables.OBSERVABLES["order_parameter"], "stop": Stop()}
    with pytest.raises(KeyboardInterrupt):
        af.simulate(model, x0, T1, 0.01, "rk4", save_at=kw["save_at"], observables=obs, store=store,
                    backend="dense", flush_seconds=0.0)
    import zarr

    n = af.io.load(store).t.size
    zarr.open_group(str(store), mode="r+")["x"][n:n + 3] = 7.0        # junk past the commit
    assert af.io.load(store).t.size == n
    done = af.simulate(model, x0, T1, 0.01, "rk4", save_at=kw["save_at"], observables=obs, store=store,
                       backend="dense", resume=True)
    assert done.t.size == SAVES
    np.testing.assert_array_equal(done.x, full.x)
    np.testing.assert_array_equal(af.io.load(store).x, full.x)


def test_resume_refuses_another_initial_state(tmp_path):
    model, x0, _ = _args()
    store = tmp_path / "r.zarr"
    af.simulate(model, x0[:20], 0.2, 0.05, store=store, provenance={"init": {"seed": 2}})
    with pytest.raises(ValueError, match="initial state x0 differs"):
        af.simulate(model, af.sphere.uniform(20, 3, seed=3), 0.2, 0.05, store=store, resume=True,
                    provenance={"init": {"seed": 2}})
    with pytest.raises(ValueError, match="provenance differs"):
        af.simulate(model, x0[:20], 0.2, 0.05, store=store, resume=True, provenance={"init": {"seed": 3}})


def test_the_cli_turns_sigterm_into_an_interrupted_resumable_run_and_plots_it(tmp_path):
    """`attnflow simulate` under SIGTERM: status "interrupted", `plot` reads it, `--resume` ends it."""
    cfg = tmp_path / "run.toml"
    cfg.write_text('[model]\nd = 3\nbeta = 1.0\nnormalization = "usa"\n[init]\nkind = "uniform"\nn = 300\n'
                   'seed = 1\n[run]\nt1 = 12.0\ndt = 0.002\nmethod = "rk4"\nsave_every = 0.02\n'
                   'observables = ["energy"]\nbackend = "dense"\n')
    store = tmp_path / "run.zarr"
    env = dict(os.environ, PYTHONPATH=str(Path(af.__file__).parents[1]))
    cli = [sys.executable, "-m", "attnflow.cli"]
    proc = subprocess.Popen([*cli, "simulate", str(cfg), "--out", str(store), "--no-progress"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for_commits(store, 0)                              # the store exists: the run has started
    time.sleep(1.0)                                          # the whole run takes about 6 s
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    assert b"--resume" in err
    part = af.io.load(store)
    assert part.metadata["status"] == "interrupted" and 0 < part.t.size < 601 and part.t[-1] < 12.0
    plotted = subprocess.run([*cli, "plot", str(store), "--out", str(tmp_path / "figs")], env=env,
                             capture_output=True)
    assert plotted.returncode == 0, plotted.stderr.decode()
    assert any((tmp_path / "figs").glob("*.png"))
    done = subprocess.run([*cli, "simulate", str(cfg), "--out", str(store), "--resume", "--no-progress"],
                          env=env, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    final = af.io.load(store)
    assert final.metadata["status"] == "complete" and final.t.size == 601
    np.testing.assert_array_equal(final.x[: part.t.size], part.x)
