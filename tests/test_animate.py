"""attnflow.plot.animate: the written GIF is decoded (frames, size, moving tokens); errors name the fix."""

from __future__ import annotations

import matplotlib.animation
import numpy as np
import pytest
from PIL import Image, ImageChops

import attnflow as af
from attnflow import plot


def _run(d: int, n: int = 60):
    model = af.AttentionModel(d=d, beta=5.0, normalization="usa")
    return af.simulate(model, af.sphere.uniform(n, d, seed=1), t1=0.3, dt=0.01,
                       save_at=np.linspace(0, 0.3, 16))


@pytest.fixture(scope="module")
def circle_run():
    return _run(2)


@pytest.mark.parametrize("d", [2, 3])
def test_animate_gif_frames_and_size(tmp_path, d):
    sol = _run(d)
    out = plot.animate(sol, tmp_path / "sub" / "run.gif", fps=5, max_frames=6, dpi=40,
                       predicted_angles=[0.5] if d == 2 else None)
    assert out == tmp_path / "sub" / "run.gif"
    with Image.open(out) as im:
        assert im.format == "GIF"
        assert im.size == (5 * 40, 5 * 40)                   # figsize (5, 5) at dpi 40
        assert im.n_frames == 6                              # 6 of the 16 saves
        assert im.info["duration"] == 200                    # 1000 ms / 5 fps
        im.seek(0)
        first = im.convert("RGB")
        im.seek(im.n_frames - 1)
        last = im.convert("RGB")
    # the tokens move (and the title's time changes): first and last frames differ
    assert ImageChops.difference(first, last).getbbox() is not None


def test_animate_frame_count_is_capped_by_the_saves(tmp_path, circle_run):
    out = plot.animate(circle_run, tmp_path / "all.gif", fps=10, max_frames=100, dpi=20)
    with Image.open(out) as im:
        assert im.n_frames == 16


def test_animate_errors(tmp_path, circle_run, monkeypatch):
    with pytest.raises(ValueError, match=r"suffix '\.avi'"):
        plot.animate(circle_run, tmp_path / "run.avi")
    with pytest.raises(ValueError, match=r"fps=0: must be an integer >= 1"):
        plot.animate(circle_run, tmp_path / "run.gif", fps=0)
    with pytest.raises(ValueError, match=r"fps=2\.5: is not an integer"):     # was silently int(2.5)
        plot.animate(circle_run, tmp_path / "run.gif", fps=2.5)
    with pytest.raises(ValueError, match=r"max_frames=0: must be an integer >= 1"):
        plot.animate(circle_run, tmp_path / "run.gif", max_frames=0)
    with pytest.raises(ValueError, match="predicted_angles="):
        plot.animate(circle_run, tmp_path / "run.gif", predicted_angles=["north"])
    bare = af.Solution(t=circle_run.t, x=None, model=circle_run.model, method="rk4", dt=0.01)
    with pytest.raises(ValueError, match=r"sol=.*has no saved states"):
        plot.animate(bare, tmp_path / "run.gif")
    assert not (tmp_path / "run.gif").exists()
    monkeypatch.setattr(matplotlib.animation.writers, "is_available", lambda name: False)
    target = tmp_path / "run.mp4"
    with pytest.raises(RuntimeError, match=r"run\.mp4.*ffmpeg.*\.gif"):
        plot.animate(circle_run, target)
    assert not target.exists()
