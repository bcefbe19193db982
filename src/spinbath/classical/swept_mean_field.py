r"""Mean-field chain in a swept field with the field-following Davies bath: the comparison curve of
the exact :class:`~spinbath.quantum.swept_chain.SweptChain`.

For a product state the Davies dissipator (one site at a time) and the field are exact, and the
exchange factorizes as in :mod:`spinbath.classical.mean_field_chain` (the consistent first moments,
B_eff,j = B + (1/2) V o N_j, N_j the sum of the neighbours' Bloch vectors). With M_j = <sigma^(j)>
(hbar = gamma = k_B = 1):

    dM_j/dt = -M_j x B_eff,j(t) - Gamma_1 (M_j . b - m_eq) b - Gamma_2 (M_j - (M_j . b) b),

where b = B(t)/|B(t)| is the direction of the applied field (not of B_eff: the bath follows the
field term only), Gamma_1 = kappa |B| coth(|B|/2T), Gamma_2 = Gamma_1/2 + gamma_phi and
m_eq = -tanh(|B|/2T) (:meth:`~spinbath.quantum.field_davies.FieldDaviesBath.bloch_rates`). This right-hand
side equals Tr(sigma^(j) L(t) rho) of the exact generator on product states (tested to 1e-12), so
the two models differ only by the correlations the exchange builds.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from spinbath.classical.mean_field_chain import MeanFieldChain, _cross
from spinbath.quantum.chain_model import ChainModel
from spinbath.quantum.field_davies import FieldDaviesBath
from spinbath.quantum.triangle_sweep import DynamicLoop, TriangleSweep

__all__ = ["SweptMeanFieldChain"]


class SweptMeanFieldChain:
    """Mean-field Bloch vectors of ``model`` (n, V, boundary; no common-bath rates) in the Davies
    ``bath``; ``uniform=True`` keeps one Bloch vector with two neighbours (the bulk of a long chain).
    Same sweep and loop as :class:`~spinbath.quantum.swept_chain.SweptChain`."""

    def __init__(self, model: ChainModel, bath: FieldDaviesBath, *, uniform: bool = False) -> None:
        if model.onsite or model.neighbour:
            raise ValueError("the swept mean field's bath is the field-following Davies bath: give a ChainModel "
                             "without onsite/neighbour rates")
        self.chain = MeanFieldChain.uniform(model) if uniform else MeanFieldChain(model)
        self.bath, self.n = bath, self.chain.n
        self.model = model

    def rhs(self, M, B, axis_at_zero=(0.0, 0.0, 1.0)) -> np.ndarray:
        """dM_j/dt at field B (module docstring), shape (n, 3)."""
        M = np.asarray(M, dtype=float).reshape(self.n, 3)
        # field and Davies terms of every site from the single-site Bloch generator G(B) (Pauli
        # coordinates), then the exchange precession about (1/2) V o N_j
        G = self.bath.pauli_generator(B, axis_at_zero)
        exchange = 0.5 * self.chain.coupling * (self.chain.adjacency @ M)
        return M @ G[1:, 1:].T + G[1:, 0] - _cross(M, exchange)

    def loop(self, sweep: TriangleSweep, *, num: int = 101, cycles: int = 2, rtol: float = 1e-9,
             atol: float = 1e-11, settle: float = 40.0) -> DynamicLoop:
        """The mean-field loop: start from every site at the Davies equilibrium m_eq b of B(0),
        relaxed at that field for ``settle`` / Gamma_1(B(0)), then ``cycles`` periods; the last one
        on ``num`` fields per branch (m = site average of M_j . d)."""
        d = np.asarray(sweep.direction)
        B0 = sweep.field(0.0)
        g1, _, m_eq, b = self.bath.bloch_rates(B0, d)
        M0 = np.tile(m_eq * b, (self.n, 1))
        if g1 > 0:
            s = solve_ivp(lambda _t, y: self.rhs(y, B0, d).ravel(), (0.0, settle / g1), M0.ravel(),
                          method="DOP853", rtol=rtol, atol=atol)
            M0 = s.y[:, -1]
        h = np.linspace(-sweep.h_max, sweep.h_max, num)
        t_up, t_down = sweep.branch_times(h, cycles - 1)
        t_eval = np.unique(np.concatenate([t_up, t_down]))
        sol = solve_ivp(lambda t, y: self.rhs(y, sweep.field(t), d).ravel(), (0.0, cycles * sweep.period),
                        np.ravel(M0), method="DOP853", t_eval=t_eval, rtol=rtol, atol=atol)
        if not sol.success:
            raise RuntimeError(f"solve_ivp failed: {sol.message}")
        m = sol.y.T.reshape(len(t_eval), self.n, 3).mean(axis=1) @ d
        up, down = m[np.searchsorted(t_eval, t_up)], m[np.searchsorted(t_eval, t_down)]
        what = "uniform bulk" if self.chain.boundary == "uniform" else f"N = {self.n}"
        return DynamicLoop(h, up, down, sweep.rate, f"mean field (product state), {what}, same Davies bath",
                           float(abs(down[0] - up[0])), {"rhs_evaluations": int(sol.nfev)})
