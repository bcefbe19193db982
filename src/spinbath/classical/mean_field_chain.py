r"""Mean-field dynamics of the open spin-1/2 chain: a generalized Landau-Lifshitz equation.

Model (dimensionless, hbar = gamma = 1, S = sigma/2; the open-chain convention of the Conventions page, docs/conventions.md):

    H = B . sum_j S^(j) + sum_a V_a sum_<j,k> S^(j)_a S^(k)_a,
    L[rho] = -i[H, rho] + sum_j sum_{a,eta} gamma_{a,eta} D[S^(j)_{a,eta}] rho
             + sum_{(j,j')} sum_{a,eta} g_{a,eta} (S^(j')_{a,eta} rho S^(j)+_{a,eta}
                                                - {S^(j)+_{a,eta} S^(j')_{a,eta}, rho}/2),

with D[A] rho = A rho A^+ - {A^+ A, rho}/2, eta = +-, S_{z,+-} = S_x +- i S_y,
S_{x,+-} = -S_z +- i S_y, S_{y,+-} = S_z +- i S_x (each S_{a,+} raises S_a: [S_a, S_{a,+}] = S_{a,+}),
and (j, j') running over ordered nearest-neighbour pairs (both orders of every bond).

Bonds and the neighbour field. The chain's bonds are {(j, j+1)}: j = 1..N-1 for an open chain, and
j = 1..N with N+1 = 1 for a periodic one (for N = 2 periodic the bond 1-2 is then counted twice).
They are encoded in a symmetric adjacency matrix A (A_jk = number of bonds j-k): in an open chain
bulk spins have two neighbours and the two chain ends one; in a periodic chain every spin has two.
The *uniform* reduction (:meth:`MeanFieldChain.uniform`) keeps one Bloch vector for all sites with
A = [[z]], z = 2, the bulk of an infinite (or any periodic) chain.

Units of M. M_j = <sigma^(j)> = 2 <S^(j)> = Tr(sigma rho_j), the Bloch vector of site j:
|M_j| <= 1, = 1 for a pure site state; the product state is rho = kron_j (1 + M_j . sigma)/2.
Magnetizations returned (site-resolved, total sum_j M_j, site-average) are all in these units;
divide by 2 for <S>.

Mean-field equations. Evaluating d<sigma^(j)>/dt = Tr(sigma^(j) L[rho]) on a product state
(exact for the on-site terms, which act on one site; the two-site terms factorize):

    dM_j/dt = -M_j x B_eff,j + (1/2) M_j x (c x N_j) - R M_j - R0,

    N_j      = sum_k A_jk M_k                    (sum of the neighbours' Bloch vectors)
    B_eff,j  = B + (1/2) V o N_j                 (o: componentwise; exchange field of the neighbours)
    c_a      = g_{a,+} - g_{a,-}                 (neighbour, common-bath dissipators)
    R        = diag(R_a),  R_a = (Gamma_tot + Gamma_a)/2,  Gamma_a = gamma_{a,+} + gamma_{a,-},
               Gamma_tot = sum_a Gamma_a         (on-site: longitudinal rate Gamma_a along a,
                                                  Gamma_b/2 transverse to each other axis b)
    R0_a     = gamma_{a,-} - gamma_{a,+}         (on-site pumping toward -a / +a).

The precession -M x B follows from i[B.S, S_a] = (B x S)_a; the exchange term factorizes as
<S^(j)_b S^(k)_b> = <S^(j)_b><S^(k)_b>. For a neighbour dissipator with A = e1.S + i eta e2.S
(e1 x e2 = e_a) the pair (j,k) and (k,j) together give Re(<A^(k)> <[A^(j)+, X^(j)]>) for X^(j) = v.S^(j),
which is eta s_j x (e_a x s_k) with s = <S>: hence the term (1/2) M_j x (c x N_j).

Generalized Landau-Lifshitz form (:func:`generalized_ll_rhs`):

    dM/dt = -M x B_eff - M x (M x D)/|M| - R M - R0,

with the mapping (:meth:`MeanFieldChain.ll_parameters`) B_eff,j as above, R, R0 as above and

    D_j = (1/2) M^_j x (c x N_j),   M^ = M/|M|,

which is exact because -M x (M x (M^ x w))/|M| = M x w for any w. For the uniform chain
(N_j = z M) this is D = (z/2) |M| c_perp: a Landau-Lifshitz damping toward c = g_+ - g_- (for a
thermal bath c_z = -ratio g0 < 0: toward -z, the low-energy direction of H = +B.S with B_z > 0), and
the exchange field B + (z/2) V o M (whose isotropic part drops out of M x B_eff). With Gamma = 0
(R = R0 = 0) and D = alpha B_eff the equation is the Landau-Lifshitz equation; |M| is then
conserved and M relaxes parallel to B_eff for alpha > 0 (antiparallel for alpha < 0).

Checks (tests/classical/test_mean_field_chain.py): the right-hand side equals the exact first
moments Tr(sigma^(j) L[rho]) of a dense Lindbladian on random product states for N = 2, 3, 4,
open and periodic, to 1e-12; closed isotropic chains reproduce the exact total magnetization
(both precess sum_j M_j rigidly about B, since sum_jk A_jk M_j x M_k = 0 and [H_exchange, S_tot] = 0),
while anisotropic exchange (Vx != Vz) makes them differ, more so as Vx - Vz grows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import root

from spinbath.classical.stoner_wohlfarth import HysteresisLoop
from spinbath.quantum.chain_model import AXES, ChainModel, normalize_rates, thermal_rates  # shared with the exact chain

__all__ = [
    "AXES", "RateDict", "rate_vectors", "thermal_rates", "chain_adjacency", "generalized_ll_rhs",
    "evolve_generalized_ll", "MeanFieldChain", "MeanFieldTrajectory", "SteadyState",
]

RateDict = Mapping[tuple[str, str], float]

Boundary = Literal["open", "periodic"]


# ------------------------------------------------------------------------------------ rates
def rate_vectors(rates: RateDict | None) -> tuple[np.ndarray, np.ndarray]:
    """(plus, minus): arrays over axes (x, y, z) of the rates keyed (axis, '+') and (axis, '-')
    (keys and values checked by :func:`~spinbath.quantum.chain_model.normalize_rates`)."""
    out = np.zeros((2, 3))
    for (axis, sign), value in normalize_rates(rates).items():
        out[0 if sign == "+" else 1, AXES.index(axis)] += value
    return out[0], out[1]


def chain_adjacency(n: int, boundary: Boundary = "open") -> np.ndarray:
    """A_jk = number of bonds between sites j and k (bonds (j, j+1); periodic adds (N, 1)).

    Open: ends have one neighbour, bulk sites two. Periodic: every site has two (for n = 2 the
    single pair is bonded twice, A = [[0, 2], [2, 0]]; for n = 1 the site is its own neighbour
    twice, A = [[2]], which is the uniform reduction).
    """
    if n < 1:
        raise ValueError("n must be >= 1")
    if boundary not in ("open", "periodic"):
        raise ValueError(f"boundary must be 'open' or 'periodic', got {boundary!r}")
    A = np.zeros((n, n))
    n_bonds = n if boundary == "periodic" else n - 1
    for j in range(n_bonds):
        k = (j + 1) % n
        A[j, k] += 1.0
        A[k, j] += 1.0
    return A


# ---------------------------------------------------------------------- generalized LL form
def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a x b over the last axis (length 3); several times faster than np.cross on small arrays."""
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    return np.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)


