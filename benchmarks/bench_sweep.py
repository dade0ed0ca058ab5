"""Scaling of a sweep with the number of Dask workers, measured in one run.

Usage: python benchmarks/bench_sweep.py [--workers 1 2] [--betas 24] [--samples 1024]

The case is the d = 2 column of the GLPR Figure 3 phase diagram (examples/glpr-fig3-d2.toml):
SA, layer scheme dt = 0.1, n = 32, t <= 30, clustering density saved every 0.5, with fewer
betas (``--betas``, from 0.1 to 9) and samples per cell (``--samples``) so that one row takes
about a minute. Each row runs the whole sweep on a fresh LocalCluster of W single-threaded
worker processes (start-up included) into a fresh store and prints the wall time, the rate,
the sum of the cell times on the workers, and the speed-up and parallel efficiency against the
first row. The stores of all rows are checked to be identical bit for bit. The load average is
printed before and after: other processes on the cores make every number slower.

Measured for the docs (docs/sweeps.md) with the full d = 2 column: 287.7 s on 1 worker,
150.6 s on 2 (1.91x).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from attnflow.sweep import load_sweep, open_sweep, parse_sweep, run_sweep

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--betas", type=int, default=24)
    parser.add_argument("--samples", type=int, default=1024)
    args = parser.parse_args()
    base = load_sweep(ROOT / "examples" / "glpr-fig3-d2.toml")
    doc = {**base.base, "sweep": {"seed": base.seed, "samples": args.samples, "keep_samples": False,
                                  "axes": {"beta": {"start": 0.1, "stop": 9.0, "num": args.betas}}}}
    spec = parse_sweep(doc)
    print(f"{spec!r}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'workers':>7} {'wall s':>8} {'cells/s':>8} {'cell s':>8} {'speed-up':>9} {'efficiency':>10}")
    first = None
    reference = None
    with tempfile.TemporaryDirectory() as tmp:
        for w in args.workers:
            path = Path(tmp) / f"w{w}.zarr"
            start = time.perf_counter()
            summary = run_sweep(spec, path, workers=w, progress=False)
            wall = time.perf_counter() - start
            ds = open_sweep(path).load()
            cell_time = float(ds["wall_time"].sum())
            if first is None:
                first, reference = (wall, w), ds["clustering_density"].values
            else:
                assert np.array_equal(ds["clustering_density"].values, reference), "stores differ"
            speedup = first[0] / wall
            eff = speedup / (w / first[1])
            print(f"{w:>7} {wall:>8.1f} {summary.rate:>8.3f} {cell_time:>8.1f} {speedup:>8.2f}x "
                  f"{100 * eff:>9.0f}%")
    print(f"identical stores: yes; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
