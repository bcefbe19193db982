"""Spin systems: angular-momentum operators, Stevens operators, spin Hamiltonians.

Public API: ``spin_matrices(J) -> (Jx, Jy, Jz)`` (basis M = J, ..., -J) and
``stevens(J, k, q) -> ndarray`` (Stevens operators O_k^q, convention of docs/conventions.md).

Everything listed in ``__all__`` is imported here (numpy only). ``stevens`` and its module
:mod:`spinbath.spins.stevens` share a name: the package attribute is the *function*, bound after
the module is loaded, so ``from spinbath.spins import stevens`` gives the function whatever was
imported before. Import the module's other names from the module itself
(``from spinbath.spins.stevens import cf_matrix``); ``import spinbath.spins.stevens as m`` binds
the function too (Python resolves it as an attribute), so use
``importlib.import_module("spinbath.spins.stevens")`` for the module object.
"""

from .conventions import lande_gJ
from .hamiltonian import Exchange, Site, SpinHamiltonian, deterministic_phase, g_tensor_of_doublet
from .operators import embed, ladder_operators, m_values, spin_dim, spin_matrices
from .stevens import stevens  # after every import that may load the module spinbath.spins.stevens

__all__ = [
    "spin_matrices", "ladder_operators", "embed", "m_values", "spin_dim", "stevens", "lande_gJ",
    "SpinHamiltonian", "Site", "Exchange", "deterministic_phase", "g_tensor_of_doublet",
]
