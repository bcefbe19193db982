r"""Spectral channels: spin operators coupled to phonon continua, each with its spectral function.

Model (energies in cm^-1; hbar = 1 inside energies, rates converted with ``units.HBAR_CM_S``)
------------------------------------------------------------------------------------------------
    H = H_s + sum_k w_k b_k^+ b_k + sum_alpha V^alpha q_alpha
            + (1/2) sum_{alpha, beta} W^{alpha beta} q_alpha q_beta,

    q_alpha = sum_{k in alpha} g_k (b_k + b_k^+),     sum_{k in alpha} g_k^2 delta(w - w_k) = B_alpha(w).

A *channel* alpha is a spin operator V^alpha = dH_s/dq_alpha (a Hermitian (d, d) matrix in the spin
basis, cm^-1 per unit q) and a spectral function B_alpha(w) (w > 0, units 1/cm^-1) of unit weight
(Debye) or with a unit-weight peak (broadened mode, below). Different channels are uncorrelated, and

    <q_alpha(t) q_alpha(0)> = int_0^inf dw B_alpha(w) [(n(w) + 1) e^{-i w t} + n(w) e^{i w t}],

so a channel whose B_alpha shrinks to delta(w - w_a) is exactly one discrete mode Q = b + b^+ with
coupling V^alpha -- the convention of :mod:`spinbath.baths.phonons` and of the spin-phonon study
(<0|Q^2|0> = 1). A derivative per unit q = (b + b^+)/sqrt(2) must be divided by sqrt(2).
W^{alpha beta} = d^2 H_s/dq_alpha dq_beta (symmetric in alpha, beta) are the quadratic couplings of
two-phonon processes at first order; the bath model makes the quadratic coupling of modes k in alpha
and l in beta equal to g_k g_l W^{alpha beta}, i.e. the two-phonon amplitude carries the same
spectral weights B_alpha(w1) B_beta(w2) as a second-order path through V^alpha and V^beta.

Spectral functions
------------------
``DampedOscillator(w_a, Gamma)`` -- a vibrational mode broadened by its coupling to the rest of the
lattice: the displacement spectral function of a damped harmonic oscillator, -Im D(w) / pi with
D(w) = 2 w_a / (w^2 - w_a^2 + 2 i Gamma w) and Q = b + b^+ the coordinate of the undamped mode,

    B(w) = (1/pi) 4 w_a Gamma w / ((w^2 - w_a^2)^2 + (2 Gamma w)^2).

Near the peak it is the unit-weight Lorentzian (Gamma/pi) / ((w - w_a)^2 + Gamma^2) (HWHM Gamma)
up to O(Gamma^2 / w_a^2), so a broadened mode has the same peak weight as the discrete mode it
replaces. Unlike a Lorentzian it vanishes linearly at w -> 0, B ~ 4 Gamma w / (pi w_a^3) (a spectral
function is odd in w; a Lorentzian would put spurious weight at w = 0); this ohmic tail is physical
and gives the slow power laws of a broadened mode at very low T (direct ~ T, Raman ~ T^3). Its
total weight N = int_0^inf B dw < 1 (damping reduces the zero-point fluctuation; the deficit is the
high-frequency tail ~ 2 w_a Gamma / (pi w^2)) is given in closed form by :func:`damped_oscillator_norm`:

    N = (2 w_a Gamma / pi) J,  J = int_0^inf du / ((u - c)^2 + s^2),
        c = w_a^2 - 2 Gamma^2,  s^2 = 4 Gamma^2 (w_a^2 - Gamma^2):
        J = (pi/2 + arctan(c/s)) / s  (Gamma < w_a),   1 / w_a^2  (Gamma = w_a),
        J = ln((c - r)/(c + r)) / (2 r), r = sqrt(-s^2)  (Gamma > w_a, overdamped);

N = 1 - 2 Gamma / (pi w_a) + ... (0.9936 at Gamma/w_a = 0.01, 0.914 at w_a = 20, Gamma = 3). B is
deliberately not rescaled by 1/N: that would raise the peak above the unit Lorentzian by 1/N.

``Debye(w_D)`` -- one acoustic branch: strain coupling ~ w times the Debye density of states ~ w^2,

    B_D(w) = 4 w^3 / w_D^4  for 0 < w < w_D,  0 above (unit weight).

A Debye continuum has several uncorrelated branches, each its own channel with its own operator (a
Kramers doublet's two-phonon Raman needs two different operators to survive time reversal).

Operators
---------
:func:`coupling_operator` builds V (or W) for a single spin J from Stevens coefficients
{(k, q): c} (sum c O_k^q, the Conventions page (docs/conventions.md)) and named operators {name: c}, where a name is a
product of ``Sx``, ``Sy``, ``Sz`` with optional powers (``"Sz^2"``, ``"SxSz"``, ``"Sx^2Sy"``) or
``"1"`` (identity); a product is replaced by its Hermitian part (P + P^+)/2, e.g.
``"SxSz"`` -> (Sx Sz + Sz Sx)/2. Matrices in the |J, M> basis (M descending), cm^-1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

__all__ = [
    "DampedOscillator", "Debye", "SpectralChannel", "SpectralBath", "coupling_operator",
    "named_operator", "damped_oscillator_norm", "bath_from_spec",
]

#: Hermiticity tolerance of channel operators, relative to their largest element.
HERMITIAN_RTOL = 1e-10


def damped_oscillator_norm(energy, width) -> np.ndarray:
    """N = int_0^inf (1/pi) 4 w_a G w / ((w^2 - w_a^2)^2 + (2 G w)^2) dw (closed form, module docstring).

    Broadcasts over ``energy`` (w_a) and ``width`` (G), both cm^-1 and > 0. N -> 1 for G << w_a.
    """
    wa = np.asarray(energy, dtype=float)
    g = np.asarray(width, dtype=float)
    wa, g = np.broadcast_arrays(wa, g)
    c = wa * wa - 2.0 * g * g
    s2 = 4.0 * g * g * (wa * wa - g * g)
    J = np.empty(wa.shape)
    under = s2 > 0
    s = np.sqrt(np.where(under, s2, 1.0))
    J = np.where(under, (0.5 * np.pi + np.arctan(c / s)) / s, J)
    over = s2 < 0
    r = np.sqrt(np.where(over, -s2, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        J = np.where(over, np.log(np.abs((c - r) / (c + r))) / (2.0 * r), J)
    J = np.where(s2 == 0, 1.0 / (wa * wa), J)
    return 2.0 * wa * g / np.pi * J


def _positive(name: str, value) -> float:
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be finite and > 0 cm^-1, got {value!r}")
    return v


@dataclass(frozen=True)
class DampedOscillator:
    """Broadened vibrational mode: peak ``energy`` w_a and half width ``width`` Gamma (cm^-1).

    ``__call__(w)`` gives B(w) of the module docstring (1/cm^-1, 0 for w <= 0); ``norm`` its weight N.
    """

    energy: float
    width: float

    def __post_init__(self):
        object.__setattr__(self, "energy", _positive("mode energy", self.energy))
        object.__setattr__(self, "width", _positive("mode width", self.width))

    @cached_property
    def norm(self) -> float:
        return float(damped_oscillator_norm(self.energy, self.width))

    def __call__(self, w):
        w = np.asarray(w, dtype=float)
        wa, g = self.energy, self.width
        val = (4.0 / np.pi) * wa * g * w / ((w * w - wa * wa) ** 2 + (2.0 * g * w) ** 2)
        return np.where(w > 0, val, 0.0)

    @property
    def features(self) -> list[tuple[float, float]]:
        """(position, width) of the structures an integrator must resolve, cm^-1."""
        return [(self.energy, self.width)]

    @property
    def extent(self) -> float:
        """Energy (cm^-1) beyond which B carries < 1e-3 of the peak weight (tail int_W B ~ 2 w_a G / (pi W^2))."""
        return self.energy + 200.0 * self.width


@dataclass(frozen=True)
class Debye:
    """One Debye acoustic branch with Debye energy ``energy`` w_D (cm^-1): B = 4 w^3 / w_D^4, w < w_D."""

    energy: float

    def __post_init__(self):
        object.__setattr__(self, "energy", _positive("Debye energy", self.energy))

    def __call__(self, w):
        w = np.asarray(w, dtype=float)
        wd = self.energy
        return np.where((w > 0) & (w < wd), 4.0 * w**3 / wd**4, 0.0)

    @property
    def features(self) -> list[tuple[float, float]]:
        return [(self.energy, 0.1 * self.energy)]

    @property
    def extent(self) -> float:
        return self.energy


SpectralFunction = DampedOscillator | Debye


def _check_operator(name: str, op, dim: int | None = None) -> np.ndarray:
    m = np.asarray(op)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"operator of {name} must be a square matrix, got shape {m.shape}")
    if dim is not None and m.shape[0] != dim:
        raise ValueError(f"operator of {name} is {m.shape[0]}x{m.shape[0]}, expected {dim}x{dim}")
    m = m.astype(complex)
    if not np.all(np.isfinite(m)):
        raise ValueError(f"operator of {name} contains NaN or inf")
    scale = max(float(np.abs(m).max()), 1e-300)
    dev = float(np.abs(m - m.conj().T).max())
    if dev > HERMITIAN_RTOL * scale:
        raise ValueError(f"operator of {name} is not Hermitian (max |V - V^H| = {dev:.3g} cm^-1)")
    m = 0.5 * (m + m.conj().T)
    m.setflags(write=False)
    return m


@dataclass(frozen=True, eq=False)
class SpectralChannel:
    """One channel: a name, a spectral function B(w) and the operator V = dH/dq (cm^-1, spin basis)."""

    name: str
    spectrum: SpectralFunction
    operator: np.ndarray

    def __post_init__(self):
        if not isinstance(self.spectrum, (DampedOscillator, Debye)):
            raise ValueError(f"channel {self.name!r}: spectrum must be a DampedOscillator or a Debye branch")
        object.__setattr__(self, "operator", _check_operator(f"channel {self.name!r}", self.operator))


@dataclass(frozen=True, eq=False)
class SpectralBath:
    """Channels (linear couplings) and quadratic couplings W^{alpha beta} between them.

    Parameters
    ----------
    channels : the channels; names must be unique; all operators of the same dimension d.
    quadratic : {(name_a, name_b): W (d, d) Hermitian, cm^-1 per unit q^2}; W^{ab} = W^{ba} is implied
        (give each unordered pair once). A diagonal entry (a, a) is d^2 H / dq_a^2. Stored with each
        key in channel order, matrices validated and read-only.
    """

    channels: tuple[SpectralChannel, ...]
    quadratic: Mapping[tuple[str, str], np.ndarray] = field(default_factory=dict)

    def __post_init__(self):
        ch = tuple(self.channels)
        if not ch:
            raise ValueError("a spectral bath needs at least one channel")
        names = [c.name for c in ch]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"channel names must be unique; repeated: {dup}")
        d = ch[0].operator.shape[0]
        for c in ch:
            if c.operator.shape != (d, d):
                raise ValueError(f"channel {c.name!r} operator is {c.operator.shape}, expected {(d, d)}")
        index = {n: i for i, n in enumerate(names)}
        quad: dict[tuple[int, int], np.ndarray] = {}
        for key, W in dict(self.quadratic).items():
            try:
                a, b = key
            except (TypeError, ValueError):
                raise ValueError(f"quadratic coupling key {key!r} must be a pair of channel names") from None
            for n in (a, b):
                if n not in index:
                    raise ValueError(f"quadratic coupling {key!r}: unknown channel {n!r}; channels: {', '.join(names)}")
            i, j = sorted((index[a], index[b]))
            if (i, j) in quad:
                raise ValueError(f"quadratic coupling between {a!r} and {b!r} given twice")
            quad[(i, j)] = _check_operator(f"quadratic coupling {key!r}", W, d)
        object.__setattr__(self, "channels", ch)
        object.__setattr__(self, "quadratic", {(names[i], names[j]): W for (i, j), W in quad.items()})
        object.__setattr__(self, "_quad_index", quad)

    # ------------------------------------------------------------------ structure
    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @property
    def dim(self) -> int:
        return int(self.channels[0].operator.shape[0])

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.channels]

    @cached_property
    def operators(self) -> np.ndarray:
        """(n_channels, d, d) V^alpha in the spin basis, cm^-1 (read-only)."""
        V = np.array([c.operator for c in self.channels])
        V.setflags(write=False)
        return V

    @property
    def quadratic_pairs(self) -> np.ndarray:
        """(Q, 2) channel indices (i <= j) of the quadratic couplings, in the order of :meth:`quadratic_in_basis`."""
        return np.array(sorted(self._quad_index), dtype=int).reshape(-1, 2)

    @cached_property
    def _kinds(self):
        osc = np.array([i for i, c in enumerate(self.channels) if isinstance(c.spectrum, DampedOscillator)], int)
        deb = np.array([i for i, c in enumerate(self.channels) if isinstance(c.spectrum, Debye)], int)
        wa = np.array([self.channels[i].spectrum.energy for i in osc], float)
        g = np.array([self.channels[i].spectrum.width for i in osc], float)
        wd = np.array([self.channels[i].spectrum.energy for i in deb], float)
        return osc, wa, g, deb, wd

    def densities(self, w) -> np.ndarray:
        """B_alpha(w) for every channel: array (n_channels,) + w.shape, 1/cm^-1 (0 for w <= 0)."""
        w = np.asarray(w, dtype=float)
        osc, wa, g, deb, wd = self._kinds
        out = np.zeros((self.n_channels,) + w.shape)
        if osc.size:
            sh = (-1,) + (1,) * w.ndim
            wa_, g_ = wa.reshape(sh), g.reshape(sh)
            val = (4.0 / np.pi) * wa_ * g_ * w / ((w * w - wa_ * wa_) ** 2 + (2.0 * g_ * w) ** 2)
            out[osc] = np.where(w > 0, val, 0.0)
        if deb.size:
            wd_ = wd.reshape((-1,) + (1,) * w.ndim)
            out[deb] = np.where((w > 0) & (w < wd_), 4.0 * w**3 / wd_**4, 0.0)
        return out

    def features(self) -> list[tuple[float, float]]:
        """(position, width) of every peak or edge of the spectral functions, cm^-1."""
        return [f for c in self.channels for f in c.spectrum.features]

    def extent(self) -> float:
        """Largest energy (cm^-1) at which some B_alpha still carries appreciable weight."""
        return max(c.spectrum.extent for c in self.channels)

    def operators_in_basis(self, U: np.ndarray) -> np.ndarray:
        """V^a in the basis given by the columns of U: U^H V^a U, shape (n_channels, d, d)."""
        U = self._check_basis(U)
        return np.einsum("ji,ajk,kl->ail", U.conj(), self.operators, U, optimize=True)

    def quadratic_in_basis(self, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pairs (Q, 2), U^H W^{ij} U (Q, d, d)) for the quadratic couplings, pairs as :attr:`quadratic_pairs`."""
        U = self._check_basis(U)
        pairs = self.quadratic_pairs
        W = np.array([self._quad_index[(int(i), int(j))] for i, j in pairs]).reshape(-1, self.dim, self.dim)
        return pairs, np.einsum("ji,qjk,kl->qil", U.conj(), W, U, optimize=True)

    def _check_basis(self, U) -> np.ndarray:
        U = np.asarray(U)
        if U.shape != (self.dim, self.dim):
            raise ValueError(f"basis of shape {U.shape} does not fit operators of dimension {self.dim}")
        return U


