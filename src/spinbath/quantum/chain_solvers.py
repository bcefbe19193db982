"""Solvers for large Lindblad generators: rho(t), the steady state and the slowest eigenvalues.

Every function accepts the generator L in any of these forms (column stacking, vec(rho)[a + d b] =
rho[a, b], d = 2^n; dimensionless with hbar = 1, times in the inverse units of L):

* :class:`~spinbath.quantum.open_chain.OpenChainLiouvillian` (matrix-free; the fast path),
* the sparse matrix returned by :func:`~spinbath.quantum.open_chain.open_chain_liouvillian` (it
  remembers its model, so the same fast path is used), or any ``scipy.sparse`` matrix,
* any ``scipy.sparse.linalg.LinearOperator`` or dense (4^n, 4^n) array (generic paths).

Methods are small frozen objects (``Eig()``, ``Krylov(tol=...)``, ``Direct()``,
``Iterative(tol=...)``); ``method=None`` chooses by size (thresholds measured on a 2-core machine,
see ``benchmarks/bench_open_chain.py``):

* :func:`evolve` -- rho(t) = exp(L t) rho0 at the requested times. ``Eig``: eigendecomposition of
  the dense L (the paper's appendix), used for 4^n <= 256; ``Krylov``: adaptive Arnoldi
  exponential (Saad 1992; Expokit), one Krylov basis serving every output time inside a step; with a
  Hermitian rho0 and a Hermiticity-preserving L all Arnoldi coefficients are real and the iterates
  stay Hermitian, so L(rho) = W + W^+ costs about half a general product. ``ExpmMultiply`` (scipy,
  Al-Mohy & Higham) and ``ODE`` (scipy ``solve_ivp``) are there for cross-checks.
* :func:`steady_state` -- L rho = 0, Tr rho = 1. ``Direct``: sparse LU (SuperLU, MMD on A^T + A)
  of L with the equation of rho_00 replaced by the trace condition; ``Iterative``: flexible GMRES
  (right preconditioned) started from the secular (Pauli) steady state, with the preconditioner
  M^-1 = inverse of the secular generator in the eigenbasis of H: coherences rho_ab decay as
  -i (E_a - E_b) - (Gamma_a + Gamma_b)/2, populations follow the Pauli rate matrix
  W_ab = sum_terms c <a|A|b> conj(<a|B|b>) - delta_ab Gamma_a (Gamma_a = <a| i(H_eff - H_eff^+) |a>).
  Applying it costs four d x d products (in single precision by default; the flexible variant keeps
  the residual exact).
* :func:`slowest_eigenvalues` -- the eigenvalues with the largest real parts: all of them from the
  dense L (small n), ARPACK on the propagator exp(tau L) (matrix-free; its dominant eigenvalues are
  the slowest modes whatever their frequency), or ARPACK shift-invert near a chosen sigma;
  :func:`relaxation_gap` = smallest decay rate -Re(lambda) over lambda != 0.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Callable, Union

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.linalg.blas import dgemv as _dgemv
from scipy.linalg.blas import zgemv as _zgemv
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from .open_chain import (
    OpenChainLiouvillian, _hermitian_part, _real_of_hermitian_part, hermitian_to_real, real_to_hermitian,
)

__all__ = [
    "Eig", "Krylov", "ExpmMultiply", "ODE", "Direct", "Iterative", "evolve", "steady_state",
    "slowest_eigenvalues", "relaxation_gap", "SecularPreconditioner", "liouvillian_dimension",
    "krylov_expmv", "fgmres",
]

Generator = Union[OpenChainLiouvillian, sp.spmatrix, sp.sparray, LinearOperator, np.ndarray]


# ----------------------------------------------------------------------------------------------
# BLAS threads
# ----------------------------------------------------------------------------------------------

class single_threaded_blas:
    """Context manager: OpenBLAS uses one thread inside (restored on exit).

    The solvers run their own two-way parallelism (sparse products and transposes on a thread
    pool); OpenBLAS threads spinning between the many mid-sized BLAS calls of Arnoldi and GMRES
    made them 3x slower on a 2-core machine (``benchmarks/bench_open_chain.py``). Uses
    ``threadpoolctl`` when installed, else the ``*_set_num_threads`` entry points of the OpenBLAS
    libraries loaded by numpy and scipy; a no-op where neither is available.
    """

    _libs: list | None = None

    def __enter__(self):
        self._restore = []
        try:
            from threadpoolctl import threadpool_limits  # type: ignore[import-not-found]

            self._ctl = threadpool_limits(limits=1, user_api="blas")
            return self
        except ImportError:
            self._ctl = None
        for get, set_ in self._openblas():
            try:
                n = int(get())
                set_(1)
                self._restore.append((set_, n))
            except Exception:  # pragma: no cover - exotic builds
                pass
        return self

    def __exit__(self, *exc):
        if self._ctl is not None:
            self._ctl.restore_original_limits()
        for set_, n in self._restore:
            set_(n)
        return False

    @classmethod
    def _openblas(cls) -> list:
        if cls._libs is None:
            import ctypes

            cls._libs = []
            try:
                with open("/proc/self/maps") as f:
                    paths = {ln.split()[-1] for ln in f if "openblas" in ln.lower() and "/" in ln}
            except OSError:
                paths = set()
            names = [("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
                     ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
                     ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
                     ("openblas_get_num_threads", "openblas_set_num_threads")]
            for path in sorted(paths):
                try:
                    lib = ctypes.CDLL(path)
                except OSError:  # pragma: no cover
                    continue
                for get, set_ in names:
                    if hasattr(lib, get) and hasattr(lib, set_):
                        g, st = getattr(lib, get), getattr(lib, set_)
                        g.restype, g.argtypes = ctypes.c_int, []
                        st.restype, st.argtypes = None, [ctypes.c_int]
                        cls._libs.append((g, st))
                        break
        return cls._libs


# ----------------------------------------------------------------------------------------------
# Methods
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Eig:
    """rho(t) from the eigendecomposition of the dense L (exact at any t; 4^n up to ~1000).

    Falls back to ``Krylov`` when the eigenvector matrix has a condition number above cond_max.
    """

    cond_max: float = 1e10


@dataclass(frozen=True)
class Krylov:
    """Adaptive Arnoldi exponential: error per step <= tol * ||rho0||_F * (step / t_final).

    m: fixed Krylov dimension, or None: start at 30 and adapt it after every step to the dimension
    with the longest step per second of measured work (products + orthogonalization); m_max bounds it.
    """

    tol: float = 1e-10
    m: int | None = None
    m_max: int = 60


@dataclass(frozen=True)
class ExpmMultiply:
    """scipy.sparse.linalg.expm_multiply over an equally spaced grid (double precision target)."""


@dataclass(frozen=True)
class ODE:
    """scipy.integrate.solve_ivp on vec(rho) (matrix-free right-hand side)."""

    method: str = "DOP853"
    rtol: float = 1e-8
    atol: float = 1e-10


@dataclass(frozen=True)
class Direct:
    """Sparse LU of L with one equation replaced by Tr rho = 1 (SuperLU; permc_spec as in splu).

    The fill-in grows fast: on 2 cores n = 5 takes 0.15 s, n = 6 5 s (COLAMD: 10 s).
    """

    permc_spec: str = "MMD_AT_PLUS_A"


@dataclass(frozen=True)
class Iterative:
    """Right-preconditioned flexible GMRES for L rho = 0, Tr rho = 1.

    tol: stop when ||L vec(rho)|| <= tol * ||L||_est * ||rho||_F, ||L||_est = (E_max - E_min) +
    max Gamma_a (the spread of the secular generator). preconditioner: "secular" (Pauli rate
    matrix for the populations, individual rates for the coherences) or "coherent" (-i[H, .] minus
    the mean decay rate, as in the references). single: apply it in complex64.
    """

    tol: float = 1e-10
    restart: int = 40
    maxiter: int = 4000
    preconditioner: str = "secular"
    single: bool = True


# ----------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------

def liouvillian_dimension(L: Generator) -> int:
    """d = 2^n (or any d with d^2 = L.shape[0]) for a (d^2, d^2) generator."""
    N = L.shape[0]
    if len(L.shape) != 2 or L.shape[1] != N:
        raise ValueError(f"L must be square, got shape {L.shape}")
    d = int(round(np.sqrt(N)))
    if d * d != N:
        raise ValueError(f"L has size {N}, which is not d^2")
    return d


def _chain_model(L: Generator) -> OpenChainLiouvillian | None:
    """The matrix-free model behind L, if L is one or remembers one (checked on a random vector)."""
    if isinstance(L, OpenChainLiouvillian):
        return L
    model = getattr(L, "chain_model", None)
    if not isinstance(model, OpenChainLiouvillian) or model.shape != L.shape:
        return None
    cached = getattr(L, "_chain_model_checked", None)
    if cached is not None and cached[0] is model and cached[1] == _fingerprint(L):
        return model
    rng = np.random.default_rng(2024)
    v = rng.normal(size=L.shape[0]) + 1j * rng.normal(size=L.shape[0])
    a, b = L @ v, model._matvec(v)
    if np.linalg.norm(a - b) > 1e-10 * max(1.0, np.linalg.norm(a)):
        return None
    try:
        L._chain_model_checked = (model, _fingerprint(L))
    except AttributeError:  # pragma: no cover
        pass
    return model


def _fingerprint(L) -> tuple:
    data = getattr(L, "data", None)
    if data is None:
        return ()
    return (id(data), data.size, complex(data[:: max(1, data.size // 64)].sum()) if data.size else 0j)


class _Apply:
    """matvec callables for a generator: general and (when valid) Hermitian-preserving."""

    def __init__(self, L: Generator):
        self.d = liouvillian_dimension(L)
        self.model = _chain_model(L)
        if self.model is not None:
            op = self.model
            self.matvec = op._matvec
            self.hermitian_matvec = op.apply_hermitian_vec
            self.real_matvec = op.apply_real
            self.preserves_hermiticity = True
            return
        if isinstance(L, np.ndarray):
            A = np.asarray(L, dtype=complex)
            self.matvec = lambda v: A @ v
        elif sp.issparse(L):
            A = sp.csr_matrix(L, dtype=complex)
            self.matvec = lambda v: A @ v
        else:
            A = aslinearoperator(L)
            self.matvec = lambda v: np.asarray(A.matvec(v)).reshape(-1)
        self.preserves_hermiticity = self._check_hermiticity_preserving()
        self.hermitian_matvec = self.matvec
        d, mv = self.d, self.matvec
        self.real_matvec = lambda r: hermitian_to_real(mv(real_to_hermitian(r).reshape(-1)).reshape(d, d))

    def _check_hermiticity_preserving(self) -> bool:
        d = self.d
        rng = np.random.default_rng(12345)
        X = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
        X = X + X.conj().T
        Y = self.matvec(X.T.reshape(-1).astype(complex)).reshape(d, d).T
        return bool(np.abs(Y - Y.conj().T).max() <= 1e-12 * max(1.0, np.abs(Y).max()))


def _vec(rho: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(rho, dtype=complex).T).reshape(-1)


def _unvec_stack(V: np.ndarray, d: int) -> np.ndarray:
    return np.swapaxes(V.reshape(*V.shape[:-1], d, d), -1, -2)


def _check_rho0(rho0, d: int) -> np.ndarray:
    rho0 = np.asarray(rho0, dtype=complex)
    if rho0.shape != (d, d):
        raise ValueError(f"rho0 must have shape ({d}, {d}), got {rho0.shape}")
    return rho0


def _check_times(times) -> np.ndarray:
    t = np.atleast_1d(np.asarray(times, dtype=float))
    if t.ndim != 1 or t.size == 0:
        raise ValueError("times must be a non-empty 1-d sequence")
    if np.any(~np.isfinite(t)) or np.any(t < 0) or np.any(np.diff(t) < 0):
        raise ValueError("times must be finite, >= 0 and non-decreasing")
    return t


# ----------------------------------------------------------------------------------------------
# Evolution
# ----------------------------------------------------------------------------------------------

def evolve(L: Generator, rho0: np.ndarray, times, method: Eig | Krylov | ExpmMultiply | ODE | None = None
           ) -> np.ndarray:
    """rho(t) = exp(L t) rho0 at each of ``times`` (>= 0, non-decreasing; rho0 given at t = 0).

    Returns an array of shape (len(times), d, d) (d = 2^n; rho in the site basis). For n = 10 and
    200 times this is 3.4 GB. method: ``Eig()``, ``Krylov(tol)``, ``ExpmMultiply()``, ``ODE()`` or
    None (Eig for 4^n <= 256, else Krylov).
    """
    with single_threaded_blas():
        return _evolve(L, rho0, times, method)


def _evolve(L, rho0, times, method) -> np.ndarray:
    d = liouvillian_dimension(L)
    rho0 = _check_rho0(rho0, d)
    t = _check_times(times)
    if method is None:
        method = Eig() if d * d <= 256 else Krylov()
    if isinstance(method, Eig):
        out = _evolve_eig(L, rho0, t, method)
        if out is not None:
            return out
        method = Krylov()
    ap = _Apply(L)
    v0 = _vec(rho0)
    hermitian = ap.preserves_hermiticity and bool(
        np.abs(rho0 - rho0.conj().T).max() <= 1e-13 * max(1.0, float(np.abs(rho0).max())))
    if hermitian:
        v0 = _vec(0.5 * (rho0 + rho0.conj().T))
    if isinstance(method, Krylov):
        if hermitian:
            # real coordinates R = Re(M) + Im(M) of M = rho^T; rho = conj(M) = ((R + R^T) - i (R - R^T))/2
            out = np.empty((t.size, d, d), dtype=complex)

            def sink(i, r):
                real_to_hermitian(r, out=out[i])
                np.conjugate(out[i], out=out[i])
            r0 = hermitian_to_real(v0.reshape(d, d))
            krylov_expmv(ap.real_matvec, r0, t, tol=method.tol, m=method.m, m_max=method.m_max, sink=sink)
            return out
        V = krylov_expmv(ap.matvec, v0, t, tol=method.tol, m=method.m, m_max=method.m_max)
    elif isinstance(method, ExpmMultiply):
        V = _evolve_expm_multiply(L, ap, v0, t, hermitian)
    elif isinstance(method, ODE):
        V = _evolve_ode(ap, v0, t, method, hermitian)
    else:
        raise TypeError(f"unknown evolution method {method!r}")
    return _unvec_stack(V, d)


def _dense(L: Generator) -> np.ndarray:
    if isinstance(L, np.ndarray):
        return np.asarray(L, dtype=complex)
    if sp.issparse(L):
        return L.toarray().astype(complex)
    model = _chain_model(L)
    if model is not None:
        return model.to_sparse().toarray()
    A = aslinearoperator(L)
    return A.matmat(np.eye(A.shape[1], dtype=complex))


def _evolve_eig(L, rho0, t, method: Eig):
    d = rho0.shape[0]
    G = _dense(L)
    lam, R = np.linalg.eig(G)
    if np.linalg.cond(R) > method.cond_max:
        warnings.warn("Eig: ill-conditioned eigenvectors, using Krylov instead", stacklevel=3)
        return None
    c = np.linalg.solve(R, _vec(rho0))
    with np.errstate(under="ignore"):
        E = np.exp(np.outer(t, lam)) * c[None, :]
    V = E @ R.T
    return _unvec_stack(V, d)


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
    """exp(t A) v0 at each time (sorted, >= 0) by restarted Arnoldi with adaptive steps.

    Each step builds an Arnoldi basis V_m of A at the current vector w (norm beta), takes the longest
    step tau (<= the remaining time) whose error estimate beta |tau h_{m+1,m} [phi_1(tau H_m)]_{m,1}|
    is <= tol ||v0|| tau / t_final, and evaluates every output time inside the step as
    beta V_m exp(s H_m) e_1. Real v0 (float64) means a real operator and real arithmetic throughout;
    ``real`` with complex v0: the Arnoldi coefficients are taken real (A Hermiticity preserving, v0 =
    vec of a Hermitian matrix). Returns an (len(times), N) array, or None if ``sink(i, y)`` is given
    (it then receives each output i as it is computed). ``info`` (a dict) receives counters.
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


