r"""
An animation
============

:func:`attnflow.plot.animate` writes a run as a GIF (or an MP4 with ffmpeg): here 300 tokens on
:math:`\mathbb S^1` (softmax attention, :math:`\beta = 4`) with the predicted angles of the
first clusters in red. The same from the command line: ``attnflow animate RUN.zarr --predicted``.
"""

# %%
import numpy as np

import attnflow as af

theta0 = af.sphere.uniform_angles(300, seed=3)
model = af.AttentionModel(d=2, beta=4.0, normalization="sa")
x0 = af.sphere.angles_to_points(theta0)
sol = af.simulate(model, x0, t1=8.0, dt=0.01, method="rk4", save_at=np.linspace(0, 8, 41))
predicted = af.theory.predicted_cluster_angles(theta0, 4.0)
path = af.plot.animate(sol, "tokens.gif", fps=8, max_frames=41, dpi=90,
                       predicted_angles=predicted)
print("wrote", path.name, f"({path.stat().st_size / 1e3:.0f} kB)")
