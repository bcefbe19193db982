"""Relaxation laws: the rate forms that add up to 1/tau(T), and models built from them.

Rates add (independent channels), rate = 1/tau in s^-1, T in K, H in tesla:

    orbach     tau0^-1 exp(-U_eff / T)                 tau0 (s), U_eff (K; k_B = 1 in the exponent)
    raman      C T^n                                   C (s^-1 K^-n), n
    qtm        tau_QTM^-1                              tau_QTM (s)
    direct     A T                                     A (s^-1 K^-1)
    direct_h   A_H H^m T                               A_H (s^-1 T^-m K^-1), m     (needs a field column)
    vibronic   tau0_vib^-1 n_w (n_w + 1),              tau0_vib (s), w (cm^-1)
               n_w = 1 / (exp(w / k_B T) - 1)

These are the forms of the community tool ccfit2 (REFERENCES.md: 10^-A exp(-U/T), 10^R T^n, 10^-Q,
10^D T), named by their physical parameters. A model is a sum of distinct terms, written
"orbach+raman+qtm" (:func:`parse_model`).

Fitted coordinates. Scale parameters that span decades (tau0, C, tau_QTM, A, A_H, tau0_vib) are
fitted as log10 of their value (in the unit above); U_eff, n, m and w are fitted as they are, U_eff
and w bounded below by 0 and n to [0, 30]. Every term returns ln(rate) and its derivatives with
respect to its fitted coordinates, so that sums of rates spanning 30 decades never under- or
overflow (the total is a log-sum-exp).

The vibronic term: the Raman process through one broadened vibrational mode, the form of eq. (4)
of Gu and Wu, "Origins of slow magnetic relaxation in single-molecule magnets", PRL 125, 117203
(2020), whose point is that such a process looks like an Orbach law whose barrier is a mode
energy. The derivation below is ours, from the standard two-phonon golden rule.

Between the two states of the ground doublet (splitting Delta << k_B T) the two-phonon rate with
one-phonon density of states rho(e) is

    W = (2 pi / hbar) |V|^2 int de rho(e) rho(e + Delta) n(e) [n(e + Delta) + 1]
      ~ (2 pi / hbar) |V|^2 int de rho(e)^2 n(e) [n(e) + 1]                      (Delta -> 0),

absorption of a phonon e and emission of a phonon e + Delta. For a single mode broadened into a
Lorentzian of centre w and half width Gamma, rho(e) = (Gamma/pi) / ((e - w)^2 + Gamma^2), the
weight rho^2 integrates to 1/(2 pi Gamma) and has second moment Gamma^2 about w, so for Gamma << w,
expanding f = n(n + 1) about w,

    W = (|V|^2 / (hbar Gamma)) n_w (n_w + 1) [1 + (Gamma^2 / 2) f''(w)/f(w) + ...].

The bracket is 1 + (Gamma / k_B T)^2 / 2 at k_B T << w: below 0.5 % for Gamma < k_B T / 10 (molecular
modes: Gamma ~ 1-10 cm^-1 against k_B T ~ 30-60 cm^-1 where such barriers are measured). Gamma
therefore enters tau(T) only through the prefactor |V|^2 / (hbar Gamma), which cannot be told apart
from |V|^2, and is *not* a parameter: the term is (tau0_vib, w) with

    rate_vib = tau0_vib^-1 n_w (n_w + 1) = tau0_vib^-1 exp(w/k_B T) / (exp(w/k_B T) - 1)^2.

(The expansion covers the peak of the line. The far low-energy tail of the line shape, e << w,
adds contributions that follow power laws in T and depend on how the line really decays there,
which a Lorentzian does not model faithfully; where they matter they are the raman/direct terms'
business.)

Limits: at k_B T << w, n_w (n_w + 1) = exp(-w/k_B T) (1 + 2 exp(-w/k_B T) + ...), so the term is an
Orbach law with U_eff = w / k_B and tau0 = tau0_vib ("Raman in disguise": the barrier is a mode
energy, not a spin level); at k_B T >> w, n_w (n_w + 1) -> (k_B T / w)^2 - 1/12, a T^2 law. We keep
the n(n + 1) form rather than the one-phonon Bose factor n_w = 1/(exp(w/k_B T) - 1) (which also
reduces to Orbach at low T but goes as T^1 at high T): n_w alone is the rate of absorbing one phonon
into a real level at energy w, i.e. the Orbach process itself, whereas a Raman process through a
mode absorbs and emits a phonon, hence n (n + 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError
from ..units import KB_CM

__all__ = [
    "Parameter", "RelaxationTerm", "RelaxationModel", "TERMS", "parse_model", "vibronic_factor",
    "orbach_rate", "raman_rate", "qtm_rate", "direct_rate", "vibronic_rate",
]

LN10 = np.log(10.0)
#: Bounds of log10-fitted scale parameters: wide enough for any physical tau0 or C, finite so that
#: a term the data do not need cannot run away to +-infinity.
LOG10_BOUND = 60.0


@dataclass(frozen=True)
class Parameter:
    """One model parameter: its name, unit, and how it is fitted.

    ``log=True``: the fitted coordinate is log10(value) (value > 0). ``bounds`` are in fitted
    coordinates.
    """

    name: str
    unit: str
    log: bool
    bounds: tuple[float, float]
    description: str

    @property
    def coordinate(self) -> str:
        """Name of the fitted coordinate: ``log10(tau0)`` or ``U_eff``."""
        return f"log10({self.name})" if self.log else self.name

    def to_value(self, theta: float) -> float:
        return float(10.0**theta) if self.log else float(theta)

    def to_coordinate(self, value: float) -> float:
        if self.log:
            if not value > 0:
                raise ValueError(f"{self.name} must be positive, got {value}")
            return float(np.log10(value))
        return float(value)


def _log_param(name: str, unit: str, description: str) -> Parameter:
    return Parameter(name, unit, True, (-LOG10_BOUND, LOG10_BOUND), description)


def vibronic_factor(w_cm, temperature_K):
    """n_w (n_w + 1) = exp(x) / (exp(x) - 1)^2 with x = w / (k_B T); w in cm^-1, T in K."""
    x = np.asarray(w_cm, dtype=float) / (KB_CM * np.asarray(temperature_K, dtype=float))
    return np.exp(_ln_vibronic(x))


def _ln_vibronic(x):
    # ln[n(n+1)] = -x - 2 ln(1 - exp(-x)); -expm1(-x) is accurate for small and large x alike.
    return -x - 2.0 * np.log(-np.expm1(-x))


@dataclass(frozen=True)
class RelaxationTerm:
    """One relaxation channel: ln(rate) and its gradient in the fitted coordinates.

    ``ln_rate(theta, T, H)`` returns (ln rate [shape of T], d ln rate / d theta [len(theta), ...]).
    """

    name: str
    formula: str
    parameters: tuple[Parameter, ...]
    needs_field: bool = False

    def ln_rate(self, theta, T, H=None):
        return _LN_RATES[self.name](np.asarray(theta, dtype=float), T, H)


def _orbach(theta, T, H):
    lt0, U = theta
    inv_T = 1.0 / T
    return -LN10 * lt0 - U * inv_T, np.stack([np.full_like(T, -LN10), -inv_T])


def _raman(theta, T, H):
    lC, n = theta
    lnT = np.log(T)
    return LN10 * lC + n * lnT, np.stack([np.full_like(T, LN10), lnT])


def _qtm(theta, T, H):
    (lq,) = theta
    return np.full_like(T, -LN10 * lq), np.full((1,) + T.shape, -LN10)


def _direct(theta, T, H):
    (lA,) = theta
    return LN10 * lA + np.log(T), np.full((1,) + T.shape, LN10)


def _direct_h(theta, T, H):
    lA, m = theta
    lnH = np.log(H)
    return LN10 * lA + m * lnH + np.log(T), np.stack([np.full_like(T, LN10), lnH])


def _vibronic(theta, T, H):
    lt0, w = theta
    x = w / (KB_CM * T)
    # d/dx ln[n(n+1)] = -(1 + 2n) = -coth(x/2); x -> 0 only for w -> 0 (bounded away by the fit).
    dln_dx = -1.0 / np.tanh(0.5 * np.maximum(x, 1e-300))
    return -LN10 * lt0 + _ln_vibronic(np.maximum(x, 1e-300)), np.stack([np.full_like(T, -LN10), dln_dx / (KB_CM * T)])


_LN_RATES = {"orbach": _orbach, "raman": _raman, "qtm": _qtm, "direct": _direct, "direct_h": _direct_h,
             "vibronic": _vibronic}

#: The known terms, by the name used in model strings.
TERMS: dict[str, RelaxationTerm] = {
    "orbach": RelaxationTerm("orbach", "tau0^-1 exp(-U_eff/T)", (
        _log_param("tau0", "s", "Orbach attempt time"),
        Parameter("U_eff", "K", False, (0.0, np.inf), "Orbach barrier (k_B = 1)"),
    )),
    "raman": RelaxationTerm("raman", "C T^n", (
        _log_param("C", "s^-1 K^-n", "Raman prefactor"),
        Parameter("n", "1", False, (0.0, 30.0), "Raman exponent"),
    )),
    "qtm": RelaxationTerm("qtm", "tau_QTM^-1", (
        _log_param("tau_QTM", "s", "quantum tunnelling time"),
    )),
    "direct": RelaxationTerm("direct", "A T", (
        _log_param("A", "s^-1 K^-1", "direct-process prefactor"),
    )),
    "direct_h": RelaxationTerm("direct_h", "A_H H^m T", (
        _log_param("A_H", "s^-1 T^-m K^-1", "field-dependent direct-process prefactor"),
        Parameter("m", "1", False, (-20.0, 20.0), "field exponent of the direct process"),
    ), needs_field=True),
    "vibronic": RelaxationTerm("vibronic", "tau0_vib^-1 n_w (n_w + 1)", (
        _log_param("tau0_vib", "s", "vibronic (Raman through one mode) time constant"),
        Parameter("w", "cm^-1", False, (1e-6, np.inf), "energy of the vibrational mode"),
    )),
}


@dataclass(frozen=True)
class RelaxationModel:
    """A sum of distinct relaxation terms; parameters are concatenated in term order.

    rate(T) = sum_k rate_k(T) [s^-1], tau = 1/rate [s]. Evaluate with fitted coordinates ``theta``
    (see :class:`Parameter`) or with physical values (``values``, a dict name -> value).
    """

    terms: tuple[RelaxationTerm, ...]
    _slices: tuple[slice, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        slices, i = [], 0
        for term in self.terms:
            slices.append(slice(i, i + len(term.parameters)))
            i += len(term.parameters)
        object.__setattr__(self, "_slices", tuple(slices))

    @property
    def name(self) -> str:
        return "+".join(t.name for t in self.terms)

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for t in self.terms for p in t.parameters)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def needs_field(self) -> bool:
        return any(t.needs_field for t in self.terms)

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        b = np.array([p.bounds for p in self.parameters], dtype=float)
        return b[:, 0], b[:, 1]

    def theta_from_values(self, values: dict[str, float]) -> np.ndarray:
        """Fitted coordinates from physical values (dict name -> value in the parameter's unit)."""
        missing = [n for n in self.parameter_names if n not in values]
        if missing:
            raise ValueError(f"missing parameter values for model {self.name!r}: {missing}")
        return np.array([p.to_coordinate(values[p.name]) for p in self.parameters])

    def values_from_theta(self, theta) -> dict[str, float]:
        return {p.name: p.to_value(t) for p, t in zip(self.parameters, theta)}

    def term_ln_rates(self, theta, T, H=None):
        """ln rate_k(T) of each term (list) and the d/dtheta blocks (list)."""
        T = np.asarray(T, dtype=float)
        out = [term.ln_rate(np.asarray(theta, dtype=float)[s], T, H) for term, s in zip(self.terms, self._slices)]
        return [o[0] for o in out], [o[1] for o in out]

    def ln_rate(self, theta, T, H=None, *, jacobian: bool = False):
        """ln of the total rate (s^-1); with ``jacobian`` also d ln rate / d theta, shape (len(T), p)."""
        ln_k, grads = self.term_ln_rates(theta, T, H)
        stack = np.stack(ln_k)
        top = stack.max(axis=0)
        weights = np.exp(stack - top)  # each term's share of the total rate, before normalising
        total = weights.sum(axis=0)
        ln_total = top + np.log(total)
        if not jacobian:
            return ln_total
        weights /= total
        jac = np.concatenate([w * g for w, g in zip(weights, grads)], axis=0)
        return ln_total, np.moveaxis(jac, 0, -1)

    def rate(self, values_or_theta, T, H=None, *, term: str | None = None):
        """Rate (s^-1) at T (K); ``values_or_theta``: dict of physical values or fitted coordinates.

        ``term`` picks one term's rate instead of the total.
        """
        theta = self.theta_from_values(values_or_theta) if isinstance(values_or_theta, dict) else values_or_theta
        T = np.asarray(T, dtype=float)
        if self.needs_field and H is None:
            raise ValueError(f"model {self.name!r} needs the field H (tesla)")
        H = None if H is None else np.broadcast_to(np.asarray(H, dtype=float), T.shape)
        if term is None:
            return np.exp(self.ln_rate(theta, T, H))
        names = [t.name for t in self.terms]
        if term not in names:
            raise ValueError(f"term {term!r} not in model {self.name!r}")
        return np.exp(self.term_ln_rates(theta, T, H)[0][names.index(term)])

    def tau(self, values_or_theta, T, H=None) -> np.ndarray:
        """tau = 1/rate (s)."""
        return 1.0 / self.rate(values_or_theta, T, H)


def parse_model(spec: str | RelaxationModel) -> RelaxationModel:
    """``"orbach+raman+qtm"`` -> :class:`RelaxationModel` (case and spaces ignored; each term once).

    Raises ConfigError for an empty model, an unknown term or a repeated one.
    """
    if isinstance(spec, RelaxationModel):
        return spec
    names = [s.strip().lower() for s in str(spec).split("+")]
    if not spec or not all(names):
        raise ConfigError(f"model {spec!r} is empty or has an empty term; write e.g. 'orbach+raman+qtm'")
    for n in names:
        if n not in TERMS:
            raise ConfigError(f"unknown relaxation term {n!r} in model {spec!r}; known terms: {', '.join(TERMS)}")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"model {spec!r} repeats the term(s) {', '.join(dup)}; use each term once")
    return RelaxationModel(tuple(TERMS[n] for n in names))


# Plain-value rate functions (physical parameters, numpy-broadcasting), for scripts and tests.

def orbach_rate(T, tau0: float, U_eff_K: float):
    """tau0^-1 exp(-U_eff/T) [s^-1]; tau0 in s, U_eff in K, T in K."""
    return np.exp(-np.log(tau0) - U_eff_K / np.asarray(T, dtype=float))


def raman_rate(T, C: float, n: float):
    """C T^n [s^-1]; C in s^-1 K^-n."""
    return C * np.asarray(T, dtype=float) ** n


def qtm_rate(T, tau_QTM: float):
    """tau_QTM^-1 [s^-1], independent of T."""
    return np.full_like(np.asarray(T, dtype=float), 1.0 / tau_QTM)


def direct_rate(T, A: float, H=None, m: float = 0.0):
    """A T (or A H^m T with a field H in tesla) [s^-1]."""
    T = np.asarray(T, dtype=float)
    return A * T if H is None else A * np.asarray(H, dtype=float) ** m * T


def vibronic_rate(T, tau0_vib: float, w_cm: float):
    """tau0_vib^-1 n_w (n_w + 1) [s^-1]; w in cm^-1 (see the module docstring for the derivation)."""
    return vibronic_factor(w_cm, T) / tau0_vib
