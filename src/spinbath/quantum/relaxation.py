"""Observables of a rate superoperator R (s^-1): tau, T1/T2/T2*, M(t), the full generator.

R acts on column-stacked vec(rho) in the eigenbasis of the spin Hamiltonian (d rho_ab/dt =
sum_cd R_ab,cd rho_cd, as built by ``spinbath.quantum.spin_phonon``); times are in s, energies in
cm^-1. Operators such as the magnetization must be given in the same eigenbasis (U^H Jz U), or with
the eigenvectors U where a function accepts them. rho(t) and the steady state come from the
package's solvers (:func:`spinbath.quantum.evolve` of :func:`with_hamiltonian` (R, E),
:func:`spinbath.quantum.steady_state`). Reference for tau: A. Lunghi, Sci. Adv. 8, eabn7880 (2022),
doi:10.1126/sciadv.abn7880; L. Gu and R. Wu, Phys. Rev. Lett. 125, 117203 (2020),
doi:10.1103/PhysRevLett.125.117203.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from ..units import CM_TO_RAD_PER_S
from . import methods as _methods
from .liouville import superoperator_to_tensor, vec

__all__ = ["relaxation_time", "relaxation_time_details", "RelaxationTime", "relaxation_modes", "effective_generator",
           "coherence_times", "with_hamiltonian", "evolve", "magnetization", "steady_state"]


def _dim(R: np.ndarray) -> int:
    R = np.asarray(R)
    d = int(round(np.sqrt(R.shape[0])))
    if R.ndim != 2 or R.shape != (d * d, d * d):
        raise ValueError(f"R must be a (d*d, d*d) superoperator, got shape {R.shape}")
    return d


def steady_state(R: np.ndarray) -> np.ndarray:
    """Density matrix rho_ss (Hermitian, unit trace) with R vec(rho_ss) = 0: the dense null vector
    (:class:`~spinbath.quantum.methods.SVD`, which warns if the null space has more than one
    dimension). The same as ``spinbath.quantum.steady_state(R)``."""
    _dim(R)
    return _methods.steady_state(np.asarray(R), method=_methods.SVD())


#: Eigenvalues of R are computed with an absolute error of about eps * ||R||; closer ones are merged.
_ROUNDOFF = 1e3 * np.finfo(float).eps


def relaxation_modes(R: np.ndarray, observable: np.ndarray, initial: np.ndarray,
                     group_rtol: float = 1e-8):
    """Decompose <O>(t) = Tr(O rho(t)), rho(0) = initial, on the eigenmodes of R.

    <O>(t) = sum_g A_g exp(lambda_g t): neighbouring eigenvalues (sorted) closer than
    group_rtol * max(|lambda_i|, |lambda_j|) plus a round-off floor (~1e-13 max|lambda|) form one
    group g (its amplitude is then basis independent). The tolerance is relative to each eigenvalue,
    not to the spectral radius: R of a spin with fast excited states spans many decades.
    Returns (lambdas, amplitudes), sorted by decreasing |amplitude|.
    A_g = sum_{i in g} (l_i^H vec(rho0)) / (l_i^H r_i) * Tr(O unvec(r_i)).
    """
    R = np.asarray(R)
    _dim(R)
    lam, vl, vr = sla.eig(R, left=True, right=True)
    x = vec(np.asarray(initial))
    obs = vec(np.asarray(observable).T)  # Tr(O X) = vec(O^T) . vec(X)
    coef = (vl.conj().T @ x) / np.einsum("ij,ij->j", vl.conj(), vr)
    amp = coef * (obs @ vr)
    groups_l, groups_a = _group_eigenvalues(lam, amp, group_rtol)
    o = np.argsort(-np.abs(groups_a), kind="stable")
    return groups_l[o], groups_a[o]


def _group_eigenvalues(lam: np.ndarray, amp: np.ndarray, group_rtol: float):
    """Merge eigenvalues closer than group_rtol * max(|l_i|, |l_j|) plus the round-off floor:
    (group means, summed amplitudes). Single linkage on complex distances (a sort by real part can
    interleave unrelated eigenvalues with large imaginary parts between members of a cluster)."""
    floor = _ROUNDOFF * max(np.abs(lam).max(), 1e-300)
    dist = np.abs(lam[:, None] - lam[None, :])
    close = dist <= group_rtol * np.maximum(np.abs(lam)[:, None], np.abs(lam)[None, :]) + floor
    n_groups, labels = connected_components(csr_matrix(close), directed=False)
    groups_l = np.array([lam[labels == g].mean() for g in range(n_groups)])
    groups_a = np.array([amp[labels == g].sum() for g in range(n_groups)])
    return groups_l, groups_a


def _liouville_indices(states, d: int) -> np.ndarray:
    """vec indices a + d b of rho_ab for a, b in ``states`` (column stacking)."""
    st = np.asarray(states)
    return (st[:, None] + d * st[None, :]).ravel(order="F")


def _coupled_complement(R: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Liouville indices outside s, without the inert ones (zero row and column: they neither decay
    nor are fed, e.g. levels no mode reaches), which would make R_ff singular and play no role."""
    f = np.setdiff1d(np.arange(R.shape[0]), s)
    active = (np.abs(R[f]).max(axis=1) > 0) | (np.abs(R[:, f]).max(axis=0) > 0)
    return f[active]


