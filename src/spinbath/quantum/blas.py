"""BLAS thread control for the solvers (threadpoolctl).

The solvers run their own parallelism (sparse products and transposes on a small thread pool,
:mod:`spinbath.quantum.chain_kernels`); BLAS threads spinning between the many mid-sized BLAS calls
of Arnoldi and GMRES compete with it, so the solvers keep BLAS on one thread while they run.
"""

from __future__ import annotations

from contextlib import contextmanager

__all__ = ["single_threaded_blas", "blas_thread_counts"]

_CONTROLLER = None


def _controller():
    """One threadpoolctl controller for the process (the scan of the loaded libraries runs once)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        import scipy.linalg  # noqa: F401 - load scipy's own BLAS before the scan
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


@contextmanager
def single_threaded_blas():
    """Context manager: every BLAS library loaded by numpy and scipy uses one thread inside
    (threadpoolctl ``limit(limits=1, user_api="blas")``); the previous settings are restored on exit."""
    with _controller().limit(limits=1, user_api="blas"):
        yield


def blas_thread_counts() -> list[int]:
    """Current thread count of each BLAS library threadpoolctl finds (empty if it finds none)."""
    return [int(lib.num_threads) for lib in _controller().select(user_api="blas").lib_controllers]
