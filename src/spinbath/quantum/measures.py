"""Measures of N spin-1/2 density matrices: reduced states, magnetizations, correlations, concurrence.

Conventions (shared with the open-chain Liouvillian; the Conventions page, docs/conventions.md):

* Basis: tensor product of the site bases (up, down), site 0 most significant (``qutip.tensor``
  order). The basis index of the product state |s_0 s_1 ... s_{n-1}> (s_j = 0 for up, 1 for down) is
  sum_j s_j 2^(n-1-j). Sites are numbered from 0 in every function here.
* Spin operators S_a = sigma_a / 2 (a = x, y, z), hbar = 1, so <S_a> lies in [-1/2, 1/2].
* Every function accepts a single density matrix (2^n, 2^n) or a stack (..., 2^n, 2^n) of them
  (for instance rho(t) at many times) and returns the leading axes unchanged. Nothing loops over
  the stack in Python, and partial traces never form a (4^n)-sized temporary: a trace over a site
  only touches the elements that are diagonal in that site, so the reduced state of k sites costs
  O(4^k 2^(n-k)) per state.

Summary, with rho_{K} the reduced density matrix of the sites K:

    reduced_density_matrix(rho, keep, n)   rho_K = Tr_{not K} rho                    (..., 2^k, 2^k)
    site_magnetization(rho, n)             m_{j,a} = <S^(j)_a> = Tr(rho_j S_a)       (..., n, 3)
    total_magnetization(rho, n)            M_a = sum_j <S^(j)_a>                      (..., 3)
    two_point_correlations(rho, n)         C^{ij}_{ab} = <S^i_a S^j_b> - <S^i_a><S^j_b>  (..., n, n, 3, 3)
    concurrence(rho2)                      Wootters concurrence of a two-qubit state  (...)
    pairwise_concurrence(rho, i, j, n)     concurrence(rho_{ij})                      (...)
    purity(rho)                            Tr rho^2                                   (...)
    von_neumann_entropy(rho, base)         -Tr rho log rho                            (...)
    time_averaged_mismatch(t, M_a, M_b)    (1/T) int |M_a - M_b|^2 dt  (trapezoid rule)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "SPIN_OPERATORS",
    "reduced_density_matrix",
    "site_magnetization",
    "total_magnetization",
    "two_point_correlations",
    "concurrence",
    "pairwise_concurrence",
    "purity",
    "von_neumann_entropy",
    "time_averaged_mismatch",
]

#: S_x, S_y, S_z = sigma / 2 in the (up, down) basis, shape (3, 2, 2).
SPIN_OPERATORS: np.ndarray = 0.5 * np.array(
    [[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=complex
)
SPIN_OPERATORS.setflags(write=False)

# sigma_y kron sigma_y: real, symmetric and unitary.
_SYSY = np.kron(np.array([[0, -1j], [1j, 0]]), np.array([[0, -1j], [1j, 0]])).real


def _as_array(rho: Any) -> np.ndarray:
    """ndarray view of ``rho``; a QuTiP ``Qobj`` (anything with ``.full()``) is converted."""
    if hasattr(rho, "full") and not isinstance(rho, np.ndarray):
        rho = rho.full()
    return np.asarray(rho)


def _check_states(rho: Any, n: int | None) -> tuple[np.ndarray, int]:
    """Validate a (stack of) density matrices of n qubits; infer n from the shape if None."""
    rho = _as_array(rho)
    if rho.ndim < 2 or rho.shape[-1] != rho.shape[-2]:
        raise ValueError(f"expected density matrices of shape (..., 2^n, 2^n), got {rho.shape}")
    d = rho.shape[-1]
    n_from_d = d.bit_length() - 1
    if d < 1 or (1 << n_from_d) != d:
        raise ValueError(f"matrix dimension {d} is not a power of 2")
    if n is None:
        n = n_from_d
    elif int(n) != n_from_d:
        raise ValueError(f"matrix dimension {d} does not match n = {n} spins 1/2 (2^n = {1 << int(n)})")
    return rho, int(n)


def reduced_density_matrix(rho: Any, keep: int | Sequence[int], n: int | None = None) -> np.ndarray:
    """Partial trace of n-qubit density matrices, keeping the sites ``keep`` (0-based).

    rho_K = Tr_{not K} rho,   (rho_K)_{s_K, s'_K} = sum_{s_rest} rho_{(s_K, s_rest), (s'_K, s_rest)}.

    Parameters
    ----------
    rho : array (..., 2^n, 2^n)
        One density matrix or a stack of them (basis: site 0 most significant, as ``qutip.tensor``).
    keep : int or sequence of int
        Sites kept. The reduced state is written in the tensor basis of ``keep`` *in the order
        given*, first entry most significant; a sorted ``keep`` gives the same matrix as QuTiP's
        ``Qobj.ptrace(keep)`` (which always sorts). ``keep=()`` returns the trace, shape (..., 1, 1).
    n : int, optional
        Number of sites; inferred from the shape if omitted (then only checked).

    Returns
    -------
    array (..., 2^k, 2^k), k = len(keep), same dtype as ``rho``.

    Implementation: ``rho`` is reshaped (a view for contiguous input) into alternating blocks of
    traced and kept sites, (batch, A_0, K_0, A_1, K_1, ..., A_0', K_0', ...) and contracted with
    ``einsum`` over the repeated traced labels; only the 2^(n-k) x 4^k elements diagonal in the
    traced sites are read.
    """
    rho, n = _check_states(rho, n)
    keep_list = [int(keep)] if np.isscalar(keep) else [int(s) for s in keep]
    for s in keep_list:
        if not 0 <= s < n:
            raise ValueError(f"site {s} out of range for n = {n} sites (0-based)")
    if len(set(keep_list)) != len(keep_list):
        raise ValueError(f"duplicate sites in keep = {keep_list}")
    k = len(keep_list)
    batch = rho.shape[:-2]
    if k == n and keep_list == list(range(n)):
        return rho.copy()

    # Blocks of consecutive sites that are all kept or all traced, in site order.
    kept = set(keep_list)
    blocks: list[tuple[bool, int]] = []  # (is_kept, number of sites)
    for s in range(n):
        is_kept = s in kept
        if blocks and blocks[-1][0] == is_kept:
            blocks[-1] = (is_kept, blocks[-1][1] + 1)
        else:
            blocks.append((is_kept, 1))
    dims = [2 ** m for _, m in blocks]
    nb = len(blocks)

    flat = rho.reshape((-1,) + tuple(dims) + tuple(dims))
    # Integer labels: 0 = batch, 1..nb = row blocks, nb+1..2nb = column blocks (traced ones reuse
    # the row label, so einsum takes their diagonal and sums it).
    row = list(range(1, nb + 1))
    col = [row[b] if not blocks[b][0] else nb + 1 + b for b in range(nb)]
    out = [0] + [row[b] for b in range(nb) if blocks[b][0]] + [col[b] for b in range(nb) if blocks[b][0]]
    red = np.einsum(flat, [0] + row + col, out)

    dk = 2 ** k
    sorted_keep = sorted(keep_list)
    if keep_list != sorted_keep:
        # Reorder the kept sites from site order to the order requested.
        perm = [sorted_keep.index(s) for s in keep_list]
        red = red.reshape((-1,) + (2,) * (2 * k))
        red = red.transpose([0] + [1 + p for p in perm] + [1 + k + p for p in perm])
    return np.ascontiguousarray(red).reshape(batch + (dk, dk))


def _single_site_states(rho: np.ndarray, n: int) -> np.ndarray:
    """All one-site reduced states, shape (..., n, 2, 2)."""
    return np.stack([reduced_density_matrix(rho, (j,), n) for j in range(n)], axis=-3)


def site_magnetization(rho: Any, n: int | None = None) -> np.ndarray:
    """Per-site spin expectation values m_{j,a} = <S^(j)_a> = Tr(rho_j S_a), S_a = sigma_a / 2.

    Returns a real array (..., n, 3) with components ordered (x, y, z); each lies in [-1/2, 1/2]
    (hbar = 1). Computed from the one-site reduced states rho_j: <S_x> = Re rho_j[0,1],
    <S_y> = -Im rho_j[0,1], <S_z> = (rho_j[0,0] - rho_j[1,1]) / 2 for Hermitian rho.
    """
    rho, n = _check_states(rho, n)
    r1 = _single_site_states(rho, n)
    return np.einsum("...ab,kba->...k", r1, SPIN_OPERATORS).real


def total_magnetization(rho: Any, n: int | None = None) -> np.ndarray:
    """Total spin M_a = sum_j <S^(j)_a> (a sum, not a per-site mean), real array (..., 3).

    Divide by n for the mean magnetization per spin; each component lies in [-n/2, n/2].
    """
    return site_magnetization(rho, n).sum(axis=-2)


def two_point_correlations(rho: Any, n: int | None = None, connected: bool = True) -> np.ndarray:
    """Equal-time spin-spin correlations between all pairs of sites, real array (..., n, n, 3, 3).

    C^{ij}_{ab} = <S^(i)_a S^(j)_b> - <S^(i)_a><S^(j)_b>   (``connected=True``, default)
    G^{ij}_{ab} = <S^(i)_a S^(j)_b>                          (``connected=False``)

    For i != j the operators commute, so S^(i)_a S^(j)_b is Hermitian and its mean is computed
    from the two-site reduced state: <S^i_a S^j_b> = Tr(rho_{ij} S_a kron S_b). The arrays obey
    C^{ij}_{ab} = C^{ji}_{ba}. On the diagonal i = j the product of two different components is not
    Hermitian; there the symmetrized product (S_a S_b + S_b S_a)/2 = delta_ab / 4 (spin 1/2) is
    used, so C^{ii}_{ab} = delta_ab / 4 - <S_a><S_b> (the one-site covariance matrix) and the
    result is real throughout.

    Cost: n(n-1)/2 two-site partial traces, each reading 4 x 2^n elements per state.
    """
    rho, n = _check_states(rho, n)
    batch = rho.shape[:-2]
    m = site_magnetization(rho, n)  # (..., n, 3)
    G = np.zeros(batch + (n, n, 3, 3))
    SS = np.einsum("aij,bkl->abikjl", SPIN_OPERATORS, SPIN_OPERATORS).reshape(3, 3, 4, 4)
    for i in range(n):
        G[..., i, i, :, :] = 0.25 * np.eye(3)
        for j in range(i + 1, n):
            r2 = reduced_density_matrix(rho, (i, j), n)  # (..., 4, 4)
            gij = np.einsum("...xy,abyx->...ab", r2, SS).real
            G[..., i, j, :, :] = gij
            G[..., j, i, :, :] = np.swapaxes(gij, -1, -2)
    if connected:
        G -= m[..., :, None, :, None] * m[..., None, :, None, :]
    return G


def concurrence(rho2: Any) -> np.ndarray | float:
    """Wootters concurrence of two-qubit density matrices (4, 4) or a stack (..., 4, 4).

    C(rho) = max(0, l_1 - l_2 - l_3 - l_4), with l_1 >= ... >= l_4 the eigenvalues of
    R = sqrt( sqrt(rho) rho~ sqrt(rho) ),  rho~ = (sigma_y kron sigma_y) rho^* (sigma_y kron sigma_y)
    (complex conjugation in the (up, down) product basis). C = 1 for Bell states, 0 for product
    and separable states; for the Werner state p|psi-><psi-| + (1-p) I/4, C = max(0, (3p - 1)/2).
    Dimensionless. W. K. Wootters, Phys. Rev. Lett. 80, 2245 (1998), doi:10.1103/PhysRevLett.80.2245.

    Numerics: with rho = W W^dagger (W = V diag(sqrt(p)) from the Hermitian eigendecomposition,
    negative round-off eigenvalues clipped to 0), the l_i are exactly the singular values of the
    complex-symmetric matrix tau = W^T (sigma_y kron sigma_y) W, because the eigenvalues of
    rho rho~ are those of tau^dagger tau. The SVD gives the l_i to absolute accuracy ~ eps, with no
    square root of a nearly vanishing eigenvalue (which would amplify round-off 1e-16 -> 1e-8 as in
    the eigenvalues of the non-Hermitian rho rho~). The input is Hermitized, (rho + rho^dagger)/2,
    and is not renormalized.

    Returns a float for a single matrix, else an array with the leading shape.
    """
    r = _as_array(rho2)
    if r.shape[-2:] != (4, 4):
        raise ValueError(f"concurrence needs two-qubit states of shape (..., 4, 4), got {r.shape}")
    r = 0.5 * (r + np.conj(np.swapaxes(r, -1, -2)))
    p, V = np.linalg.eigh(r)
    W = V * np.sqrt(np.clip(p, 0.0, None))[..., None, :]
    tau = np.swapaxes(W, -1, -2) @ _SYSY @ W
    lam = np.linalg.svd(tau, compute_uv=False)  # descending
    c = np.maximum(0.0, lam[..., 0] - lam[..., 1] - lam[..., 2] - lam[..., 3])
    return float(c) if c.ndim == 0 else c


def pairwise_concurrence(rho: Any, i: int, j: int, n: int | None = None) -> np.ndarray | float:
    """Concurrence C_ij of sites i and j (0-based): ``concurrence(reduced_density_matrix(rho, (i, j), n))``.

    Symmetric in i, j (local basis permutations leave C unchanged). Shape: the leading shape of rho.
    """
    if i == j:
        raise ValueError("pairwise concurrence needs two different sites")
    return concurrence(reduced_density_matrix(rho, (i, j), n))


def purity(rho: Any) -> np.ndarray | float:
    """Purity Tr(rho^2) = sum_ab |rho_ab|^2 (Hermitian rho), in [1/d, 1]; shape: leading shape of rho."""
    r = _as_array(rho)
    val = np.einsum("...ab,...ab->...", r, np.conj(r)).real
    return float(val) if val.ndim == 0 else val


def von_neumann_entropy(rho: Any, base: float = np.e) -> np.ndarray | float:
    """Von Neumann entropy S = -Tr(rho log rho) = -sum_k p_k log p_k (nats by default; base=2 for bits).

    Eigenvalues from ``eigvalsh`` of the Hermitized input; p_k <= 0 (round-off) contribute 0.
    Cost O(d^3) per state: cheap for reduced states, ~0.1 s per state at d = 2^10.
    For the entanglement entropy of a block K of a pure state use
    ``von_neumann_entropy(reduced_density_matrix(rho, K, n))``.
    """
    r = _as_array(rho)
    r = 0.5 * (r + np.conj(np.swapaxes(r, -1, -2)))
    p = np.linalg.eigvalsh(r)
    pl = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    s = -pl.sum(axis=-1) / np.log(base)
    s = s + 0.0  # turn -0.0 into 0.0
    return float(s) if s.ndim == 0 else s


def time_averaged_mismatch(t: Any, M_a: Any, M_b: Any) -> np.ndarray | float:
    """Time-averaged squared distance of two trajectories, (1/T) int_{t_0}^{t_end} |M_a(t) - M_b(t)|^2 dt.

    T = t_end - t_0. The integral uses the trapezoid rule on the given (possibly non-uniform)
    times: (1/T) sum_k (t_{k+1} - t_k) (f_k + f_{k+1}) / 2 with f_k = |M_a(t_k) - M_b(t_k)|^2, so it
    is exact for piecewise-linear f and has O(max dt^2) error for smooth f; sample densely enough
    to resolve precession (several points per period).

    Parameters
    ----------
    t : array (T,), strictly increasing
    M_a, M_b : arrays (T,) or (T, ..., c)
        Time is axis 0. For 1-D input f = (M_a - M_b)^2 (a scalar quantity); otherwise the last axis
        holds vector components and f = sum_c |M_a - M_b|_c^2 (squared Euclidean norm), e.g.
        total magnetizations (T, 3) -> float, site magnetizations (T, n, 3) -> (n,).
        Units: those of M squared (see the magnetization functions for the M convention).
    """
    t = np.asarray(t, dtype=float)
    a = np.asarray(M_a)
    b = np.asarray(M_b)
    if t.ndim != 1 or t.size < 2:
        raise ValueError("t must be a 1-D array of at least two times")
    if a.shape != b.shape or a.shape[0] != t.size:
        raise ValueError(f"M_a {a.shape} and M_b {b.shape} must have equal shapes with axis 0 = len(t) = {t.size}")
    dt = np.diff(t)
    if np.any(dt <= 0):
        raise ValueError("t must be strictly increasing")
    diff2 = np.abs(a - b) ** 2
    f = diff2 if a.ndim == 1 else diff2.sum(axis=-1)
    w = dt.reshape((-1,) + (1,) * (f.ndim - 1))
    integral = (0.5 * w * (f[1:] + f[:-1])).sum(axis=0)
    val = integral / (t[-1] - t[0])
    return float(val) if np.ndim(val) == 0 else val
