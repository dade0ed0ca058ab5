"""Sizes of the [C] reproduction: one :class:`Settings` per mode (:data:`QUICK` for CI, :data:`FULL`)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FULL", "QUICK", "Settings"]


@dataclass(frozen=True)
class Settings:
    """Run sizes of the seven groups of rows (see :mod:`attnflow.experiments.chen2025`)."""

    beta: float = 0.1
    # 1. rates
    n_mid: int = 300              # Lagrangian cells on [0, pi - s_geo]
    n_geo: int = 100              # geometric cells near the antipode, down to s_min
    lag_t1: float = 40.0
    lag_dt: float = 0.1
    N2: int = 1000                # particles on S^1
    N3: int = 600                 # particles on S^2
    part_t1: float = 34.0
    M_circle: int = 512
    M_zonal: int = 64
    # 2. R_t^2
    N_r2: int = 1000
    M_r2: int = 2048
    r2_cells: int = 400           # Lagrangian atom pairs of profile A's mean field
    # 3. arcs
    arc_cells: int = 400
    arc_betas: tuple = (0.40, 0.45)
    arc_bisect: int = 0
    arc_particles: int = 0
    # 4. PL
    pl_configs: int = 8
    pl_traj_n: int = 200
    # 5. Hessian
    hess_betas: tuple = (0.1, 1.0, 5.0)
    # 6. Kuramoto-like regime, beta_0 against R_0
    kur_N: int = 400
    kur_betas: tuple = (0.02, 0.04)
    beta0_R0s: tuple = (0.2, 0.5)
    beta0_bisect: int = 0
    # 7. general A, V; velocity snapshots
    gen_seeds: int = 2
    gen_N: int = 100
    fields_N: int = 48


#: quick mode (CI)
QUICK = Settings()
#: full mode (the gallery)
FULL = Settings(n_mid=800, n_geo=160, lag_t1=50.0, lag_dt=0.05, N2=4000, N3=2000, part_t1=40.0,
                M_circle=2048, M_zonal=128, N_r2=1000, M_r2=4096, r2_cells=800, arc_cells=1200,
                arc_betas=(0.38, 0.48), arc_bisect=5, arc_particles=1000, pl_configs=40,
                pl_traj_n=500, hess_betas=(0.1, 1.0, 5.0, 10.0), kur_N=4000,
                beta0_R0s=(0.2, 0.35, 0.5, 0.65, 0.8), beta0_bisect=3, gen_seeds=8, gen_N=200)
