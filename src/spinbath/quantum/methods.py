"""Methods for open-system generators and the registry that ``evolve``, ``steady_state`` and the
eigensolvers dispatch through.

Every method is a small frozen dataclass registered under a name in :data:`METHODS`; each declares
the tasks it can do (``"evolve"``, ``"steady_state"``, ``"eigenvalues"``) and implements them as
methods of its own (``evolve(gen, rho0, times)``, ``steady_state(gen)``, ``eigenvalues(gen, k)``,
with ``gen`` a :class:`~spinbath.quantum.generator.Generator`). The front ends

    evolve(L, rho0, times, *, method=None, e_ops=None) -> EvolveResult
    steady_state(L, *, method=None) -> rho;  steady_state_details(L, *, method=None) -> SteadyStateResult
    slowest_eigenvalues(L, k, *, method=None);  relaxation_gap(L, k, *, method=None)

accept a method instance, a registered name (``"krylov"``) or None (:func:`~spinbath.quantum.methods.default_method`). A new
method is one class here (or in its own module) with ``@register``, and a test.

One time convention: times are in the inverse unit of the generator -- a rate superoperator R in
s^-1 (use :func:`~spinbath.quantum.relaxation.with_hamiltonian` to add the coherent part) evolves
over seconds, a dimensionless chain Liouvillian over dimensionless times (the Conventions page,
docs/conventions.md). Algorithms and references: docs/theory/solvers.md.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from .blas import single_threaded_blas
from .chain_kernels import hermitian_to_real, real_to_hermitian
from .generator import Generator, GeneratorLike, as_generator
from .krylov import krylov_expmv
from .liouville import unvec, vec

__all__ = [
    "METHODS", "TASKS", "Method", "register", "unregister", "get_method", "default_method",
    "Eig", "Expm", "Krylov", "ExpmMultiply", "ODE", "SVD", "Direct", "Iterative",
    "DenseSpectrum", "ExponentialArnoldi", "ShiftInvert",
    "EvolveResult", "SteadyStateResult", "evolve", "steady_state", "steady_state_details",
    "slowest_eigenvalues", "relaxation_gap",
]

#: The tasks a method can declare.
TASKS = ("evolve", "steady_state", "eigenvalues")

#: name -> method class, filled by :func:`register`.
METHODS: dict[str, type] = {}


class Method:
    """Base of all methods. Subclasses are frozen dataclasses with class attributes ``name`` (the
    registry key) and ``tasks`` (a subset of :data:`TASKS`), and implement the matching methods:

    * ``evolve(gen, rho0, times) -> (len(times), d, d)`` array, rho(t) = exp(L t) rho0;
    * ``steady_state(gen) -> SteadyStateResult`` (or a (d, d) array), L vec(rho) = 0 (normalized by
      the front end);
    * ``eigenvalues(gen, k) -> (k,)`` array, the k eigenvalues with the largest real parts.

    :attr:`tolerance` is the accuracy the method aims for (relative to ||rho0||_F for evolution);
    :meth:`with_tolerance` builds an instance that aims for a given one (where it can be tuned).
    """

    name: ClassVar[str] = ""
    tasks: ClassVar[frozenset] = frozenset()

    @property
    def tolerance(self) -> float:
        """The accuracy the method aims for: its ``tol`` field where it has one, else about double
        precision (exact methods)."""
        return float(getattr(self, "tol", 1e-12))

    @classmethod
    def with_tolerance(cls, tol: float) -> "Method":
        """An instance aiming for ``tol``: ``cls(tol=tol)`` where the method has a ``tol`` field, the
        default instance where the accuracy is fixed."""
        return cls(tol=tol) if "tol" in getattr(cls, "__dataclass_fields__", {}) else cls()

    def evolve(self, gen: Generator, rho0: np.ndarray, times: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not evolve")

    def steady_state(self, gen: Generator):
        raise NotImplementedError(f"{type(self).__name__} does not find steady states")

    def eigenvalues(self, gen: Generator, k: int) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not find eigenvalues")


def register(cls: type) -> type:
    """Class decorator: add a :class:`~spinbath.quantum.methods.Method` subclass to :data:`METHODS` under ``cls.name``."""
    name = getattr(cls, "name", "")
    if not name or not isinstance(name, str):
        raise ValueError(f"{cls.__name__} needs a class attribute name = '...'")
    tasks = frozenset(getattr(cls, "tasks", ()))
    if not tasks or not tasks <= set(TASKS):
        raise ValueError(f"{cls.__name__}.tasks must be a non-empty subset of {TASKS}, got {set(tasks)}")
    if name in METHODS and METHODS[name] is not cls:
        raise ValueError(f"a method named {name!r} is already registered ({METHODS[name].__name__})")
    cls.tasks = tasks
    METHODS[name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove a method from :data:`METHODS` (e.g. one registered by a test)."""
    METHODS.pop(name, None)


