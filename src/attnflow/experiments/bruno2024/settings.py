"""Constants and run sizes of the [B] reproduction: one :class:`Config` per mode.

:data:`QUICK` runs in CI, :data:`FULL` produced the gallery page.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ANGLE_TOL",
    "BETA",
    "BETA_2",
    "CLUSTER_MIN_FRACTION",
    "CLUSTER_TOL",
    "EPS_PARTICLES",
    "EPS_PDE",
    "FIT_SPAN",
    "FULL",
    "IID_DT",
    "IID_DT_2",
    "IID_K",
    "PDE_NODES",
    "PDE_NOISE",
    "QUICK",
    "TABLE_BETAS",
    "THRESHOLD",
    "Config",
]

#: the notebook's main case (USA on S^1, k_max = 3)
BETA = 5.0
#: the betas of the k_max table of docs/theory/linear-stability.md#the-most-unstable-degree
TABLE_BETAS = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 12.0, 15.0, 20.0, 30.0, 50.0, 100.0)
#: linear-phase fits run until gamma_max t = FIT_SPAN (the fastest mode grows by e^6 ~ 400)
FIT_SPAN = 6.0
#: size of the perturbation of every mode in the k_max runs (PDE, lattices)
EPS_PDE, EPS_PARTICLES = 1e-8, 1e-7
#: amplitude that ends the linear phase (the threshold of the Monte Carlo of
#: docs/theory/linear-stability.md#mode-competition)
THRESHOLD = 0.3
#: cluster detection (as observables.clusters: linked when <x_i, x_j> >= 1 - tol)
CLUSTER_TOL, CLUSTER_MIN_FRACTION = 1e-2, 0.01
#: step and save spacing of the iid runs (rk4; e^beta dt = 1.9 at beta = 5, stable)
IID_DT = 0.0125
#: modes tracked in the iid runs
IID_K = 8
#: the notebook's second case (k_max = 4) and its rk4 step: tight clusters of mass 1/4 contract at
#: m e^beta = 274, and 0.004 x 274 = 1.1 stays inside rk4's stability interval (2.78)
BETA_2, IID_DT_2 = 7.0, 0.004
#: tolerance of the angle prediction (rad): ~10% of the spacing 2 pi / 3
ANGLE_TOL = 0.2

#: per-node noise of the notebook's PDE initial profile, and its grid
PDE_NOISE, PDE_NODES = 0.01, 10_000


@dataclass(frozen=True)
class Config:
    """Run sizes of one mode (see :func:`attnflow.experiments.bruno2024.run`)."""

    mode: str
    betas2: tuple[float, ...]
    betas3: tuple[float, ...]
    betas3_particles: tuple[float, ...]
    lattice_n: int                      # S^1 lattice size
    rings: int                          # S^2 ring-lattice: number of rings
    Ns: tuple[int, ...]                 # duration study
    slope_rows: bool                    # the t_lin, t_cl slope rows (quick: standard errors too large)
    seeds: tuple[int, ...]              # seeds per N
    n_cluster: int | None               # N of claim 3 (None: pool the duration runs)
    cluster_seeds: int
    n_detect: int                       # tokens used by the cluster detection
    figure_N: int                       # the first 3 seeds of this N keep their states (figures)
    merge_Ns: tuple[int, ...]           # the runs of these N that formed k_max clusters are continued
    merge_t_max: float                  # ... until their count drops below k_max, or this time
    beta2_N: int | None                 # beta = BETA_2 runs (None: not run)
    beta2_seeds: int
    s2_N: int | None                    # iid runs on S^2 (None: not run)
    s2_seeds: int
    chaos_Ns: tuple[int, ...]
    chaos_seeds: tuple[int, ...]
    chaos_M: int
    kymo_M: int
    pde_samples: int


#: quick mode (CI)
QUICK = Config(
    mode="quick", betas2=(1.0, 3.0, 5.0, 7.0, 12.0), betas3=(2.0, 5.0, 8.0), betas3_particles=(2.0, 5.0, 8.0),
    lattice_n=1000, rings=150, Ns=(1000, 3000, 10000), slope_rows=False, seeds=(10, 8, 4), n_cluster=None,
    cluster_seeds=0, n_detect=1000, figure_N=3000, merge_Ns=(1000,), merge_t_max=8.0, beta2_N=None,
    beta2_seeds=0, s2_N=None, s2_seeds=0,
    chaos_Ns=(500, 2000, 8000), chaos_seeds=(0, 1, 2), chaos_M=512, kymo_M=512, pde_samples=8)

#: full mode (the gallery)
FULL = Config(
    mode="full", betas2=TABLE_BETAS, betas3=TABLE_BETAS,
    betas3_particles=tuple(b for b in TABLE_BETAS if b <= 20), lattice_n=2000, rings=200,
    Ns=(1000, 10000, 100000, 1000000), slope_rows=True, seeds=(32, 24, 8, 4), n_cluster=20000,
    cluster_seeds=24, n_detect=1000, figure_N=20000, merge_Ns=(1000, 10000, 100000, 1000000),
    merge_t_max=10.0, beta2_N=20000, beta2_seeds=32, s2_N=4000, s2_seeds=24,
    chaos_Ns=(1000, 4000, 16000, 64000), chaos_seeds=(0, 1, 2, 3), chaos_M=1024, kymo_M=1024,
    pde_samples=24)