def _evolve_expm_multiply(L, ap: _Apply, v0, t, hermitian: bool):
    from scipy.sparse.linalg import expm_multiply

    N = v0.size
    model = ap.model
    if model is not None:
        # the general product: expm_multiply's norm estimates apply A to non-Hermitian vectors
        A = LinearOperator((N, N), matvec=model._matvec, rmatvec=model._rmatvec, dtype=complex)
        traceA = model.trace()
    elif sp.issparse(L) or isinstance(L, np.ndarray):
        A = sp.csr_matrix(L, dtype=complex)
        traceA = complex(A.diagonal().sum())
    else:
        A = aslinearoperator(L)
        traceA = None
    dt = np.diff(t)
    if t.size >= 2 and np.allclose(dt, dt[0], rtol=1e-12, atol=0):
        X0 = expm_multiply(A, v0, start=0.0, stop=t[0], num=2, endpoint=True, traceA=traceA)[-1] if t[0] > 0 else v0
        if t.size == 1:
            return X0[None]
        return expm_multiply(A, X0, start=0.0, stop=t[-1] - t[0], num=t.size, endpoint=True, traceA=traceA)
    out = np.empty((t.size, N), dtype=complex)
    v, tp = v0, 0.0
    for i, ti in enumerate(t):
        if ti > tp:
            v = expm_multiply((ti - tp) * A, v, traceA=None if traceA is None else (ti - tp) * traceA)
        out[i], tp = v, ti
    return out