def get_method(method: Method | str | type | None, task: str, gen: Generator | None = None) -> Method:
    """A method instance for ``task``: an instance is checked, a name or class instantiated with its
    defaults, None replaced by :func:`~spinbath.quantum.methods.default_method` (which needs ``gen``)."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if method is None:
        return default_method(task, gen)
    if isinstance(method, str):
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; registered: {', '.join(sorted(METHODS))}")
        method = METHODS[method]()
    elif isinstance(method, type):
        method = method()
    if task not in getattr(type(method), "tasks", ()):
        raise TypeError(f"method {method!r} cannot do {task!r} (its tasks: "
                        f"{sorted(getattr(type(method), 'tasks', ()))})")
    return method


def default_method(task: str, gen: Generator) -> Method:
    """The method used when none is given.

    evolve: dense arrays (rate superoperators) ``Eig(cond_max=1e8, fallback="expm", warn=False)``;
    other generators ``Eig()`` for d^2 <= 256, else ``Krylov()``. steady_state: dense arrays
    ``SVD()``; chains with d^2 > 256 ``Iterative()``; everything else ``Direct()``. eigenvalues:
    ``DenseSpectrum()`` for d^2 <= 1024, else ``ExponentialArnoldi()``.
    """
    if task == "evolve":
        if gen.is_dense:
            return Eig(cond_max=1e8, fallback="expm", warn=False)
        return Eig() if gen.N <= 256 else Krylov()
    if task == "steady_state":
        if gen.is_dense:
            return SVD()
        return Iterative() if (gen.N > 256 and gen.chain is not None) else Direct()
    if task == "eigenvalues":
        return DenseSpectrum() if gen.N <= 1024 else ExponentialArnoldi()
    raise ValueError(f"task must be one of {TASKS}, got {task!r}")


# ----------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EvolveResult:
    """rho(t) at ``times`` (in the inverse unit of the generator): ``states`` (len(times), d, d) in
    the basis of the generator; ``expect`` (len(e_ops), len(times)), Tr(O_k rho(t)), real where
    every O_k is Hermitian, or None without e_ops; ``method`` the method instance that ran."""

    times: np.ndarray
    states: np.ndarray
    expect: np.ndarray | None
    method: Method


@dataclass(frozen=True)
class SteadyStateResult:
    """A steady state: ``rho`` (d, d, Hermitian, trace 1), ``residual`` = ||L vec(rho)||_2 (units of
    L), ``method``; for iterative methods the ``iterations`` and the ``relative_residual``
    ||L vec(rho)|| / (||L||_est ||rho||_F) (None otherwise)."""

    rho: np.ndarray
    residual: float = np.nan
    method: Method | None = None
    iterations: int | None = None
    relative_residual: float | None = None


# ----------------------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------------------

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


def _is_hermitian(rho: np.ndarray) -> bool:
    return bool(np.abs(rho - rho.conj().T).max() <= 1e-13 * max(1.0, float(np.abs(rho).max())))


# ----------------------------------------------------------------------------------------------
# Evolution methods
# ----------------------------------------------------------------------------------------------

@register
@dataclass(frozen=True)
class Eig(Method):
    """rho(t) from the eigendecomposition L = R diag(lambda) R^-1 of the dense generator:

        vec(rho(t)) = R diag(exp(lambda t)) R^-1 vec(rho0),

    exact at any t (dense: d^2 up to ~1000). When the eigenvector matrix has a condition number above
    ``cond_max`` (L far from normal) the registered method ``fallback`` runs instead (with a warning
    if ``warn``); ``cond_max=inf`` never checks. Units: t in the inverse unit of L. Accuracy: about
    eps * cond(R) relative to ||rho0||_F. Reference: C. Moler and C. Van Loan, "Nineteen dubious
    ways to compute the exponential of a matrix, twenty-five years later", SIAM Rev. 45, 3 (2003),
    doi:10.1137/S00361445024180 (the eigenvector method).
    """

    cond_max: float = 1e10
    fallback: str | None = "krylov"
    warn: bool = True

    name = "eig"
    tasks = frozenset({"evolve"})

    def evolve(self, gen, rho0, times):
        d = gen.d
        lam, R = np.linalg.eig(gen.dense())
        if np.isfinite(self.cond_max) and np.linalg.cond(R) > self.cond_max and self.fallback:
            if self.warn:
                warnings.warn(f"Eig: ill-conditioned eigenvectors, using {self.fallback!r} instead", stacklevel=4)
            return get_method(self.fallback, "evolve").evolve(gen, rho0, times)
        c = np.linalg.solve(R, vec(rho0))
        with np.errstate(under="ignore"):
            E = np.exp(np.outer(times, lam)) * c[None, :]
        return unvec(E @ R.T, d)


@register
@dataclass(frozen=True)
class Expm(Method):
    """vec(rho(t)) = expm(L t) vec(rho0) with scipy.linalg.expm (scaling and squaring; Al-Mohy and
    Higham, SIAM J. Matrix Anal. Appl. 31, 970 (2009), doi:10.1137/09074721X) for each t; dense L."""

    name = "expm"
    tasks = frozenset({"evolve"})

    def evolve(self, gen, rho0, times):
        G, v0 = gen.dense(), vec(rho0)
        return unvec(np.array([sla.expm(G * tk) @ v0 for tk in times]), gen.d)


@register
@dataclass(frozen=True)
class Krylov(Method):
    """Adaptive Arnoldi exponential (:func:`~spinbath.quantum.krylov.krylov_expmv`): the global error
    stays below tol * ||rho0||_F. m: fixed Krylov dimension, or None: start at 30 and adapt it after
    every step (m_max bounds it). For Hermitian rho0 and a Hermiticity-preserving L the Arnoldi
    vectors are the real coordinates of Hermitian matrices (half the work and memory).

    exp(t L) v ~ beta V_m exp(t H_m) e_1 on the Arnoldi basis V_m; Y. Saad, SIAM J. Numer. Anal. 29,
    209 (1992), doi:10.1137/0729014; error control after R. B. Sidje, ACM Trans. Math. Softw. 24, 130
    (1998), doi:10.1145/285861.285868 (docs/theory/solvers.md). Units: t in the inverse unit of L.
    """

    tol: float = 1e-10
    m: int | None = None
    m_max: int = 60

    name = "krylov"
    tasks = frozenset({"evolve"})

    def evolve(self, gen, rho0, times):
        d = gen.d
        if _is_hermitian(rho0) and gen.preserves_hermiticity:
            # real coordinates r of M = rho^T; rho = conj(M) for Hermitian rho
            out = np.empty((times.size, d, d), dtype=complex)

            def sink(i, r):
                real_to_hermitian(r, out=out[i])
                np.conjugate(out[i], out=out[i])
            r0 = hermitian_to_real(vec(0.5 * (rho0 + rho0.conj().T)).reshape(d, d))
            krylov_expmv(gen.real_matvec, r0, times, tol=self.tol, m=self.m, m_max=self.m_max, sink=sink)
            return out
        V = krylov_expmv(gen.matvec, vec(rho0), times, tol=self.tol, m=self.m, m_max=self.m_max)
        return unvec(V, d)


@register
@dataclass(frozen=True)
class ExpmMultiply(Method):
    """scipy.sparse.linalg.expm_multiply (Al-Mohy and Higham, SIAM J. Sci. Comput. 33, 488 (2011),
    doi:10.1137/100788860), over an equally spaced grid in one call, else step by step; aims at
    double precision."""

    name = "expm_multiply"
    tasks = frozenset({"evolve"})

    @property
    def tolerance(self) -> float:
        return 1e-11

    def evolve(self, gen, rho0, times):
        from scipy.sparse.linalg import expm_multiply

        t = times
        v0 = vec(0.5 * (rho0 + rho0.conj().T)) if _is_hermitian(rho0) and gen.preserves_hermiticity else vec(rho0)
        A, traceA = gen.operator()
        dt = np.diff(t)
        if t.size >= 2 and np.allclose(dt, dt[0], rtol=1e-12, atol=0):
            X0 = (expm_multiply(A, v0, start=0.0, stop=t[0], num=2, endpoint=True, traceA=traceA)[-1]
                  if t[0] > 0 else v0)
            V = expm_multiply(A, X0, start=0.0, stop=t[-1] - t[0], num=t.size, endpoint=True, traceA=traceA)
            return unvec(V, gen.d)
        out = np.empty((t.size, gen.N), dtype=complex)
        v, tp = v0, 0.0
        for i, ti in enumerate(t):
            if ti > tp:
                v = expm_multiply((ti - tp) * A, v, traceA=None if traceA is None else (ti - tp) * traceA)
            out[i], tp = v, ti
        return unvec(out, gen.d)


@register
@dataclass(frozen=True)
class ODE(Method):
    """scipy.integrate.solve_ivp on d vec(rho)/dt = L vec(rho) (matrix-free right-hand side);
    ``method`` the integrator (DOP853: Hairer, Norsett and Wanner, Solving Ordinary Differential
    Equations I, Springer 1993), ``rtol`` and ``atol`` its local tolerances."""

    method: str = "DOP853"
    rtol: float = 1e-8
    atol: float = 1e-10

    name = "ode"
    tasks = frozenset({"evolve"})

    @property
    def tolerance(self) -> float:
        return max(self.rtol, self.atol)

    @classmethod
    def with_tolerance(cls, tol):
        return cls(rtol=tol, atol=1e-2 * tol)

    def evolve(self, gen, rho0, times):
        from scipy.integrate import solve_ivp

        hermitian = _is_hermitian(rho0) and gen.preserves_hermiticity
        v0 = vec(0.5 * (rho0 + rho0.conj().T)) if hermitian else vec(rho0)
        mv = gen.hermitian_matvec if hermitian else gen.matvec
        sol = solve_ivp(lambda _s, y: mv(y), (0.0, float(times[-1])), v0, method=self.method, t_eval=times,
                        rtol=self.rtol, atol=self.atol)
        if not sol.success:
            raise RuntimeError(f"solve_ivp failed: {sol.message}")
        return unvec(sol.y.T, gen.d)


# ----------------------------------------------------------------------------------------------
# Steady-state methods
# ----------------------------------------------------------------------------------------------

@register
@dataclass(frozen=True)
class SVD(Method):
    """The null vector of the dense L from its singular value decomposition: vec(rho_ss) is the right
    singular vector of the smallest singular value. Warns if a second singular value is below
    ``null_rtol`` times the largest (then rho_ss is one of several stationary states). Dense, O(d^6);
    exact to double precision times the condition of L on the trace-one subspace."""

    null_rtol: float = 1e-10

    name = "svd"
    tasks = frozenset({"steady_state"})

    def steady_state(self, gen):
        _, s, vh = np.linalg.svd(gen.dense())
        if s.size > 1 and s[-2] <= self.null_rtol * s[0]:
            warnings.warn("L has more than one stationary state; returning one of them", stacklevel=4)
        return SteadyStateResult(unvec(vh[-1].conj(), gen.d))


@register
@dataclass(frozen=True)
class Direct(Method):
    """Sparse LU (SuperLU; ``permc_spec`` as in scipy's splu) of L with the equation of rho_00
    replaced by the trace condition Tr rho = 1. The fill-in grows fast with the chain length
    (practical up to n ~ 6 spins). Reference: X. S. Li, "An overview of SuperLU", ACM Trans. Math.
    Softw. 31, 302 (2005), doi:10.1145/1089014.1089017."""

    permc_spec: str = "MMD_AT_PLUS_A"

    name = "direct"
    tasks = frozenset({"steady_state"})

    def steady_state(self, gen):
        from scipy.sparse.linalg import splu

        A = gen.sparse()
        N, d = gen.N, gen.d
        trace_row = sp.csr_matrix((np.ones(d, dtype=complex), (np.zeros(d, dtype=int), np.arange(d) * (d + 1))),
                                  shape=(1, N))
        A = sp.vstack([trace_row, A[1:]], format="csc")
        b = np.zeros(N, dtype=complex)
        b[0] = 1.0
        x = splu(A, permc_spec=self.permc_spec).solve(b)
        return SteadyStateResult(x.reshape(d, d).T)


@register
@dataclass(frozen=True)
class Iterative(Method):
    """Right-preconditioned flexible GMRES for L rho = 0, Tr rho = 1, started from the secular steady
    state (:func:`~spinbath.quantum.chain_preconditioner.iterative_steady_state`; open chains only).

    tol: stop when ||L vec(rho)|| <= tol * ||L||_est * ||rho||_F, ||L||_est = (E_max - E_min) +
    max Gamma_a. preconditioner: "secular" (Pauli rate matrix for the populations, individual rates
    for the coherences) or "coherent" (-i[H, .] minus the mean decay rate). single: apply it in
    complex64 (the flexible variant keeps the residual exact). Reference: Y. Saad, "A flexible
    inner-outer preconditioned GMRES algorithm", SIAM J. Sci. Comput. 14, 461 (1993),
    doi:10.1137/0914028; the secular generator: Breuer and Petruccione, The Theory of Open Quantum
    Systems (Oxford, 2002), Sec. 3.3.
    """

    tol: float = 1e-10
    restart: int = 40
    maxiter: int = 4000
    preconditioner: str = "secular"
    single: bool = True

    name = "iterative"
    tasks = frozenset({"steady_state"})

    def steady_state(self, gen):
        from .chain_preconditioner import iterative_steady_state

        if gen.chain is None:
            raise ValueError("Iterative steady state needs the chain model (OpenChainLiouvillian or the "
                             "matrix from open_chain_liouvillian); use Direct() for other generators")
        out = iterative_steady_state(gen.chain, tol=self.tol, restart=self.restart, maxiter=self.maxiter,
                                     preconditioner=self.preconditioner, single=self.single)
        return SteadyStateResult(out.rho, iterations=out.iterations, relative_residual=out.relative_residual)


# ----------------------------------------------------------------------------------------------
# Eigenvalue methods
# ----------------------------------------------------------------------------------------------

def _sort_slowest(lam: np.ndarray) -> np.ndarray:
    """Sort by decreasing real part (rounded to 1e-9 relative), then increasing imaginary part."""
    scale = max(float(np.abs(lam).max()), 1e-300) if lam.size else 1.0
    re = np.round(lam.real / (1e-9 * scale))
    return lam[np.lexsort((lam.imag, -re))]


@register
@dataclass(frozen=True)
class DenseSpectrum(Method):
    """All eigenvalues of the dense L (LAPACK geev); the k slowest (largest real part, ties by
    increasing imaginary part) are returned, in the units of L."""

    name = "dense"
    tasks = frozenset({"eigenvalues"})

    def eigenvalues(self, gen, k):
        return _sort_slowest(np.linalg.eigvals(gen.dense()))[:k]


@register
@dataclass(frozen=True)
class ExponentialArnoldi(Method):
    """ARPACK on the propagator exp(tau L) (matrix-free, by Krylov exponentials): its dominant
    eigenvalues |mu| = exp(tau Re lambda) are exactly the slowest modes, whatever their frequency;
    lambda is then the Rayleigh quotient x^H L x / x^H x of the Ritz vector x. tau defaults to
    1/<rate>, <rate> = -Re Tr(L)/d^2; tol is ARPACK's (R. B. Lehoucq, D. C. Sorensen and C. Yang,
    ARPACK Users' Guide, SIAM 1998, doi:10.1137/1.9780898719628). Units: those of L."""

    tau: float | None = None
    tol: float = 1e-10

    name = "exponential"
    tasks = frozenset({"eigenvalues"})

    def eigenvalues(self, gen, k):
        from scipy.sparse.linalg import LinearOperator, eigs

        N, tau = gen.N, self.tau
        if tau is None:
            tr = gen.trace()
            if tr is None:
                raise ValueError("pass ExponentialArnoldi(tau=...) for a LinearOperator without a known trace")
            rate = -tr.real / N
            if rate <= 0:
                raise ValueError("L has no decay (Tr L >= 0); pass ExponentialArnoldi(tau=...)")
            tau = 1.0 / rate
        times = np.array([tau])
        prop = LinearOperator((N, N), dtype=complex,
                              matvec=lambda v: krylov_expmv(gen.matvec, np.asarray(v).reshape(-1), times,
                                                            tol=1e-2 * self.tol)[0])
        _, X = eigs(prop, k=k, which="LM", tol=self.tol)
        lam = np.array([np.vdot(X[:, i], gen.matvec(X[:, i])) / np.vdot(X[:, i], X[:, i]) for i in range(k)])
        return _sort_slowest(lam)


@register
@dataclass(frozen=True)
class ShiftInvert(Method):
    """ARPACK shift-invert on a sparse LU of L - sigma: the k eigenvalues nearest sigma (default just
    below 0: -1e-8 max_j sum_i |L_ij|). Fast for chains up to n ~ 7, but slow modes with a large
    imaginary part are missed unless sigma is placed near them. The dominant eigenvalues of
    (L - sigma)^-1 are 1/(lambda - sigma) (ARPACK Users' Guide, doi:10.1137/1.9780898719628).
    Units: those of L."""

    sigma: complex | None = None
    tol: float = 1e-10

    name = "shift-invert"
    tasks = frozenset({"eigenvalues"})

    def eigenvalues(self, gen, k):
        from scipy.sparse.linalg import eigs

        A = gen.sparse()
        sigma = self.sigma if self.sigma is not None else -1e-8 * float(abs(A).sum(axis=0).max())
        lam = eigs(A.tocsc(), k=k, sigma=sigma, which="LM", return_eigenvectors=False, tol=self.tol)
        return _sort_slowest(lam)


# ----------------------------------------------------------------------------------------------
# Front ends
# ----------------------------------------------------------------------------------------------

def evolve(L: GeneratorLike, rho0: np.ndarray, times, *, method: Method | str | None = None,
           e_ops=None) -> EvolveResult:
    """rho(t) = exp(L t) rho0 at each of ``times`` (>= 0, non-decreasing; rho0 given at t = 0).

    L: any generator (:func:`~spinbath.quantum.generator.as_generator`); times in the inverse unit of
    L (s for a rate superoperator in s^-1, dimensionless for a chain). method: a :class:`~spinbath.quantum.methods.Method`
    instance, a registered name or None (:func:`~spinbath.quantum.methods.default_method`). e_ops: operators O_k (d, d) whose
    expectation values Tr(O_k rho(t)) go to ``result.expect``. Returns an :class:`EvolveResult`
    (``states`` of shape (len(times), d, d): 3.4 GB for a chain of 10 spins at 200 times).
    """
    gen = as_generator(L)
    rho0 = _check_rho0(rho0, gen.d)
    t = _check_times(times)
    m = get_method(method, "evolve", gen)
    with single_threaded_blas():
        states = np.asarray(m.evolve(gen, rho0, t))
    expect = None
    if e_ops is not None:
        ops = np.asarray([np.asarray(O.toarray() if sp.issparse(O) else O) for O in e_ops], dtype=complex)
        if ops.ndim != 3 or ops.shape[1:] != (gen.d, gen.d):
            raise ValueError(f"e_ops must be ({gen.d}, {gen.d}) operators, got shape {ops.shape[1:]}")
        expect = np.einsum("tab,kba->kt", states, ops)
        if all(np.allclose(O, O.conj().T) for O in ops):
            expect = expect.real
    return EvolveResult(t, states, expect, m)


def steady_state_details(L: GeneratorLike, *, method: Method | str | None = None) -> SteadyStateResult:
    """The steady state of L with its diagnostics (:class:`SteadyStateResult`): rho normalized to
    trace 1 and made Hermitian, the residual ||L vec(rho)||_2, the method and (iterative methods)
    the iteration count. method: as for :func:`steady_state`."""
    gen = as_generator(L)
    m = get_method(method, "steady_state", gen)
    with single_threaded_blas():
        res = m.steady_state(gen)
        if not isinstance(res, SteadyStateResult):
            res = SteadyStateResult(np.asarray(res))
        rho = np.asarray(res.rho, dtype=complex)
        if rho.shape != (gen.d, gen.d):
            raise ValueError(f"{m!r} returned a steady state of shape {rho.shape}, not ({gen.d}, {gen.d})")
        rho = rho / np.trace(rho)
        rho = 0.5 * (rho + rho.conj().T)
        return replace(res, rho=rho, residual=gen.residual(rho), method=m)


def steady_state(L: GeneratorLike, *, method: Method | str | None = None) -> np.ndarray:
    """The steady state rho_ss (d x d, Hermitian, trace 1) with L vec(rho_ss) = 0.

    method: ``SVD()`` (dense null vector; the default for dense arrays), ``Direct()`` (sparse LU),
    ``Iterative()`` (preconditioned FGMRES, open chains; the default for chains beyond 4 spins),
    any registered name, or None (:func:`~spinbath.quantum.methods.default_method`). Diagnostics:
    :func:`steady_state_details`.
    """
    return steady_state_details(L, method=method).rho


def slowest_eigenvalues(L: GeneratorLike, k: int = 6, *, method: Method | str | None = None) -> np.ndarray:
    """The k eigenvalues of L with the largest real parts (lambda = 0 of the steady state first),
    sorted by decreasing real part. method: ``DenseSpectrum()`` ("dense"), ``ExponentialArnoldi()``
    ("exponential"), ``ShiftInvert()`` ("shift-invert") or None (:func:`~spinbath.quantum.methods.default_method`); all
    eigenvalues are computed densely when k >= d^2 - 1. Units: those of L."""
    gen = as_generator(L)
    m = DenseSpectrum() if k >= gen.N - 1 else get_method(method, "eigenvalues", gen)
    with single_threaded_blas():
        return np.asarray(m.eigenvalues(gen, k))


def relaxation_gap(L: GeneratorLike, k: int = 4, *, method: Method | str | None = None,
                   zero_tol: float = 1e-9) -> float:
    """Smallest decay rate -Re(lambda) over the eigenvalues lambda != 0 (|lambda| > zero_tol *
    max(1, max |lambda|)): the asymptotic relaxation rate, in the units of L. Uses
    :func:`slowest_eigenvalues` (k of them, ``method`` passed on)."""
    lam = slowest_eigenvalues(L, k=k, method=method)
    scale = max(1.0, float(np.abs(lam).max()))
    rates = -lam.real[np.abs(lam) > zero_tol * scale]
    if rates.size == 0:
        raise RuntimeError("no non-zero eigenvalue found; increase k")
    return float(rates.min())


