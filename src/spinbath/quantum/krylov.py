"""Matrix-free Krylov methods: the exponential exp(t A) v and flexible GMRES.

Both need only a product ``matvec(v) = A v`` (and, for FGMRES, a preconditioner ``M(v)``); they know
nothing about the operator behind it. Real ``float64`` vectors mean a real operator and real
arithmetic throughout, which the solvers use for Hermiticity-preserving generators acting on the real
coordinates of Hermitian matrices. The step-size control and the work model are derived in the
Solvers theory page (docs/theory/solvers.md).

References: Y. Saad, "Analysis of some Krylov subspace approximations to the matrix exponential
operator", SIAM J. Numer. Anal. 29, 209 (1992), doi:10.1137/0729014; R. B. Sidje, "Expokit: a
software package for computing matrix exponentials", ACM Trans. Math. Softw. 24, 130 (1998),
doi:10.1145/285861.285868; M. Hochbruck and C. Lubich, "On Krylov subspace approximations to the
matrix exponential operator", SIAM J. Numer. Anal. 34, 1911 (1997), doi:10.1137/S0036142995280572;
Y. Saad, "A flexible inner-outer preconditioned GMRES algorithm", SIAM J. Sci. Comput. 14, 461
(1993), doi:10.1137/0914028.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import scipy.linalg as sla
from scipy.linalg.blas import dgemv as _dgemv
from scipy.linalg.blas import zgemv as _zgemv

__all__ = ["krylov_expmv", "fgmres"]


def _orthogonalize(V: np.ndarray, j: int, w: np.ndarray, real: bool) -> tuple[np.ndarray, float]:
    """Classical Gram-Schmidt of w against V[:j+1], repeated once if the norm drops below half
    (a Daniel-Gragg-Kaufman-Stewart test; with 1/sqrt(2) every other step was repeated, with 1/2
    about one in 15, at the same accuracy of exp(tL) v). Returns (coefficients, ||w|| after)."""
    Vj = V[: j + 1].T  # (N, j+1) Fortran-ordered view, no copy
    gemv = _dgemv if V.dtype == np.float64 else _zgemv
    h_total = np.zeros(j + 1, dtype=V.dtype)
    norm = float(np.linalg.norm(w))
    for _ in range(2):
        h = gemv(1.0, Vj, w, trans=2)  # V^H w
        if real and V.dtype != np.float64:
            h = h.real.astype(complex)
        gemv(-1.0, Vj, h, beta=1.0, y=w, overwrite_y=1)
        h_total += h
        new = float(np.linalg.norm(w))
        if new > 0.5 * norm:
            return h_total, new
        norm = new
    return h_total, norm


def _phi_error(H: np.ndarray, hnext: float, k: int, tau: float, beta: float) -> float:
    """beta * |tau h_{k+1,k} e_k^T phi_1(tau H_k) e_1|: the a posteriori Krylov error estimate."""
    A = np.zeros((k + 1, k + 1), dtype=H.dtype)
    A[:k, :k] = tau * H[:k, :k]
    A[k, k - 1] = tau * hnext
    F = sla.expm(A)
    return float(beta * abs(F[k, 0]))


def _max_step(H: np.ndarray, k: int, beta: float, rate: float, remaining: float,
              guess: float | None, rel: float = 0.02) -> float:
    """Largest s <= remaining with error estimate(s) <= rate * s for the leading k x k Arnoldi block."""
    hnext = H[k, k - 1]

    def ok(s):
        return _phi_error(H, hnext, k, s, beta) <= rate * s

    if ok(remaining):
        return remaining
    lo = guess if guess is not None and guess < remaining else remaining / 2
    while not ok(lo):
        lo /= 2
        if lo < 1e-14 * max(1.0, remaining):
            raise RuntimeError("Krylov step size underflow; increase m or tol")
    hi = min(remaining, 2 * lo)
    while hi < remaining and ok(hi):
        lo, hi = hi, min(remaining, 2 * hi)
    for _ in range(20):
        if hi - lo <= rel * lo:
            break
        mid = 0.5 * (lo + hi)
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return lo


def _next_dimension(H, k, beta, rate, remaining, tau_k, stats, m_max, N) -> int:
    """Krylov dimension for the next step: the one with the most time step per second of work.

    Work for dimension j ~ j a + b j (j + 1)/2 (a: seconds per product, b: per vector in the
    orthogonalization), both measured on the run so far; the steps of smaller j come from the same
    Arnoldi relation. Grows by 25% when the largest j wins.
    """
    a = stats["t_matvec"] / max(stats["matvecs"], 1)
    b = stats["t_orth"] / max(stats["orth_units"], 1)
    best, best_rate = k, tau_k / (k * a + b * k * (k + 1) / 2)
    for j in sorted({max(4, (k + 1) // 2), max(4, (3 * k) // 4)}):
        if j >= k:
            continue
        tj = _max_step(H, j, beta, rate, remaining, None, rel=0.05)
        r = tj / (j * a + b * j * (j + 1) / 2)
        if r > best_rate:
            best, best_rate = j, r
    if best == k:
        return int(min(m_max, max(k + 2, round(1.25 * k))))
    return int(max(4, best))


def krylov_expmv(matvec: Callable[[np.ndarray], np.ndarray], v0: np.ndarray, times: np.ndarray,
                 tol: float = 1e-10, m: int | None = None, m_max: int = 60, real: bool = False,
                 info: dict | None = None, sink: Callable[[int, np.ndarray], None] | None = None
                 ) -> np.ndarray | None:
    """exp(t A) v0 at each of ``times`` (sorted, >= 0) by restarted Arnoldi with adaptive steps.

    Each step builds an Arnoldi basis V_m of A at the current vector w (norm beta), A V_m =
    V_m H_m + h_{m+1,m} v_{m+1} e_m^T, and approximates exp(s A) w ~ beta V_m exp(s H_m) e_1. It takes
    the longest step tau (<= the remaining time) whose a-posteriori error estimate

        err(tau) = beta |tau h_{m+1,m} [phi_1(tau H_m)]_{m,1}|,   phi_1(z) = (e^z - 1)/z,

    is <= tol ||v0|| tau / t_final (Saad 1992; Sidje 1998), so the global error stays below
    tol ||v0||; every output time inside the step comes from the same basis. With ``m=None`` the
    dimension adapts after each step to the one with the longest step per second of measured work.

    Real v0 (float64) means a real operator and real arithmetic throughout; ``real`` with complex
    v0: the Arnoldi coefficients are taken real (A Hermiticity preserving, v0 = vec of a Hermitian
    matrix). Units: t in the inverse unit of A. Returns a (len(times), N) array, or None if
    ``sink(i, y)`` is given (it then receives each output i as it is computed). ``info`` (a dict)
    receives counters (matvecs, steps, dimensions used).
    """
    v0 = np.ascontiguousarray(v0)
    if v0.dtype != np.float64:
        v0 = v0.astype(complex)
    dtype = v0.dtype
    real_arith = dtype == np.float64
    coef_real = real or real_arith
    N = v0.size
    t = np.asarray(times, dtype=float)
    nt = t.size
    out = None
    if sink is None:
        out = np.empty((nt, N), dtype=dtype)

        def sink(i, y):
            out[i] = y
    adaptive = m is None
    m = int(m or 30)
    m_max = max(1, min(int(m_max), N))
    m = max(1, min(m, m_max))
    stats = {"matvecs": 0, "steps": 0, "t_matvec": 0.0, "t_orth": 0.0, "orth_units": 0, "m": []}
    k_out = 0
    while k_out < nt and t[k_out] <= 0:
        sink(k_out, v0)
        k_out += 1
    t_final = float(t[-1])
    norm0 = float(np.linalg.norm(v0))
    if norm0 == 0:
        for i in range(k_out, nt):
            sink(i, np.zeros_like(v0))
        return out
    V = np.empty(((m_max if adaptive else m) + 1, N), dtype=dtype)
    w = v0.copy()
    tnow = 0.0
    tau_prev = None
    while k_out < nt:
        beta = float(np.linalg.norm(w))
        if beta == 0:
            for i in range(k_out, nt):
                sink(i, np.zeros_like(v0))
            break
        np.multiply(w, 1.0 / beta, out=V[0])
        H = np.zeros((m + 1, m), dtype=float if coef_real else complex)
        k = m
        breakdown = False
        for j in range(m):
            t0 = time.perf_counter()
            V[j + 1] = matvec(V[j])
            t1 = time.perf_counter()
            stats["matvecs"] += 1
            h, hn = _orthogonalize(V, j, V[j + 1], coef_real)
            stats["t_matvec"] += t1 - t0
            stats["t_orth"] += time.perf_counter() - t1
            stats["orth_units"] += j + 1
            H[: j + 1, j] = h.real if coef_real else h
            H[j + 1, j] = hn
            if hn <= 1e-13 * max(1.0, np.abs(H[: j + 1, : j + 1]).max()):
                k, breakdown = j + 1, True
                break
            V[j + 1] /= hn
        remaining = t_final - tnow
        if breakdown:
            tau = remaining
        else:
            rate = tol * norm0 / t_final  # allowed error per unit time
            tau = _max_step(H, k, beta, rate, remaining, tau_prev)
            if adaptive and tau < remaining:
                m = _next_dimension(H, k, beta, rate, remaining, tau, stats, m_max, N)
        tau_prev = tau
        Hk = H[:k, :k]
        tend = t_final if tau >= remaining else tnow + tau
        idx = []  # outputs inside (tnow, tend]
        while k_out + len(idx) < nt and t[k_out + len(idx)] <= tend:
            idx.append(k_out + len(idx))
        svals = [t[i] - tnow for i in idx]
        if tend < t_final:
            svals.append(tau)  # the vector to restart from
        C = np.empty((len(svals), k), dtype=float if coef_real else complex)
        for r, s_ in enumerate(svals):
            e = sla.expm(s_ * Hk)[:, 0]
            C[r] = beta * (e.real if coef_real else e)
        Y = C.astype(dtype) @ V[:k]
        for r, i in enumerate(idx):
            sink(i, Y[r])
        if idx:
            k_out = idx[-1] + 1
        if tend < t_final:
            w = Y[-1].copy()
        tnow = tend
        stats["steps"] += 1
        stats["m"].append(k)
    if info is not None:
        info.update(stats)
    return out



def fgmres(A: Callable, M: Callable, b: np.ndarray, x0: np.ndarray, tol: float, restart: int = 40,
           maxiter: int = 1000, real: bool = False) -> tuple[np.ndarray, int, float]:
    """Flexible GMRES with a right preconditioner M: solves A x = b (Saad 1993).

    Restarted every ``restart`` steps; each step stores z_j = M(v_j) and minimizes ||b - A x|| over
    x = x0 + sum_j y_j z_j (Givens rotations on the Hessenberg matrix), so M may change from step to
    step (e.g. a single-precision preconditioner) without spoiling the residual. Stops when
    ||b - A x|| <= tol * ||x|| (absolute in the units of A; the steady-state solver passes
    tol * ||L||_est) or after ``maxiter`` products. ``real``: Arnoldi coefficients taken real (A, M
    Hermiticity preserving and b, x0 vec of Hermitian matrices; implied by float64 x0).
    Returns (x, iterations, final residual norm).
    """
    x = np.array(x0)
    if x.dtype != np.float64:
        x = x.astype(complex)
    real = real or x.dtype == np.float64
    N = x.size
    V = np.empty((restart + 1, N), dtype=x.dtype)
    Z = np.empty((restart, N), dtype=x.dtype)
    it = 0
    r = b - A(x)
    beta = float(np.linalg.norm(r))
    while True:
        xnorm = float(np.linalg.norm(x))
        if beta <= tol * xnorm or it >= maxiter:
            return x, it, beta
        V[0] = r / beta
        Hh = np.zeros((restart + 1, restart), dtype=float if real else complex)
        cs = np.zeros(restart, dtype=Hh.dtype)
        sn = np.zeros(restart, dtype=Hh.dtype)
        g = np.zeros(restart + 1, dtype=Hh.dtype)
        g[0] = beta
        k = 0
        for j in range(restart):
            Z[j] = M(V[j])
            V[j + 1] = A(Z[j])
            it += 1
            h, hn = _orthogonalize(V, j, V[j + 1], real)
            col = np.zeros(j + 2, dtype=Hh.dtype)
            col[: j + 1] = h.real if real else h
            col[j + 1] = hn
            if hn > 0:
                V[j + 1] /= hn
            # apply the previous Givens rotations, then annihilate col[j + 1]
            for i in range(j):
                a, b_ = col[i], col[i + 1]
                col[i] = cs[i] * a + sn[i] * b_
                col[i + 1] = -np.conj(sn[i]) * a + cs[i] * b_
            a, b_ = col[j], col[j + 1]
            rr = float(np.hypot(abs(a), abs(b_)))
            if rr == 0:
                cs[j], sn[j] = 1.0, 0.0
            elif real:
                cs[j], sn[j] = a / rr, b_ / rr
            else:
                phase = a / abs(a) if a != 0 else 1.0
                cs[j], sn[j] = abs(a) / rr, phase * np.conj(b_) / rr
            col[j] = cs[j] * a + sn[j] * b_
            col[j + 1] = 0
            g[j + 1] = -np.conj(sn[j]) * g[j]
            g[j] = cs[j] * g[j]
            Hh[: j + 2, j] = col
            k = j + 1
            if abs(g[j + 1]) <= tol * xnorm or it >= maxiter or hn == 0:
                break
        y = sla.solve_triangular(Hh[:k, :k], g[:k])
        x += y.astype(x.dtype) @ Z[:k]
        r = b - A(x)
        beta = float(np.linalg.norm(r))
