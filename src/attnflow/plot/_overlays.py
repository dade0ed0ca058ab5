"""Theory overlays of the sweep figures: the equiangular clustering time, k_max(beta), kappa_#(beta).

- ``"equiangular"``: the clustering time T(beta) of n equiangular tokens, from the layer map
  (:func:`attnflow.theory.equiangular_layer_time`, method ``"layer"``) or the ODE
  (:func:`attnflow.theory.equiangular_clustering_time`);
- ``"kmax"``: the fastest-growing mode :func:`attnflow.theory.k_max` against beta;
- ``"noise"``: the noise threshold kappa_#(beta) of :func:`attnflow.theory.noise_threshold` (the
  uniform state is linearly unstable above it; docs/theory/noise.md#linear-stability-of-the-uniform-state)
  on a diagram over beta and the noise parameter kappa (``model.kappa``, dim ``kappa``).

Their parameters come from ``theory_kwargs``, else the plotted facet/hue value or the selected
coordinate, else ``ds.attrs["fixed"]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..validation import fail, finite_float
from ._sweep_data import fixed_params, grid_axes

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr
    from matplotlib.axes import Axes

__all__ = ["EQUIANGULAR_LABEL", "KMAX_LABEL", "NOISE_LABEL", "OVERLAY_COLOR", "THEORIES", "check_theory",
           "dense_betas", "draw_beta_curve", "draw_equiangular", "draw_kmax", "equiangular_params",
           "equiangular_times", "kmax_values", "noise_thresholds", "theory_param"]

#: accepted values of ``theory``
THEORIES = (None, "equiangular", "kmax", "noise")
#: legend labels of the overlays
EQUIANGULAR_LABEL = "equiangular clustering time (theory)"
KMAX_LABEL = "k_max(beta) (theory)"
NOISE_LABEL = "kappa_#(beta): uniform state unstable above (theory)"
#: colour of an overlay drawn once per axes
OVERLAY_COLOR = "red"

_THEORY_KEYS = {"equiangular": ("n", "normalization", "method", "dt", "threshold"), "kmax": ("d",),
                "noise": ("d", "normalization")}
_THRESHOLD = 1e-3        # the pair threshold <x_i, x_j> > 0.999 of clustering_density
_OVERLAY_POINTS = 200    # betas at which an overlay is evaluated (plus the grid's own)


def check_theory(theory: Any, theory_kwargs: Any, allowed: Sequence[str | None]) -> dict[str, Any]:
    """``theory_kwargs`` as a dict after checking ``theory`` is one of ``allowed`` and the keys fit it."""
    if theory not in THEORIES:
        raise fail("theory", theory, "is not a known overlay", f"pass one of {THEORIES}")
    if theory not in allowed:
        raise fail("theory", theory, "is drawn on a phase diagram (a heat map), not on a curve at one time",
                   f"use phase_diagram(ds, var, 'beta', ..., theory={theory!r})")
    if theory_kwargs is None:
        return {}
    if not isinstance(theory_kwargs, Mapping):
        raise fail("theory_kwargs", theory_kwargs, "is not a dict", "pass a dict, e.g. {'n': 32}")
    if theory is None:
        raise fail("theory_kwargs", theory_kwargs, "is given but theory=None",
                   "pass theory='equiangular', 'kmax' or 'noise', or drop theory_kwargs")
    keys = _THEORY_KEYS[theory]
    unknown = [k for k in theory_kwargs if k not in keys]
    if unknown:
        raise fail("theory_kwargs", theory_kwargs,
                   f"has the key {unknown[0]!r}, unknown for theory={theory!r}", f"use only the keys {keys}")
    return dict(theory_kwargs)


def theory_param(name: str, ds: xr.Dataset, kwargs: Mapping[str, Any], context: Mapping[str, Any]) -> Any:
    """A theory parameter: theory_kwargs, else the facet/hue/selected coordinate, else attrs["fixed"]."""
    if name in kwargs:
        return kwargs[name]
    if name in context:
        value = context[name]
        return value.item() if isinstance(value, np.generic) else value
    fixed = fixed_params(ds)
    if name in fixed:
        return fixed[name]
    fix = f"pass theory_kwargs={{{name!r}: ...}}"
    if name in grid_axes(ds):
        where = f"{name!r} is an axis of the sweep with several values, not fixed by facet, hue or select"
        fix += f", or select/facet the axis {name!r}"
    else:
        where = f"{name!r} is not an axis and not in ds.attrs['fixed']"
    raise fail("theory_kwargs", dict(kwargs) or None, f"does not give {name!r} and {where}", fix)


def _int_param(name: str, value: Any, minimum: int) -> int:
    ok = isinstance(value, (int, np.integer, float, np.floating)) and not isinstance(value, (bool, np.bool_))
    if not ok or not math.isfinite(value) or value != int(value) or value < minimum:
        raise fail(name, value, f"must be an integer >= {minimum} for the theory overlay",
                   f"pass theory_kwargs={{{name!r}: ...}} with an integer >= {minimum}")
    return int(value)


def dense_betas(values: np.ndarray, log: bool) -> np.ndarray:
    """The grid's own values plus evenly (or log-evenly) spread points between them."""
    v = values.astype(np.float64)
    lo, hi = float(v.min()), float(v.max())
    fill = np.geomspace(lo, hi, _OVERLAY_POINTS) if log else np.linspace(lo, hi, _OVERLAY_POINTS)
    return np.union1d(v, fill)


