"""Open-system methods: Liouville space, spin-phonon rate superoperators (orders 2 and 4), open
chains, one method registry for evolution, steady states and spectra, and observables.

Public entry points (numpy/scipy only, imported here):
    spin_phonon_superoperator(H, V, mode_energies, temperature, order, width, lineshape) -> (E, R)
    SpinPhononRates                 the same, built once for many temperatures
    relaxation_time, relaxation_time_details, coherence_times, magnetization   observables of R
    with_hamiltonian(R, E)          the full generator R - i[H, .] (s^-1)
    ChainModel                      an open spin-1/2 chain (exact and mean field take the same one)
    open_chain_liouvillian(n, field, coupling, onsite, neighbour, periodic)  sparse (4^n, 4^n) L
    OpenChainLiouvillian(model)     the same generator, matrix-free (LinearOperator)
    thermal_rates(Gamma, n_b, ratio), open_chain_hamiltonian(n, field, coupling)
    FieldDaviesBath(kappa, temperature, dephasing)   per-spin Davies bath whose jump operators follow
                                    the instantaneous field (Gibbs state of B . S at every field)
    SweptChain(model, bath)         exact chain in a swept field with that bath (n <= 8): loops
    TriangleSweep, DynamicLoop      the field protocol B(t) = base + h(t) d and the loop it draws
    evolve(L, rho0, times, *, method, e_ops) -> EvolveResult      (times in the inverse unit of L)
    steady_state(L, *, method), steady_state_details(L, *, method) -> SteadyStateResult
    slowest_eigenvalues(L, k, *, method), relaxation_gap(L)
    METHODS, register               the method registry; the method classes (Eig, Expm, Krylov,
                                    ExpmMultiply, ODE, SVD, Direct, Iterative, DenseSpectrum,
                                    ExponentialArnoldi, ShiftInvert) live in spinbath.quantum.methods

No public name is also the name of a submodule (``relaxation`` is the module, ``relaxation_time``
the function), so ``from spinbath.quantum import relaxation`` keeps giving the module.
"""

from .chain_model import ChainModel, thermal_rates
from .field_davies import FieldDaviesBath
from .triangle_sweep import DynamicLoop, TriangleSweep
from .methods import (
    METHODS, EvolveResult, SteadyStateResult, evolve, register, relaxation_gap, slowest_eigenvalues, steady_state,
    steady_state_details,
)
from .open_chain import OpenChainLiouvillian, open_chain_hamiltonian, open_chain_liouvillian
from .relaxation import (
    RelaxationTime, coherence_times, effective_generator, magnetization, relaxation_modes, relaxation_time,
    relaxation_time_details, with_hamiltonian,
)
from .spin_phonon import SpinPhononRates, spin_phonon_superoperator
from .swept_chain import SweptChain

__all__ = [
    "METHODS", "ChainModel", "DynamicLoop", "EvolveResult", "FieldDaviesBath", "OpenChainLiouvillian",
    "RelaxationTime", "SpinPhononRates", "SteadyStateResult", "SweptChain", "TriangleSweep",
    "coherence_times", "effective_generator", "evolve", "magnetization", "open_chain_hamiltonian",
    "open_chain_liouvillian", "register", "relaxation_gap", "relaxation_modes", "relaxation_time",
    "relaxation_time_details", "slowest_eigenvalues", "spin_phonon_superoperator", "steady_state",
    "steady_state_details", "thermal_rates", "with_hamiltonian",
]
