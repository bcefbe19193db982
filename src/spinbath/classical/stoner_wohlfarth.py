"""Stoner-Wohlfarth particle: energy, branch-following minimization, switching field, hysteresis.

A single-domain particle with uniaxial anisotropy K along the easy axis and a moment mu in a field
H applied at angle psi from the easy axis; theta is the angle of the moment from the easy axis
(both angles in the same plane, radians):

    E(theta) = K sin^2(theta) - mu H cos(theta - psi).

Units: E and K in any energy unit, mu H in the same unit (SI: mu = mu0 Ms V with H in A/m, or mu in
J/T with mu0 H in T). Everything below works with the reduced energy and field

    e(theta) = E / (2K) = sin^2(theta)/2 - h cos(theta - psi),      h = mu H / (2K) = H / H_K,

H_K = 2K/mu the anisotropy field (2K/(mu0 Ms) per unit volume). Stationary points solve
e'(theta) = sin(2 theta)/2 + h sin(theta - psi) = 0, minima have e''(theta) = cos(2 theta) +
h cos(theta - psi) > 0. A metastable minimum disappears (the moment switches) where e' = e'' = 0:

    h_sw(psi) = (|cos psi|^(2/3) + |sin psi|^(2/3))^(-3/2),

the astroid h_par^(2/3) + h_perp^(2/3) = 1 in the plane (h_par, h_perp) = h (cos psi, sin psi).

Branch following (:func:`~spinbath.classical.stoner_wohlfarth.descend`) is exact rather than iterative: all stationary points are the
roots on the unit circle of a quartic in t = exp(i theta), and from the previous angle the moment
slides downhill to the first stationary point in the downhill direction, which is the minimum it
reaches by overdamped motion; when its minimum has vanished (past h_sw) it slides on to the next.

:class:`HysteresisLoop` is the container for a loop (up and down branches) that the mean-field
chain (:mod:`spinbath.classical.mean_field_chain`) returns too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize_scalar

__all__ = [
    "HysteresisLoop", "energy", "reduced_energy", "reduced_gradient", "reduced_curvature",
    "stationary_angles", "descend", "switching_field", "switching_field_numeric", "astroid",
    "hysteresis_loop",
]

_TWO_PI = 2.0 * np.pi


@dataclass(frozen=True)
class HysteresisLoop:
    """A hysteresis loop: field swept up (ascending h_up) and back down (h_down), magnetization m.

    m is the magnetization projected on the sweep direction, in the units of the model that made
    the loop (Stoner-Wohlfarth: cos(theta - psi) in [-1, 1]; mean-field chain: the site-averaged
    Bloch vector <sigma> in [-1, 1]). ``states_up``/``states_down`` hold the full state at each
    field (angles, or Bloch vectors of shape (n_fields, n_sites, 3)); ``converged_*`` flag fields
    where a steady state was found (all True for Stoner-Wohlfarth).
    """

    h_up: np.ndarray
    m_up: np.ndarray
    h_down: np.ndarray
    m_down: np.ndarray
    states_up: np.ndarray | None = None
    states_down: np.ndarray | None = None
    converged_up: np.ndarray | None = None
    converged_down: np.ndarray | None = None
    info: dict = field(default_factory=dict)

    def area(self) -> float:
        """Loop area: integral of (m_down - m_up) dh over the common field range (>= 0 when the
        down branch lies above the up branch, as in a ferromagnet)."""
        h = np.asarray(self.h_up)
        order = np.argsort(self.h_down)
        m_down = np.interp(h, np.asarray(self.h_down)[order], np.asarray(self.m_down)[order])
        return float(np.trapezoid(m_down - np.asarray(self.m_up), h))

    def max_gap(self) -> float:
        """max_h |m_down(h) - m_up(h)| on the up-branch grid (0 for a closed, reversible loop)."""
        order = np.argsort(self.h_down)
        m_down = np.interp(self.h_up, np.asarray(self.h_down)[order], np.asarray(self.m_down)[order])
        return float(np.max(np.abs(m_down - np.asarray(self.m_up))))

    def is_open(self, tol: float = 1e-6) -> bool:
        """True when the two branches differ by more than ``tol`` somewhere."""
        return self.max_gap() > tol

    def jumps(self, threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
        """Fields (midpoints of the field step) where m jumps by more than ``threshold`` in one
        step, on the up and the down branch."""
        def on(h, m):
            h, m = np.asarray(h), np.asarray(m)
            k = np.nonzero(np.abs(np.diff(m)) > threshold)[0]
            return 0.5 * (h[k] + h[k + 1])
        return on(self.h_up, self.m_up), on(self.h_down, self.m_down)


# ---------------------------------------------------------------------------------------- energy
def energy(theta, field, psi: float, anisotropy: float = 1.0, moment: float = 1.0):
    """E(theta) = K sin^2(theta) - mu H cos(theta - psi), with K = ``anisotropy``, mu = ``moment``,
    H = ``field`` (E and mu H in the same energy unit; angles in radians)."""
    theta = np.asarray(theta, dtype=float)
    return anisotropy * np.sin(theta) ** 2 - moment * np.asarray(field) * np.cos(theta - psi)


def reduced_energy(theta, h, psi: float):
    """e(theta) = E/(2K) = sin^2(theta)/2 - h cos(theta - psi), h = mu H/(2K) = H/H_K."""
    theta = np.asarray(theta, dtype=float)
    return 0.5 * np.sin(theta) ** 2 - h * np.cos(theta - psi)


def reduced_gradient(theta, h, psi: float):
    """e'(theta) = sin(2 theta)/2 + h sin(theta - psi)."""
    theta = np.asarray(theta, dtype=float)
    return 0.5 * np.sin(2.0 * theta) + h * np.sin(theta - psi)


