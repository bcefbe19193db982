r"""Exact Lindblad dynamics of the open spin-1/2 chain in a swept field, with a field-following
Davies bath: dynamic hysteresis loops of a finite quantum chain.

Generator (dimensionless, hbar = gamma = k_B = 1, S = sigma/2, sites j = 0 .. n-1):

    d rho/dt = L(t) rho = -i [H(t), rho] + sum_j D_{B(t)}^(j) rho,
    H(t) = B(t) . sum_j S^(j) + sum_a V_a sum_<j,k> S^(j)_a S^(k)_a,

with B(t) the :class:`~spinbath.quantum.triangle_sweep.TriangleSweep` and D_B^(j) the Davies
dissipator of :class:`~spinbath.quantum.field_davies.FieldDaviesBath` on site j (jump operators in
the eigenbasis of the field term B . S^(j), rates kappa omega (n + 1), kappa omega n at
omega = |B|). The exchange enters only the Hamiltonian: the bath is local (see field_davies).

Representation: column stacking (vec(rho)[a + d b] = rho[a, b], d = 2^n, site 0 most significant),
as everywhere in spinbath.quantum. L(t) = L_ex + sum_j l(B(t))^(j), where L_ex = -i[H_ex, .] is built
once (sparse) and l(B) is the (4, 4) single-site generator -i[B . S, .] + D_B. A right-hand side
(:meth:`SweptChain.apply`) is one sparse product with L_ex plus n products of l with the (ket_j,
bra_j) index pair of rho (4 x 4^n each); no matrix is rebuilt as the field moves.
:meth:`SweptChain.liouvillian` assembles the sparse L(B) at one field (steady states, tests). Time
stepping: scipy.integrate.solve_ivp (DOP853, rtol and atol as given) on the complex vector.

For a fixed field the chain has a unique steady state (for kappa > 0 each site's Davies
dissipator has one, and the generator has a single zero eigenvalue wherever it was checked), so the
quasi-static loop (sweep rate -> 0) has no area:
:meth:`SweptChain.quasi_static` gives that curve, and :meth:`SweptChain.loop` the finite-rate loops
(tests/quantum/test_swept_chain.py: area falls monotonically with the rate and as ~ rate at slow
sweeps; N = 1 against the closed-form two-level rate equation; N = 2 against qutip.mesolve with a
time-dependent Hamiltonian and time-dependent collapse operators). The practical limit is n <= 8
(4^8 = 65536 amplitudes; benchmarks/bench_swept_chain.py).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.integrate import solve_ivp

from .blas import single_threaded_blas
from .chain_model import ChainModel
from .field_davies import FieldDaviesBath
from .triangle_sweep import DynamicLoop, TriangleSweep
from .open_chain import OpenChainLiouvillian, _jump_sparse, site_operator

__all__ = ["SweptChain", "SWEPT_MAX_SITES", "DIRECT_MAX_SITES"]

#: Largest chain the exact swept dynamics accepts (4^n amplitudes per state).
SWEPT_MAX_SITES = 8

#: Largest chain whose fixed-field steady state is found by sparse LU (beyond: by relaxation).
DIRECT_MAX_SITES = 6

_PAULI = (np.array([[0, 1], [1, 0]], dtype=complex), np.array([[0, -1j], [1j, 0]], dtype=complex),
          np.array([[1, 0], [0, -1]], dtype=complex))


def _site_tensor(S: np.ndarray) -> np.ndarray:
    """(4, 4) column-stacked superoperator -> K[i, k, i0, k0] with rho'[i, k] = sum K rho[i0, k0]."""
    return np.asarray(S).reshape(2, 2, 2, 2).transpose(1, 0, 3, 2)