def generalized_ll_rhs(M, B_eff, D, R=0.0, R0=0.0) -> np.ndarray:
    """dM/dt = -M x B_eff - M x (M x D)/|M| - R M - R0.

    M, B_eff, D, R0: arrays (..., 3) broadcast together (one row per site); R: scalar, (3,)
    (diagonal) or (..., 3, 3). At |M| = 0 the damping term is taken as 0. Units: those of the
    caller (for the chain, M = <sigma> and fields/rates in the chain's dimensionless units).
    """
    M = np.asarray(M, dtype=float)
    B_eff = np.broadcast_to(np.asarray(B_eff, dtype=float), M.shape)
    D = np.broadcast_to(np.asarray(D, dtype=float), M.shape)
    norm = np.linalg.norm(M, axis=-1, keepdims=True)
    inv = np.divide(1.0, norm, out=np.zeros_like(norm), where=norm > 0)
    out = -_cross(M, B_eff) - _cross(M, _cross(M, D)) * inv
    R = np.asarray(R, dtype=float)
    if R.ndim >= 2:
        out -= np.einsum("...ab,...b->...a", R, M)
    else:
        out -= R * M
    return out - np.asarray(R0, dtype=float)


def evolve_generalized_ll(M0, times, B_eff, D, R=0.0, R0=0.0, *, rtol: float = 1e-9,
                          atol: float = 1e-11, method: str = "DOP853") -> np.ndarray:
    """Integrate :func:`generalized_ll_rhs` (scipy solve_ivp) and return M at ``times``.

    B_eff and D are arrays or callables M -> array (for fields that depend on M). M0 has shape
    (3,) or (n, 3); the result has shape (len(times), *M0.shape).
    """
    M0 = np.asarray(M0, dtype=float)
    times = np.asarray(times, dtype=float)
    shape = M0.shape

    def f(_t, y):
        M = y.reshape(shape)
        b = B_eff(M) if callable(B_eff) else B_eff
        d = D(M) if callable(D) else D
        return generalized_ll_rhs(M, b, d, R, R0).ravel()

    sol = solve_ivp(f, (times[0], times[-1]), M0.ravel(), t_eval=times, rtol=rtol, atol=atol,
                    method=method)
    if not sol.success:
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    return sol.y.T.reshape(len(times), *shape)