def effective_generator(R: np.ndarray, states, lam: complex = 0.0) -> np.ndarray:
    """Schur complement of R on the block of rho_ab with a, b in ``states`` (s), at eigenvalue lam:

        L_eff(lam) = R_ss + R_sf (lam - R_ff)^-1 R_fs .

    lam is an eigenvalue of R exactly when it is one of L_eff(lam). When the other elements (f)
    relax much faster than |lam| (excited states of a molecular magnet at low T), L_eff depends
    weakly on lam and its slow eigenvalues carry relative round-off ~eps of their own size, while
    eigenvalues of the full R carry absolute round-off ~eps ||R||, which can exceed a slow rate.
    Inert elements (zero row and column of R) are left out of f.
    """
    R = np.asarray(R)
    d = _dim(R)
    s = _liouville_indices(states, d)
    f = _coupled_complement(R, s)
    Rff = R[np.ix_(f, f)]
    A = lam * np.eye(f.size) - Rff
    return R[np.ix_(s, s)] + R[np.ix_(s, f)] @ np.linalg.solve(A, R[np.ix_(f, s)])


def _slow_block_rate(R, idx, Mb, xb, d, group_rtol, max_iter: int = 50):
    """Eigenvalue of the tau mode from L_eff on the doublet block, iterated to self-consistency.

    Returns (lam, weight, separation, scale) or None when the block is not slow compared with the
    rest; scale (s^-1) = the larger escape rate -R_{aa,aa} of the two doublet states, the size of the
    two terms of L_eff that cancel into lam (the rate out of the doublet and the part of it that
    returns), so lam carries an absolute round-off of about eps * scale.
    """
    s = _liouville_indices(idx, d)
    pops = np.asarray(idx) * (d + 1)  # vec index of rho_aa
    f = _coupled_complement(R, s)
    if not f.size:
        return None
    fast = np.abs(np.linalg.eigvals(R[np.ix_(f, f)]).real).min()
    if not fast > 0:  # an element outside the block does not decay: no separation of time scales
        return None
    try:
        L = effective_generator(R, idx, 0.0)
    except np.linalg.LinAlgError:
        return None
    lam_s, amp = relaxation_modes(L, Mb, xb, group_rtol)
    lam = lam_s[0]
    separation = abs(lam) / fast
    if not separation < 1e-3:
        return None
    for _ in range(max_iter):
        ev = np.linalg.eigvals(effective_generator(R, idx, lam))
        new = ev[np.argmin(np.abs(ev - lam))]
        done = abs(new - lam) <= 1e-13 * max(abs(new), 1e-300)
        lam = new
        if done:
            break
    return lam, float(np.abs(amp[0]) / np.abs(amp).sum()), separation, float(np.abs(R[pops, pops]).max())


@dataclass(frozen=True)
class RelaxationTime:
    """The magnetization relaxation time of :func:`relaxation_time_details`.

    ``tau`` (s; inf if the mode does not decay, NaN if unresolved), ``rate`` = -Re(eigenvalue)
    (s^-1), ``eigenvalue`` (s^-1), ``weight`` (the selected |amplitude| over the sum of all
    |amplitudes| in M(t)), ``method`` ("doublet block", "full", "unresolved (below round-off of
    R)" or "unresolved (below round-off of the doublet block)"), ``separation`` (|lambda| / slowest
    rate outside the doublet block; NaN for "full"),
    ``eigenvalues`` (grouped eigenvalues of the full R, s^-1) and ``amplitudes`` (their amplitudes
    in M(t); None when the doublet block was used, which does not need the eigenvectors of R).
    """

    tau: float
    rate: float
    eigenvalue: complex
    weight: float
    method: str
    separation: float
    eigenvalues: np.ndarray | None
    amplitudes: np.ndarray | None


