"""Normalized lineshapes that replace the energy-conserving delta functions of rate theory.

Every Fermi-golden-rule delta(E_f - E_i - sum of phonon energies) becomes a normalized profile of
the energy mismatch x (cm^-1); the profile has units of cm (1 / cm^-1) and integrates to one:

    gaussian(x, s)   = exp(-x^2 / (2 s^2)) / (s sqrt(2 pi))      s = standard deviation, cm^-1
    lorentzian(x, g) = (g / pi) / (x^2 + g^2)                    g = half width at half maximum, cm^-1

Truncation. Rates only need the profile where it is not negligible, and the fast fourth-order code
only visits pairs of modes inside that window. A profile is *truncated*: set to zero where its value
drops below ``rel`` times its peak value. The truncation is part of the model (the slow reference
implementation uses the same truncated profile), and ``rel`` is always an explicit number:

    gaussian:    |x| <= s sqrt(2 ln(1/rel)),    default rel = 1e-8 -> 6.07 s,   area lost 1.3e-9
    lorentzian:  |x| <= g sqrt(1/rel - 1),      default rel = 1e-6 -> 1000 g,   area lost 6.4e-4

Lorentzian tails are long: the area lost outside the window is (2/pi) arctan(g/x_c) ~ (2/pi) sqrt(rel),
so keeping 99.99% of the area needs rel ~ 2.5e-8 and a window of ~6400 g, i.e. essentially every pair
of modes. :meth:`Lineshape.tail_weight` returns the lost area for any ``rel``.

Intermediate states (fourth order). A T-matrix denominator 1/(x - i0) whose x contains a phonon
energy is averaged over that phonon's profile, u the deviation from the line centre:

    int du g(u) / (x - u - i eta) = P(x) + i Q(x)          (:meth:`Lineshape.resolvent`)

P is the smeared principal value (finite at x = 0, -> 1/x far from it) and Q the smeared delta
function times pi (the resonant, i.e. sequential, part). Gaussian: P + iQ = i sqrt(pi/2) conj(w(z))/s
with z = (x + i eta)/(s sqrt 2) and w the Faddeeva function (eta = 0: P = (sqrt 2/s) F(x/(s sqrt 2)),
F Dawson's function, Q = pi g(x)); Lorentzian: P + iQ = 1/(x - i(g + eta)).

Pairs of modes (two-phonon processes). The lineshape of a two-phonon process with modes of widths
w1 and w2 is the convolution of the two one-phonon profiles: widths add in quadrature for Gaussians
(sqrt(w1^2 + w2^2)) and linearly for Lorentzians (w1 + w2) (:meth:`Lineshape.combine`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = ["gaussian", "lorentzian", "Lineshape", "lineshape", "LINESHAPES", "cutoff_distance"]

_SQRT_2PI = np.sqrt(2.0 * np.pi)


def _check_width(width) -> np.ndarray:
    w = np.asarray(width, dtype=float)
    if not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ValueError(f"lineshape width must be finite and > 0 (cm^-1), got {width!r}")
    return w


def gaussian(x, s):
    """Normalized Gaussian exp(-x^2/(2 s^2)) / (s sqrt(2 pi)); x and s (standard deviation) in cm^-1.

    Returns values in cm (per cm^-1); broadcasts over x and s.
    """
    s = _check_width(s)
    x = np.asarray(x, dtype=float)
    return np.exp(-0.5 * (x / s) ** 2) / (s * _SQRT_2PI)


def lorentzian(x, g):
    """Normalized Lorentzian (g/pi) / (x^2 + g^2); x and g (half width at half maximum) in cm^-1.

    Returns values in cm (per cm^-1); broadcasts over x and g.
    """
    g = _check_width(g)
    x = np.asarray(x, dtype=float)
    return (g / np.pi) / (x * x + g * g)


def _gauss_cut(width, rel):
    return np.asarray(width, dtype=float) * np.sqrt(2.0 * np.log(1.0 / rel))


def _lorentz_cut(width, rel):
    return np.asarray(width, dtype=float) * np.sqrt(1.0 / rel - 1.0)


def _gauss_tail(width, rel):
    # Area of the two tails beyond x_c = s sqrt(2 ln(1/rel)): erfc(x_c / (s sqrt 2)).
    return special.erfc(np.sqrt(np.log(1.0 / rel)))


def _lorentz_tail(width, rel):
    # 1 - (2/pi) arctan(x_c / g), independent of g.
    return 1.0 - (2.0 / np.pi) * np.arctan(np.sqrt(1.0 / rel - 1.0))


@dataclass(frozen=True)
class Lineshape:
    """A normalized lineshape with its truncation rule.

    Attributes
    ----------
    name : "gaussian" or "lorentzian"
    width_meaning : what the width parameter is (standard deviation or HWHM)
    default_rel : default truncation, relative to the peak value (see module docstring)
    """

    name: str
    width_meaning: str
    default_rel: float
    _profile: Callable
    _cut: Callable
    _tail: Callable
    _combine: Callable
    _resolvent: Callable

    def __call__(self, x, width):
        """Untruncated profile at energy mismatch x (cm^-1) for the given width (cm^-1); units cm."""
        return self._profile(x, width)

    def truncation_level(self, rel: float | None = None) -> float:
        """The truncation level: ``rel`` (a fraction of the peak, in (0, 1)), or ``default_rel`` if None."""
        rel = self.default_rel if rel is None else float(rel)
        if not 0.0 < rel < 1.0:
            raise ValueError(f"truncation level rel must lie in (0, 1), got {rel!r}")
        return rel

    def cutoff_distance(self, width, rel: float | None = None):
        """|x| (cm^-1) beyond which the profile is below ``rel`` times its peak (default_rel if None)."""
        return self._cut(_check_width(width), self.truncation_level(rel))

    def tail_weight(self, width=1.0, rel: float | None = None) -> float:
        """Fraction of the area lost by truncating at ``rel`` (independent of the width)."""
        return float(self._tail(_check_width(width), self.truncation_level(rel)))

    def truncated(self, x, width, rel: float | None = None):
        """Profile set to zero where |x| > cutoff_distance(width, rel); broadcasts over x and width."""
        x = np.asarray(x, dtype=float)
        width = _check_width(width)
        val = self._profile(x, width)
        return np.where(np.abs(x) <= self._cut(width, self.truncation_level(rel)), val, 0.0)

    def resolvent(self, x, width, eta: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """(P, Q) with P + iQ = int du g(u) / (x - u - i eta): the denominator 1/(x - i0) averaged
        over the profile (module docstring). x, width and eta in cm^-1; P and Q in cm (per cm^-1).
        """
        x = np.asarray(x, dtype=float)
        return self._resolvent(x, _check_width(width), float(eta))

    def combine(self, w1, w2):
        """Width of the two-phonon profile (the convolution of the two one-phonon profiles)."""
        return self._combine(np.asarray(w1, dtype=float), np.asarray(w2, dtype=float))


def _gauss_resolvent(x, s, eta):
    scale = np.sqrt(0.5 * np.pi) / s
    if eta == 0.0:
        return np.sqrt(2.0) / s * special.dawsn(x / (np.sqrt(2.0) * s)), np.pi * gaussian(x, s)
    w = special.wofz((x + 1j * eta) / (np.sqrt(2.0) * s))
    return scale * w.imag, scale * w.real


def _lorentz_resolvent(x, g, eta):
    h = g + eta
    den = x * x + h * h
    return x / den, h / den


LINESHAPES: dict[str, Lineshape] = {
    "gaussian": Lineshape(
        "gaussian", "standard deviation", 1e-8, gaussian, _gauss_cut, _gauss_tail,
        lambda a, b: np.sqrt(a * a + b * b), _gauss_resolvent,
    ),
    "lorentzian": Lineshape(
        "lorentzian", "half width at half maximum", 1e-6, lorentzian, _lorentz_cut, _lorentz_tail,
        lambda a, b: a + b, _lorentz_resolvent,
    ),
}


def lineshape(name: str | Lineshape) -> Lineshape:
    """Look up a lineshape by name ("gaussian" or "lorentzian", case-insensitive)."""
    if isinstance(name, Lineshape):
        return name
    try:
        return LINESHAPES[str(name).lower()]
    except KeyError:
        raise ValueError(f"unknown lineshape {name!r}; known: {', '.join(LINESHAPES)}") from None


def cutoff_distance(name: str, width, rel: float | None = None):
    """How far (cm^-1) from its centre the named lineshape stays above ``rel`` times its peak.

    In units of the width: sqrt(2 ln(1/rel)) for a Gaussian (6.07 at rel = 1e-8) and sqrt(1/rel - 1)
    for a Lorentzian (1000 at rel = 1e-6).
    """
    return lineshape(name).cutoff_distance(width, rel)
