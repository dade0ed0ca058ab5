r"""
Clusters on the circle against the predicted angles
===================================================

Linearizing the mean-field equation at the uniform measure, the Fourier mode :math:`k` of the
density grows at the rate :math:`\gamma_k`, fastest at :math:`k_{\max}`; on :math:`\mathbb S^1` the
first clusters form at the maxima of that mode of the initial configuration,

.. math:: \theta_m = \frac{2\pi m - \arg \hat\mu_k(0)}{k}, \qquad m = 0, \dots, k - 1,
   \quad k = k_{\max}

(:func:`attnflow.theory.predicted_cluster_angles`;
:doc:`the derivation <../theory/linear-stability>`).

Here the tokens start on an equispaced lattice displaced by :math:`10^{-6}` in each of the modes 1 to 8
with random phases, so every mode starts at the same size and the growth rates alone decide
which one wins.
"""

# %%
import numpy as np

import attnflow as af
from attnflow import theory

beta, n = 5.0, 1000
rng = np.random.default_rng(0)
lattice = 2 * np.pi * np.arange(n) / n
phases = rng.uniform(0, 2 * np.pi, 8)
theta0 = lattice + 1e-6 * sum(np.cos(k * lattice + phases[k - 1])
                              for k in range(1, 9))

rates = theory.growth_rates(beta, 2, 8, "usa")
print("growth rates gamma_0..gamma_8:", np.round(rates, 2))
print("k_max =", theory.k_max(beta, 2))
predicted = theory.predicted_cluster_angles(theta0, beta)
print("predicted angles:", np.round(predicted, 3))

# %%
# The particle run, then the clusters found in the final state (tokens closer than 0.02 rad
# belong to one cluster) against the prediction.
model = af.AttentionModel(d=2, beta=beta, normalization="usa")
x0 = af.sphere.angles_to_points(theta0)
saves = np.linspace(0, 1.5, 31)
sol = af.simulate(model, x0, t1=1.5, dt=0.005, method="rk4", save_at=saves)
found = af.observables.clusters(sol.x[-1], tol=0.02)
measured = np.sort(af.sphere.points_to_angles(found.centers) % (2 * np.pi))
print("clusters:", found.count, " measured angles:", np.round(measured, 3))
print("largest angle error (rad):", float(np.max(np.abs(measured - predicted))))

title = "t = 1.5: tokens (blue), predicted angles (red)"
fig = af.plot.particles_with_prediction(sol, predicted_angles=predicted, title=title)

# %%
# From iid uniform tokens every mode starts at the random :math:`N^{-1/2}` level, so the modes
# near :math:`k_{\max}` compete and the first clusters number :math:`k_{\max}` only part of the
# time: the ``bruno2024`` reproduction measures how often (see the gallery).
