"""attnflow.plot.phase_diagram and sweep_curve on synthetic sweep stores.

The drawn arrays, overlays, labels and axis scales are read back from the artists and compared
with the stored values and the theory functions; written PNGs are decoded.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from figure_checks import close_pyplot_figures, png_size  # noqa: F401 (autouse fixture)
from matplotlib.collections import PolyCollection, QuadMesh

from attnflow import plot as sp
from attnflow.theory import equiangular_clustering_time, equiangular_layer_time, k_max, noise_threshold

D = np.array([2, 3])
BETA = np.array([0.5, 1.0, 2.0, 4.0, 8.0])          # non-uniform grid
TIME = np.linspace(0.0, 10.0, 21)
SAMPLES = 16


def _store(values: np.ndarray, dims: tuple[str, ...], coords: dict, axes: list[str], fixed: dict,
           name: str = "clustering_density") -> xr.Dataset:
    """A dataset shaped like a sweep store: data (*axes, [sample], time), status per cell."""
    ds = xr.Dataset({name: (dims, values)}, coords=coords)
    shape = tuple(len(coords[a]) for a in axes)
    ds["status"] = (tuple(axes), np.ones(shape, dtype=np.int8))
    ds["seed"] = (tuple(axes), np.arange(int(np.prod(shape))).reshape(shape))
    ds["wall_time"] = (tuple(axes), np.full(shape, 0.1))
    ds.attrs.update({"axes": axes, "fixed": fixed, "samples": SAMPLES, "kind": "attnflow sweep"})
    return ds


@pytest.fixture
def step_store():
    """values = 1{t > beta * d / 4 + offset_sample}: the sample mean is a known staircase."""
    rng = np.random.default_rng(0)
    offsets = rng.uniform(0.0, 3.0, SAMPLES)
    thresh = BETA[None, :, None] * D[:, None, None] / 4 + offsets[None, None, :]      # (d, beta, sample)
    values = (TIME[None, None, None, :] > thresh[..., None]).astype(np.float64)
    ds = _store(values, ("d", "beta", "sample", "time"),
                {"d": D, "beta": BETA, "sample": np.arange(SAMPLES), "time": TIME}, ["d", "beta"],
                {"n": 8, "normalization": "sa", "method": "layer", "dt": 0.1})
    return ds, values


def _unwrapped(title: str) -> str:
    """A title as one line (long titles are wrapped to the figure width)."""
    return title.replace("\n", " ")


def _panels(fig):
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and
            any(isinstance(c, QuadMesh) for c in ax.collections)]


def _drawn(ax) -> np.ndarray:
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    return np.ma.filled(np.ma.asarray(mesh.get_array(), dtype=np.float64), np.nan)


def _line(fig, label):
    lines = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_label().startswith(label)]
    assert lines, f"no line labelled {label!r}"
    return lines


def test_phase_diagram_facets_png_and_drawn_mean(tmp_path, step_store):
    ds, values = step_store
    out = tmp_path / "sub" / "phase.png"
    fig = sp.phase_diagram(ds, "clustering_density", "beta", facet="d", path=out)
    assert png_size(out) == (int(8.4 * 120), int(3.6 * 120))    # 3.6 in per panel + 1.2 in, 120 dpi
    assert fig.canvas.manager is None                               # written only: no pyplot figure
    panels = _panels(fig)
    assert len(panels) == D.size
    expected = values.mean(axis=2)                                  # (d, beta, time)
    for i, ax in enumerate(panels):
        assert ax.get_title() == f"d = {D[i]}"
        drawn = _drawn(ax)
        assert drawn.shape == (TIME.size, BETA.size)               # rows = y = time, columns = x = beta
        np.testing.assert_allclose(drawn, expected[i].T, rtol=0, atol=1e-15)
    assert panels[0].get_xlabel() == "beta" and panels[0].get_ylabel() == "time"
    cbar = next(ax for ax in fig.axes if ax.get_label() == "<colorbar>")
    assert cbar.get_ylabel() == f"clustering_density\n(mean over {SAMPLES} samples)"
    assert cbar.get_ylim() == (expected.min(), expected.max())       # one colour scale for all panels
    for ax in panels:
        mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
        assert mesh.get_clim() == (expected.min(), expected.max())
    title = fig._suptitle.get_text()
    assert title == "clustering_density: n = 8, normalization = sa, method = layer, dt = 0.1"   # time is y


def test_phase_diagram_select_reduce_and_transposed(step_store):
    ds, values = step_store
    fig = sp.phase_diagram(ds, "clustering_density", "time", "beta", select={"d": 3}, reduce="max")
    (ax,) = _panels(fig)
    np.testing.assert_allclose(_drawn(ax), values[1].max(axis=1), rtol=0, atol=1e-15)   # (beta, time)
    # beta spans 16x only: linear axis; time and beta in either order
    assert ax.get_yscale() == "linear"
    # y is another axis: time defaults to the last save, at_time picks the nearest save
    fig = sp.phase_diagram(ds, "clustering_density", "beta", "d", reduce="median", at_time=4.1)
    it = int(np.argmin(np.abs(TIME - 4.1)))
    np.testing.assert_allclose(_drawn(_panels(fig)[0]), np.median(values[:, :, :, it], axis=2),
                               rtol=0, atol=1e-15)
    assert _unwrapped(fig._suptitle.get_text()) == \
        "clustering_density: time = 4 | n = 8, normalization = sa, method = layer, dt = 0.1"


def test_phase_diagram_log_axis_and_midpoint_edges():
    beta = np.geomspace(0.1, 100.0, 7)
    ds = _store(np.outer(beta, np.ones(TIME.size)), ("beta", "time"), {"beta": beta, "time": TIME}, ["beta"],
                {}, name="energy")
    fig = sp.phase_diagram(ds, "energy", "beta")
    (ax,) = _panels(fig)
    assert ax.get_xscale() == "log"
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    xe = mesh.get_coordinates()[0, :, 0]
    np.testing.assert_allclose(xe[1:-1], np.sqrt(beta[1:] * beta[:-1]), rtol=1e-15)   # geometric midpoints
    np.testing.assert_allclose(_drawn(ax), np.outer(np.ones(TIME.size), beta), rtol=1e-15)


def test_errors_name_the_argument(step_store):
    ds, _ = step_store
    with pytest.raises(ValueError, match=r"var='nope'.*clustering_density"):
        sp.phase_diagram(ds, "nope", "beta")
    with pytest.raises(ValueError, match=r"x='gamma'.*Fix"):
        sp.phase_diagram(ds, "clustering_density", "gamma", facet="d")
    with pytest.raises(ValueError, match="facet='kappa'"):
        sp.phase_diagram(ds, "clustering_density", "beta", facet="kappa")
    with pytest.raises(ValueError, match=r"select=None: leaves the axis 'd'.*select=\{'d': 2\}"):
        sp.phase_diagram(ds, "clustering_density", "beta")
    with pytest.raises(ValueError, match=r"select=\{'d': 5\}.*not present.*\[2, 3\]"):
        sp.phase_diagram(ds, "clustering_density", "beta", select={"d": 5})
    with pytest.raises(ValueError, match=r"select=\{'beta': 100.0\}.*outside"):
        sp.sweep_curve(ds, "clustering_density", "d", select={"beta": 100.0})
    with pytest.raises(ValueError, match="reduce='mode'"):
        sp.phase_diagram(ds, "clustering_density", "beta", facet="d", reduce="mode")
    with pytest.raises(ValueError, match="theory='equiangular'"):
        sp.phase_diagram(ds, "clustering_density", "beta", "d", theory="equiangular")
    with pytest.raises(ValueError, match="theory='equiangular'"):
        sp.sweep_curve(ds, "clustering_density", "beta", select={"d": 2}, theory="equiangular")
    with pytest.raises(ValueError, match="at_time"):
        sp.sweep_curve(ds, "clustering_density", "time", hue="d", select={"beta": 1.0}, at_time=3.0)
    with pytest.raises(ValueError, match="band"):
        sp.sweep_curve(ds, "clustering_density", "beta", hue="d", band=(0.9, 0.1))
    # float coordinates are matched to the nearest value
    fig = sp.sweep_curve(ds, "clustering_density", "d", select={"beta": 1.9}, band=None)
    assert _unwrapped(fig.axes[0].get_title()) == \
        "clustering_density: beta = 2, time = 10 | n = 8, normalization = sa, method = layer, dt = 0.1"


def test_nan_cells_stay_nan(step_store):
    ds, values = step_store
    ds = ds.copy(deep=True)
    ds["status"][0, 2] = 0                                          # d = 2, beta = 2 not done
    ds["clustering_density"][1, 3] = np.nan                         # d = 3, beta = 4 not written
    ds["status"][1, 3] = 0
    ds["clustering_density"][1, 0, :5] = np.nan                     # some samples missing: nanmean
    fig = sp.phase_diagram(ds, "clustering_density", "beta", facet="d")
    p2, p3 = (_drawn(ax) for ax in _panels(fig))
    assert np.all(np.isnan(p2[:, 2])) and np.all(np.isnan(p3[:, 3]))
    expected = values.mean(axis=2)
    np.testing.assert_allclose(np.delete(p2, 2, axis=1), np.delete(expected[0].T, 2, axis=1), rtol=0,
                               atol=1e-15)
    np.testing.assert_allclose(p3[:, 0], values[1, 0, 5:].mean(axis=0), rtol=0, atol=1e-15)
    fig = sp.sweep_curve(ds, "clustering_density", "beta", hue="d")
    main = next(ln for ln in fig.axes[0].get_lines() if ln.get_label() == "d = 2")
    assert np.isnan(main.get_ydata()[2]) and np.isfinite(main.get_ydata()[0])


@pytest.mark.parametrize("method", ["layer", "rk4"])
def test_equiangular_overlay_matches_theory(method):
    beta = np.linspace(0.5, 8.0, 6)
    time = np.linspace(0.0, 30.0, 31)
    n_axis = np.array([8, 16])
    ds = _store(np.zeros((2, beta.size, time.size)), ("n", "beta", "time"),
                {"n": n_axis, "beta": beta, "time": time}, ["n", "beta"],
                {"normalization": "sa", "method": method, "dt": 0.1, "d": 128})
    fig = sp.phase_diagram(ds, "clustering_density", "beta", facet="n", theory="equiangular")
    lines = _line(fig, sp.EQUIANGULAR_LABEL)
    assert len(lines) == 2                                          # one per facet (n = 8, 16)
    for n, line in zip(n_axis, lines, strict=True):
        b, T = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
        assert set(beta) <= set(b)                                  # the grid's betas are evaluated
        ok = np.isfinite(T)
        assert ok.sum() >= 20 and np.all(T[ok] <= 60.0)
        for bi, ti in list(zip(b[ok], T[ok], strict=True))[::40]:
            direct = equiangular_layer_time(bi, int(n), 0.1, "sa", 1e-3) if method == "layer" else \
                equiangular_clustering_time(bi, int(n), "sa", 1e-3)
            assert ti == pytest.approx(direct, rel=1e-15)
        # betas whose clustering time exceeds 2 * t_max are not drawn
        for bi in b[~ok][:3]:
            if method == "layer":
                assert equiangular_layer_time(bi, int(n), 0.1, "sa", 1e-3) > 60.0
            else:
                assert equiangular_clustering_time(bi, int(n), "sa", 1e-3) > 60.0
    ax = _panels(fig)[0]
    assert ax.get_ylim() == pytest.approx((-0.5, 30.5), abs=1e-15)  # curve clipped to the time range
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [sp.EQUIANGULAR_LABEL]


def test_equiangular_overlay_parameters():
    beta = np.array([0.5, 1.0, 2.0])
    time = np.linspace(0.0, 20.0, 11)
    ds = _store(np.zeros((beta.size, time.size)), ("beta", "time"), {"beta": beta, "time": time}, ["beta"],
                {"method": "rk4"})
    with pytest.raises(ValueError, match=r"theory_kwargs.*'n'"):
        sp.phase_diagram(ds, "clustering_density", "beta", theory="equiangular")
    fig = sp.phase_diagram(ds, "clustering_density", "time", "beta", theory="equiangular",
                           theory_kwargs={"n": 4, "normalization": "usa", "threshold": 1e-2})
    (line,) = _line(fig, sp.EQUIANGULAR_LABEL)
    T, b = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())   # transposed: beta on y
    i = int(np.flatnonzero(b == 1.0)[0])
    assert T[i] == pytest.approx(equiangular_clustering_time(1.0, 4, "usa", 1e-2), rel=1e-15)
    with pytest.raises(ValueError, match=r"theory_kwargs.*'beta'"):
        sp.phase_diagram(ds, "clustering_density", "beta", theory="equiangular", theory_kwargs={"beta": 1})


@pytest.mark.parametrize("transposed", [False, True])
def test_noise_overlay_is_the_threshold_kappa_sharp(transposed):
    """theory="noise" draws kappa_#(beta, d) (d per facet, normalization from attrs["fixed"]) over a
    (beta, kappa) diagram, the grid's betas among its points; other diagrams are refused."""
    beta = np.linspace(0.0, 4.0, 5)
    kappa = np.geomspace(0.1, 10.0, 7)
    ds = _store(np.zeros((2, beta.size, kappa.size)), ("d", "beta", "kappa"),
                {"d": D, "beta": beta, "kappa": kappa}, ["d", "beta", "kappa"], {"normalization": "usa"},
                name="order_parameter")
    x, y = ("kappa", "beta") if transposed else ("beta", "kappa")
    fig = sp.phase_diagram(ds, "order_parameter", x, y, facet="d", theory="noise")
    lines = _line(fig, sp.NOISE_LABEL)
    assert len(lines) == D.size
    for d, line in zip(D, lines, strict=True):
        b, k = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
        if transposed:
            b, k = k, b
        assert set(beta) <= set(b)
        for bi, ki in list(zip(b, k, strict=True))[::25]:
            assert ki == pytest.approx(noise_threshold(bi, int(d), "usa"), rel=1e-15)
        assert k[b == 0.0][0] == pytest.approx(float(d), rel=1e-15)      # the noisy Kuramoto threshold
    with pytest.raises(ValueError, match=r"theory='noise'.*beta and kappa"):
        sp.phase_diagram(ds, "order_parameter", "beta", "d", theory="noise", select={"kappa": 1.0})
    with pytest.raises(ValueError, match=r"theory='noise'.*not on a curve"):
        sp.sweep_curve(ds, "order_parameter", "beta", theory="noise", select={"d": 2, "kappa": 1.0})


