"""The steady-state preconditioner of open chains and the preconditioned iterative steady state.

The secular generator keeps, in the eigenbasis of H, only the populations' Pauli rate matrix and the
decay and precession of each coherence; its inverse is cheap (four d x d products) and close to the
inverse of the full Liouvillian where the coherent part dominates, which makes it a good right
preconditioner for FGMRES (:func:`spinbath.quantum.krylov.fgmres`). Derivation: docs/theory/solvers.md.
References: Breuer and Petruccione, The Theory of Open Quantum Systems (Oxford, 2002), Sec. 3.3
(secular approximation, Pauli master equation); Y. Saad, SIAM J. Sci. Comput. 14, 461 (1993),
doi:10.1137/0914028 (FGMRES).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from .chain_kernels import hermitian_part, hermitian_to_real, real_of_hermitian_part, real_to_hermitian
from .krylov import fgmres
from .liouville import vec
from .open_chain import OpenChainLiouvillian, site_operator

__all__ = ["SecularPreconditioner", "IterativeSteadyState", "iterative_steady_state"]


class SecularPreconditioner:
    """Inverse of the secular generator of an open chain, applied in the eigenbasis of H.

    With H = U diag(E) U^+ and rho~ = U^+ rho U, the secular generator acts as

        coherences (a != b):  d rho~_ab/dt = [-i (E_a - E_b) - (Gamma_a + Gamma_b)/2] rho~_ab,
        populations:          dp/dt = W p,   W_ab = sum_terms c <a|A|b> conj(<a|B|b>) - delta_ab Gamma_a,

    with Gamma_a = <a|K|a>, K = i (H_eff - H_eff^+) = sum_terms c B^(q)+ A^(p) (the Pauli master
    equation of the secular approximation; Breuer and Petruccione, Sec. 3.3). Its inverse divides each
    coherence by its rate and solves W p = r on the subspace sum(p) = sum(r) (W + u 1^T is factorized
    once, u_a = mean |Gamma|). ``kind="coherent"``: every element divided by -i (E_a - E_b) - <Gamma>,
    <Gamma> = :meth:`~spinbath.quantum.open_chain.OpenChainLiouvillian.mean_decay_rate`. Cost per
    application: four d x d products (complex64 when ``single``). Works on Hermitian-preserving vectors
    and on general ones alike. Dimensionless (the units of the chain).
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
            den = -1j * (E[:, None] - E[None, :]) - model.mean_decay_rate()
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
        real_of_hermitian_part(Z, out)  # of Z + Z^+ : the Hermitian part, doubled
        out *= 0.5
        return out.reshape(-1)

    def initial_guess(self) -> np.ndarray:
        """vec of the secular steady state U diag(p) U^+ (trace 1)."""
        rho = (self.U * self.populations) @ self.U.conj().T
        return vec(0.5 * (rho + rho.conj().T)).astype(complex)

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
            hermitian_part(Z, out)
            out *= 0.5
            Z = out
        return Z.reshape(-1)


@dataclass(frozen=True)
class IterativeSteadyState:
    """Outcome of :func:`iterative_steady_state`: rho (d x d, not yet normalized), the FGMRES
    iteration count, the relative residual ||L vec(rho)|| / (||L||_est ||rho||_F) and the
    preconditioner's setup time (s)."""

    rho: np.ndarray
    iterations: int
    relative_residual: float
    setup_s: float


def iterative_steady_state(model: OpenChainLiouvillian, *, tol: float = 1e-10, restart: int = 40,
                           maxiter: int = 4000, preconditioner: str = "secular",
                           single: bool = True) -> IterativeSteadyState:
    """Solve L vec(rho) = 0 by right-preconditioned FGMRES from the secular steady state.

    Works in the real coordinates of Hermitian matrices
    (:func:`~spinbath.quantum.chain_kernels.hermitian_to_real` of M = rho^T; half the memory of
    complex Krylov vectors). Stops when
    ||L vec(rho)|| <= tol ||L||_est ||rho||_F with ||L||_est = (E_max - E_min) + max Gamma_a (the
    spread of the secular generator); warns if that is missed by more than a factor 10. Parameters:
    see :class:`~spinbath.quantum.methods.Iterative`.
    """
    t0 = time.perf_counter()
    P = SecularPreconditioner(model, preconditioner, single)
    t_setup = time.perf_counter() - t0
    d = model.d
    x0 = hermitian_to_real(P.initial_guess().reshape(d, d))
    scale = P.norm_estimate
    x, it, res = fgmres(model.apply_real, P.apply_real, np.zeros_like(x0), x0, tol=tol * scale,
                        restart=restart, maxiter=maxiter, real=True)
    rel = float(res / (scale * np.linalg.norm(x)))
    if res > tol * scale * np.linalg.norm(x) * 10:
        warnings.warn(f"Iterative steady state: relative residual {rel:.2e} after {it} iterations "
                      f"(tol {tol:.1e})", stacklevel=4)
    return IterativeSteadyState(np.conjugate(real_to_hermitian(x)), it, rel, t_setup)  # rho = conj(rho^T)
