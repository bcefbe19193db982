"""Quasi-static hysteresis of the Landau-Lifshitz mean field as the open-Heisenberg paper draws it.

The paper's Fig. 2 is the mean-field limit with no on-site relaxation (Gamma = 0) and a damping that
relaxes the Bloch vector toward the effective field, D = alpha B_eff (spinbath.classical.mean_field_chain,
generalized Landau-Lifshitz form):

    dM/dt = -M x B_eff - alpha M x (M x B_eff),      |M| = 1 conserved,
    B_eff = B + V_z M_z z^ = -dE/dM,    E(M) = -B . M - (V_z / 2) M_z^2,

for a uniform chain (one Bloch vector) with anisotropy V_z. The field B = b_perp (1, 1, 0)/sqrt(2) +
h z^ is swept quasi-statically: at each h the equation is integrated from the previous state until
it stops moving, so each branch follows its local minimum of E. That makes it the Stoner-Wohlfarth
problem of E (anisotropy field H_K = V_z): with b_perp = 0 the loop is square with coercive field V_z;
a transverse field b_perp >= V_z closes it. :func:`stoner_wohlfarth_branch` finds the same branches
by minimizing E directly (an independent route, used on the figure and in the tests).

Conventions against the paper: its text writes the energy as -V_z M_z^2 (anisotropy field 2 V_z) while
its B_eff, B + V_z M_z z^, gives coercivity V_z; spinbath follows B_eff, so E carries V_z / 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import minimize

__all__ = ["LLLoop", "ll_branch", "stoner_wohlfarth_branch", "ll_loop", "coercive_field"]


def _field(h: float, b_perp: float) -> np.ndarray:
    return np.array([b_perp / np.sqrt(2.0), b_perp / np.sqrt(2.0), h])


def _b_eff(M: np.ndarray, B: np.ndarray, Vz: float) -> np.ndarray:
    return B + np.array([0.0, 0.0, Vz * M[2]])


#: Hessian eigenvalues within this of zero are marginal (the branch holds up to its end point,
#: h = H_K exactly, as a minimization of E does); finite differences resolve about 1e-7.
_MARGINAL = 1e-6


def _energy(M: np.ndarray, B: np.ndarray, Vz: float) -> float:
    return float(-B @ M - 0.5 * Vz * M[2] ** 2)


def _tangent_derivatives(M: np.ndarray, B: np.ndarray, Vz: float, step: float = 1e-4):
    """Gradient and Hessian of E(M(u, v)), M(u, v) = (M + u e1 + v e2)/|.|, at u = v = 0 (finite
    differences), and the tangent basis (e1, e2)."""
    a = np.array([1.0, 0.0, 0.0]) if abs(M[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = np.cross(M, a)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(M, e1)

    def E(u, v):
        m = M + u * e1 + v * e2
        return _energy(m / np.linalg.norm(m), B, Vz)

    h = step
    g = np.array([(E(h, 0) - E(-h, 0)) / (2 * h), (E(0, h) - E(0, -h)) / (2 * h)])
    e0 = E(0, 0)
    huu = (E(h, 0) - 2 * e0 + E(-h, 0)) / h**2
    hvv = (E(0, h) - 2 * e0 + E(0, -h)) / h**2
    huv = (E(h, h) - E(h, -h) - E(-h, h) + E(-h, -h)) / (4 * h**2)
    return g, np.array([[huu, huv], [huv, hvv]]), e1, e2


def _relax(M: np.ndarray, B: np.ndarray, Vz: float, alpha: float, tol: float) -> np.ndarray:
    """Follow the damped LL equation from M to the stable equilibrium it flows to (|M| = 1).

    The LL flow lowers E for alpha > 0, so it ends in a local minimum of E: integrate until M nearly
    stops, polish the equilibrium M || B_eff by Newton steps in the tangent plane, and if that point
    is not a minimum (the previous branch has just lost its stability) push M off it along the
    unstable direction and integrate again.
    """

    def rhs(_t, m):
        m = m / np.linalg.norm(m)
        b = _b_eff(m, B, Vz)
        return -np.cross(m, b) - alpha * np.cross(m, np.cross(m, b))

    def slow(_t, m):
        return np.linalg.norm(rhs(0.0, m)) - 1e-4

    slow.terminal = True
    m = M / np.linalg.norm(M)
    for _attempt in range(20):
        if np.linalg.norm(rhs(0.0, m)) > 1e-4:
            sol = solve_ivp(rhs, (0.0, 1e4 / max(alpha, 1e-3)), m, method="LSODA", rtol=1e-9, atol=1e-11,
                            events=slow)
            m = sol.y[:, -1] / np.linalg.norm(sol.y[:, -1])
        for _newton in range(50):
            g, H, e1, e2 = _tangent_derivatives(m, B, Vz)
            if np.linalg.norm(g) < tol:
                break
            w, V = np.linalg.eigh(H)
            if w.min() <= _MARGINAL:
                break
            du = -np.linalg.solve(H, g)
            m = m + du[0] * e1 + du[1] * e2
            m /= np.linalg.norm(m)
        g, H, e1, e2 = _tangent_derivatives(m, B, Vz)
        w, V = np.linalg.eigh(H)
        if w.min() > -_MARGINAL and np.linalg.norm(g) < 1e3 * tol:
            return m  # a minimum, or marginal (the barrier vanishes exactly here): the branch holds
        # A saddle or maximum of E: leave it along the most unstable direction.
        d = V[:, 0]
        m = m + 1e-2 * (d[0] * e1 + d[1] * e2)
        m /= np.linalg.norm(m)
    raise RuntimeError(f"LL relaxation found no stable equilibrium at B = {B}")


def ll_branch(h_values, Vz: float, b_perp: float = 0.0, alpha: float = 0.5, M0=(0.0, 0.0, -1.0),
              tol: float = 1e-9) -> np.ndarray:
    """M (len(h), 3) along one quasi-static sweep of h (field units of the chain: gamma), from M0."""
    M = np.asarray(M0, float) / np.linalg.norm(M0)
    out = []
    for h in np.asarray(h_values, float):
        M = _relax(M, _field(h, b_perp), Vz, alpha, tol)
        out.append(M)
    return np.array(out)


def stoner_wohlfarth_branch(h_values, Vz: float, b_perp: float = 0.0, M0=(0.0, 0.0, -1.0)) -> np.ndarray:
    """The local minimum of E(M) = -B . M - (V_z/2) M_z^2 on the unit sphere followed along the sweep."""
    m = np.asarray(M0, float) / np.linalg.norm(M0)
    th, ph = np.arccos(np.clip(m[2], -1, 1)), np.arctan2(m[1], m[0])
    out = []
    for h in np.asarray(h_values, float):
        B = _field(h, b_perp)

        def energy(x):
            t, p = x
            v = np.array([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)])
            return -B @ v - 0.5 * Vz * v[2] ** 2

        # Start a hair off the previous minimum, which may have just become a saddle.
        res = minimize(energy, [th + 1e-4, ph + 1e-4], method="BFGS", options={"gtol": 1e-12})
        th, ph = res.x
        out.append([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)])
    return np.array(out)


@dataclass
class LLLoop:
    """A loop: h (the swept z field), M on the way up (from h_min) and down (from h_max), both on h;
    the model it came from (V_z, b_perp, alpha, method) to refine switching fields."""

    h: np.ndarray
    up: np.ndarray
    down: np.ndarray
    Vz: float = 0.0
    b_perp: float = 0.0
    alpha: float = 0.5
    method: str = "ll"

    def _holds(self, h: float, M0) -> bool:
        """Does the branch through M0 still have a minimum of E at field h? Newton steps in the
        tangent plane from M0 to the nearby stationary point, then the sign of the Hessian there.
        (Both the LL flow and the minimization end in that minimum while it exists.)"""
        B = _field(h, self.b_perp)
        m = np.asarray(M0, float) / np.linalg.norm(M0)
        for _ in range(100):
            g, H, e1, e2 = _tangent_derivatives(m, B, self.Vz)
            w = np.linalg.eigvalsh(H)
            if w.min() <= 0:
                return False
            if np.linalg.norm(g) < 1e-10:
                return True
            du = -np.linalg.solve(H, g)
            step = np.linalg.norm(du)
            if step > 0.2:  # far from the old minimum: it has gone
                return False
            m = m + du[0] * e1 + du[1] * e2
            m /= np.linalg.norm(m)
        return False

    def crossing(self, branch: str) -> float:
        """The field where M_z of a branch goes through zero: bisected to 1e-7 where the
        branch jumps (the switching field), linearly interpolated where it turns continuously."""
        M = self.up if branch == "up" else self.down
        h, mz = (self.h, M[:, 2]) if branch == "up" else (self.h[::-1], M[::-1, 2])
        M = M if branch == "up" else M[::-1]
        k = np.nonzero(np.sign(mz[1:]) != np.sign(mz[:-1]))[0]
        if k.size == 0:
            return np.nan
        k = int(k[0])
        if abs(mz[k + 1] - mz[k]) < 0.5:  # a continuous turn: interpolate
            return float(h[k] - mz[k] * (h[k + 1] - h[k]) / (mz[k + 1] - mz[k]))
        lo, hi = h[k], h[k + 1]
        while abs(hi - lo) > 1e-7 * max(1.0, abs(hi)):
            mid = 0.5 * (lo + hi)
            if self._holds(mid, M[k]):
                lo = mid
            else:
                hi = mid
        return float(0.5 * (lo + hi))

    @property
    def coercive_field(self) -> float:
        """Half the distance between the two branches' zero crossings; 0 for a closed loop."""
        if np.max(np.abs(self.up[:, 2] - self.down[:, 2])) < 1e-4:
            return 0.0
        return 0.5 * abs(self.crossing("up") - self.crossing("down"))