# ---------------------------------------------------------------------- operators of a spin J
_FACTOR = re.compile(r"S([xyz])(?:\^(\d+))?")


def named_operator(J: float, name: str) -> np.ndarray:
    """Operator of spin J named by a product of Sx, Sy, Sz with powers ("SxSz", "Sz^2") or "1".

    Returns the Hermitian part (P + P^+)/2 of the product, (2J+1, 2J+1), basis M descending.
    Raises ValueError naming the unknown name otherwise.
    """
    from ..spins.operators import spin_dim, spin_matrices

    key = str(name).replace(" ", "").replace("*", "")
    d = spin_dim(J)
    if key in ("1", "I", "identity"):
        return np.eye(d, dtype=complex)
    pos, P = 0, np.eye(d, dtype=complex)
    S = dict(zip("xyz", spin_matrices(J)))
    factors = 0
    while pos < len(key):
        m = _FACTOR.match(key, pos)
        if m is None:
            raise ValueError(f"unknown operator name {name!r}: use products of Sx, Sy, Sz with powers, "
                             "e.g. 'Sz', 'Sx^2', 'SxSz', or '1'")
        P = P @ np.linalg.matrix_power(S[m.group(1)], int(m.group(2) or 1))
        pos = m.end()
        factors += 1
    if factors == 0:
        raise ValueError(f"unknown operator name {name!r}")
    return 0.5 * (P + P.conj().T)


