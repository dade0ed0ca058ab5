"""The run figures of attnflow.plot: the drawn data are read back from the artists and compared
with the inputs (angles, observables, histograms, amplitudes), and written PNGs are decoded."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from figure_checks import close_pyplot_figures, png_size  # noqa: F401 (autouse fixture)
from matplotlib.collections import QuadMesh
from matplotlib.colors import LogNorm
from matplotlib.image import AxesImage
from matplotlib.patches import StepPatch

import attnflow as af
from attnflow import analysis as an
from attnflow import observables as obs
from attnflow import plot, theory
from attnflow.meanfield.circle import CircleSolver
from attnflow.solution import Solution
from attnflow.sphere import points_to_angles

T_SAVES = 16


def _run(d: int, n: int = 60, batch: int | None = None):
    model = af.AttentionModel(d=d, beta=5.0, normalization="usa")
    x0 = af.sphere.uniform(n, d, seed=1, batch=batch)
    return af.simulate(model, x0, t1=0.3, dt=0.01, save_at=np.linspace(0, 0.3, T_SAVES))


@pytest.fixture(scope="module")
def circle_run():
    return _run(2)


@pytest.fixture(scope="module")
def sphere_run():
    return _run(3)


def unwrapped_angles(x: np.ndarray) -> np.ndarray:
    """Angles (T, n) with NaN where a trajectory jumps across 0 = 2 pi (as the figure draws them)."""
    theta = points_to_angles(x)
    theta[1:][np.abs(np.diff(theta, axis=0)) > np.pi] = np.nan
    return theta


# -- figures of a run over time -----------------------------------------------------------------
def test_trajectories_circle_draws_every_angle(tmp_path, circle_run):
    fig = plot.trajectories(circle_run, tmp_path / "t.png")
    assert png_size(tmp_path / "t.png") == (7 * 120, 5 * 120)      # figsize (7, 5) at 120 dpi
    assert fig.canvas.manager is None                               # written only: not a pyplot figure
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert len(lines) == 60                                         # one line per particle (n <= MAX_LINES)
    expected = unwrapped_angles(circle_run.x)
    for i, line in enumerate(lines):
        np.testing.assert_array_equal(line.get_xdata(), circle_run.t)
        np.testing.assert_array_equal(line.get_ydata(), expected[:, i])
    assert ax.get_ylim() == (0.0, 2 * np.pi)
    assert ax.get_xlim() == (0.0, 0.3)
    assert ax.get_title() == "Trajectories on S^1: 60 particles"
    assert fig._suptitle.get_text() == "USA, d = 2, beta = 5, A = V = I; rk4, dt = 0.01"


def test_trajectories_subsample_and_kept_figure():
    sol = _run(2, n=450)
    fig = plot.trajectories(sol)                                    # no path: a pyplot figure
    assert fig.canvas.manager is not None and plt.fignum_exists(fig.number)
    (ax,) = fig.axes
    assert len(ax.get_lines()) == plot.MAX_LINES == 400
    idx = np.unique(np.linspace(0, 449, 400).round().astype(int))
    assert idx.size == 400
    np.testing.assert_array_equal(ax.get_lines()[-1].get_ydata(), unwrapped_angles(sol.x)[:, idx[-1]])
    assert ax.get_title() == "Trajectories on S^1: 400 of 450 particles"


def test_trajectories_sphere_paths_and_projection(sphere_run):
    fig = plot.trajectories(sphere_run)
    ax = fig.axes[0]
    assert ax.name == "3d"
    idx = np.unique(np.linspace(0, 59, 40).round().astype(int))    # 40 paths of 60 particles
    assert len(ax.lines) == 40
    for i, line in zip(idx, ax.lines, strict=True):
        np.testing.assert_array_equal(np.stack(line.get_data_3d(), axis=1), sphere_run.x[:, i])
    labels = [c.get_label() for c in ax.collections if not c.get_label().startswith("_")]
    assert labels == ["t = 0", "t = 0.3"]
    assert ax.get_title() == "Initial and final points on S^2"
    five = _run(5, n=10)
    ax = plot.trajectories(five).axes[0]
    assert ax.get_title() == "Initial and final points on S^4 (first 3 of 5 coordinates)"
    np.testing.assert_array_equal(np.stack(ax.lines[3].get_data_3d(), axis=1), five.x[:, 3, :3])


def test_trajectories_without_states():
    sol = _run(2, n=8)
    bare = Solution(t=sol.t, x=None, model=sol.model, method=sol.method, dt=sol.dt)
    (ax,) = plot.trajectories(bare).axes
    assert not ax.get_lines() and not ax.axison
    note = "no states saved (save_states=False):\nno trajectories to draw"
    assert [t.get_text() for t in ax.texts] == [note]


def test_observables_over_time_computed_from_states(tmp_path, circle_run):
    fig = plot.observables_over_time(circle_run, tmp_path / "o.png")
    assert png_size(tmp_path / "o.png") == (12 * 120, int(3.8 * 120))
    energy_ax, r_ax, gap_ax = fig.axes
    energy = [obs.energy(circle_run.model, x) for x in circle_run.x]
    r = [obs.order_parameter(x) for x in circle_run.x]
    ((e_line,), (r_line,), (g_line,)) = energy_ax.get_lines(), r_ax.get_lines(), gap_ax.get_lines()
    np.testing.assert_array_equal(e_line.get_xdata(), circle_run.t)
    np.testing.assert_array_equal(e_line.get_ydata(), energy)
    np.testing.assert_array_equal(r_line.get_ydata(), r)
    np.testing.assert_array_equal(g_line.get_ydata(), 1.0 - np.asarray(r))
    assert (energy_ax.get_yscale(), r_ax.get_yscale(), gap_ax.get_yscale()) == ("linear", "linear", "log")


def test_observables_over_time_stored_values_batch_and_log_energy():
    sol = _run(2, n=8)
    t = sol.t
    energy = np.exp(np.stack([t * 20, t * 21, t * 22], axis=1))    # (T, B): spans > 100x -> log axis
    r = np.linspace(0.1, 0.9, t.size)[:, None] * np.ones(3)
    stored = Solution(t=t, x=None, model=sol.model, method=sol.method, dt=sol.dt,
                      observables={"energy": energy, "order_parameter": r})
    energy_ax, r_ax, gap_ax = plot.observables_over_time(stored).axes
    assert len(energy_ax.get_lines()) == 3                          # one line per batch member
    for b, line in enumerate(energy_ax.get_lines()):
        np.testing.assert_array_equal(line.get_ydata(), energy[:, b])
    assert energy_ax.get_yscale() == "log"
    np.testing.assert_array_equal(gap_ax.get_lines()[1].get_ydata(), 1.0 - r[:, 1])
    only = Solution(t=t, x=None, model=sol.model, method=sol.method, dt=sol.dt,
                    observables={"energy": energy[:, 0]})
    energy_ax, r_ax, gap_ax = plot.observables_over_time(only).axes
    assert len(energy_ax.get_lines()) == 1 and not r_ax.get_lines() and not gap_ax.get_lines()
    assert [t.get_text() for t in r_ax.texts] == ["order_parameter not saved"]


def test_summary_figure_holds_both_figures(tmp_path, circle_run):
    fig = plot.summary_figure(circle_run, tmp_path / "s.png")
    assert png_size(tmp_path / "s.png") == (12 * 120, 10 * 120)
    top, bottom = fig.subfigs
    (traj,) = top.axes
    assert len(traj.get_lines()) == 60
    np.testing.assert_array_equal(traj.get_lines()[7].get_ydata(), unwrapped_angles(circle_run.x)[:, 7])
    assert len(bottom.axes) == 3
    np.testing.assert_array_equal(bottom.axes[1].get_lines()[0].get_ydata(),
                                  [obs.order_parameter(x) for x in circle_run.x])


# -- figures of the phases ----------------------------------------------------------------------
def test_particles_with_prediction_circle(tmp_path, circle_run):
    angles = theory.predicted_cluster_angles(circle_run.x[0], 5.0)
    fig = plot.particles_with_prediction(circle_run, predicted_angles=angles, path=tmp_path / "c.png",
                                         bins=36)
    assert png_size(tmp_path / "c.png") == (720, 720)
    (ax,) = fig.axes
    assert ax.name == "polar"
    theta = points_to_angles(circle_run.x[-1])
    counts, _ = np.histogram(theta, bins=36, range=(0, 2 * np.pi))
    bars = ax.patches
    assert len(bars) == 36
    heights = [b.get_height() for b in bars]
    np.testing.assert_allclose(heights, 0.8 * counts / counts.max(), rtol=0, atol=1e-15)
    (dots,) = ax.collections
    np.testing.assert_allclose(dots.get_offsets(), np.stack([theta, np.ones_like(theta)], axis=1),
                               rtol=0, atol=1e-15)
    red = [ln for ln in ax.get_lines() if ln.get_color() == "red"]
    np.testing.assert_allclose([ln.get_xdata()[0] for ln in red], angles, rtol=0, atol=1e-15)
    assert ax.get_title() == f"Particles (t = {circle_run.t[-1]:g})"
    # points on the circle are drawn at their angles, the same as predicted_angles
    points = af.sphere.angles_to_points(angles)
    fig = plot.particles_with_prediction(circle_run.x[-1], predicted_points=points)
    red2 = [ln.get_xdata()[0] for ln in fig.axes[0].get_lines() if ln.get_color() == "red"]
    np.testing.assert_allclose(red2, angles, rtol=0, atol=1e-15)


def test_particles_with_prediction_sphere_and_errors(sphere_run):
    fig = plot.particles_with_prediction(sphere_run, predicted_points=np.eye(3), index=0, title="start")
    ax = fig.axes[0]
    assert ax.get_title() == "start on S^2"
    assert [c.get_label() for c in ax.collections[1:]] == ["60 tokens", "predicted"]
    with pytest.raises(ValueError, match=r"predicted_angles=.*are angles on S\^1 but the points have d=3"):
        plot.particles_with_prediction(sphere_run, predicted_angles=[0.0])
    with pytest.raises(ValueError, match=r"predicted_points=.*has last axis 2 but the points have d=3"):
        plot.particles_with_prediction(sphere_run, predicted_points=np.eye(2))
    with pytest.raises(ValueError, match=r"bins=0: must be an integer >= 1"):
        plot.particles_with_prediction(sphere_run.x[-1], bins=0)
    bare = Solution(t=sphere_run.t, x=None, model=sphere_run.model, method="rk4", dt=0.01)
    with pytest.raises(ValueError, match="has no saved states"):
        plot.particles_with_prediction(bare)


def test_kymograph_of_a_particle_run_is_a_normalized_histogram(tmp_path, circle_run, sphere_run):
    fig = plot.kymograph(circle_run, path=tmp_path / "k.png", bins=32, predicted_angles=[1.0, 3.0])
    assert png_size(tmp_path / "k.png") == (9 * 120, int(4.5 * 120))
    ax = fig.axes[0]
    (im,) = [a for a in ax.get_images() if isinstance(a, AxesImage)]
    rho = np.asarray(im.get_array())                               # (bins, T): angle on y, time on x
    assert rho.shape == (32, T_SAVES)
    expected = np.stack([np.histogram(a, bins=32, range=(0, 2 * np.pi))[0] for a in
                         points_to_angles(circle_run.x)]).T / (60 * 2 * np.pi / 32)
    np.testing.assert_allclose(rho, expected, rtol=1e-14)
    np.testing.assert_allclose(rho.sum(axis=0) * 2 * np.pi / 32, 1.0, rtol=1e-14)   # int rho dtheta = 1
    dt = 0.3 / (T_SAVES - 1)
    left, right, bottom, top = im.get_extent()
    assert (left, right) == pytest.approx((-dt / 2, 0.3 + dt / 2), abs=1e-15)
    assert (bottom, top) == pytest.approx((0.0, 2 * np.pi), abs=1e-14)  # cells centred on the bins
    assert [ln.get_ydata()[0] for ln in ax.get_lines()] == [1.0, 3.0]
    assert ax.get_ylim() == (0.0, 2 * np.pi)
    cbar = fig.axes[1]
    assert cbar.get_ylabel() == "ρ(θ, t)"
    assert im.get_clim() == (rho.min(), rho.max())
    with pytest.raises(ValueError, match=r"theta, rho=.*are given with a Solution"):
        plot.kymograph(circle_run, tmp_path / "k.png")                 # the path must be named
    with pytest.raises(ValueError, match=r"lives on S\^2; the kymograph"):
        plot.kymograph(sphere_run)
    with pytest.raises(ValueError, match=r"bins=2\.5: is not an integer"):
        plot.kymograph(circle_run, bins=2.5)


def test_kymograph_of_a_mean_field_solution_and_uneven_times():
    solver = CircleSolver(2.0, 128)
    rho0 = 1 / (2 * np.pi) * (1 + 0.01 * np.cos(3 * solver.theta))
    cs = solver.solve(rho0, 0.05, save_at=np.linspace(0, 0.05, 6))
    fig = plot.kymograph(cs, log=True)
    ax = fig.axes[0]
    (im,) = ax.get_images()
    np.testing.assert_array_equal(im.get_array(), cs.rho.T)
    assert isinstance(im.norm, LogNorm)
    # positive density: from its minimum, at least one decade
    lo, hi = cs.rho.min(), cs.rho.max()
    assert hi < 10 * lo and (im.norm.vmin, im.norm.vmax) == (lo, 10 * lo)
    assert ax.get_title() == "Kymograph of the density: mean-field density (M = 128)"
    t = np.array([0.0, 0.1, 0.3])                                   # uneven times: a mesh at the times
    fig = plot.kymograph(t, cs.theta, cs.rho[:3])
    (mesh,) = [c for c in fig.axes[0].collections if isinstance(c, QuadMesh)]
    np.testing.assert_array_equal(np.asarray(mesh.get_array()).reshape(128, 3), cs.rho[:3].T)
    x_edges = mesh.get_coordinates()[0, :, 0]
    np.testing.assert_allclose(x_edges, [-0.05, 0.05, 0.2, 0.4], rtol=0, atol=1e-15)   # "nearest": midpoints
    with pytest.raises(ValueError, match=r"rho=.*has shape \(3, 128\), expected .* = \(2, 128\)"):
        plot.kymograph(t[:2], cs.theta, cs.rho[:3])
    with pytest.raises(ValueError, match="theta, rho"):
        plot.kymograph(t)


def test_mode_amplitudes_plot_draws_data_and_predicted_slopes(tmp_path, circle_run, sphere_run):
    lp = an.linear_phase(circle_run, K=6)
    fig = plot.mode_amplitudes_plot(lp, path=tmp_path / "m.png")
    assert png_size(tmp_path / "m.png") == (960, 600)
    ax = fig.axes[0]
    data = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
    dotted = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
    assert [ln.get_label() for ln in data] == [f"k = {k}" for k in range(1, 7)]
    g = np.asarray(lp.gamma)[-6:]
    for k, (line, pred) in enumerate(zip(data, dotted, strict=True), start=1):
        a = lp.amplitudes[:, k - 1]
        np.testing.assert_array_equal(line.get_ydata(), a[a > 0])
        j = int(np.flatnonzero(a > 0)[0])
        np.testing.assert_allclose(pred.get_ydata(), a[j] * np.exp(g[k - 1] * (lp.t - lp.t[j])), rtol=1e-15)
    assert ax.get_yscale() == "log"
    positive = lp.amplitudes[lp.amplitudes > 0]
    low, high = positive.min() / 3, max(positive.max(), lp.threshold) * 3
    assert ax.get_ylim() == pytest.approx((low, high), rel=1e-15)
    # explicit arrays: gamma of length K + 1 (gamma_0 dropped), a subset of modes, a threshold line
    amps = an.mode_amplitudes(sphere_run, 5)
    gamma = theory.growth_rates(5.0, 3, 5)
    fig = plot.mode_amplitudes_plot(sphere_run.t, amps, gamma, modes=[1, 3], threshold=0.1)
    ax = fig.axes[0]
    assert [ln.get_label() for ln in ax.get_lines() if ln.get_linestyle() == "-"] == ["k = 1", "k = 3"]
    pred3 = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"][1]
    np.testing.assert_allclose(pred3.get_ydata(), amps[0, 2] * np.exp(gamma[3] * sphere_run.t), rtol=1e-15)
    (thr,) = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert thr.get_ydata()[0] == 0.1 and thr.get_label() == "threshold 0.1"
    with pytest.raises(ValueError, match=r"gamma=.*has 3 rates for K=5 modes"):
        plot.mode_amplitudes_plot(sphere_run.t, amps, gamma[:3])
    with pytest.raises(ValueError, match=r"modes=6: must be an integer <= 5"):
        plot.mode_amplitudes_plot(sphere_run.t, amps, modes=[1, 6])
    with pytest.raises(ValueError, match=r"amplitudes=None: is required"):
        plot.mode_amplitudes_plot(sphere_run.t)


def test_inner_product_histogram_densities(tmp_path, circle_run, sphere_run):
    fig = plot.inner_product_histogram(circle_run, path=tmp_path / "h.png", max_curves=3, bins=50)
    assert png_size(tmp_path / "h.png") == (840, 540)
    ax = fig.axes[0]
    steps = [p for p in ax.patches if isinstance(p, StepPatch)]
    saves = np.unique(np.linspace(0, T_SAVES - 1, 3).round().astype(int))
    assert len(steps) == 3 and [s.get_label() for s in steps] == [f"t = {circle_run.t[i]:g}" for i in saves]
    edges = np.linspace(-1, 1, 51)
    iu = np.triu_indices(60, 1)
    for i, step in zip(saves, steps, strict=True):
        x = circle_run.x[i]
        dens, _ = np.histogram(np.clip((x @ x.T)[iu], -1, 1), bins=edges, density=True)
        values, drawn_edges = step.get_data()[:2]
        np.testing.assert_array_equal(drawn_edges, edges)
        np.testing.assert_allclose(values, dens, rtol=1e-14)
        assert float(np.sum(values * np.diff(edges))) == pytest.approx(1.0, rel=1e-14)
    assert ax.get_yscale() == "log" and ax.get_xlim() == (-1.0, 1.0)
    # one configuration, subsampled points, linear axis
    fig = plot.inner_product_histogram(sphere_run.x[-1], log=False, max_points=30)
    ax = fig.axes[0]
    (step,) = [p for p in ax.patches if isinstance(p, StepPatch)]
    idx = np.unique(np.linspace(0, 59, 30).round().astype(int))
    p = sphere_run.x[-1][idx]
    dens, _ = np.histogram(np.clip((p @ p.T)[np.triu_indices(30, 1)], -1, 1), bins=np.linspace(-1, 1, 101),
                           density=True)
    np.testing.assert_allclose(step.get_data()[0], dens, rtol=1e-14)
    assert ax.get_yscale() == "linear"
    assert ax.get_title() == "Pairwise inner products, i < j (30 of 60 points)"
    with pytest.raises(ValueError, match="max_points=1: must be an integer >= 2"):
        plot.inner_product_histogram(sphere_run.x[-1], max_points=1)
    with pytest.raises(ValueError, match=r"x=.*expected \(n, d\) or \(T, n, d\) with n >= 2"):
        plot.inner_product_histogram(sphere_run.x[-1][:1])


# -- no backend switch, no eager matplotlib ------------------------------------------------------
_IMPORT_CHECK = """
import sys, numpy as np
import attnflow.plot, attnflow.observables
heavy = [m for m in ("matplotlib", "xarray", "dask") if m in sys.modules]
assert not heavy, heavy                                       # nothing heavy at import
import attnflow as af
from attnflow import plot
model = af.AttentionModel(d=2, beta=1.0)
sol = af.simulate(model, af.sphere.uniform(8, 2, seed=0), t1=0.1, dt=0.05)
fig = plot.summary_figure(sol, sys.argv[1] + "/s.png")        # written: a plain Figure, no pyplot
plot.animate(sol, sys.argv[1] + "/a.gif", max_frames=2, dpi=20)
assert "matplotlib.pyplot" not in sys.modules
import matplotlib
assert matplotlib.get_backend() == "svg", matplotlib.get_backend()
kept = plot.trajectories(sol)                                 # kept: a pyplot figure, user's backend
assert kept.canvas.manager is not None
assert matplotlib.get_backend() == "svg", matplotlib.get_backend()
print("ok")
"""


def test_import_and_drawing_leave_the_backend_alone(tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, MPLBACKEND="svg")
    out = subprocess.run([sys.executable, "-c", _IMPORT_CHECK, str(tmp_path)], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
    assert png_size(tmp_path / "s.png") == (12 * 120, 10 * 120)
