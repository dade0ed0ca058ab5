"""Propagation of chaos on S^1: N-particle runs against the mean-field PDE (USA, beta = 5).

Writes docs/figures/particles_vs_pde.png and prints W_1 over time for each N.
Run: .venv/bin/python examples/particles_vs_pde.py   (about 2 minutes on 2 cores)
"""

import time
import warnings
from pathlib import Path

import numpy as np

from attnflow.experiments.chaos import particles_vs_pde, plot_particles_vs_pde

if __name__ == "__main__":
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                    # the PDE stops once clusters form
        ds = particles_vs_pde(Ns=(1000, 4000, 20000, 100000), t1=0.35, n_saves=36, seeds=(0, 1, 2))
    out = Path(__file__).resolve().parents[1] / "docs" / "figures" / "particles_vs_pde.png"
    plot_particles_vs_pde(ds, out)
    w = ds["w1"].mean("seed")
    wall = time.perf_counter() - start
    print(f"wall time {wall:.0f} s; PDE resolved until t = {ds.attrs['pde_t_end']:.3f}")
    print("t      " + " ".join(f"N={n:<9d}" for n in ds["N"].values))
    for k in range(0, ds["time"].size, 5):
        if np.isfinite(w.values[0, k]):
            print(f"{float(ds['time'][k]):.3f}  " + " ".join(f"{v:<11.4g}" for v in w.values[:, k]))
    print("sqrt(N) W1(0):", np.round(w.isel(time=0).values * np.sqrt(ds["N"].values), 3))
    print("predicted horizon log(N)/(2 gamma_max):", np.round(ds["horizon"].values, 3))
    print("particle wall time per run (s):", np.round(ds["wall_time"].mean("seed").values, 2))
