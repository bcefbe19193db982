"""One entry point per task for every generator the package builds: ``steady_state`` and ``evolve``.

* Dense (d^2, d^2) arrays -- the rate superoperators R of :mod:`spinbath.quantum.spin_phonon` --
  go to :func:`spinbath.quantum.relaxation.steady_state` / :func:`~spinbath.quantum.relaxation.evolve`
  (SVD null vector; eigendecomposition, with the optional energies ``E`` in cm^-1 and times in s).
* Sparse matrices, ``LinearOperator`` s and :class:`~spinbath.quantum.open_chain.OpenChainLiouvillian`
  (open chains, dimensionless) go to :mod:`spinbath.quantum.chain_solvers`, as does a dense array
  when a chain-solver method object (``Eig()``, ``Krylov()``, ``Direct()``, ``Iterative()``, ...)
  is passed.

Both return density matrices in the basis of the generator: ``steady_state(L)`` a (d, d) array
with unit trace, ``evolve(L, rho0, times)`` an array of shape (len(times), d, d).
"""

from __future__ import annotations

import numpy as np

from . import chain_solvers, relaxation

__all__ = ["steady_state", "evolve"]

_CHAIN_METHODS = (chain_solvers.Eig, chain_solvers.Krylov, chain_solvers.ExpmMultiply, chain_solvers.ODE,
                  chain_solvers.Direct, chain_solvers.Iterative)


def _is_dense(L) -> bool:
    return isinstance(L, np.ndarray)


def steady_state(L, method=None, **kwargs) -> np.ndarray:
    """Steady state rho (d x d, trace 1) of a generator; see the module docstring for dispatch.

    Dense arrays with ``method=None`` use the SVD of :func:`relaxation.steady_state`; everything
    else :func:`chain_solvers.steady_state` (``method``: ``Direct()``, ``Iterative()`` or None;
    ``info=dict`` for diagnostics).
    """
    if _is_dense(L) and method is None and not kwargs:
        return relaxation.steady_state(L)
    return chain_solvers.steady_state(L, method=method, **kwargs)


def evolve(L, rho0, times, *args, **kwargs) -> np.ndarray:
    """rho(t) for each time, shape (len(times), d, d); see the module docstring for dispatch.

    Dense arrays: ``evolve(R, rho0, times, E=None, method="auto")`` of :mod:`relaxation` (times in s,
    E in cm^-1) unless ``method`` is a chain-solver method object. Sparse / matrix-free generators:
    ``evolve(L, rho0, times, method=None)`` of :mod:`chain_solvers` (dimensionless times).
    """
    method = kwargs.get("method", args[1] if len(args) > 1 else None)
    if _is_dense(L) and not isinstance(method, _CHAIN_METHODS):
        return relaxation.evolve(L, rho0, times, *args, **kwargs)
    if args:
        raise TypeError("chain-solver evolve takes only (L, rho0, times, method=...)")
    return chain_solvers.evolve(L, rho0, times, **kwargs)