def _evolve_ode(ap: _Apply, v0, t, method: ODE, hermitian: bool):
    from scipy.integrate import solve_ivp

    mv = ap.hermitian_matvec if hermitian else ap.matvec
    sol = solve_ivp(lambda _s, y: mv(y), (0.0, float(t[-1])), v0, method=method.method, t_eval=t,
                    rtol=method.rtol, atol=method.atol)
    if not sol.success:
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    return sol.y.T


# ----------------------------------------------------------------------------------------------
# Steady state
# ----------------------------------------------------------------------------------------------

def steady_state(L: Generator, method: Direct | Iterative | None = None, info: dict | None = None) -> np.ndarray:
    """The steady state rho_ss (d x d, Hermitian, trace 1) with L vec(rho_ss) = 0.

    method: ``Direct()`` (sparse LU), ``Iterative()`` (preconditioned FGMRES; needs the chain model,
    i.e. an :class:`OpenChainLiouvillian` or the matrix from ``open_chain_liouvillian``) or None
    (Direct for 4^n <= 256, i.e. n <= 4, Iterative beyond when the model is known, else Direct).
    ``info`` (a dict) receives the residual ||L vec(rho)|| and, for Iterative, the iteration count.
    """
    with single_threaded_blas():
        return _steady_state(L, method, info)


