"""Bridges to other open-system libraries (optional dependencies, imported on use).

    spinbath.interop.qutip    Hamiltonians, jump operators, Liouvillians <-> qutip.Qobj
"""
