r"""QuTiP interop: spinbath Hamiltonians, jump operators and Liouvillians as ``qutip.Qobj``, and back.

Needs the optional dependency ``qutip >= 5`` (``pip install 'spinbath[qutip]'``).

Conventions (the same on both sides, so no reordering happens here):

* Basis of one site: |J, M>, M = J, J-1, ..., -J (``qutip.jmat`` order). Several sites: tensor
  product with site 0 the most significant factor (``qutip.tensor(site0, site1, ...)``); the
  Qobj ``dims`` are ``[[d0, d1, ...], [d0, d1, ...]]``.
* Liouville space: column stacking, vec(X)[a + d b] = X[a, b], vec(A X B) = (B^T kron A) vec(X),
  the convention of QuTiP's ``operator_to_vector``/``spre``/``spost`` (the Conventions page, docs/conventions.md). Superoperators
  are exported with ``superrep = "super"`` and dims ``[[dims, dims], [dims, dims]]``.
* Units: spinbath Hamiltonians are in cm^-1 (hbar = 1 in those units). ``unit="cm^-1"`` keeps them;
  ``unit="rad/s"`` multiplies by 2 pi c (``spinbath.units.CM_TO_RAD_PER_S``) so that QuTiP solvers
  take times in seconds, matching spinbath's rate superoperators (s^-1). Open-chain models are
  dimensionless and exported as they are.

Functions:

    operator_to_qobj(A, dims)                any (D, D) matrix (dense or scipy.sparse)
    superoperator_to_qobj(S, dims)           any (D^2, D^2) superoperator in spinbath's convention
    hamiltonian_to_qobj(ham, field_T, unit)  a SpinHamiltonian at a field (T)
    spin_operators_to_qobj(ham)              per site (J_x, J_y, J_z), embedded
    hamiltonian_from_qobj(H, g, unit)        a Hermitian operator Qobj -> SpinHamiltonian
    jump_operators_to_qobj(ops, rates, dims) c_ops sqrt(rate) L for qutip.mesolve / liouvillian
    open_chain_to_qobj(n, field, coupling, onsite, neighbour, periodic)
                                             (H, on-site c_ops, full Liouvillian) of an open chain
    rate_superoperator_to_qobj(R, energies, eigenvectors, unit)
                                             a spin-phonon rate superoperator (eigenbasis, s^-1),
                                             optionally with -i[H, .] and rotated to the spin basis
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

__all__ = [
    "operator_to_qobj", "superoperator_to_qobj", "hamiltonian_to_qobj", "spin_operators_to_qobj",
    "hamiltonian_from_qobj", "jump_operators_to_qobj", "open_chain_to_qobj", "rate_superoperator_to_qobj",
]

_UNITS = ("cm^-1", "rad/s")


def _qutip():
    try:
        import qutip
    except ImportError:
        raise ImportError("spinbath.interop.qutip needs QuTiP >= 5: pip install 'spinbath[qutip]'") from None
    return qutip


def _scale(unit: str) -> float:
    if unit not in _UNITS:
        raise ValueError(f"unit must be one of {_UNITS}, got {unit!r}")
    if unit == "cm^-1":
        return 1.0
    from ..units import CM_TO_RAD_PER_S

    return CM_TO_RAD_PER_S


def _dims(size: int, dims: Sequence[int] | None) -> list[int]:
    dims = [size] if dims is None else [int(d) for d in dims]
    if int(np.prod(dims)) != size:
        raise ValueError(f"dims {dims} do not multiply to the matrix size {size}")
    return dims


def _as_matrix(A):
    if sp.issparse(A):
        return sp.csr_matrix(A)
    A = np.asarray(A)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"expected a square matrix, got shape {A.shape}")
    return A


def operator_to_qobj(A, dims: Sequence[int] | None = None):
    """(D, D) dense or sparse matrix -> operator Qobj with dims [[*dims], [*dims]] (default [[D], [D]])."""
    qutip = _qutip()
    A = _as_matrix(A)
    d = _dims(A.shape[0], dims)
    return qutip.Qobj(A, dims=[d, d])


def superoperator_to_qobj(S, dims: Sequence[int] | None = None):
    """(D^2, D^2) superoperator (column stacking, dense or sparse) -> Qobj of type "super".

    ``dims``: the Hilbert-space factors (default [D]). QuTiP uses the same stacking, so the matrix
    is passed through unchanged (a matrix-free :class:`~spinbath.quantum.open_chain.OpenChainLiouvillian`
    must be converted with ``.to_sparse()`` first).
    """
    qutip = _qutip()
    if hasattr(S, "to_sparse") and not sp.issparse(S):
        S = S.to_sparse()
    S = _as_matrix(S)
    D = int(round(np.sqrt(S.shape[0])))
    if D * D != S.shape[0]:
        raise ValueError(f"superoperator size {S.shape[0]} is not D^2")
    d = _dims(D, dims)
    return qutip.Qobj(S, dims=[[d, d], [d, d]], superrep="super")


def hamiltonian_to_qobj(ham, field_T: Sequence[float] = (0.0, 0.0, 0.0), unit: str = "cm^-1"):
    """A :class:`~spinbath.spins.SpinHamiltonian` at field ``field_T`` (3-vector, T) as a Qobj.

    dims = the sites' dimensions 2J+1 (site 0 first); ``unit`` "cm^-1" (spinbath's) or "rad/s".
    """
    return operator_to_qobj(ham.matrix(field_T) * _scale(unit), ham.dims)


def spin_operators_to_qobj(ham) -> list[tuple]:
    """Per site, (J_x, J_y, J_z) embedded in the full space as Qobj (dimensionless, hbar = 1)."""
    return [tuple(operator_to_qobj(op, ham.dims) for op in ops) for ops in ham.spin_operators]


def hamiltonian_from_qobj(H, g=2.0, unit: str = "cm^-1", site_g: Sequence | None = None):
    """A Hermitian operator Qobj -> :class:`~spinbath.spins.SpinHamiltonian` (zero-field part).

    Each factor of ``H.dims`` of size d becomes a site with J = (d - 1)/2 (basis M = J .. -J, as
    ``qutip.jmat``); the whole matrix becomes the Hamiltonian's zero-field term (cm^-1; divided by
    2 pi c first if ``unit="rad/s"``). ``g`` (scalar, 3 principal values or 3x3) for every site, or
    ``site_g`` with one per site: it defines the Zeeman term mu_B B.g.J that spinbath adds at a
    field (a matrix alone does not say how it depends on the field).
    """
    from ..spins.hamiltonian import Site, SpinHamiltonian

    qutip = _qutip()
    if not isinstance(H, qutip.Qobj) or not H.isoper:
        raise ValueError("expected an operator Qobj (a Hamiltonian), got "
                         f"{getattr(H, 'type', type(H).__name__)}")
    left, right = (list(x) for x in H.dims)
    if left != right:
        raise ValueError(f"a Hamiltonian must map a space to itself, got dims {H.dims}")
    M = H.full() / _scale(unit)
    if not np.allclose(M, M.conj().T, rtol=0, atol=1e-10 * max(1.0, float(np.abs(M).max()))):
        raise ValueError("the Qobj is not Hermitian")
    gs = [g] * len(left) if site_g is None else list(site_g)
    if len(gs) != len(left):
        raise ValueError(f"site_g has {len(gs)} entries for {len(left)} sites")
    sites = [Site((d - 1) / 2, {}, gi) for d, gi in zip(left, gs)]
    return SpinHamiltonian(sites, extra=(M + M.conj().T) / 2)


def jump_operators_to_qobj(ops: Sequence, rates: Sequence[float] | None = None, dims: Sequence[int] | None = None) -> list:
    """Jump operators L_k (matrices) with rates gamma_k -> QuTiP c_ops sqrt(gamma_k) L_k.

    The dissipator gamma (L rho L^+ - {L^+ L, rho}/2) of spinbath's
    :func:`~spinbath.quantum.liouville.lindblad_dissipator` is QuTiP's ``lindblad_dissipator`` of
    the returned operator. Rates must be >= 0.
    """
    rates = [1.0] * len(ops) if rates is None else list(rates)
    if len(rates) != len(ops):
        raise ValueError(f"{len(ops)} operators but {len(rates)} rates")
    if any(r < 0 for r in rates):
        raise ValueError("rates must be >= 0 for Lindblad jump operators")
    return [operator_to_qobj(np.sqrt(r) * (L.toarray() if sp.issparse(L) else np.asarray(L)), dims)
            for L, r in zip(ops, rates)]


def open_chain_to_qobj(n: int, field, coupling, onsite=None, neighbour=None, periodic: bool = False):
    """An open spin-1/2 chain (:mod:`spinbath.quantum.open_chain`) in QuTiP terms: (H, c_ops, L).

    H: the Hamiltonian, dims [[2]*n, [2]*n]. c_ops: sqrt(gamma) S^(j)_{a,eta} of the on-site
    dissipators (for ``qutip.mesolve``/``liouvillian``). L: the full Liouvillian including the
    neighbour (common-bath) terms S^(j') rho S^(j)+ with j != j', which are not of single-operator
    Lindblad form and so are only in L. Dimensionless (hbar = gamma = 1).
    """
    from ..quantum.chain_model import normalize_rates
    from ..quantum.open_chain import jump_operator, open_chain_hamiltonian, open_chain_liouvillian, site_operator

    dims = [2] * int(n)
    H = operator_to_qobj(open_chain_hamiltonian(n, field, coupling, periodic), dims)
    c_ops = []
    for (axis, sign), rate in normalize_rates(onsite, "onsite").items():
        A = jump_operator(axis, sign)
        c_ops += jump_operators_to_qobj([site_operator(A, j, n) for j in range(n)], [rate] * n, dims)
    L = superoperator_to_qobj(open_chain_liouvillian(n, field, coupling, onsite, neighbour, periodic), dims)
    return H, c_ops, L


def rate_superoperator_to_qobj(R, energies=None, eigenvectors=None, unit: str = "rad/s",
                               dims: Sequence[int] | None = None):
    """A rate superoperator R (s^-1, eigenbasis of H, e.g. from ``spin_phonon_superoperator``) as Qobj.

    With ``energies`` (cm^-1) the coherent part -i[H, .] is added, -i (E_a - E_b) 2 pi c on rho_ab
    (rad/s, so ``unit`` must be "rad/s"; :func:`~spinbath.quantum.relaxation.with_hamiltonian`); with
    ``eigenvectors`` U (columns, spin basis) the result is rotated to the spin basis, S -> W S W^+,
    W = conj(U) kron U. The result generates d rho/dt = S rho with t in s
    (``qutip.mesolve(S, rho0, times)``).
    """
    from ..quantum.liouville import change_basis
    from ..quantum.relaxation import with_hamiltonian

    if unit != "rad/s":
        raise ValueError("rate superoperators are in s^-1: export them with unit='rad/s'")
    S = with_hamiltonian(R, energies)
    d = int(round(np.sqrt(S.shape[0])))
    if eigenvectors is not None:
        S = change_basis(S, np.asarray(eigenvectors))
    return superoperator_to_qobj(S, dims if dims is not None else [d])