def _steady_state(L, method, info) -> np.ndarray:
    d = liouvillian_dimension(L)
    model = _chain_model(L)
    if method is None:
        method = Direct() if (d * d <= 256 or model is None) else Iterative()
    if isinstance(method, Direct):
        rho = _steady_direct(L, method)
    elif isinstance(method, Iterative):
        if model is None:
            raise ValueError("Iterative steady state needs the chain model (OpenChainLiouvillian or the "
                             "matrix from open_chain_liouvillian); use Direct() for other generators")
        rho = _steady_iterative(model, method, info)
    else:
        raise TypeError(f"unknown steady-state method {method!r}")
    rho = rho / np.trace(rho)
    rho = 0.5 * (rho + rho.conj().T)
    if info is not None:  # ||L vec(rho)||_2, via the real coordinates where L preserves Hermiticity
        ap = _Apply(L)
        r = ap.real_matvec(hermitian_to_real(rho.T)) if ap.preserves_hermiticity else ap.matvec(_vec(rho))
        info["residual"] = float(np.linalg.norm(r))
    return rho


def _sparse_of(L) -> sp.csr_matrix:
    if sp.issparse(L):
        return sp.csr_matrix(L, dtype=complex)
    if isinstance(L, np.ndarray):
        return sp.csr_matrix(np.asarray(L, dtype=complex))
    model = _chain_model(L)
    if model is not None:
        return model.to_sparse()
    A = aslinearoperator(L)
    return sp.csr_matrix(A.matmat(np.eye(A.shape[1], dtype=complex)))


