"""Bridges to other open-system libraries (optional dependencies, imported on use).

    spinbath.interop.qutip    Hamiltonians, jump operators, Liouvillians <-> qutip.Qobj

The public surface is the submodule and its ``__all__`` (``from spinbath.interop import qutip as
sq``), not names of this package, which exports none; importing the submodule does not import
QuTiP, which is needed only when a conversion runs.
"""

from . import qutip  # noqa: F401  (so that ``spinbath.interop.qutip`` is an attribute after import)

__all__: list[str] = []