def reduced_curvature(theta, h, psi: float):
    """e''(theta) = cos(2 theta) + h cos(theta - psi) (> 0 at a minimum)."""
    theta = np.asarray(theta, dtype=float)
    return np.cos(2.0 * theta) + h * np.cos(theta - psi)


# ------------------------------------------------------------------------------ minimization
def stationary_angles(h: float, psi: float) -> np.ndarray:
    """All stationary angles theta in [0, 2 pi) of e(theta) (2 or 4 of them).

    With t = exp(i theta), 2i t^2 e'(theta) = 0 is the quartic t^4/2 + h e^{-i psi} t^3 -
    h e^{i psi} t - 1/2 = 0. Roots near the unit circle (within 1e-3, so that the multiple roots
    at a fold or at the hard-axis pitchfork, which np.roots returns off the circle by
    ~eps^(1/m), are kept) are polished by Newton steps on e'; those where e' then vanishes
    (|e'| < 1e-10) are the real stationary angles, merged when closer than 1e-7.
    """
    coeffs = [0.5, h * np.exp(-1j * psi), 0.0, -h * np.exp(1j * psi), -0.5]
    roots = np.roots(coeffs)
    start = np.angle(roots[np.abs(np.abs(roots) - 1.0) < 1e-3])
    thetas = start.copy()
    for _ in range(12):
        curv = reduced_curvature(thetas, h, psi)
        safe = np.abs(curv) > 1e-14
        step = np.where(safe, reduced_gradient(thetas, h, psi) / np.where(safe, curv, 1.0), 0.0)
        thetas = thetas - np.clip(step, -1e-2, 1e-2)
    keep = (np.abs(reduced_gradient(thetas, h, psi)) < 1e-10) & (np.abs(thetas - start) < 1e-2)
    thetas = np.sort(np.mod(thetas[keep], _TWO_PI))
    if thetas.size > 1:
        gaps = np.diff(np.concatenate([thetas, thetas[:1] + _TWO_PI]))
        thetas = thetas[gaps > 1e-7] if np.any(gaps > 1e-7) else thetas[:1]
    return thetas


def descend(theta_prev: float, h: float, psi: float) -> float:
    """The minimum of e reached from ``theta_prev`` by sliding downhill (overdamped motion).

    This is the branch-following step: while the minimum the moment sits in exists it is
    returned (to machine precision); past the switching field the moment slides to the next one.
    The result is the continuous (unwrapped) angle, theta_prev + signed distance travelled. From
    an exact maximum the lower of the two neighbouring minima is taken.
    """
    stat = stationary_angles(h, psi)
    if stat.size == 0:  # cannot happen for a real quartic with these symmetries; be safe
        raise RuntimeError(f"no stationary point found at h={h}, psi={psi}")
    circ = np.angle(np.exp(1j * (stat - theta_prev)))  # signed circular distance in (-pi, pi]
    near = np.argmin(np.abs(circ))
    if abs(circ[near]) < 1e-9:
        if reduced_curvature(stat[near], h, psi) > 0:
            return float(theta_prev + circ[near])
        # sitting on a maximum (or a flat point): take the lower neighbouring minimum
        cands = [_walk(theta_prev, stat, s, skip=near) for s in (+1.0, -1.0)]
        energies = [reduced_energy(c, h, psi) for c in cands]
        return float(cands[int(np.argmin(energies))])
    grad = float(reduced_gradient(theta_prev, h, psi))
    return float(_walk(theta_prev, stat, -np.sign(grad) if grad != 0 else 1.0))