def relaxation_time_details(R: np.ndarray, E: np.ndarray, M: np.ndarray, doublet=None,
                            group_rtol: float = 1e-8) -> RelaxationTime:
    """Magnetization relaxation time tau (s) of the ground doublet, with how it was found.

    Basis-independent selection: with P the projector on the doublet (by default the two lowest
    eigenstates of E, cm^-1) and M the magnetization operator in the eigenbasis (e.g. U^H Jz U, or
    U^H (J . n) U), start from x = P M P - Tr(P M P) P / 2 (a "magnetized" ground doublet with the
    trace removed, so the stationary state carries no weight) and decompose M(t) = Tr(M rho(t)) on
    the eigenmodes (:func:`relaxation_modes`). The eigenmode (group) with the largest amplitude in
    M(t) is the magnetization-reversal mode; tau^-1 = -Re(lambda) of that mode (A. Lunghi, Sci. Adv.
    8, eabn7880 (2022), doi:10.1126/sciadv.abn7880; L. Gu and R. Wu, Phys. Rev. Lett. 125, 117203
    (2020), doi:10.1103/PhysRevLett.125.117203). Within a degenerate doublet P M P does not depend on the basis chosen for it, nor does
    the result. tau = inf if that mode does not decay.

    Stiffness: when the doublet block of R is slow compared with everything else (ratio below
    1e-3), the mode is found from the 4x4 Schur complement :func:`effective_generator` (exact
    eigenvalue, iterated to self-consistency), which is free of the round-off of the fast rates;
    otherwise from the eigenmodes of the full R. In L_eff the rate out of the doublet (R_ss) and the
    part that flows back (R_sf R_ff^-1 R_fs) cancel into lambda, so lambda carries an absolute
    round-off ~eps times the escape rate -R_{aa,aa}; deep in the Orbach regime (lambda below ~2e-13
    of it, checked
    against 50-digit arithmetic on the same R) tau is NaN. Likewise if the full R is used and the
    selected rate is at its round-off level (~2e-13 of the largest rate). NaN (method
    "unresolved ...") means: not resolved in double precision, indistinguishable from a
    non-decaying mode -- not a measured tau.
    """
    return _relaxation_time(R, E, M, doublet, group_rtol, spectrum=True)


def _relaxation_time(R, E, M, doublet, group_rtol: float, spectrum: bool) -> RelaxationTime:
    """relaxation_time_details; without ``spectrum`` the doublet-block branch skips the (grouped)
    eigenvalues of the full R, which tau does not need (``eigenvalues`` is then None)."""
    d = _dim(R)
    R = np.asarray(R)
    E = np.asarray(E, dtype=float)
    M = np.asarray(M)
    if E.shape != (d,) or M.shape != (d, d):
        raise ValueError(f"E must have shape ({d},) and M ({d}, {d}); got {E.shape} and {M.shape}")
    idx = np.argsort(E, kind="stable")[:2] if doublet is None else np.asarray(doublet)
    if idx.size != 2:
        raise ValueError(f"doublet must name two states, got {doublet!r}")
    P = np.zeros((d, d))
    P[idx, idx] = 1.0
    x = P @ M @ P
    x = x - np.trace(x) * P / 2
    block = _slow_block_rate(R, idx, M[np.ix_(idx, idx)], x[np.ix_(idx, idx)], d, group_rtol)
    if block is not None:
        lam, weight, separation, scale = block
        method = "doublet block"
        amp_all = None
        lam_all = None
        if spectrum:
            lam_ = np.linalg.eigvals(R)
            lam_all = _group_eigenvalues(lam_, np.zeros_like(lam_), group_rtol)[0]
    else:
        lam_all, amp_all = relaxation_modes(R, M, x, group_rtol)
        lam, weight = lam_all[0], float(np.abs(amp_all[0]) / np.abs(amp_all).sum())
        method, separation = "full", np.nan
    rate = float(-lam.real)
    tau = 1.0 / rate if rate > 0 else np.inf
    if method == "full" and abs(lam) <= _ROUNDOFF * np.abs(lam_all).max():
        # Indistinguishable from the stationary eigenvalue in double precision: not a measurement.
        tau, method = np.nan, "unresolved (below round-off of R)"
    elif method == "doublet block" and abs(lam) <= _ROUNDOFF * scale:
        # The escape rate from the doublet and its returning part cancel to below their round-off
        # (deep Orbach regime, net rate < ~2e-13 of the escape rate): not a measurement either.
        tau, method = np.nan, "unresolved (below round-off of the doublet block)"
    return RelaxationTime(tau=tau, rate=rate, eigenvalue=lam, weight=weight, method=method,
                          separation=separation, eigenvalues=lam_all, amplitudes=amp_all)


