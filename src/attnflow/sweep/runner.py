"""Running a sweep: one task per missing cell, on Dask (or serially), written as cells finish.

Every cell's seed is derived from its coordinates (:meth:`SweepSpec.cell_seed`), so a cell's
result does not depend on which worker ran it, in which order, or whether it was retried. Only
the client writes the store (:class:`.store.Writer`), each cell at most once, while it holds the
store's lock (:mod:`.lock`).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .lock import check_writable, store_lock
from .spec import SweepSpec
from .store import CellResult, Writer, create_store, open_sweep

__all__ = ["SweepSummary", "run_cell", "run_sweep"]


# ---------------------------------------------------------------------------------------
# one cell (runs on a worker)
# ---------------------------------------------------------------------------------------
_MALLOC_TUNED = False


def _prepare_worker() -> str:
    """On a Dask worker: Numba threads = the worker's threads (BLAS is set to 1 by the nanny),
    and glibc's malloc thresholds raised once per process.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also freezes
    glibc's mmap threshold at 128 KiB: every large NumPy temporary is then a fresh mmap whose
    pages fault in again, and a GLPR Fig. 3 cell (2048 x 32 tokens) ran 2.1x slower (6.4 s vs
    3.1 s, measured). ``mallopt`` restores heap reuse (trim at 256 MiB, mmap above 64 MiB).
    Returns the worker's address ("local" outside a worker).
    """
    global _MALLOC_TUNED
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return "local"
    import numba

    numba.set_num_threads(max(1, min(worker.state.nthreads, numba.config.NUMBA_NUM_THREADS)))
    if not _MALLOC_TUNED and sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6")
            libc.mallopt(-1, 256 << 20)                   # M_TRIM_THRESHOLD
            libc.mallopt(-3, 64 << 20)                    # M_MMAP_THRESHOLD
        except (OSError, AttributeError):                 # not glibc: nothing to tune
            pass
        _MALLOC_TUNED = True
    return str(worker.address)


def run_cell(spec: SweepSpec, index: tuple[int, ...]) -> CellResult:
    """Simulate one cell and return its stored values.

    A run that blows up (``FloatingPointError``: a non-finite state or an overflowing USA
    field) and a cell whose combination of axis values does not validate (``ValueError``, e.g.
    an ``init.mu`` of the wrong length for one of the ``d``) are *failed* cells (status -1, NaN
    values, the message kept), not a crashed sweep: retrying them would fail the same way.
    """
    where = _prepare_worker()
    start = time.perf_counter()
    try:
        cfg = spec.cell_config(index)
    except ValueError as exc:
        return CellResult(tuple(index), None, -1, spec.cell_seed(index), 0.0, where, str(exc))
    seed = cfg.init.seed if cfg.init.seed is not None else -1
    try:
        sol = cfg.simulate(progress=False)
    except FloatingPointError as exc:
        return CellResult(tuple(index), None, -1, seed, time.perf_counter() - start, where, str(exc))
    values: dict[str, np.ndarray] = {}
    for name, v in sol.observables.items():
        v = np.asarray(v, dtype=np.float64)
        if v.ndim == 2:                                   # (time, sample) -> (sample, time)
            v = v.T
            if not spec.keep_samples:
                values[name] = v.mean(axis=0)
                values[f"{name}_std"] = v.std(axis=0)
                continue
        values[name] = v
    return CellResult(tuple(index), values, 1, seed, time.perf_counter() - start, where)


# ---------------------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------------------
@dataclass
class SweepSummary:
    """What a call of :func:`run_sweep` did."""

    store: Path
    total: int
    already_done: int
    computed: int
    failed: int
    lost: int
    seconds: float
    workers: int
    cells_per_worker: dict[str, int] = field(default_factory=dict)
    failures: dict[tuple[int, ...], str] = field(default_factory=dict)
    lost_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def missing(self) -> int:
        """Cells still without a result (lost tasks); a rerun with resume computes them."""
        return self.total - self.already_done - self.computed - self.failed

    @property
    def rate(self) -> float:
        """Cells computed per second of wall time."""
        return (self.computed + self.failed) / self.seconds if self.seconds > 0 else math.inf

    def __str__(self) -> str:
        return (f"sweep {self.store}: {self.total} cells; {self.already_done} already done, "
                f"{self.computed} computed, {self.failed} failed, {self.missing} missing; "
                f"{self.seconds:.1f} s on {self.workers} worker(s) ({self.rate:.3g} cells/s)")


def run_sweep(spec: SweepSpec, store: str | os.PathLike, *, scheduler: str | None = None,
              workers: int | None = None, client: Any = None, resume: bool = False,
              overwrite: bool = False, retry_failed: bool = False, progress: bool | None = None,
              max_cells: int | None = None,
              callback: Callable[[CellResult], None] | None = None) -> SweepSummary:
    """Compute every missing cell of a sweep and write it into the Zarr store ``store``.

    Parameters
    ----------
    spec : SweepSpec from :func:`load_sweep` / :func:`parse_sweep`.
    store : path of the Zarr store (created; with ``resume`` reused).
    scheduler : None (a ``LocalCluster`` of ``workers`` single-threaded processes), ``"serial"``
        (in this process, no Dask: a reference and a debugging aid), or the address of a running
        Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"`` (``workers`` is then ignored).
    workers : worker processes of the local cluster (default: the CPU count).
    client : an existing ``distributed.Client`` to use instead (overrides ``scheduler``).
    resume : reuse an existing store made by the same sweep and compute only its missing cells.
    overwrite : replace an existing store.
    retry_failed : with ``resume``, also recompute failed cells (status -1).
    progress : rich progress bar (None: only when stderr is a terminal).
    max_cells : compute at most this many of the missing cells (then stop, as if interrupted).
    callback : called with each :class:`CellResult` after it is written (live monitoring); an
        exception it raises stops the sweep (the cells written so far are kept).

    Returns
    -------
    SweepSummary (counts of cells already done, computed, failed, lost; wall time; workers).

    Raises
    ------
    FileExistsError when ``store`` exists without ``resume`` or ``overwrite``, or another sweep
    writes it (through any path); PermissionError when ``store`` cannot be written (checked
    first); ConnectionError when ``scheduler`` cannot be reached (the store is then untouched);
    ValueError when resuming a store made by a different sweep. KeyboardInterrupt passes through
    after the finished cells are written.
    """
    path = check_writable(store, "store")
    with store_lock(path):
        return _run_locked(spec, path, scheduler, workers, client, resume, overwrite, retry_failed,
                           progress, max_cells, callback)


def _run_locked(spec: SweepSpec, path: Path, scheduler: str | None, workers: int | None, client: Any,
                resume: bool, overwrite: bool, retry_failed: bool, progress: bool | None,
                max_cells: int | None, callback: Callable[[CellResult], None] | None) -> SweepSummary:
    from ..io import check_overwritable, remove_store

    reuse = resume and path.exists()
    if path.exists() and not resume and not overwrite:
        raise FileExistsError(f"store={str(path)!r} exists. Fix: pass resume=True (--resume) to "
                              "compute its missing cells, or overwrite=True (--overwrite).")
    if path.exists() and not reuse:
        check_overwritable(path, "sweep", name="store")      # before anything starts
    if reuse:
        _check_same_sweep(spec, path)
        status = np.asarray(open_sweep(path)["status"].values)
    else:
        status = np.zeros(spec.shape, dtype=np.int8)
    todo_mask = (status == 0) | ((status == -1) if retry_failed else False)
    todo = [tuple(int(i) for i in idx) for idx in np.argwhere(todo_mask)]
    already = spec.size - len(todo)
    if max_cells is not None:
        todo = todo[:max_cells]
    serial = client is None and scheduler == "serial"
    summary = SweepSummary(path, spec.size, already, 0, 0, 0, 0.0, 1 if serial else 0)
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        # connect first: an unreachable scheduler leaves an existing store untouched
        active = None if serial or not todo else stack.enter_context(_connect(client, scheduler, workers))
        if not reuse:
            if path.exists():
                remove_store(path, "sweep", name="store")
            create_store(spec, path)
        writer = Writer(spec, path)
        bar = stack.enter_context(_Progress(spec.size, already, progress))

        def deliver(res: CellResult) -> None:
            writer.write(res)
            summary.cells_per_worker[res.worker] = summary.cells_per_worker.get(res.worker, 0) + 1
            if res.status == 1:
                summary.computed += 1
            else:
                summary.failed += 1
                summary.failures[res.index] = res.message
            bar.advance()
            if callback is not None:
                callback(res)

        if serial:
            for idx in todo:
                deliver(run_cell(spec, idx))
        elif active is not None:
            summary.workers, summary.lost = _run_dask(spec, todo, deliver, active, summary.lost_reasons)
    summary.seconds = time.perf_counter() - start
    return summary


def _check_same_sweep(spec: SweepSpec, path: Path) -> None:
    stored = open_sweep(path).attrs.get("sweep")
    if stored != spec.to_json():
        old = json.loads(stored) if stored else {}
        new = json.loads(spec.to_json())
        diff = [k for k in new if old.get(k) != new.get(k)]
        raise ValueError(f"store={str(path)!r} holds a different sweep (differs in: {', '.join(diff)}). "
                         "Fix: resume with the sweep file that made it, or pass overwrite=True "
                         "(--overwrite) to start over.")


@contextlib.contextmanager
def _connect(client: Any, scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """The Dask client to use: ``client``, one connected to ``scheduler``, or a new LocalCluster's."""
    if client is not None:
        yield client
        return
    from distributed import Client, LocalCluster

    if scheduler is None:
        n = workers or os.cpu_count() or 1
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                          host="127.0.0.1") as cluster, Client(cluster) as own:
            yield own
        return
    try:
        own = Client(scheduler)
    except OSError as exc:                                # refused, timed out, unknown host
        raise ConnectionError(f"scheduler={scheduler!r} cannot be reached ({exc}). Fix: check the address "
                              "(tcp://HOST:PORT) and that the scheduler is running.") from None
    with own:
        yield own