# ----------------------------------------------------------------------------- result types
@dataclass(frozen=True)
class MeanFieldTrajectory:
    """Bloch vectors M[t, j, a] = <sigma^(j)_a>(t) at ``times``."""

    times: np.ndarray
    M: np.ndarray

    @property
    def total(self) -> np.ndarray:
        """sum_j <sigma^(j)>(t), shape (n_times, 3)."""
        return self.M.sum(axis=1)

    @property
    def mean(self) -> np.ndarray:
        """Site average (1/N) sum_j <sigma^(j)>(t), shape (n_times, 3)."""
        return self.M.mean(axis=1)

    @property
    def norms(self) -> np.ndarray:
        """|M_j|(t), shape (n_times, n_sites)."""
        return np.linalg.norm(self.M, axis=-1)


@dataclass(frozen=True)
class SteadyState:
    """A mean-field fixed point: M (n, 3), residual max|dM/dt|, whether it was reached
    (``converged``), whether the Jacobian's eigenvalues all have Re <= 1e-9 (``stable``) and the
    time integrated to reach it."""

    M: np.ndarray
    residual: float
    converged: bool
    stable: bool
    time: float


# ------------------------------------------------------------------------------- the chain
def _skew(v: np.ndarray) -> np.ndarray:
    """Cross-product matrices: _skew(v) @ u = v x u, for v of shape (..., 3)."""
    v = np.asarray(v, dtype=float)
    out = np.zeros(v.shape[:-1] + (3, 3))
    out[..., 0, 1], out[..., 0, 2] = -v[..., 2], v[..., 1]
    out[..., 1, 0], out[..., 1, 2] = v[..., 2], -v[..., 0]
    out[..., 2, 0], out[..., 2, 1] = -v[..., 1], v[..., 0]
    return out


