"""A limit on the threads of the BLAS libraries (OpenBLAS, MKL, ...) for a block of code.

Many small matrix products (e.g. the spectral backend at N <= 1e5, or Gram matrices of a few
hundred tokens) run faster on one BLAS thread on a shared machine: multi-threaded OpenBLAS
spends most of its time waiting for the other threads (a persistence run of the [B]
experiment took 3.2 s with 2 threads and 0.6 s with one). Setting OPENBLAS_NUM_THREADS=1
before starting Python has the same effect for the whole process.
"""

from __future__ import annotations

from typing import Any

from ..validation import integer

__all__ = ["blas_threads"]


def blas_threads(limit: int = 1) -> Any:
    """Limit every loaded BLAS library to ``limit`` threads; use as a context manager.

    ``with blas_threads(1): ...`` runs the block with one BLAS thread and restores the
    previous numbers afterwards (``threadpoolctl.threadpool_limits`` with ``user_api="blas"``;
    OpenMP pools, e.g. Numba's, are left alone).

    Parameters
    ----------
    limit : int >= 1, the number of threads.

    Returns
    -------
    a ``threadpoolctl.threadpool_limits`` context manager.
    """
    from threadpoolctl import threadpool_limits

    limit = integer("limit", limit, 1, fix="pass a number of threads >= 1, e.g. limit=1")
    return threadpool_limits(limits=limit, user_api="blas")
