"""Bridges to other open-system libraries (optional dependencies, imported on use).

    spinbath.interop.qutip    Hamiltonians, jump operators, Liouvillians <-> qutip.Qobj

The public name is the module itself (``from spinbath.interop import qutip as sq``); importing it
does not import QuTiP, which is needed only when a conversion runs.
"""

from . import qutip

__all__ = ["qutip"]
