r"""The open-Heisenberg paper's mean-field equations (its Eqs. 12-14) as printed, next to the
consistent first moments of :class:`~spinbath.classical.mean_field_chain.MeanFieldChain`.

Units and model as in :mod:`spinbath.classical.mean_field_chain` (hbar = gamma = 1, M_j = <sigma^(j)>,
|M_j| <= 1). The paper writes, for one Bloch vector M with m = M/|M| (its Eqs. 12-14, 18, 19),

    dM/dt = -M x B_eff^P + (1/(2|M|)) M x (g x M) - R M - R0^P,
    B_eff^P = B + V o m,          g_a = g_{a,-} - g_{a,+},
    R = diag(Gamma/2, Gamma/2, Gamma),   R0^P = (0, 0, Gamma),   Gamma = gamma_{z,-} + gamma_{z,+},

for gamma_{x,+-} = gamma_{y,+-} = 0, with V -> V/2 "for particles j = 1, N" (the chain ends).
The consistent first moments of the same Lindbladian on a product state (tested against the dense
Lindbladian to 1e-12) are, with N_j = sum_k A_jk M_k the sum of the neighbours' Bloch vectors,

    dM_j/dt = -M_j x (B + (1/2) V o N_j) + (1/2) M_j x (c x N_j) - R M_j - R0,
    c_a = g_{a,+} - g_{a,-},    R0_a = gamma_{a,-} - gamma_{a,+}.

Equation by equation (z_j = sum_k A_jk: 2 in the bulk, 1 at an open end), the three differences,
each of which can be switched on alone (``terms``):

``"R0"``  (Eq. 14, last term, and Eq. 19): the paper's pumping is R0_z = Gamma = gamma_{z,-} + gamma_{z,+};
    the first moment gives gamma_{z,-} - gamma_{z,+} = Gamma/(2 n_b + 1) for the thermal bath.
    The two agree only at n_b = 0. With n_b = 0.08 the paper's on-site relaxation pulls M_z toward
    -1 instead of -1/(2 n_b + 1) = -0.862. R is the same in both (Gamma/2 transverse, Gamma along z).
``"damping"`` (Eqs. 12-14, third term; Eqs. 15-17): the paper's term is
    (1/(2|M_j|)) M_j x (g x M_j) with g = g_- - g_+ = -c; the first moment is (1/2) M_j x (c x N_j),
    which for a uniform bulk (N_j = 2 M_j) is M_j x (c x M_j). So the paper's term has the opposite
    sign (it pulls toward +z when g_{z,-} > g_{z,+}, against the on-site relaxation), a factor
    1/(2|M|) instead of 1 in the bulk (1/2 at the ends), and uses the site's own M_j.
``"exchange"`` (Eqs. 12-14, first two terms): the paper's exchange field is (z_j/2) V o m_j with the
    site's own unit vector m_j = M_j/|M_j| (V -> V/2 at the ends); the first moment is
    (1/2) V o N_j with the neighbours' unnormalized Bloch vectors. For a uniform bulk the
    difference is the factor |M| (the paper's field is |M|^-1 times larger); an isotropic V then
    drops out of M x B_eff in the paper's form entirely (m_j || M_j).

With all three terms (the default) this is the paper's Eqs. 12-14 literally, read per site: M in
the equations is the site's own Bloch vector, and only V is halved at the ends, as the paper says.
For one uniform Bloch vector (:meth:`~spinbath.classical.mean_field_chain.MeanFieldChain.uniform`,
z = 2) it is exactly Eqs. 12-14. With no terms it equals the consistent chain (tested).

What follows (tests/classical/test_paper_mean_field.py, docs/studies/open-chain.md): for the paper's
open isotropic N = 3 chain of its Fig. 5a the consistent mean field reaches the exact steady state
to <= 1e-6 in |M_mf - M_exact|^2 (measured 1e-10 to 9e-9 for Gamma = 0.05 to 0.2), while the
paper's equations leave a finite steady mismatch of 0.018 per site at every Gamma, 99 % of it from
R0 alone (the damping term alone gives 1e-5 to 2e-4, the exchange term alone 1e-8 to 2e-7).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from spinbath.classical.mean_field_chain import MeanFieldChain, _cross, rate_vectors
from spinbath.quantum.chain_model import ChainModel

__all__ = ["PaperMeanFieldChain", "PAPER_TERMS", "mean_field_chain"]

#: The three places where the paper's Eqs. 12-14 differ from the first moments (module docstring).
PAPER_TERMS = ("R0", "damping", "exchange")


class PaperMeanFieldChain(MeanFieldChain):
    """Mean-field chain with the paper's Eqs. 12-14 (all of ``terms``) or some of its terms only.

    ``terms``: a subset of :data:`~spinbath.classical.paper_mean_field.PAPER_TERMS` taken in the paper's form (default: all three, the
    paper's equations); the others are the consistent first moments. The same methods as
    :class:`~spinbath.classical.mean_field_chain.MeanFieldChain` (evolve, steady_state, hysteresis);
    the Jacobian is taken by central differences (step 1e-7). The paper assumes on-site rates along
    z only; with ``"R0"`` in ``terms`` on-site x or y rates are a ValueError. Dimensionless,
    hbar = gamma = 1, M = <sigma> per site.
    """

    equations = "paper"

    def __init__(self, model: ChainModel, *, adjacency: np.ndarray | None = None,
                 terms: Iterable[str] = PAPER_TERMS) -> None:
        super().__init__(model, adjacency=adjacency)
        terms = tuple(terms)
        unknown = [t for t in terms if t not in PAPER_TERMS]
        if unknown:
            raise ValueError(f"paper terms {unknown} are not among {PAPER_TERMS}")
        self.terms = frozenset(terms)
        gp, gm = rate_vectors(model.onsite)
        if "R0" in self.terms:
            if np.any(gp[:2] != 0) or np.any(gm[:2] != 0):
                raise ValueError("the paper's Eqs. 12-14 assume on-site rates along z only "
                                 "(gamma_x = gamma_y = 0); this chain has on-site x or y rates")
            self.R0 = np.array([0.0, 0.0, gp[2] + gm[2]])   # Eq. 19: R0 = (0, 0, Gamma)
        self.g = -self.c                                      # the paper's g_a = g_{a,-} - g_{a,+}
        self.z = self.adjacency.sum(axis=1)                   # neighbours per site

    def _unit(self, M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        norm = np.linalg.norm(M, axis=-1, keepdims=True)
        inv = np.divide(1.0, norm, out=np.zeros_like(norm), where=norm > 0)
        return M * inv, inv

    def effective_field(self, M, field=None) -> np.ndarray:
        """B_eff,j: the paper's B + (z_j/2) V o M_j/|M_j| with "exchange", else B + (1/2) V o N_j."""
        M = self._as_sites(M)
        if "exchange" not in self.terms:
            return super().effective_field(M, field)
        m, _ = self._unit(M)
        return self._field(field) + 0.5 * self.z[:, None] * self.coupling * m

    def rhs(self, M, field=None) -> np.ndarray:
        """dM_j/dt with the chosen terms in the paper's form (module docstring), shape (n, 3)."""
        M = self._as_sites(M)
        b = self.effective_field(M, field)
        if "damping" in self.terms:
            _, inv = self._unit(M)
            damp = 0.5 * inv * _cross(M, _cross(self.g[None, :], M))
        else:
            damp = 0.5 * _cross(M, _cross(self._c_rows, self.adjacency @ M))
        return -_cross(M, b) + damp - self.R * M - self.R0

    def jacobian(self, M, field=None, step: float = 1e-7) -> np.ndarray:
        """d rhs / dM (3n, 3n) by central differences (the paper's terms are not polynomial in M)."""
        y = self._as_sites(M).ravel()
        J = np.empty((y.size, y.size))
        for k in range(y.size):
            e = np.zeros_like(y)
            e[k] = step
            J[:, k] = (self.rhs(y + e, field).ravel() - self.rhs(y - e, field).ravel()) / (2 * step)
        return J

    def ll_parameters(self, M, field=None):
        """(B_eff, D, R, R0) per site with generalized_ll_rhs(M, *these) == rhs(M): the paper's
        D = g/2 (Eq. 18, D = (1/(2 gamma)) g) with "damping"."""
        M = self._as_sites(M)
        B_eff, D, R, R0 = super().ll_parameters(M, field)
        if "damping" in self.terms:
            D = np.broadcast_to(0.5 * self.g, M.shape).copy()
        return self.effective_field(M, field), D, R, self.R0.copy()


def mean_field_chain(model: ChainModel, equations: str = "consistent", **kw) -> MeanFieldChain:
    """The mean-field chain of ``model``: ``equations = "consistent"`` (first moments,
    :class:`~spinbath.classical.mean_field_chain.MeanFieldChain`) or ``"paper"`` (Eqs. 12-14,
    :class:`PaperMeanFieldChain`); other keywords go to the class."""
    if equations == "consistent":
        return MeanFieldChain(model, **kw)
    if equations == "paper":
        return PaperMeanFieldChain(model, **kw)
    raise ValueError(f"equations = {equations!r}: use 'consistent' or 'paper'")