def _walk(theta_prev: float, stat: np.ndarray, direction: float, skip: int | None = None) -> float:
    """First stationary angle met moving from theta_prev in ``direction`` (+1 or -1)."""
    dist = np.mod(direction * (stat - theta_prev), _TWO_PI)
    if skip is not None:
        dist[skip] = np.inf
    dist[dist < 1e-12] = np.inf
    return theta_prev + direction * float(np.min(dist))


# ------------------------------------------------------------------------- switching field
def switching_field(psi) -> np.ndarray | float:
    """Analytic switching field h_sw(psi) = (|cos psi|^(2/3) + |sin psi|^(2/3))^(-3/2), in units
    of H_K = 2K/mu (h_sw = 1 on the easy and hard axes, 1/2 at 45 degrees)."""
    psi = np.asarray(psi, dtype=float)
    out = (np.abs(np.cos(psi)) ** (2.0 / 3.0) + np.abs(np.sin(psi)) ** (2.0 / 3.0)) ** -1.5
    return float(out) if out.ndim == 0 else out


def switching_field_numeric(psi: float) -> float:
    """Switching field found numerically as the fold of the metastable branch (no astroid used).

    By symmetry only psi' in [0, pi/2] (the acute angle between the field axis and the easy axis)
    matters. Start on the branch theta = 0 at h = 0 and lower h (field reversed): the branch is
    the equilibrium curve h(theta) = -sin(2 theta)/(2 sin(theta - psi')) for theta in (-pi/2, 0),
    and it ends where h(theta) is extremal (e' = e'' = 0); h_sw = -min h. On the easy axis
    (psi' = 0) theta = 0 stays stationary and loses stability where e''(0) = 1 + h = 0: h_sw = 1.
    """
    p = float(np.arccos(abs(np.cos(psi))))  # acute angle in [0, pi/2]
    if p < 1e-12:
        return 1.0

    def h_of(theta: float) -> float:
        return -np.sin(2.0 * theta) / (2.0 * np.sin(theta - p))

    res = minimize_scalar(h_of, bounds=(-0.5 * np.pi, 0.0), method="bounded",
                          options={"xatol": 1e-12})
    return float(-res.fun)


def astroid(n: int = 361) -> tuple[np.ndarray, np.ndarray]:
    """The Stoner-Wohlfarth astroid h_par^(2/3) + h_perp^(2/3) = 1 as (h_par, h_perp) =
    (cos^3 t, sin^3 t), t in [0, 2 pi], n points (h_par along the easy axis)."""
    t = np.linspace(0.0, _TWO_PI, n)
    return np.cos(t) ** 3, np.sin(t) ** 3


# ------------------------------------------------------------------------------ hysteresis
def hysteresis_loop(psi: float, h_max: float = 2.0, n_points: int = 401) -> HysteresisLoop:
    """Quasi-static Stoner-Wohlfarth loop along a field axis at angle psi from the easy axis.

    The reduced field h runs from -h_max up to +h_max (up branch) and back (down branch), on a
    grid symmetric about 0; at each field the moment slides from its previous angle to the
    minimum it reaches (:func:`~spinbath.classical.stoner_wohlfarth.descend`). The start is the minimum reached from the field
    direction at -h_max. m = cos(theta - psi), the moment along the field axis.
    """
    h_up = np.linspace(-h_max, h_max, n_points)
    h_down = h_up[::-1].copy()
    theta = descend(psi + np.pi, h_up[0], psi)
    th_up = np.empty(n_points)
    for i, h in enumerate(h_up):
        theta = descend(theta, h, psi)
        th_up[i] = theta
    th_down = np.empty(n_points)
    for i, h in enumerate(h_down):
        theta = descend(theta, h, psi)
        th_down[i] = theta
    ok = np.ones(n_points, dtype=bool)
    return HysteresisLoop(h_up, np.cos(th_up - psi), h_down, np.cos(th_down - psi),
                          states_up=th_up, states_down=th_down, converged_up=ok,
                          converged_down=ok.copy(), info={"model": "stoner-wohlfarth", "psi": psi})
