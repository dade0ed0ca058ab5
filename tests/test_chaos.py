import numpy as np
import pytest

from attnflow.experiments.chaos import particles_vs_pde, plot_particles_vs_pde


@pytest.fixture(scope="module")
def chaos():
    return particles_vs_pde(beta=5.0, Ns=(200, 3200), t1=0.12, n_saves=4, seeds=(0, 1, 2, 3), M=512)


def test_particles_track_the_pde_at_the_sqrt_n_level_during_the_linear_phase(chaos):
    ds = chaos
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


def test_the_figure_draws_the_mean_w1_and_the_horizons_without_pyplot(chaos, tmp_path):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure
    from matplotlib.image import imread

    open_before = plt.get_fignums()
    fig = plot_particles_vs_pde(chaos, tmp_path / "w1.png")
    assert isinstance(fig, Figure) and plt.get_fignums() == open_before      # nothing left open
    assert imread(tmp_path / "w1.png").shape == (504, 1320, 4)               # (11, 4.2) inches x 120 dpi
    w = chaos["w1"].mean("seed").values
    left = fig.axes[0].lines                                # per N: the W1 curve, then its horizon line
    for i in range(w.shape[0]):
        np.testing.assert_array_equal(left[2 * i].get_ydata(), w[i])
        assert left[2 * i + 1].get_xdata()[0] == pytest.approx(float(chaos["horizon"][i]), rel=1e-15)
    np.testing.assert_array_equal(fig.axes[1].lines[1].get_ydata(), w[1] * np.sqrt(3200))