def coupling_operator(J: float, stevens: Mapping[tuple[int, int], float] | None = None,
                      named: Mapping[str, float] | None = None) -> np.ndarray:
    """sum_kq c_kq O_k^q + sum_name c_name (named operator): a Hermitian (2J+1)^2 matrix, cm^-1.

    ``stevens``: {(k, q): coefficient in cm^-1} (Stevens convention of the Conventions page (docs/conventions.md));
    ``named``: {name: coefficient in cm^-1} (see :func:`named_operator`).
    """
    from ..spins.operators import spin_dim
    from ..spins.stevens import check_kq, stevens as stevens_op

    d = spin_dim(J)
    V = np.zeros((d, d), dtype=complex)
    for (k, q), c in dict(stevens or {}).items():
        k, q = check_kq(k, q)
        if not np.isfinite(c):
            raise ValueError(f"coefficient of O_{k}^{q} is not finite: {c!r}")
        V += float(c) * stevens_op(J, k, q)
    for name, c in dict(named or {}).items():
        if not np.isfinite(c):
            raise ValueError(f"coefficient of {name!r} is not finite: {c!r}")
        V += float(c) * named_operator(J, name)
    return V


def bath_from_spec(J: float, modes: Sequence[Mapping] = (), debye: Mapping | None = None,
                   quadratic: Sequence[Mapping] = ()) -> SpectralBath:
    """Build a :class:`SpectralBath` for one spin J from plain Python data (the config's shape).

    modes : [{"energy": w_a, "width": Gamma, "name": optional, "stevens": {(k, q): c},
              "named": {name: c}}, ...]  -> channels "mode0", "mode1", ... unless named.
    debye : {"energy": w_D, "branches": [{"stevens": ..., "named": ..., "name": optional}, ...]}
            -> channels "debye0", "debye1", ...
    quadratic : [{"channels": (name_a, name_b), "stevens": ..., "named": ...}, ...].
    All energies and coefficients in cm^-1 (coefficients per unit q = b + b^+, or q^2).
    """
    channels = []
    for i, m in enumerate(modes):
        name = m.get("name") or f"mode{i}"
        spec = DampedOscillator(m["energy"], m["width"])
        channels.append(SpectralChannel(name, spec, coupling_operator(J, m.get("stevens"), m.get("named"))))
    if debye is not None:
        for i, br in enumerate(debye.get("branches", ())):
            name = br.get("name") or f"debye{i}"
            channels.append(SpectralChannel(name, Debye(debye["energy"]),
                                            coupling_operator(J, br.get("stevens"), br.get("named"))))
    quad = {}
    for q in quadratic:
        a, b = q["channels"]
        quad[(a, b)] = coupling_operator(J, q.get("stevens"), q.get("named"))
    return SpectralBath(tuple(channels), quad)