class MeanFieldChain:
    """Mean-field (product-state) spin-1/2 chain; see the module docstring for the equations.

    Built once from a :class:`~spinbath.quantum.chain_model.ChainModel` (the same description the
    exact :class:`~spinbath.quantum.open_chain.OpenChainLiouvillian` takes: n, field, coupling V,
    on-site rates gamma, neighbour rates g, boundary "open" or "periodic"); the field B is a call
    argument of every method (``field=None`` uses the model's), so field sweeps never rebuild the
    chain. ``adjacency`` (keyword) replaces the chain's bonds by any symmetric matrix A_jk (number of
    bonds j-k). Dimensionless, hbar = gamma = 1; M = <sigma> per site.
    """

    def __init__(self, model: ChainModel, *, adjacency: np.ndarray | None = None) -> None:
        if not isinstance(model, ChainModel):
            raise TypeError("MeanFieldChain takes a ChainModel, e.g. MeanFieldChain(ChainModel(n, field, coupling, "
                            f"onsite, neighbour, boundary)); got {type(model).__name__}")
        self.model = model
        self.adjacency = (chain_adjacency(model.n, model.boundary) if adjacency is None
                          else np.asarray(adjacency, dtype=float))
        self.n = self.adjacency.shape[0]
        self.boundary = model.boundary if adjacency is None else "custom"
        self.coupling = np.asarray(model.coupling, dtype=float)
        self.field = np.asarray(model.field, dtype=float)
        gp, gm = rate_vectors(model.onsite)
        Gamma = gp + gm
        self.R = 0.5 * (Gamma.sum() + Gamma)            # diagonal of R
        self.R0 = gm - gp
        np_, nm = rate_vectors(model.neighbour)
        self.c = np_ - nm
        self._skew_c = _skew(self.c)
        self._c_rows = self.c[None, :]

    @classmethod
    def uniform(cls, model: ChainModel, *, coordination: int = 2) -> "MeanFieldChain":
        """All sites equal (one Bloch vector) with ``coordination`` neighbours each (2: the bulk
        of a long or periodic chain); ``model.n`` and ``model.boundary`` are not used.
        N_j = z M, B_eff = B + (z/2) V o M."""
        chain = cls(model, adjacency=np.array([[float(coordination)]]))
        chain.boundary = "uniform"
        return chain

    # -- pieces of the right-hand side
    def _field(self, field) -> np.ndarray:
        return self.field if field is None else np.asarray(field, dtype=float).reshape(3)

    def _as_sites(self, M) -> np.ndarray:
        M = np.asarray(M, dtype=float)
        return M.reshape(self.n, 3)

    def neighbour_sum(self, M) -> np.ndarray:
        """N_j = sum_k A_jk M_k, shape (n, 3)."""
        return self.adjacency @ self._as_sites(M)

    def effective_field(self, M, field=None) -> np.ndarray:
        """B_eff,j = B + (1/2) V o N_j, shape (n, 3)."""
        return self._field(field) + 0.5 * self.coupling * self.neighbour_sum(M)

    def rhs(self, M, field=None) -> np.ndarray:
        """dM_j/dt = -M_j x B_eff,j + (1/2) M_j x (c x N_j) - R M_j - R0, shape (n, 3)."""
        M = self._as_sites(M)
        N = self.adjacency @ M
        b = self._field(field) + 0.5 * self.coupling * N
        return -_cross(M, b) + 0.5 * _cross(M, _cross(self._c_rows, N)) - self.R * M - self.R0

    def jacobian(self, M, field=None) -> np.ndarray:
        """d rhs / dM as a (3n, 3n) matrix (row and column index 3 j + a)."""
        M = self._as_sites(M)
        N = self.adjacency @ M
        b = self._field(field) + 0.5 * self.coupling * N
        w = _cross(self._c_rows, N)
        diag = _skew(b) - 0.5 * _skew(w) - np.diag(self.R)                   # (n, 3, 3)
        sM = _skew(M)
        coup = -0.5 * sM * self.coupling + 0.5 * sM @ self._skew_c            # (n, 3, 3)
        J = np.einsum("jk,jab->jakb", self.adjacency, coup)
        J[np.arange(self.n), :, np.arange(self.n), :] += diag
        return J.reshape(3 * self.n, 3 * self.n)

    def ll_parameters(self, M, field=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(B_eff, D, R, R0) per site, such that generalized_ll_rhs(M, *these) == rhs(M).

        B_eff,j = B + (1/2) V o N_j; D_j = (1/2) M^_j x (c x N_j) (0 where M_j = 0);
        R = diag((Gamma_tot + Gamma_a)/2) as a (3,) vector; R0_a = gamma_{a,-} - gamma_{a,+}.
        """
        M = self._as_sites(M)
        N = self.adjacency @ M
        norm = np.linalg.norm(M, axis=-1, keepdims=True)
        Mhat = np.divide(M, norm, out=np.zeros_like(M), where=norm > 0)
        D = 0.5 * _cross(Mhat, _cross(self._c_rows, N))
        return self.effective_field(M, field), D, self.R.copy(), self.R0.copy()

    # -- dynamics
    def evolve(self, M0, times, field=None, *, rtol: float = 1e-9, atol: float = 1e-11,
               method: str = "DOP853") -> MeanFieldTrajectory:
        """Integrate the mean-field equations from M0 (shape (n, 3), or (3,) for all sites
        equal) with scipy solve_ivp; returns the Bloch vectors at ``times``."""
        M0 = np.asarray(M0, dtype=float)
        if M0.shape == (3,):
            M0 = np.tile(M0, (self.n, 1))
        M0 = self._as_sites(M0)
        times = np.asarray(times, dtype=float)
        B = self._field(field)
        extra = ({"jac": lambda _t, y: self.jacobian(y, B)}
                 if method in ("Radau", "BDF", "LSODA") else {})
        sol = solve_ivp(lambda _t, y: self.rhs(y, B).ravel(), (times[0], times[-1]), M0.ravel(),
                        t_eval=times, rtol=rtol, atol=atol, method=method, **extra)
        if not sol.success:
            raise RuntimeError(f"solve_ivp failed: {sol.message}")
        return MeanFieldTrajectory(times, sol.y.T.reshape(len(times), self.n, 3))

    def relaxation_time(self) -> float:
        """1/min_a R_a, the slowest on-site relaxation time (inf without on-site damping)."""
        rmin = float(np.min(self.R))
        return np.inf if rmin <= 0 else 1.0 / rmin

    def steady_state(self, M0, field=None, *, tol: float = 1e-10, t_settle: float | None = None,
                     t_max: float | None = None, max_jump: float = 0.05, kick: float = 1e-6,
                     seed: int = 0, rtol: float = 1e-8, atol: float = 1e-10) -> SteadyState:
        """The attracting fixed point reached from M0: integrate, then polish by root finding.

        Branch following: M0 is the previous field's state. First a Newton polish (scipy root,
        analytic Jacobian) from M0 is tried and accepted if it converges (max|dM/dt| < tol) to a
        stable point within ``max_jump`` (max-norm) of M0 - the continued branch. Otherwise the
        dynamics is integrated for ``t_settle`` (default: 5 relaxation times) and the polish
        retried from there, until ``t_max`` (default: 40 relaxation times, or 2000 without
        on-site damping). A fixed point found unstable is left by a kick of size ``kick``
        (Gaussian, seeded by ``seed``; an unstable point is otherwise invariant under the
        dynamics). If no stable fixed point is found (e.g. the attractor is a limit cycle) the
        last state is returned with ``converged=False``.
        """
        B = self._field(field)
        M = self._as_sites(np.tile(M0, (self.n, 1)) if np.shape(M0) == (3,) else M0).copy()
        tau = self.relaxation_time()
        t_settle = t_settle if t_settle is not None else (5.0 * tau if np.isfinite(tau) else 50.0)
        t_max = t_max if t_max is not None else (40.0 * tau if np.isfinite(tau) else 2000.0)
        t = 0.0
        rng = np.random.default_rng(seed)
        while True:
            cand = self._polish(M, B, tol)
            if cand is not None and np.max(np.abs(cand - M)) <= max_jump:
                if self._is_stable(cand, B):
                    return SteadyState(cand, self._residual(cand, B), True, True, t)
                # an unstable fixed point is invariant: kick the state off it (seeded noise)
                M = M + kick * rng.standard_normal(M.shape)
            if t >= t_max:
                res = self._residual(M, B)
                return SteadyState(M, res, res < tol, self._is_stable(M, B), t)
            traj = self.evolve(M, [0.0, t_settle], B, rtol=rtol, atol=atol)
            M = traj.M[-1]
            t += t_settle

    def _residual(self, M, B) -> float:
        return float(np.max(np.abs(self.rhs(M, B))))

    def _polish(self, M, B, tol: float) -> np.ndarray | None:
        sol = root(lambda y: self.rhs(y, B).ravel(), M.ravel(),
                   jac=lambda y: self.jacobian(y, B), method="hybr", tol=1e-14)
        cand = sol.x.reshape(self.n, 3)
        return cand if self._residual(cand, B) < tol else None

    def _is_stable(self, M, B) -> bool:
        return bool(np.max(np.linalg.eigvals(self.jacobian(M, B)).real) <= 1e-9)

    def hysteresis(self, h_values, direction=(0.0, 0.0, 1.0), *, base_field=None, M0=None,
                   dwell: float | None = None, **steady_kw) -> HysteresisLoop:
        """Field loop B(h) = base_field + h * direction, h up along ``h_values`` then back down.

        Quasi-static (``dwell=None``): at each field the steady state reached from the previous
        field's state (:meth:`steady_state`, so the branch is followed). Finite sweep rate
        (``dwell`` = time per field step): the dynamics is integrated for ``dwell`` at each field
        (a staircase sweep of rate dh/dwell). The start is the steady state reached at the first
        field from M0 (default: all sites along -direction). m = (1/N) sum_j M_j . direction.

        What the tests find (uniform chain, thermal bath Gamma = 0.1, n_b = 0.08, g/gamma = 0.1,
        Bz swept over [-1, 1]): the on-site dissipators relax toward -z whatever the field, so
        with B along z alone M_z stays at -1/(2 n_b + 1) except where the exchange anisotropy
        destabilizes that point (Vx = 0.5, Vy = Vz = 0.1: Bz in about (-0.33, -0.02), a pitchfork
        to two mirror fixed points with the same M_z). At the couplings of the open-Heisenberg paper (chain-n3 example) the quasi-static
        loop is closed, with or without the transverse field (0.25, 0.25, 0); a finite sweep rate
        opens a dynamic loop. With a strong anisotropy (Vx = 2) and the transverse field two
        stable fixed points (M_x > 0 and M_x < 0) coexist for Bz in about (-0.93, -0.08) and the
        quasi-static loop opens (switching where one branch loses stability, as in
        Stoner-Wohlfarth).
        """
        h_up = np.sort(np.asarray(h_values, dtype=float))
        h_down = h_up[::-1].copy()
        d = np.asarray(direction, dtype=float)
        d = d / np.linalg.norm(d)
        base = np.zeros(3) if base_field is None else np.asarray(base_field, dtype=float)
        M = np.tile(-d, (self.n, 1)) if M0 is None else self._as_sites(
            np.tile(M0, (self.n, 1)) if np.shape(M0) == (3,) else M0)
        M = self.steady_state(M, base + h_up[0] * d, **steady_kw).M

        def branch(hs, M):
            states, ok = np.empty((len(hs), self.n, 3)), np.empty(len(hs), dtype=bool)
            for i, h in enumerate(hs):
                B = base + h * d
                if dwell is None:
                    ss = self.steady_state(M, B, **steady_kw)
                    M, ok[i] = ss.M, ss.converged and ss.stable
                else:
                    M = self.evolve(M, [0.0, dwell], B).M[-1]
                    ok[i] = self._residual(M, B) < steady_kw.get("tol", 1e-10)
                states[i] = M
            return states, ok, M

        s_up, ok_up, M = branch(h_up, M)
        s_down, ok_down, _ = branch(h_down, M)
        proj = lambda s: s.mean(axis=1) @ d  # noqa: E731
        return HysteresisLoop(h_up, proj(s_up), h_down, proj(s_down), states_up=s_up,
                              states_down=s_down, converged_up=ok_up, converged_down=ok_down,
                              info={"model": "mean-field chain", "direction": d,
                                    "base_field": base, "dwell": dwell})