def test_sweep_curve_kmax_and_band(tmp_path):
    beta = np.geomspace(0.5, 200.0, 9)
    time = np.array([0.0, 5.0, 10.0])
    rng = np.random.default_rng(1)
    values = rng.integers(1, 12, size=(beta.size, 5, time.size)).astype(np.float64)
    ds = _store(values, ("beta", "replica", "time"), {"beta": beta, "replica": np.arange(5), "time": time},
                ["beta", "replica"], {"d": 2, "n": 32}, name="cluster_count")
    out = tmp_path / "curve.png"
    fig = sp.sweep_curve(ds, "cluster_count", "beta", theory="kmax", path=out)
    assert png_size(out) == (int(6.4 * 120), int(4.2 * 120))
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    (kl,) = _line(fig, sp.KMAX_LABEL)
    b = np.asarray(kl.get_xdata())
    assert set(beta) <= set(b)
    np.testing.assert_array_equal(kl.get_ydata(), [k_max(x, 2) for x in b])
    assert kl.get_drawstyle() == "steps-mid"
    main = [ln for ln in ax.get_lines() if ln.get_label().startswith("cluster_count (mean over 5 replicas")]
    np.testing.assert_allclose(main[0].get_ydata(), values[:, :, -1].mean(axis=1), rtol=0, atol=1e-15)
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1 and bands[0].get_label() == "0.1-0.9 quantiles over 5 replicas"
    ys = bands[0].get_paths()[0].vertices[:, 1]
    assert ys.max() == pytest.approx(np.quantile(values[:, :, -1], 0.9, axis=1).max(), rel=1e-15)
    assert ys.min() == pytest.approx(np.quantile(values[:, :, -1], 0.1, axis=1).min(), rel=1e-15)
    # hue = d: one k_max curve per d, band off
    ds2 = xr.concat([ds, ds], dim=xr.DataArray([2, 3], dims="d", name="d"))
    fig = sp.sweep_curve(ds2, "cluster_count", "beta", hue="d", theory="kmax", band=None, at_time=4.0)
    k3 = _line(fig, "k_max(beta) (theory, d = 3)")[0]
    np.testing.assert_array_equal(k3.get_ydata(), [k_max(x, 3) for x in k3.get_xdata()])
    assert not [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]


