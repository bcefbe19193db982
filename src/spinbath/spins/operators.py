"""Angular-momentum operators for any S or J, and their embedding in many-site spaces.

Basis: |J, M> with M descending, M = J, J-1, ..., -J (index 0 is M = +J), the same ordering as
QuTiP's ``jmat`` and EasySpin. Matrices are dimensionless (hbar = 1):

    Jz |M> = M |M>,   J+ |M> = sqrt(J(J+1) - M(M+1)) |M+1>,   Jx = (J+ + J-)/2,  Jy = (J+ - J-)/(2i).

Many-site operators use the Kronecker product with site 0 the most significant factor, as in
QuTiP's ``tensor``: embed(A, site=0, dims=(d0, d1)) = A kron 1_{d1}.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from functools import lru_cache

import numpy as np

__all__ = ["check_spin", "spin_dim", "spin_matrices", "ladder_operators", "embed", "m_values"]


def check_spin(J: float) -> float:
    """Return J as a float after checking that it is a positive multiple of 1/2.

    Raises ValueError naming the value otherwise (J = 0 is rejected: no spin, no dynamics).
    """
    try:
        Jf = float(J)
    except (TypeError, ValueError):
        raise ValueError(f"J = {J!r} is not a number") from None
    if not np.isfinite(Jf) or Jf <= 0 or abs(2 * Jf - round(2 * Jf)) > 1e-9:
        raise ValueError(f"J = {J!r} must be a positive multiple of 1/2 (e.g. 1/2, 1, 15/2)")
    return round(2 * Jf) / 2


def spin_dim(J: float) -> int:
    """Dimension 2J + 1 of the |J, M> multiplet."""
    return int(round(2 * check_spin(J))) + 1


def m_values(J: float) -> np.ndarray:
    """Magnetic quantum numbers M = J, J-1, ..., -J (descending, the basis order)."""
    Jf = check_spin(J)
    return Jf - np.arange(spin_dim(Jf))


@lru_cache(maxsize=64)
def _ladder_cached(twoJ: int) -> tuple[np.ndarray, np.ndarray]:
    J = twoJ / 2
    m = J - np.arange(twoJ + 1)
    # <M+1| J+ |M> sits on the first superdiagonal because M descends with the index.
    jp = np.diag(np.sqrt(J * (J + 1) - m[1:] * (m[1:] + 1)), k=1).astype(complex)
    jp.setflags(write=False)
    jz = np.diag(m).astype(complex)
    jz.setflags(write=False)
    return jp, jz


def ladder_operators(J: float) -> tuple[np.ndarray, np.ndarray]:
    """Return (J+, J-) as complex (2J+1, 2J+1) arrays in the M-descending basis."""
    jp, _ = _ladder_cached(int(round(2 * check_spin(J))))
    return jp.copy(), jp.conj().T.copy()


def spin_matrices(J: float | Fraction) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spin matrices (Jx, Jy, Jz) for spin J (integer or half-integer), hbar = 1.

    Parameters
    ----------
    J : float
        Spin quantum number, a positive multiple of 1/2 (1/2, 1, ..., 15/2, ...).

    Returns
    -------
    (Jx, Jy, Jz) : complex ndarrays of shape (2J+1, 2J+1), basis M = J, J-1, ..., -J.
    They satisfy [Jx, Jy] = i Jz and Jx^2 + Jy^2 + Jz^2 = J(J+1).
    """
    jp, jz = _ladder_cached(int(round(2 * check_spin(J))))
    jm = jp.conj().T
    return (jp + jm) / 2, (jp - jm) / 2j, jz.copy()


def embed(op: np.ndarray, site: int, dims: Sequence[int]) -> np.ndarray:
    """Embed a single-site operator into the tensor-product space of several sites.

    Returns 1 kron ... kron op kron ... kron 1 with ``op`` at position ``site``; site 0 is the most
    significant (leftmost) factor, as in QuTiP's ``tensor``. Total dimension prod(dims).
    """
    dims = [int(d) for d in dims]
    if not 0 <= site < len(dims):
        raise ValueError(f"site {site} out of range for {len(dims)} sites")
    op = np.asarray(op)
    if op.shape != (dims[site], dims[site]):
        raise ValueError(f"operator of shape {op.shape} does not fit site {site} of dimension {dims[site]}")
    left = int(np.prod(dims[:site], dtype=int))
    right = int(np.prod(dims[site + 1 :], dtype=int))
    return np.kron(np.kron(np.eye(left), op), np.eye(right))