def _steady_direct(L, method: Direct) -> np.ndarray:
    from scipy.sparse.linalg import splu

    A = _sparse_of(L)
    N = A.shape[0]
    d = int(round(np.sqrt(N)))
    trace_row = sp.csr_matrix((np.ones(d, dtype=complex), (np.zeros(d, dtype=int), np.arange(d) * (d + 1))),
                              shape=(1, N))
    A = sp.vstack([trace_row, A[1:]], format="csc")
    b = np.zeros(N, dtype=complex)
    b[0] = 1.0
    lu = splu(A, permc_spec=method.permc_spec)
    x = lu.solve(b)
    return x.reshape(d, d).T


class SecularPreconditioner:
    """Inverse of the secular generator of an open chain, applied in the eigenbasis of H.

    With H = U diag(E) U^+, rho~ = U^+ rho U: coherences rho~_ab (a != b) are divided by
    -i (E_a - E_b) - (Gamma_a + Gamma_b)/2, the populations p_a = rho~_aa solve W p = r with the Pauli
    matrix W (module docstring) on the subspace sum(p) = sum(r) (W + u 1^T is factorized once, with
    u_a = mean Gamma). ``kind="coherent"``: every element divided by -i (E_a - E_b) - <Gamma>. Cost per
    application: four d x d products (complex64 when ``single``). Works on Hermitian-preserving
    vectors and on general ones alike.
    """

    def __init__(self, model: OpenChainLiouvillian, kind: str = "secular", single: bool = True):
        if kind not in ("secular", "coherent"):
            raise ValueError(f"kind must be 'secular' or 'coherent', got {kind!r}")
        d = model.d
        H = model.hamiltonian.toarray()
        E, U = np.linalg.eigh(H)
        Heff = model.H_eff
        K = (1j * (Heff - Heff.conj().T)).tocsr()  # sum c B^+ A, Hermitian >= 0 for physical rates
        Gam = np.einsum("ia,ia->a", U.conj(), K @ U).real
        self.E, self.Gamma = E, Gam
        self.norm_estimate = float(E.max() - E.min() + max(Gam.max(), 1e-300))
        self.kind = kind
        if kind == "secular":
            den = -1j * (E[:, None] - E[None, :]) - 0.5 * (Gam[:, None] + Gam[None, :])
            T = np.zeros((d, d))
            cache: dict = {}

            def rot(op, site):
                key = (site, op.tobytes())
                if key not in cache:
                    from .open_chain import site_operator

                    cache[key] = U.conj().T @ (site_operator(op, site, model.n) @ U)
                return cache[key]

            for term in model.jumps:
                T += (term.coef * rot(term.A, term.p) * rot(term.B, term.q).conj()).real
            W = T - np.diag(Gam)
            g = max(float(np.mean(np.abs(Gam))), 1e-300)
            self._pop_lu = sla.lu_factor(W + g * np.ones((d, d)) / d)
            ss = sla.lu_solve(self._pop_lu, g * np.ones(d) / d)  # W p = 0 with sum p = 1
            self.populations = ss / ss.sum()
        else:
            den = -1j * (E[:, None] - E[None, :]) - float(np.mean(Gam))
            self._pop_lu = None
            self.populations = np.full(d, 1.0 / d)
        tiny = 1e-300
        den = np.where(np.abs(den) < tiny, -tiny, den)  # closed, degenerate levels: no decay at all
        inv = 1.0 / den
        # work in M = rho^T coordinates: M~ = rho~^T = Uc^+ M Uc with Uc = conj(U)
        dt = np.complex64 if single else np.complex128
        self._inv_T = np.ascontiguousarray(inv.T).astype(dt)
        Uc = U.conj()
        self._Uc = np.ascontiguousarray(Uc).astype(dt)
        self._UcH = np.ascontiguousarray(Uc.conj().T).astype(dt)
        self.d = d
        self.U = U

    def apply_real(self, r: np.ndarray) -> np.ndarray:
        """M^-1 in the real coordinates of Hermitian matrices (see ``open_chain.hermitian_to_real``)."""
        d = self.d
        Z = self(real_to_hermitian(r).reshape(-1), hermitian=False).reshape(d, d)
        out = np.empty((d, d))
        _real_of_hermitian_part(Z, out)  # of Z + Z^+ : the Hermitian part, doubled
        out *= 0.5
        return out.reshape(-1)

    def initial_guess(self) -> np.ndarray:
        """vec of the secular steady state U diag(p) U^+ (trace 1)."""
        rho = (self.U * self.populations) @ self.U.conj().T
        return _vec(0.5 * (rho + rho.conj().T))

    def __call__(self, v: np.ndarray, hermitian: bool = False) -> np.ndarray:
        """M^-1 v; ``hermitian``: v is vec of a Hermitian matrix and so is the (symmetrized) result."""
        d = self.d
        M = np.asarray(v).reshape(d, d).astype(self._Uc.dtype)
        Mt = self._UcH @ (M @ self._Uc)
        diag = np.diagonal(Mt).astype(complex)
        Mt *= self._inv_T
        if self._pop_lu is not None:
            # populations: real and imaginary parts separately (W is real)
            p = sla.lu_solve(self._pop_lu, diag.real) + 1j * sla.lu_solve(self._pop_lu, diag.imag)
            np.fill_diagonal(Mt, p.astype(Mt.dtype))
        Z = (self._Uc @ (Mt @ self._UcH)).astype(complex)
        if hermitian:  # single-precision products leave a ~1e-7 anti-Hermitian part
            out = np.empty_like(Z)
            _hermitian_part(Z, out)
            out *= 0.5
            Z = out
        return Z.reshape(-1)


