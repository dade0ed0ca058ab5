r"""
A small sweep
=============

A sweep is a grid of runs in one Zarr store (:doc:`../sweeps`). Here 16 tokens on S^1 and S^2
(softmax attention, the layer scheme with step 0.1), beta from 0.5 to 6 and 8 initial
configurations per cell: 12 cells, computed in this process (``scheduler="serial"``; the default
is a local Dask cluster, and ``attnflow sweep FILE --store S.zarr`` does the same from a file).
"""

# %%
import tempfile
from pathlib import Path

import xarray as xr

import attnflow as af
from attnflow.sweep import parse_sweep, run_sweep

spec = parse_sweep({
    "model": {"d": 2, "beta": 1.0, "normalization": "sa"},
    "init": {"kind": "uniform", "n": 16},
    "run": {"t1": 6.0, "dt": 0.1, "method": "layer", "save_every": 0.5,
            "observables": ["clustering_density", "cluster_count"]},
    "sweep": {"seed": 0, "samples": 8,
              "axes": {"d": [2, 3], "beta": {"start": 0.5, "stop": 6.0, "num": 6}}},
})
store = Path(tempfile.mkdtemp()) / "small.zarr"
summary = run_sweep(spec, store, scheduler="serial")
print(summary)
ds = xr.open_zarr(store, consolidated=False)
print(ds["clustering_density"].dims, ds["clustering_density"].shape)

# %%
# The fraction of token pairs that have merged, against beta at the last time, one curve per
# dimension (the band spans the 10-90 % quantiles over the 8 configurations), and the whole
# (beta, t) plane for d = 2.
fig = af.plot.sweep_curve(ds, "clustering_density", "beta", hue="d")
fig2 = af.plot.phase_diagram(ds, "clustering_density", "beta", facet="d")