def ll_loop(h_max: float, num: int, Vz: float, b_perp: float = 0.0, alpha: float = 0.5,
            method: str = "ll") -> LLLoop:
    """Up and down branches on h = -h_max..h_max (num points), by LL relaxation or SW minimization."""
    h = np.linspace(-h_max, h_max, num)
    branch = ll_branch if method == "ll" else stoner_wohlfarth_branch
    kw = {"alpha": alpha} if method == "ll" else {}
    up = branch(h, Vz, b_perp, M0=(0.0, 0.0, -1.0), **kw)
    down = branch(h[::-1], Vz, b_perp, M0=(0.0, 0.0, 1.0), **kw)[::-1]
    return LLLoop(h, up, down, Vz, b_perp, alpha, method)


def coercive_field(h, mz_up, mz_down, closed_tol: float = 1e-4) -> float:
    """Half the distance between the fields where the two branches cross M_z = 0 (linear
    interpolation on the grid); 0 for a loop whose branches coincide within closed_tol.
    :attr:`LLLoop.coercive_field` refines the crossings of a jump by bisection."""
    h, mz_up, mz_down = (np.asarray(x, float) for x in (h, mz_up, mz_down))
    if np.max(np.abs(mz_up - mz_down)) < closed_tol:
        return 0.0

    def crossing(m):
        k = np.nonzero(np.diff(np.sign(m)) != 0)[0]
        if k.size == 0:
            return np.nan
        k = k[0] if m[0] < m[-1] else k[-1]
        return h[k] - m[k] * (h[k + 1] - h[k]) / (m[k + 1] - m[k])

    return 0.5 * abs(crossing(mz_up) - crossing(mz_down))