def _run_dask(spec: SweepSpec, todo: list[tuple[int, ...]], deliver, client: Any,
              reasons: dict[str, int]) -> tuple[int, int]:
    """Submit one task per cell and deliver results as they complete; returns (workers, lost).

    ``reasons`` collects the distinct errors of lost tasks.
    """
    from distributed import as_completed

    lost = 0
    futures = []
    try:
        n_workers = len(client.scheduler_info().get("workers", {}))
        tag = spec.fingerprint()
        spec_future = client.scatter(spec, broadcast=True, hash=False)
        futures = [client.submit(run_cell, spec_future, idx, key=f"attnflow-cell-{tag}-"
                                 + "-".join(map(str, idx)), retries=spec.retries, pure=False)
                   for idx in todo]
        done: set[tuple[int, ...]] = set()
        for fut in as_completed(futures):
            try:
                res = fut.result()
            except Exception as exc:               # KilledWorker, a bug: the cell stays missing
                lost += 1
                key = f"{type(exc).__name__}: {exc}"[:300]
                reasons[key] = reasons.get(key, 0) + 1
                continue
            finally:
                fut.release()
            if res.index in done:                  # never write a cell twice
                continue
            done.add(res.index)
            deliver(res)
        return n_workers, lost
    finally:
        for fut in futures:
            fut.cancel()


class _Progress:
    """A rich progress bar of cells (done / total, rate, ETA), or nothing."""

    def __init__(self, total: int, done: int, enabled: bool | None):
        if enabled is None:
            enabled = sys.stderr.isatty()
        self.enabled = enabled
        self.total, self.done = total, done

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                                 TextColumn("ETA"), TimeRemainingColumn(),
                                 console=Console(stderr=True))
            self._bar.start()
            self._task = self._bar.add_task("cells", total=self.total, completed=self.done, rate="")
            self._start, self._new = time.perf_counter(), 0
        return self

    def advance(self) -> None:
        if self.enabled:
            self._new += 1
            rate = self._new / max(time.perf_counter() - self._start, 1e-9)
            self._bar.update(self._task, advance=1, rate=f"{rate:.3g} cells/s")

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self._bar.stop()
