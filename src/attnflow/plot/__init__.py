"""Figures of runs and sweeps (matplotlib, imported only when a figure is drawn).

Every function returns the :class:`matplotlib.figure.Figure` it drew and, when ``path`` is
given, also writes it as a PNG there. Importing this package does not import matplotlib, and
nothing here selects or changes the matplotlib backend: a figure only written to a file is a
plain Figure on an Agg canvas (pyplot is not involved); a figure returned for display
(``path=None``) comes from pyplot and uses the user's backend (see :mod:`.common`).

- :mod:`.runs`: :func:`trajectories`, :func:`observables_over_time`, :func:`summary_figure`;
- :mod:`.phases`: :func:`particles_with_prediction`, :func:`kymograph`,
  :func:`mode_amplitudes_plot`, :func:`inner_product_histogram`;
- :mod:`.animate`: :func:`animate` (GIF or MP4);
- :mod:`.sweeps`: :func:`phase_diagram`, :func:`sweep_curve` over a sweep store, with theory
  overlays (data preparation in :mod:`._sweep_data`, overlays in :mod:`._overlays`);
- :mod:`.common`: :func:`new_figure`, :func:`save_figure`.

Examples
--------
>>> import attnflow as af
>>> from attnflow import plot
>>> m = af.AttentionModel(d=2, beta=5.0, normalization="usa")
>>> sol = af.simulate(m, af.sphere.uniform(200, 2, seed=1), t1=1.0, dt=0.005,
...                   save_at=np.linspace(0, 1, 101))                       # doctest: +SKIP
>>> plot.summary_figure(sol, "summary.png")                               # doctest: +SKIP
"""

from .animate import animate
from .common import new_figure, save_figure
from .phases import inner_product_histogram, kymograph, mode_amplitudes_plot, particles_with_prediction
from .runs import MAX_LINES, observables_over_time, summary_figure, trajectories
from .sweeps import (
    EQUIANGULAR_LABEL,
    KMAX_LABEL,
    NOISE_LABEL,
    REDUCTIONS,
    THEORIES,
    phase_diagram,
    sweep_curve,
)

__all__ = [
    "EQUIANGULAR_LABEL",
    "KMAX_LABEL",
    "MAX_LINES",
    "NOISE_LABEL",
    "REDUCTIONS",
    "THEORIES",
    "animate",
    "inner_product_histogram",
    "kymograph",
    "mode_amplitudes_plot",
    "new_figure",
    "observables_over_time",
    "particles_with_prediction",
    "phase_diagram",
    "save_figure",
    "summary_figure",
    "sweep_curve",
    "trajectories",
]
