"""Open-system methods: Liouville space, spin-phonon rate superoperators (orders 2 and 4), open
chains, solvers and observables.

Public entry points (imported lazily, so ``import spinbath`` stays light):
    spin_phonon_superoperator(H, V, mode_energies, temperature, order, width, lineshape) -> (E, R)
    SpinPhononRates                 the same, built once for many temperatures
    relaxation_time, coherence_times, magnetization                          observables of R
    open_chain_liouvillian(n, field, coupling, onsite, neighbour, periodic)  sparse (4^n, 4^n) L
    OpenChainLiouvillian            the same generator, matrix-free (LinearOperator)
    thermal_rates(Gamma, n_b, ratio), open_chain_hamiltonian(n, field, coupling)
    steady_state(L), evolve(L, rho0, times)   for dense rate superoperators R (relaxation.py) and
                                              sparse / matrix-free Liouvillians (chain_solvers.py)
    slowest_eigenvalues(L, k), relaxation_gap(L)
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "spin_phonon_superoperator": "spin_phonon",
    "SpinPhononRates": "spin_phonon",
    "relaxation_time": "relaxation",
    "relaxation_modes": "relaxation",
    "coherence_times": "relaxation",
    "effective_generator": "relaxation",
    "steady_state": "solvers",
    "evolve": "solvers",
    "magnetization": "relaxation",
    "open_chain_liouvillian": "open_chain",
    "open_chain_hamiltonian": "open_chain",
    "OpenChainLiouvillian": "open_chain",
    "thermal_rates": "open_chain",
    "slowest_eigenvalues": "chain_solvers",
    "relaxation_gap": "chain_solvers",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
