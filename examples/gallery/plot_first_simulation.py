r"""
A first simulation
==================

Four hundred tokens on the circle :math:`\mathbb S^1` under unnormalized attention (USA) at
inverse temperature :math:`\beta = 5`: the ten lines of the getting-started page, then the run's
summary figure.
"""

# %%
# The run: a model, an initial configuration, and the flow integrated with RK4. ``sol.x`` holds
# the states at the save times, ``sol.observables`` the quantities measured along the way.
import numpy as np

import attnflow as af

model = af.AttentionModel(d=2, beta=5.0, normalization="usa")   # A = V = I
x0 = af.sphere.uniform(n=400, d=2, seed=1)                  # (400, 2) points on S^1
sol = af.simulate(model, x0, t1=6.0, dt=0.01, method="rk4",
                  save_at=np.linspace(0, 6, 121),
                  observables=["energy", "order_parameter", "cluster_count"])
print("saved states:", sol.x.shape, "  backend:", sol.metadata["backend"])
print("clusters at t = 0, 1.5, 3, 6:", sol.observables["cluster_count"][[0, 30, 60, 120]])
print("energy non-decreasing:", bool(np.all(np.diff(sol.observables["energy"]) >= -1e-12)))

# %%
# The summary figure: the angle of every token against time, the energy and the order parameter
# :math:`R(t) = \big|\frac1N \sum_i x_i(t)\big|`. The tokens first gather into a few clusters
# (linear theory: :math:`k_{\max}(5) = 3` for a near-uniform start), which then merge slowly.
print("k_max(beta = 5, d = 2) =", af.theory.k_max(5.0, 2))
fig = af.plot.summary_figure(sol)