def relaxation_time(R: np.ndarray, E: np.ndarray, M: np.ndarray, doublet=None,
                    group_rtol: float = 1e-8) -> float:
    """Magnetization relaxation time tau (s) of the ground doublet: ``relaxation_time_details(...).tau``
    (see :func:`relaxation_time_details` for the definition, the stiffness handling and the
    diagnostics, returned there as a :class:`RelaxationTime`).
    """
    return _relaxation_time(R, E, M, doublet, group_rtol, spectrum=False).tau


def coherence_times(R: np.ndarray, pair, rtol: float = 1e-12) -> tuple[float, float, float]:
    """(T1, T2, T2*) in s for the coherence between eigenstates pair = (a, b).

    Definitions (exact for any Lindblad R built from jump operators A^k):
        Gamma_a   = -R_aa,aa = sum_k sum_{j != a} |A^k_ja|^2          (escape rate of state a)
        1/T1      = Gamma_a + Gamma_b
        1/T2      = -Re R_ab,ab = (Gamma_a + Gamma_b)/2 + 1/T2*
        1/T2*     = 1/T2 - 1/(2 T1) = sum_k |A^k_aa - A^k_bb|^2 / 2        (pure dephasing, >= 0)
    so 1/T2 = 1/(2 T1) + 1/T2*. A rate below rtol times 1/T2 (round-off) is reported as an infinite
    time. For a degenerate pair the result refers to the basis in which R is written. Units: R in
    s^-1, times in s. Lindblad rates and T1/T2: Breuer and Petruccione, The Theory of Open Quantum
    Systems (Oxford, 2002), Ch. 3.
    """
    Rt = superoperator_to_tensor(np.asarray(R))
    a, b = (int(p) for p in pair)
    if a == b:
        raise ValueError("pair must name two different states")
    gamma = -Rt[a, a, a, a].real - Rt[b, b, b, b].real
    inv_T2 = -Rt[a, b, a, b].real
    inv_T2s = inv_T2 - 0.5 * gamma

    def inv(x):
        return 1.0 / x if x > rtol * max(abs(inv_T2), 1e-300) else np.inf

    return inv(gamma), inv(inv_T2), inv(inv_T2s)


def with_hamiltonian(R: np.ndarray, E=None) -> np.ndarray:
    """The full generator G = R - i[H, .] (s^-1) of a rate superoperator R (s^-1) in the eigenbasis
    of H = diag(E), E in cm^-1: G_ab,ab = R_ab,ab - i (E_a - E_b) 2 pi c (c in cm/s,
    ``CM_TO_RAD_PER_S``), the other elements those of R (Schroedinger picture). E = None returns R
    (interaction picture) as a complex array. Evolve it with :func:`spinbath.quantum.evolve` over
    times in s.
    """
    d = _dim(R)
    G = np.array(R, dtype=complex)
    if E is not None:
        E = np.asarray(E, dtype=float)
        if E.shape != (d,):
            raise ValueError(f"E must have shape ({d},), got {E.shape}")
        w = (E[:, None] - E[None, :]) * CM_TO_RAD_PER_S  # rad/s
        G[np.diag_indices_from(G)] += -1j * vec(w)
    return G


def evolve(R: np.ndarray, rho0: np.ndarray, times, E=None, method: str = "auto") -> np.ndarray:
    """rho(t) = exp(G t) rho0 for each t (s), G = :func:`with_hamiltonian` (R, E); (n_t, d, d) array.

    A convenience for rate superoperators, equal to ``spinbath.quantum.evolve(with_hamiltonian(R, E),
    rho0, times, method=...).states``. method: "eig" (:class:`~spinbath.quantum.methods.Eig`, no
    conditioning check), "expm" (:class:`~spinbath.quantum.methods.Expm`) or "auto" (eig unless the
    eigenvector matrix has a condition number above 1e8, then expm).
    """
    if method not in ("auto", "eig", "expm"):
        raise ValueError(f"method must be 'auto', 'eig' or 'expm', got {method!r}")
    m = {"auto": _methods.Eig(cond_max=1e8, fallback="expm", warn=False), "eig": _methods.Eig(cond_max=np.inf),
         "expm": _methods.Expm()}[method]
    return _methods.evolve(with_hamiltonian(R, E), rho0, times, method=m).states


def magnetization(rhos: np.ndarray, M: np.ndarray, U: np.ndarray | None = None) -> np.ndarray:
    """M(t) = Re Tr(rho(t) M) for a stack of density matrices in the eigenbasis.

    M is in the eigenbasis, or in the spin basis if its eigenvectors U (columns) are given
    (it is then transformed as U^H M U).
    """
    M = np.asarray(M)
    if U is not None:
        U = np.asarray(U)
        M = U.conj().T @ M @ U
    return np.einsum("...ab,ba->...", np.asarray(rhos), M).real
