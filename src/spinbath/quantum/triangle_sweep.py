"""A field swept at a finite rate, and the loop it draws: shared by the exact and the mean-field chain.

The protocol is a triangle wave of the swept component h (units of gamma, hbar = gamma = 1):

    B(t) = base + h(t) d,   h: -h_max -> +h_max at dh/dt = +r, then back at -r; period 4 h_max / r,

with d the unit sweep direction and ``base`` a fixed field (usually perpendicular to d). A loop is
the site-averaged Bloch projection m(h) = (1/N) sum_j <sigma^(j)> . d on the up and the down branch
of the last of ``cycles`` periods. Its area

    A = oint m dh = int_{-h_max}^{h_max} (m_up(h) - m_down(h)) dh        (units of gamma)

is the work done on the spins per cycle, W = oint sum_j <S^(j)> . d dh = (N/2) A (S = sigma/2).
For uncoupled spins in a thermal Davies bath A >= 0 (Clausius: the work per cycle is dissipated as
heat; positive when m lags behind the field); with exchange and a local bath this is not guaranteed
by thermodynamics, only found. A -> 0 in the quasi-static limit where m follows a unique steady
state, and A ~ r for slow sweeps (linear response).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import simpson

__all__ = ["TriangleSweep", "DynamicLoop", "loop_area"]


@dataclass(frozen=True)
class TriangleSweep:
    """B(t) = base + h(t) d with h a triangle wave between -h_max and h_max at rate ``rate`` > 0
    (units gamma^2: field per unit time); ``direction`` d is normalized."""

    h_max: float
    rate: float
    direction: tuple = (0.0, 0.0, 1.0)
    base: tuple = (0.0, 0.0, 0.0)

    def __post_init__(self):
        if not (np.isfinite(self.h_max) and self.h_max > 0):
            raise ValueError(f"h_max = {self.h_max!r} must be finite and > 0")
        if not (np.isfinite(self.rate) and self.rate > 0):
            raise ValueError(f"rate = {self.rate!r} must be finite and > 0")
        d = np.asarray(self.direction, dtype=float).reshape(3)
        if not np.all(np.isfinite(d)) or np.linalg.norm(d) == 0:
            raise ValueError(f"direction = {self.direction!r} must be a non-zero 3-vector")
        object.__setattr__(self, "direction", tuple(d / np.linalg.norm(d)))
        object.__setattr__(self, "base", tuple(np.asarray(self.base, dtype=float).reshape(3)))

    @property
    def half_period(self) -> float:
        """Time of one branch, 2 h_max / r (units 1/gamma)."""
        return 2.0 * self.h_max / self.rate

    @property
    def period(self) -> float:
        """Time of one cycle, 4 h_max / r (units 1/gamma)."""
        return 2.0 * self.half_period

    def h(self, t: float) -> float:
        """The swept component at time t (units gamma)."""
        tau = float(t) % self.period
        if tau <= self.half_period:
            return -self.h_max + self.rate * tau
        return self.h_max - self.rate * (tau - self.half_period)

    def field(self, t: float) -> np.ndarray:
        """B(t) = base + h(t) d, shape (3,)."""
        return np.asarray(self.base) + self.h(t) * np.asarray(self.direction)

    def branch_times(self, h: np.ndarray, cycle: int) -> tuple[np.ndarray, np.ndarray]:
        """Times at which cycle ``cycle`` (0-based) passes the fields ``h`` going up and going down."""
        t0 = cycle * self.period
        h = np.asarray(h, dtype=float)
        return t0 + (h + self.h_max) / self.rate, t0 + self.half_period + (self.h_max - h) / self.rate


def loop_area(h: np.ndarray, m_up: np.ndarray, m_down: np.ndarray) -> float:
    """oint m dh = int (m_up - m_down) dh over the grid h (Simpson's rule; units of gamma)."""
    return float(simpson(np.asarray(m_up) - np.asarray(m_down), x=np.asarray(h)))


@dataclass(frozen=True)
class DynamicLoop:
    """m(h) on the up and down branches of the last cycle of a finite-rate sweep.

    ``h`` (units gamma), ``m_up``, ``m_down`` (site-averaged <sigma> . d, dimensionless), the sweep
    ``rate`` (gamma^2), ``model`` (which equations made it), ``closure`` = |m at the end of the last
    cycle - m at its start| (0 for a periodic state), ``info`` (checks made along the way).
    """

    h: np.ndarray
    m_up: np.ndarray
    m_down: np.ndarray
    rate: float
    model: str
    closure: float
    info: dict = field(default_factory=dict)

    @property
    def area(self) -> float:
        """oint m dh (units gamma); see :func:`~spinbath.quantum.triangle_sweep.loop_area`."""
        return loop_area(self.h, self.m_up, self.m_down)
