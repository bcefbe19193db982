"""Liouville space: vectorization, superoperators and checks of the generator's structure.

Convention (the Conventions page, docs/conventions.md): column stacking, as in QuTiP 5,

    vec(X)[a + d*b] = X[a, b],          vec(A X B) = (B^T kron A) vec(X).

A superoperator is a (d*d, d*d) matrix S with vec(S[X]) = S @ vec(X). Its four-index form used by
rate theory, d rho_ab/dt = sum_cd R_ab,cd rho_cd, is R[a + d*b, c + d*c'] = R_ab,cc'
(:func:`superoperator_to_tensor` / :func:`tensor_to_superoperator`).

Units: these helpers are unit-free. :func:`hamiltonian_superoperator` returns -i[H, .] in the units
of H (hbar = 1); multiply by ``spinbath.units.CM_TO_RAD_PER_S`` to turn cm^-1 into s^-1.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "vec", "unvec", "spre", "spost", "sprepost", "hamiltonian_superoperator", "lindblad_dissipator",
    "superoperator_to_tensor", "tensor_to_superoperator", "change_basis", "choi_matrix",
    "superoperator_to_kossakowski", "trace_preservation_error", "hermiticity_preservation_error",
    "is_trace_preserving", "is_hermiticity_preserving", "is_completely_positive",
]


def _dim_of(S: np.ndarray) -> int:
    S = np.asarray(S)
    if S.ndim != 2 or S.shape[0] != S.shape[1]:
        raise ValueError(f"a superoperator must be a square matrix, got shape {S.shape}")
    d = int(round(np.sqrt(S.shape[0])))
    if d * d != S.shape[0]:
        raise ValueError(f"superoperator size {S.shape[0]} is not a perfect square d*d")
    return d


def vec(X: np.ndarray) -> np.ndarray:
    """Column-stacking vectorization: vec(X)[a + d*b] = X[a, b]. Works on stacks (..., d, d)."""
    X = np.asarray(X)
    return np.swapaxes(X, -1, -2).reshape(*X.shape[:-2], -1)


def unvec(v: np.ndarray, d: int | None = None) -> np.ndarray:
    """Inverse of :func:`vec`; works on stacks (..., d*d)."""
    v = np.asarray(v)
    n = v.shape[-1]
    if d is None:
        d = int(round(np.sqrt(n)))
    if d * d != n:
        raise ValueError(f"vector of length {n} is not vec of a {d}x{d} matrix")
    return np.swapaxes(v.reshape(*v.shape[:-1], d, d), -1, -2)


def spre(A: np.ndarray) -> np.ndarray:
    """Superoperator of X -> A X: 1 kron A."""
    A = np.asarray(A)
    return np.kron(np.eye(A.shape[0]), A)


def spost(B: np.ndarray) -> np.ndarray:
    """Superoperator of X -> X B: B^T kron 1."""
    B = np.asarray(B)
    return np.kron(B.T, np.eye(B.shape[0]))


def sprepost(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Superoperator of X -> A X B: B^T kron A."""
    return np.kron(np.asarray(B).T, np.asarray(A))


def hamiltonian_superoperator(H: np.ndarray) -> np.ndarray:
    """Superoperator of X -> -i [H, X] (hbar = 1, in the units of H)."""
    H = np.asarray(H)
    return -1j * (spre(H) - spost(H))


def lindblad_dissipator(L: np.ndarray, rate: float = 1.0) -> np.ndarray:
    """Superoperator of X -> rate (L X L^+ - {L^+ L, X}/2).

    In matrix form: rate [conj(L) kron L - (1 kron L^+L)/2 - ((L^+L)^T kron 1)/2]; unit-free (rate
    sets the units). G. Lindblad, Commun. Math. Phys. 48, 119 (1976), doi:10.1007/BF01608499;
    V. Gorini, A. Kossakowski and E. C. G. Sudarshan, J. Math. Phys. 17, 821 (1976), doi:10.1063/1.522979.
    """
    L = np.asarray(L)
    LdL = L.conj().T @ L
    eye = np.eye(L.shape[0])
    return rate * (np.kron(L.conj(), L) - 0.5 * np.kron(eye, LdL) - 0.5 * np.kron(LdL.T, eye))


