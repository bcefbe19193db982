"""Open-system methods: Liouville space, spin-phonon rate superoperators (orders 2 and 4), open
chains, solvers and observables.

Public entry points (numpy/scipy only, imported here):
    spin_phonon_superoperator(H, V, mode_energies, temperature, order, width, lineshape) -> (E, R)
    SpinPhononRates                 the same, built once for many temperatures
    relaxation_time, coherence_times, magnetization                          observables of R
    open_chain_liouvillian(n, field, coupling, onsite, neighbour, periodic)  sparse (4^n, 4^n) L
    OpenChainLiouvillian            the same generator, matrix-free (LinearOperator)
    thermal_rates(Gamma, n_b, ratio), open_chain_hamiltonian(n, field, coupling)
    steady_state(L), evolve(L, rho0, times)   for dense rate superoperators R (relaxation.py) and
                                              sparse / matrix-free Liouvillians (chain_solvers.py)
    slowest_eigenvalues(L, k), relaxation_gap(L)

No public name is also the name of a submodule (``relaxation`` is the module, ``relaxation_time``
the function), so ``from spinbath.quantum import relaxation`` keeps giving the module.
"""

from .chain_solvers import relaxation_gap, slowest_eigenvalues
from .open_chain import OpenChainLiouvillian, open_chain_hamiltonian, open_chain_liouvillian, thermal_rates
from .relaxation import coherence_times, effective_generator, magnetization, relaxation_modes, relaxation_time
from .solvers import evolve, steady_state
from .spin_phonon import SpinPhononRates, spin_phonon_superoperator

__all__ = [
    "OpenChainLiouvillian", "SpinPhononRates", "coherence_times", "effective_generator", "evolve",
    "magnetization", "open_chain_hamiltonian", "open_chain_liouvillian", "relaxation_gap",
    "relaxation_modes", "relaxation_time", "slowest_eigenvalues", "spin_phonon_superoperator",
    "steady_state", "thermal_rates",
]
