"""Spin systems: angular-momentum operators, Stevens operators, spin Hamiltonians.

Public API: ``spin_matrices(J) -> (Jx, Jy, Jz)`` (basis M = J, ..., -J) and
``stevens(J, k, q) -> ndarray`` (Stevens operators O_k^q, DESIGN.md convention).
"""

from .hamiltonian import Exchange, Site, SpinHamiltonian, deterministic_phase, g_tensor_of_doublet
from .operators import embed, ladder_operators, m_values, spin_dim, spin_matrices

__all__ = [
    "spin_matrices", "ladder_operators", "embed", "m_values", "spin_dim", "stevens", "lande_gJ",
    "SpinHamiltonian", "Site", "Exchange", "deterministic_phase", "g_tensor_of_doublet",
]


def __getattr__(name):
    # Imported on first use so that the operator layer never depends on the Stevens tables.
    if name == "stevens":
        from .stevens import stevens

        return stevens
    if name == "lande_gJ":
        from .conventions import lande_gJ

        return lande_gJ
    raise AttributeError(name)