def equiangular_times(betas: np.ndarray, params: Mapping[str, Any], t_cap: float) -> np.ndarray:
    """Clustering times T(beta) <= t_cap (NaN beyond, and where the tokens never cluster)."""
    n = _int_param("n", params["n"], 2)
    norm = str(params["normalization"]).lower()
    if norm not in ("sa", "usa"):
        raise fail("normalization", params["normalization"], "is not 'sa' or 'usa'",
                   "pass theory_kwargs={'normalization': 'sa'} (or 'usa')")
    thr = finite_float("threshold", params["threshold"], fix="pass a value in (0, 1), e.g. 1e-3",
                       positive=True)
    out = np.full(betas.shape, np.nan)
    if params["method"] == "layer":
        from ..theory import equiangular_layer_time

        dt = finite_float("dt", params["dt"], fix="pass theory_kwargs={'dt': 0.1}, the layer step",
                          positive=True)
        max_steps = math.ceil(t_cap / dt) + 1      # beyond the cap the time is not drawn anyway
        times = [equiangular_layer_time(float(b), n, dt, norm, thr, max_steps=max_steps) for b in betas]
    else:
        from ..theory import equiangular_clustering_time

        times = []
        for b in betas:
            try:
                times.append(equiangular_clustering_time(float(b), n, norm, thr))
            except FloatingPointError:          # beyond float64: never clusters in range
                times.append(math.inf)
    T = np.asarray(times, dtype=np.float64)
    ok = np.isfinite(T) & (T <= t_cap)
    out[ok] = T[ok]
    return out


def equiangular_params(ds: xr.Dataset, kwargs: Mapping[str, Any], context: Mapping[str, Any]
                       ) -> dict[str, Any]:
    """n, normalization, method, dt (layer scheme only) and threshold of the equiangular overlay."""
    params = {k: theory_param(k, ds, kwargs, context) for k in ("n", "normalization", "method")}
    params["dt"] = theory_param("dt", ds, kwargs, context) if params["method"] == "layer" else None
    params["threshold"] = kwargs.get("threshold", _THRESHOLD)
    return params


def draw_beta_curve(ax: Axes, beta_on_x: bool, betas: np.ndarray, values: np.ndarray, label: str) -> Any:
    """A theory curve against beta (beta on x, or on y when ``beta_on_x`` is false), red with a white
    halo; returns the Line2D."""
    import matplotlib.patheffects as pe

    xy = (betas, values) if beta_on_x else (values, betas)
    (line,) = ax.plot(*xy, color=OVERLAY_COLOR, lw=1.6, label=label, zorder=3,
                      path_effects=[pe.withStroke(linewidth=3.4, foreground="white")])
    return line


def draw_equiangular(ax: Axes, beta_on_x: bool, betas: np.ndarray, T: np.ndarray) -> Any:
    """The curve T(beta) (beta on x, or on y when ``beta_on_x`` is false); returns the Line2D."""
    return draw_beta_curve(ax, beta_on_x, betas, T, EQUIANGULAR_LABEL)


def noise_thresholds(betas: np.ndarray, d: Any, normalization: Any) -> np.ndarray:
    """kappa_#(beta, d) of :func:`attnflow.theory.noise_threshold` at each beta, as floats."""
    from ..theory import noise_threshold

    d = _int_param("d", d, 2)
    return np.array([noise_threshold(float(b), d, normalization) for b in betas], dtype=np.float64)


def kmax_values(betas: np.ndarray, d: Any) -> np.ndarray:
    """k_max(beta, d) at each beta, as floats."""
    from ..theory import k_max

    d = _int_param("d", d, 2)
    return np.array([k_max(float(b), d) for b in betas], dtype=np.float64)


def draw_kmax(ax: Axes, betas: np.ndarray, ks: np.ndarray, label: str, color: str = OVERLAY_COLOR,
              ls: str = "--") -> Any:
    """k_max against beta as a step curve with integer ticks; returns the Line2D."""
    from matplotlib.ticker import MaxNLocator

    (line,) = ax.step(betas, ks, where="mid", color=color, lw=1.4, ls=ls, label=label, zorder=3)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return line
