r"""
The mean-field PDE against particles
====================================

The density of infinitely many tokens on :math:`\mathbb S^1` obeys a continuity equation
(:doc:`../theory/mean-field`), solved here pseudo-spectrally by
:class:`attnflow.meanfield.CircleSolver`. Tokens drawn from the same initial density follow it
up to fluctuations of order :math:`N^{-1/2}` that grow at the rate :math:`\gamma_{\max}` of the
unstable modes.
"""

# %%
# The PDE from a density with a small bump of degree 3, and 5000 tokens placed at its
# quantiles (USA, beta = 5).
import warnings

import numpy as np
from matplotlib.figure import Figure

import attnflow as af
from attnflow.experiments.chaos import particles_vs_pde, plot_particles_vs_pde

beta, amplitude, n = 5.0, 0.05, 5000
times = [0.0, 0.1, 0.13, 0.155]
solver = af.meanfield.CircleSolver(beta, 1024, "usa")
def rho0(th):
    return (1 + amplitude * np.cos(3 * th)) / (2 * np.pi)


pde = solver.solve(rho0, t1=times[-1], save_at=times)

grid = np.linspace(0, 2 * np.pi, 20001)
cdf = (grid + amplitude * np.sin(3 * grid) / 3) / (2 * np.pi)
theta0 = np.interp((np.arange(n) + 0.5) / n, cdf, grid)
model = af.AttentionModel(d=2, beta=beta, normalization="usa")
x0 = af.sphere.angles_to_points(theta0)
sol = af.simulate(model, x0, t1=times[-1], dt=2e-3, method="rk4", save_at=times)

fig = Figure(figsize=(10, 3.2), layout="constrained")
axes = fig.subplots(1, len(times), sharey=True)
for ax, t, x, rho in zip(axes, times, sol.x, pde.rho, strict=True):
    theta = af.sphere.points_to_angles(x) % (2 * np.pi)
    ax.hist(theta, bins=90, density=True, color="0.75", label=f"{n} tokens")
    ax.plot(solver.theta, rho, "C3", lw=1.5, label="PDE")
    ax.set(title=f"t = {t:g}", xlabel="theta")
fig.axes[0].set_ylabel("density")
fig.axes[0].legend(fontsize=8)

# %%
# The Wasserstein distance :math:`W_1` between :math:`N` random tokens and the PDE over time,
# for two :math:`N` (:func:`attnflow.experiments.chaos.particles_vs_pde`): the :math:`N^{-1/2}`
# level, amplified at the rate :math:`\gamma_{\max}` until :math:`\log N / (2\gamma_{\max})`,
# where the clusters form.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")       # the PDE stops where the density concentrates
    ds = particles_vs_pde(beta=beta, Ns=(500, 2000), t1=0.3, n_saves=13, seeds=(0,),
                          M=512, dt=2e-3)
w1_start = ds["w1"].isel(time=0).mean("seed").values
print("sqrt(N) W1 at t = 0:", np.round(w1_start * np.sqrt(ds["N"].values), 3))
fig2 = plot_particles_vs_pde(ds)