class SweptChain:
    """The exact chain of ``model`` (n, coupling V, boundary; its field is replaced by the sweep)
    in the field-following Davies ``bath``; see the module docstring for the generator.

    ``model`` must carry no common-bath rates (onsite, neighbour): the Davies bath replaces them.
    Dimensionless, hbar = gamma = k_B = 1; M = <sigma>.
    """

    def __init__(self, model: ChainModel, bath: FieldDaviesBath) -> None:
        if not isinstance(model, ChainModel):
            raise TypeError(f"SweptChain takes a ChainModel, got {type(model).__name__}")
        if model.onsite or model.neighbour:
            raise ValueError("the swept chain's bath is the field-following Davies bath: give a ChainModel "
                             "without onsite/neighbour rates")
        if model.n > SWEPT_MAX_SITES:
            raise ValueError(f"n = {model.n}: the exact swept chain needs 4^n memory; use n <= {SWEPT_MAX_SITES}")
        self.model, self.bath, self.n = model, bath, model.n
        d = 2**model.n
        self.dim = d
        #: -i[H_ex, .] (sparse, column stacking): the part of L that does not change along the sweep
        self.L_ex = OpenChainLiouvillian(model.replace(field=(0.0, 0.0, 0.0))).to_sparse().tocsr()
        # l = T G T^-1 turns the Pauli-coordinate generator G (FieldDaviesBath.pauli_generator) into the
        # column-stacked single-site superoperator: T[:, mu] = vec(sigma_mu)/2, T^-1[mu, :] = vec(sigma_mu^T)
        # (c_mu = Tr sigma_mu rho), sigma_0 = 1.
        paulis = (np.eye(2, dtype=complex),) + _PAULI
        self._T = np.stack([p.T.reshape(-1) / 2 for p in paulis], axis=1)
        self._Tinv = np.stack([p.reshape(-1) for p in paulis], axis=0)   # vec(sigma^T) = sigma.reshape(-1)
        self._trace_vec = np.eye(d).reshape(-1)  # vec(1): Tr rho = vec(1) . vec(rho)

    # -- the generator at one field
    def site_tensor(self, B, axis_at_zero=(0.0, 0.0, 1.0)) -> np.ndarray:
        """K[i, k, i0, k0] of the single-site generator -i[B . S, .] + D_B: rho'[i, k] = sum K rho[i0, k0]."""
        return _site_tensor(self._T @ self.bath.pauli_generator(B, axis_at_zero) @ self._Tinv)

    def apply(self, v: np.ndarray, B, axis_at_zero=(0.0, 0.0, 1.0)) -> np.ndarray:
        """L(B) vec(rho) without building L(B): the exchange part as one sparse product, the site
        part as n products of the (4, 4) site generator with the (ket_j, bra_j) index pair of rho.

        vec(rho).reshape(d, d) is rho^T (column stacking), so its tensor axes are the bra bits of
        sites 0..n-1 followed by the ket bits; site j's pair is the axes (n + j, j).
        """
        n = self.n
        K = self.site_tensor(B, axis_at_zero).reshape(4, 4)
        X = np.asarray(v).reshape((2,) * (2 * n))
        out = (self.L_ex @ v).reshape((2,) * (2 * n))
        for j in range(n):
            Xj = np.moveaxis(X, (n + j, j), (0, 1))
            out += np.moveaxis((K @ Xj.reshape(4, -1)).reshape(Xj.shape), (0, 1), (n + j, j))
        return out.reshape(-1)

    def liouvillian(self, B, axis_at_zero=(0.0, 0.0, 1.0)) -> sp.csr_matrix:
        """L at the fixed field B: a sparse (4^n, 4^n) CSR matrix (column stacking)."""
        K = self.site_tensor(B, axis_at_zero)
        return (self.L_ex + _jump_sparse(self.n, blocks={(j, j): K for j in range(self.n)})).tocsr()

    def magnetization_vector(self, direction) -> np.ndarray:
        """o with o . vec(rho) = (1/n) sum_j <sigma^(j)> . direction (vec(O^T) for the observable O)."""
        d = np.asarray(direction, dtype=float)
        sig = sum(c * s for c, s in zip(d, _PAULI))
        O = sum(site_operator(sig, j, self.n) for j in range(self.n)) / self.n
        return np.asarray(O.T.todense()).T.reshape(-1)  # vec(O^T)[a + d b] = O[b, a]

    def steady_state(self, B, axis_at_zero=(0.0, 0.0, 1.0), *, settle: float = 60.0) -> np.ndarray:
        """The unique steady state at the fixed field B, (2^n, 2^n).

        n <= DIRECT_MAX_SITES: sparse LU (spinbath.quantum.steady_state, method Direct). Larger
        chains (whose LU fill-in grows too fast): the dynamics at fixed B integrated for
        ``settle`` / Gamma_1(B) from the product of the field term's Gibbs states (the steady state
        without exchange); the residual |L rho| is left in ``self.last_residual``.
        """
        from .methods import steady_state

        L = self.liouvillian(B, axis_at_zero)
        if self.n <= DIRECT_MAX_SITES:
            rho = steady_state(L, method="direct")
        else:
            g1 = self.bath.bloch_rates(B, axis_at_zero)[0]
            one = self.bath.gibbs_state(B, axis_at_zero)
            rho = np.ones((1, 1), dtype=complex)
            for _ in range(self.n):
                rho = np.kron(rho, one)
            with single_threaded_blas():
                sol = solve_ivp(lambda _t, v: self.apply(v, B, axis_at_zero), (0.0, settle / max(g1, 1e-12)),
                                rho.T.reshape(-1),
                                method="DOP853", rtol=1e-10, atol=1e-12)
            rho = sol.y[:, -1].reshape(self.dim, self.dim).T
        self.last_residual = float(np.max(np.abs(L @ rho.T.reshape(-1))))
        return rho

    def quasi_static(self, h: np.ndarray, direction=(0.0, 0.0, 1.0), base=(0.0, 0.0, 0.0)) -> np.ndarray:
        """m(h) = (1/n) sum_j <sigma^(j)> . d in the steady state at each field base + h d."""
        d = np.asarray(direction, dtype=float) / np.linalg.norm(direction)
        o = self.magnetization_vector(d)
        out = np.empty(len(h))
        for k, hk in enumerate(h):
            rho = self.steady_state(np.asarray(base, dtype=float) + hk * d, d)
            out[k] = float(np.real(o @ rho.T.reshape(-1)))
        return out

    # -- the sweep
    def loop(self, sweep: TriangleSweep, *, num: int = 101, cycles: int = 2, rtol: float = 1e-8,
             atol: float = 1e-10, check: bool = True) -> DynamicLoop:
        """Integrate from the steady state at B(0) = base - h_max d through ``cycles`` periods and
        return the last one on ``num`` fields per branch. ``check``: record the largest |Tr rho - 1|
        and the smallest eigenvalue of rho over the sampled states (``info``)."""
        if cycles < 1 or num < 3:
            raise ValueError("cycles >= 1 and num >= 3")
        d = sweep.direction
        h = np.linspace(-sweep.h_max, sweep.h_max, num)
        t_up, t_down = sweep.branch_times(h, cycles - 1)
        t_eval = np.unique(np.concatenate([t_up, t_down]))
        v0 = self.steady_state(sweep.field(0.0), d).T.reshape(-1).astype(complex)

        def f(t, v):
            return self.apply(v, sweep.field(t), d)

        # The integrator's stage sums are small dense products: BLAS threads only add overhead
        # (tenfold at N = 5 on a loaded 2-core machine), so they run single-threaded.
        with single_threaded_blas():
            sol = solve_ivp(f, (0.0, cycles * sweep.period), v0, method="DOP853", t_eval=t_eval,
                            rtol=rtol, atol=atol)
        if not sol.success:
            raise RuntimeError(f"solve_ivp failed: {sol.message}")
        V = sol.y.T                                        # (len(t_eval), 4^n)
        m = np.real(V @ self.magnetization_vector(d))
        up, down = m[np.searchsorted(t_eval, t_up)], m[np.searchsorted(t_eval, t_down)]
        info = {"rhs_evaluations": int(sol.nfev)}
        if check:
            rhos = V.reshape(len(t_eval), self.dim, self.dim).transpose(0, 2, 1)
            info["trace_error"] = float(np.max(np.abs(V @ self._trace_vec - 1.0)))
            herm = 0.5 * (rhos + rhos.conj().transpose(0, 2, 1))
            info["min_eigenvalue"] = float(np.min(np.linalg.eigvalsh(herm)))
            info["hermiticity_error"] = float(np.max(np.abs(rhos - rhos.conj().transpose(0, 2, 1))))
        return DynamicLoop(h, up, down, sweep.rate, f"exact Lindblad, N = {self.n}, field-following Davies bath",
                           float(abs(down[0] - up[0])), info)
