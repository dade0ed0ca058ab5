"""Closed-form predictions of the mean-field theory, to compare with simulations.

Everything here is a formula derived in docs/theory/ turned into a function with its shapes,
its domain and its source, and
this package is the one place where each of them lives:

- kernel spectra (:mod:`.kernels`): :func:`kernel_coefficients` (Funk-Hecke eigenvalues of
  e^{beta t}), :func:`gegenbauer_coefficients` (expansion of e^{beta t} in Gegenbauer /
  Chebyshev polynomials), :func:`zonal_harmonics`, :func:`zonal_harmonics_and_derivatives`,
  :func:`iter_zonal_harmonics`, :func:`harmonic_norms`;
- linear instability of the uniform measure [B] (:mod:`.stability`): :func:`growth_rates`,
  :func:`k_max`, :func:`predicted_cluster_count`, :func:`linear_phase_end`,
  :func:`time_scales`;
- the first clusters on S^1 [B] (:mod:`.clusters`): :func:`predicted_cluster_angles`,
  :func:`mode_maxima`;
- the equiangular reduction [GLPR] (:mod:`.equiangular`): :func:`equiangular_rhs`,
  :func:`equiangular_solution`, :func:`equiangular_clustering_time`,
  :func:`equiangular_layer_map`, :func:`equiangular_layer_time`;
- the interaction energy on (S^{d-1})^N and quantitative clustering at small beta [C]
  (:mod:`.energy`): :func:`energy_gradient`, :func:`energy_hessian`,
  :func:`hessian_top_eigenvalue`, :func:`clustering_rate_bounds`;
- normalization schemes in the equiangular model (:mod:`.normalization`, derived here):
  :data:`SCHEMES`, :func:`equiangular_scheme_rhs`, :func:`equiangular_scheme_solution`,
  :func:`equiangular_asymptotics` (:class:`SchemeSolution`, :class:`EquiangularLaw`);
- one layer at long context, beta_n = gamma log n (:mod:`.longcontext`):
  :func:`long_context_cosine`, :func:`long_context_limit`, :func:`long_context_rate`;
- causal attention [KPR] (:mod:`.causal`): :func:`causal_pair_cosine`,
  :func:`causal_pair_time`, :func:`renyi_centres`, :func:`renyi_centre_count`,
  :func:`renyi_parking_mean`;
- the zero-temperature limit [L] (:mod:`.lowtemp`): :func:`zero_temperature_map`,
  :class:`ZeroTemperatureMap`, :func:`push_forward`, :func:`zero_temperature_rate`,
  :func:`wasserstein_bound`, :func:`optimal_time`;
- noise (:mod:`.noise`): :func:`noise_threshold` (kappa_#), :func:`pitchfork_coefficient`,
  :func:`critical_beta` (beta_* of the discontinuous transition [MR]),
  :func:`kuramoto_order_parameter`; the rates with noise are :func:`growth_rates` with ``kappa``.

Overflow: quantities that grow like e^{|beta|} raise one FloatingPointError that names beta
and the fix (e.g. ``scaled=True``), never inf or NaN.

References
----------
[B]    Bruno, Pasqualotto, Agazzi, "Emergence of meta-stable clustering in mean-field
       transformer models", arXiv 2410.23228 (ICLR 2025).
[C]    Chen, Lin, Polyanskiy, Rigollet, "Quantitative clustering in mean-field transformer
       models", arXiv 2504.14697.
[L]    Alcalde, Bungert, Riedl, Roith, "Quantifying concentration phenomena of mean-field
       transformers in the low-temperature regime", arXiv 2605.10931.
[GLPR] Geshkovski, Letrouit, Polyanskiy, Rigollet, "A mathematical perspective on
       transformers", arXiv 2312.10794.
[KPR]  Karagodin, Polyanskiy, Rigollet, "Clustering in causal attention masking",
       arXiv 2411.04990.
[MR]   Mun, Rosenzweig, "Phase transitions in Doi-Onsager, noisy transformer, and other
       multimodal models", arXiv 2604.16288 (d = 2); "Phase transitions for the noisy
       transformer model in arbitrary dimension", arXiv 2606.05140.

"Derived here" marks statements that docs/theory/provenance.md#provenance-tags derives rather than reads in
a paper; the
tests in ``tests/test_theory.py`` check each of them numerically (quadrature, finite
differences, particle runs with :func:`attnflow.simulate`).

Conventions. sigma is the *normalized* uniform measure on S^{d-1}; nu = (d - 2)/2; I_mu is
the modified Bessel function of the first kind; the model's logit is beta <A x_i, x_j> with
A = ``AttentionModel.A_matrix``.
"""

from .causal import (
    causal_pair_cosine,
    causal_pair_time,
    renyi_centre_count,
    renyi_centres,
    renyi_parking_mean,
)
from .clusters import mode_maxima, predicted_cluster_angles
from .energy import clustering_rate_bounds, energy_gradient, energy_hessian, hessian_top_eigenvalue
from .equiangular import (
    equiangular_clustering_time,
    equiangular_layer_map,
    equiangular_layer_time,
    equiangular_rhs,
    equiangular_solution,
)
from .kernels import (
    gegenbauer_coefficients,
    harmonic_norms,
    iter_zonal_harmonics,
    kernel_coefficients,
    zonal_harmonics,
    zonal_harmonics_and_derivatives,
)
from .longcontext import LongContextRate, long_context_cosine, long_context_limit, long_context_rate
from .lowtemp import (
    ZeroTemperatureMap,
    optimal_time,
    push_forward,
    wasserstein_bound,
    zero_temperature_map,
    zero_temperature_rate,
)
from .noise import critical_beta, kuramoto_order_parameter, noise_threshold, pitchfork_coefficient
from .normalization import (
    SCHEMES,
    EquiangularLaw,
    SchemeSolution,
    equiangular_asymptotics,
    equiangular_scheme_rhs,
    equiangular_scheme_solution,
)
from .stability import growth_rates, k_max, linear_phase_end, predicted_cluster_count, time_scales

__all__ = [
    "SCHEMES",
    "EquiangularLaw",
    "LongContextRate",
    "SchemeSolution",
    "ZeroTemperatureMap",
    "causal_pair_cosine",
    "causal_pair_time",
    "clustering_rate_bounds",
    "critical_beta",
    "energy_gradient",
    "energy_hessian",
    "equiangular_asymptotics",
    "equiangular_clustering_time",
    "equiangular_layer_map",
    "equiangular_layer_time",
    "equiangular_rhs",
    "equiangular_scheme_rhs",
    "equiangular_scheme_solution",
    "equiangular_solution",
    "gegenbauer_coefficients",
    "growth_rates",
    "harmonic_norms",
    "hessian_top_eigenvalue",
    "iter_zonal_harmonics",
    "k_max",
    "kernel_coefficients",
    "kuramoto_order_parameter",
    "linear_phase_end",
    "long_context_cosine",
    "long_context_limit",
    "long_context_rate",
    "mode_maxima",
    "noise_threshold",
    "optimal_time",
    "pitchfork_coefficient",
    "predicted_cluster_angles",
    "predicted_cluster_count",
    "push_forward",
    "renyi_centre_count",
    "renyi_centres",
    "renyi_parking_mean",
    "time_scales",
    "wasserstein_bound",
    "zero_temperature_map",
    "zero_temperature_rate",
    "zonal_harmonics",
    "zonal_harmonics_and_derivatives",
]
