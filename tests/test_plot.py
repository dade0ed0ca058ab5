"""The figures of attnflow.plot: each writes a non-empty file (no pixel values are tested)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.animation
import numpy as np
import pytest
from PIL import Image

import attnflow as af
from attnflow import analysis as an
from attnflow import plot, theory
from attnflow.meanfield.circle import CircleSolver


def _run(d: int, n: int = 60):
    model = af.AttentionModel(d=d, beta=5.0, normalization="usa")
    x0 = af.sphere.uniform(n, d, seed=1)
    return af.simulate(model, x0, t1=0.3, dt=0.01, save_at=np.linspace(0, 0.3, 16))


@pytest.fixture(scope="module")
def circle_run():
    return _run(2)


@pytest.fixture(scope="module")
def sphere_run():
    return _run(3)


def check_png(path):
    assert path.exists() and path.stat().st_size > 1000
    with Image.open(path) as im:
        assert im.format == "PNG"


def test_particles_with_prediction(tmp_path, circle_run, sphere_run):
    angles = theory.predicted_cluster_angles(circle_run.x[0], 5.0)
    fig = plot.particles_with_prediction(circle_run, predicted_angles=angles, path=tmp_path / "c.png")
    assert fig is not None
    check_png(tmp_path / "c.png")
    plot.particles_with_prediction(circle_run.x[-1], predicted_points=af.sphere.angles_to_points(angles),
                                   path=tmp_path / "c2.png")
    check_png(tmp_path / "c2.png")
    plot.particles_with_prediction(sphere_run, predicted_points=np.eye(3), path=tmp_path / "s.png")
    check_png(tmp_path / "s.png")
    with pytest.raises(ValueError, match="predicted_points"):
        plot.particles_with_prediction(sphere_run, predicted_angles=[0.0])


def test_kymograph(tmp_path, circle_run, sphere_run):
    plot.kymograph(circle_run, path=tmp_path / "k.png", predicted_angles=[1.0, 3.0])
    check_png(tmp_path / "k.png")
    solver = CircleSolver(2.0, 128)
    rho0 = 1 / (2 * np.pi) * (1 + 0.01 * np.cos(3 * solver.theta))
    cs = solver.solve(rho0, 0.05, save_at=np.linspace(0, 0.05, 6))
    plot.kymograph(cs, path=tmp_path / "k2.png", log=True)
    check_png(tmp_path / "k2.png")
    t = np.array([0.0, 0.1, 0.3])                                   # uneven times: pcolormesh
    plot.kymograph(t, cs.theta, cs.rho[:3], path=tmp_path / "k3.png")
    check_png(tmp_path / "k3.png")
    with pytest.raises(ValueError, match="S\\^1"):
        plot.kymograph(sphere_run)


def test_mode_amplitudes_plot(tmp_path, circle_run, sphere_run):
    lp = an.linear_phase(circle_run, K=6)
    plot.mode_amplitudes_plot(lp, path=tmp_path / "m.png")
    check_png(tmp_path / "m.png")
    amps = an.mode_amplitudes(sphere_run, 5)
    gamma = theory.growth_rates(5.0, 3, 5)                          # (K + 1,): gamma_0 dropped
    plot.mode_amplitudes_plot(sphere_run.t, amps, gamma, path=tmp_path / "m3.png", modes=[1, 2, 3],
                              threshold=0.1)
    check_png(tmp_path / "m3.png")
    with pytest.raises(ValueError, match="gamma"):
        plot.mode_amplitudes_plot(sphere_run.t, amps, gamma[:3])


def test_inner_product_histogram(tmp_path, circle_run, sphere_run):
    plot.inner_product_histogram(circle_run, path=tmp_path / "h.png", max_curves=3)
    check_png(tmp_path / "h.png")
    plot.inner_product_histogram(sphere_run.x[-1], path=tmp_path / "h3.png", log=False)
    check_png(tmp_path / "h3.png")


@pytest.mark.parametrize("which", ["circle_run", "sphere_run"])
def test_animate_gif(tmp_path, which, request):
    sol = request.getfixturevalue(which)
    out = plot.animate(sol, tmp_path / "run.gif", fps=5, max_frames=6, dpi=40)
    assert out == tmp_path / "run.gif" and out.stat().st_size > 0
    with Image.open(out) as im:
        assert im.format == "GIF" and im.n_frames > 1


def test_animate_mp4_without_ffmpeg(tmp_path, circle_run, monkeypatch):
    monkeypatch.setattr(matplotlib.animation.writers, "is_available", lambda name: False)
    target = tmp_path / "run.mp4"
    with pytest.raises(RuntimeError, match=r"run\.mp4.*ffmpeg.*\.gif"):
        plot.animate(circle_run, target)
    assert not target.exists()
    with pytest.raises(ValueError, match="suffix"):
        plot.animate(circle_run, tmp_path / "run.avi")
    with pytest.raises(ValueError, match=r"fps=0: must be an integer >= 1"):
        plot.animate(circle_run, tmp_path / "run.gif", fps=0)
    with pytest.raises(ValueError, match=r"fps=2\.5: is not an integer"):     # was silently int(2.5)
        plot.animate(circle_run, tmp_path / "run.gif", fps=2.5)
    assert not (tmp_path / "run.gif").exists()