@pytest.mark.filterwarnings("ignore:The data type .* does not have a Zarr V3 specification")
def test_stored_mean_and_std_band_and_categories(tmp_path):
    """keep_samples = false: stored mean and std (no sample dim); a str axis is categorical; via zarr."""
    norm = np.array(["sa", "usa"])
    time = np.array([0.0, 1.0])
    mean = np.array([[0.1, 0.4], [0.2, 0.8]])
    ds = _store(mean, ("normalization", "time"), {"normalization": norm, "time": time}, ["normalization"],
                {"d": 2}, name="order_parameter")
    ds["order_parameter_std"] = (("normalization", "time"), np.full((2, 2), 0.05))
    ds.to_zarr(tmp_path / "s.zarr", mode="w", consolidated=False)
    ds = xr.open_zarr(tmp_path / "s.zarr", consolidated=False)
    fig = sp.sweep_curve(ds, "order_parameter", "normalization")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["sa", "usa"]
    assert ax.get_ylabel() == f"order_parameter (mean over {SAMPLES} samples, stored)"
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    band_y = band.get_paths()[0].vertices[:, 1]
    assert (band_y.min(), band_y.max()) == pytest.approx((0.4 - 0.05, 0.8 + 0.05), abs=1e-15)   # mean ± std
    assert band.get_label() == "mean ± std over samples (stored)"
    fig = sp.phase_diagram(ds, "order_parameter", "normalization", vmin=0, vmax=1)
    np.testing.assert_array_equal(_drawn(_panels(fig)[0]), mean.T)
