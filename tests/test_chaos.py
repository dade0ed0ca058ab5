import numpy as np

from attnflow.experiments.chaos import particles_vs_pde


def test_particles_track_the_pde_at_the_sqrt_n_level_during_the_linear_phase():
    ds = particles_vs_pde(beta=5.0, Ns=(200, 3200), t1=0.12, n_saves=4, seeds=(0, 1, 2, 3), M=512)
    w = ds["w1"].mean("seed").values                      # (N, time)
    assert ds.attrs["pde_status"] == "complete" and np.all(np.isfinite(w))
    assert ds.attrs["k_max"] == 3
    # W1(mu^N_0, rho_0) ~ c / sqrt(N) for iid samples on S^1 (measured c ~ 1.2-1.6)
    c = w[:, 0] * np.sqrt(ds["N"].values)
    assert np.all((0.5 < c) & (c < 3.0)), c
    # 16x more particles: ~4x closer at every time of the linear phase (propagation of chaos)
    ratio = w[0] / w[1]
    assert np.all((2.0 < ratio) & (ratio < 8.0)), ratio
    # the deviation grows, but no faster than the linear instability allows (gamma_max)
    growth = w[:, -1] / w[:, 0]
    assert np.all(growth > 1.2) and np.all(growth < 2 * np.exp(ds.attrs["gamma_max"] * 0.12)), growth