def superoperator_to_tensor(S: np.ndarray) -> np.ndarray:
    """Four-index form R[a, b, c, d] = R_ab,cd of a superoperator (d rho_ab/dt = sum R_ab,cd rho_cd)."""
    d = _dim_of(S)
    # Row index a + d*b reshapes (C order) to axes (b, a).
    return np.asarray(S).reshape(d, d, d, d).transpose(1, 0, 3, 2)


def tensor_to_superoperator(R: np.ndarray) -> np.ndarray:
    """Inverse of :func:`superoperator_to_tensor`; accepts stacks (..., d, d, d, d)."""
    R = np.asarray(R)
    d = R.shape[-1]
    nd = R.ndim
    axes = list(range(nd - 4)) + [nd - 3, nd - 4, nd - 1, nd - 2]
    return R.transpose(axes).reshape(*R.shape[:-4], d * d, d * d)


def change_basis(S: np.ndarray, U: np.ndarray) -> np.ndarray:
    """Express a superoperator given in basis {U[:, k]} in the original basis.

    If X_orig = U X U^H then vec(X_orig) = (conj(U) kron U) vec(X), so S_orig = W S W^H with
    W = conj(U) kron U. Use U = eigenvectors to go from the eigenbasis to the spin basis.
    """
    U = np.asarray(U)
    W = np.kron(U.conj(), U)
    return W @ np.asarray(S) @ W.conj().T


def choi_matrix(S: np.ndarray) -> np.ndarray:
    """Choi matrix C = sum_cd |c><d| kron S(|c><d|), i.e. C[(c, a), (d, b)] = R_ab,cd (M.-D. Choi,
    Linear Algebra Appl. 10, 285 (1975), doi:10.1016/0024-3795(75)90075-0)."""
    d = _dim_of(S)
    R = superoperator_to_tensor(S)
    return R.transpose(2, 0, 3, 1).reshape(d * d, d * d)


def superoperator_to_kossakowski(S: np.ndarray) -> np.ndarray:
    """Kossakowski matrix of a generator: its Choi matrix projected off the identity direction.

    A Hermiticity-preserving generator S generates a completely positive semigroup if and only if
    its Choi matrix is positive on the orthogonal complement of the maximally entangled vector
    |Omega> = sum_c |c c> / sqrt(d) (Lindblad, doi:10.1007/BF01608499; Gorini, Kossakowski and
    Sudarshan, doi:10.1063/1.522979). The returned
    (d^2 - 1, d^2 - 1) Hermitian matrix is Q^H C Q, with the columns of Q an orthonormal basis of
    that complement (from a QR factorization, so the matrix is defined up to a unitary change of
    basis; its eigenvalues are not). CP <=> all eigenvalues >= 0.
    """
    d = _dim_of(S)
    C = choi_matrix(S)
    omega = np.eye(d).reshape(-1) / np.sqrt(d)  # |c c> sits at index c*d + c
    basis = np.column_stack([omega, np.eye(d * d)])
    Q, _ = np.linalg.qr(basis)
    Q = Q[:, 1:]  # first column spans Omega
    K = Q.conj().T @ C @ Q
    return 0.5 * (K + K.conj().T)


def trace_preservation_error(S: np.ndarray) -> float:
    """max |sum_a R_aa,cd| / max |R|: zero for a trace-preserving generator."""
    R = superoperator_to_tensor(S)
    scale = max(float(np.abs(R).max()), 1e-300)
    return float(np.abs(np.einsum("aacd->cd", R)).max()) / scale


def hermiticity_preservation_error(S: np.ndarray) -> float:
    """max |R_ab,cd - conj(R_ba,dc)| / max |R|: zero if S maps Hermitian matrices to Hermitian ones."""
    R = superoperator_to_tensor(S)
    scale = max(float(np.abs(R).max()), 1e-300)
    return float(np.abs(R - R.transpose(1, 0, 3, 2).conj()).max()) / scale


def is_trace_preserving(S: np.ndarray, rtol: float = 1e-12) -> bool:
    return trace_preservation_error(S) <= rtol


def is_hermiticity_preserving(S: np.ndarray, rtol: float = 1e-12) -> bool:
    return hermiticity_preservation_error(S) <= rtol


def is_completely_positive(S: np.ndarray, rtol: float = 1e-10) -> bool:
    """True if the Kossakowski matrix has no eigenvalue below -rtol * max |eigenvalue|."""
    ev = np.linalg.eigvalsh(superoperator_to_kossakowski(S))
    return bool(ev.min() >= -rtol * max(np.abs(ev).max(), 1e-300))