def _steady_iterative(model: OpenChainLiouvillian, method: Iterative, info: dict | None) -> np.ndarray:
    t0 = time.perf_counter()
    P = SecularPreconditioner(model, method.preconditioner, method.single)
    t_setup = time.perf_counter() - t0
    d = model.d
    # real coordinates of M = rho^T (half the memory of complex Krylov vectors)
    x0 = hermitian_to_real(P.initial_guess().reshape(d, d))
    scale = P.norm_estimate
    x, it, res = fgmres(model.apply_real, P.apply_real, np.zeros_like(x0), x0, tol=method.tol * scale,
                        restart=method.restart, maxiter=method.maxiter, real=True)
    if info is not None:
        info.update(iterations=it, relative_residual=float(res / (scale * np.linalg.norm(x))), setup_s=t_setup)
    if res > method.tol * scale * np.linalg.norm(x) * 10:
        warnings.warn(f"Iterative steady state: relative residual {res / (scale * np.linalg.norm(x)):.2e} "
                      f"after {it} iterations (tol {method.tol:.1e})", stacklevel=3)
    return np.conjugate(real_to_hermitian(x))  # rho = conj(rho^T) for Hermitian rho


def fgmres(A: Callable, M: Callable, b: np.ndarray, x0: np.ndarray, tol: float, restart: int = 40,
           maxiter: int = 1000, real: bool = False) -> tuple[np.ndarray, int, float]:
    """Flexible GMRES (Saad 1993) with right preconditioner M: solves A x = b.

    Stops when ||b - A x|| <= tol * ||x|| (absolute in the units of A; the steady-state solver passes
    tol * ||L||_est). ``real``: Arnoldi coefficients taken real (A, M Hermiticity preserving and
    b, x0 vec of Hermitian matrices). Returns (x, iterations, final residual norm).
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


# ----------------------------------------------------------------------------------------------
# Slowest eigenvalues
# ----------------------------------------------------------------------------------------------

def slowest_eigenvalues(L: Generator, k: int = 6, method: str | None = None, sigma: complex | None = None,
                        tau: float | None = None, tol: float = 1e-10) -> np.ndarray:
    """The k slowest eigenvalues of L (largest Re lambda; lambda = 0 for the steady state first).

    method:
      "dense"        all eigenvalues of the dense L (default for 4^n <= 1024);
      "exponential"  ARPACK on the propagator exp(tau L) (Krylov, matrix-free): its largest
                     eigenvalues |mu| = exp(tau Re lambda) are exactly the slowest modes, whatever
                     their frequency; lambda is then the Rayleigh quotient x^H L x / x^H x of the
                     Ritz vector. tau defaults to 1/<rate> with <rate> = -Tr(L)/4^n (default beyond
                     4^n = 1024);
      "shift-invert" ARPACK shift-invert on a sparse LU of L - sigma (sigma default just below 0):
                     the k eigenvalues nearest sigma. Fast for n <= 7, but slow modes with a large
                     imaginary part are missed unless sigma is placed near them.
    Returned sorted by decreasing real part.
    """
    with single_threaded_blas():
        return _slowest(L, k, method, sigma, tau, tol)


def _slowest(L, k, method, sigma, tau, tol) -> np.ndarray:
    d = liouvillian_dimension(L)
    N = d * d
    if method is None:
        method = "dense" if N <= 1024 else "exponential"
    if method == "dense" or k >= N - 1:
        lam = np.linalg.eigvals(_dense(L))
        return _sort_slowest(lam)[:k]
    if method == "shift-invert":
        from scipy.sparse.linalg import eigs

        A = _sparse_of(L)
        if sigma is None:
            sigma = -1e-8 * float(abs(A).sum(axis=0).max())
        lam = eigs(A.tocsc(), k=k, sigma=sigma, which="LM", return_eigenvectors=False, tol=tol)
        return _sort_slowest(lam)
    if method == "exponential":
        return _slowest_exponential(L, k, tau, tol)
    raise ValueError(f"method must be 'dense', 'exponential' or 'shift-invert', got {method!r}")


def _trace_of(L) -> complex:
    model = _chain_model(L)
    if model is not None:
        return model.trace()
    if sp.issparse(L):
        return complex(L.diagonal().sum())
    if isinstance(L, np.ndarray):
        return complex(np.trace(L))
    raise ValueError("pass tau= for a LinearOperator without a known trace")


def _slowest_exponential(L, k: int, tau: float | None, tol: float) -> np.ndarray:
    from scipy.sparse.linalg import eigs

    ap = _Apply(L)
    N = ap.d**2
    if tau is None:
        rate = -_trace_of(L).real / N
        if rate <= 0:
            raise ValueError("L has no decay (Tr L >= 0); pass tau=")
        tau = 1.0 / rate
    times = np.array([tau])
    prop = LinearOperator((N, N), dtype=complex,
                          matvec=lambda v: krylov_expmv(ap.matvec, np.asarray(v).reshape(-1), times,
                                                        tol=1e-2 * tol)[0])
    mu, X = eigs(prop, k=k, which="LM", tol=tol)
    lam = np.empty(k, dtype=complex)
    for i in range(k):
        x = X[:, i]
        lam[i] = np.vdot(x, ap.matvec(x)) / np.vdot(x, x)
    return _sort_slowest(lam)


def _sort_slowest(lam: np.ndarray) -> np.ndarray:
    """Sort by decreasing real part (rounded to 1e-9 relative), then increasing imaginary part."""
    scale = max(float(np.abs(lam).max()), 1e-300) if lam.size else 1.0
    re = np.round(lam.real / (1e-9 * scale))
    return lam[np.lexsort((lam.imag, -re))]


def relaxation_gap(L: Generator, k: int = 4, method: str | None = None, zero_tol: float = 1e-9, **kwargs) -> float:
    """Smallest decay rate -Re(lambda) over the eigenvalues lambda != 0 (the asymptotic relaxation rate).

    Uses :func:`slowest_eigenvalues` (k of them; ``method`` and keywords are passed on).
    """
    lam = slowest_eigenvalues(L, k=k, method=method, **kwargs)
    scale = max(1.0, float(np.abs(lam).max()))
    rates = -lam.real[np.abs(lam) > zero_tol * scale]
    if rates.size == 0:
        raise RuntimeError("no non-zero eigenvalue found; increase k")
    return float(rates.min())
