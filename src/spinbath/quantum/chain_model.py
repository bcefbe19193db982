"""The open spin-1/2 chain as one frozen description, shared by the exact Lindblad generator
(:class:`spinbath.quantum.open_chain.OpenChainLiouvillian`) and the mean-field chain
(:class:`spinbath.classical.mean_field_chain.MeanFieldChain`).

Model (dimensionless, hbar = 1, S = sigma/2; sites j = 0 .. n-1)::

    H = B . sum_j S^(j) + sum_a V_a sum_<j,k> S^(j)_a S^(k)_a
    L rho = -i [H, rho] + sum_j sum_{a,eta} gamma_{a,eta} D[S^(j)_{a,eta}] rho
            + sum_{(j,j')} sum_{a,eta} g_{a,eta} (S^(j')_{a,eta} rho S^(j)+_{a,eta}
                                                 - {S^(j)+_{a,eta} S^(j')_{a,eta}, rho}/2)

with D[A] rho = A rho A^+ - {A^+ A, rho}/2; the derivation and the jump operators S_{a,eta} are on
the open-chain theory page (docs/theory/open-chain.md). Reference: the open Heisenberg chain paper
("Lindblad chain vs generalized Landau-Lifshitz mean field"; see the seed notes of the project).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as _field
from types import MappingProxyType
from typing import Literal

import numpy as np

__all__ = ["ChainModel", "normalize_rates", "thermal_rates", "bonds", "neighbour_pairs", "AXES", "SIGNS"]

AXES = ("x", "y", "z")
SIGNS = ("+", "-")

#: Rates {(axis, sign): rate}, e.g. {("z", "+"): 0.007, ("z", "-"): 0.086}; "z+" is accepted as a key.
Rates = Mapping

Boundary = Literal["open", "periodic"]


def _check_axis(axis) -> str:
    if axis not in AXES:
        raise ValueError(f"axis must be one of {AXES}, got {axis!r}")
    return axis


def _check_sign(sign) -> str:
    if sign not in SIGNS:
        raise ValueError(f"sign must be '+' or '-', got {sign!r}")
    return sign


def normalize_rates(rates: Rates | None, name: str = "rates") -> dict[tuple[str, str], float]:
    """Check a rate table and return ``{(axis, sign): float}`` without zero entries.

    Keys are (axis, sign) tuples with axis in x, y, z and sign in +, - (or the strings "z+", ...);
    repeated keys add up. Values must be real and finite; dimensionless (units of the reference rate).
    This is the package's one parser of rate keys (exact chain, mean-field chain and config alike).
    """
    out: dict[tuple[str, str], float] = {}
    if rates is None:
        return out
    if not isinstance(rates, Mapping):
        raise TypeError(f"{name} must be a dict {{('z', '+'): rate, ...}}, got {type(rates).__name__}")
    for key, value in rates.items():
        if isinstance(key, str) and len(key) == 2:
            key = (key[0], key[1])
        if not (isinstance(key, tuple) and len(key) == 2):
            raise ValueError(f"{name}: key {key!r} must be (axis, sign), e.g. ('z', '+')")
        axis, sign = _check_axis(key[0]), _check_sign(key[1])
        v = complex(value)
        if v.imag != 0 or not np.isfinite(v.real):
            raise ValueError(f"{name}[{key!r}] = {value!r} must be a finite real number")
        if v.real != 0.0:
            out[(axis, sign)] = out.get((axis, sign), 0.0) + v.real
    return out


def thermal_rates(Gamma: float, n_b: float, ratio: float = 0.0
                  ) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]]:
    """On-site and neighbour rates of a thermal boson bath along z.

    gamma_{z,+} = g0 n_b, gamma_{z,-} = g0 (n_b + 1) with g0 = Gamma/(2 n_b + 1), so that
    gamma_{z,+} + gamma_{z,-} = Gamma (detailed balance gamma_+/gamma_- = n_b/(n_b + 1), as for a
    boson mode of occupation n_b; Breuer and Petruccione, The Theory of Open Quantum Systems, Oxford
    2002, Sec. 3.4); neighbour rates g = ratio * gamma. Dimensionless (units of the reference rate).
    Returns (onsite, neighbour) dicts.
    """
    Gamma, n_b, ratio = float(Gamma), float(n_b), float(ratio)
    if Gamma < 0 or n_b < 0:
        raise ValueError(f"Gamma = {Gamma} and n_b = {n_b} must be >= 0")
    g0 = Gamma / (2 * n_b + 1)
    onsite = {("z", "+"): g0 * n_b, ("z", "-"): g0 * (n_b + 1)}
    neighbour = {k: ratio * v for k, v in onsite.items()}
    return onsite, neighbour


def bonds(n: int, periodic: bool = False) -> list[tuple[int, int]]:
    """Bonds (j, j+1) of the exact chain; with ``periodic`` and n >= 3 also (n-1, 0)."""
    out = [(j, j + 1) for j in range(n - 1)]
    if periodic and n >= 3:
        out.append((n - 1, 0))
    return out


def neighbour_pairs(n: int, periodic: bool = False) -> list[tuple[int, int]]:
    """Ordered pairs (j, j') with |j - j'| = 1 (mod n if periodic and n >= 3)."""
    out = []
    for j, k in bonds(n, periodic):
        out += [(j, k), (k, j)]
    return out


def _check_n(n) -> int:
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"number of sites n = {n!r} must be a positive integer")
    return int(n)


def _vector3(x: Sequence[float], name: str) -> tuple[float, float, float]:
    v = np.asarray(x, dtype=float).reshape(-1)
    if v.shape != (3,) or not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be three finite numbers (x, y, z), got {x!r}")
    return tuple(float(c) for c in v)


@dataclass(frozen=True)
class ChainModel:
    """An open (or periodic) chain of n spins 1/2: field, exchange, on-site and neighbour rates.

    Parameters (all dimensionless, hbar = 1): ``n`` sites; ``field`` B = (Bx, By, Bz); ``coupling``
    V = (Vx, Vy, Vz) of the nearest-neighbour exchange sum_a V_a S^(j)_a S^(j+1)_a; ``onsite``
    gamma and ``neighbour`` g rate tables {(axis, sign): rate} (:func:`~spinbath.quantum.chain_model.normalize_rates`; missing
    keys are zero); ``boundary`` "open" or "periodic". Checked and normalized once; the same object
    goes to :class:`~spinbath.quantum.open_chain.OpenChainLiouvillian` (exact) and to
    :class:`~spinbath.classical.mean_field_chain.MeanFieldChain` (mean field). Swept parameters are
    call arguments there, or :meth:`with_field` / :meth:`replace` here.
    """

    n: int
    field: tuple[float, float, float] = (0.0, 0.0, 0.0)
    coupling: tuple[float, float, float] = (0.0, 0.0, 0.0)
    onsite: Mapping = _field(default_factory=dict)
    neighbour: Mapping = _field(default_factory=dict)
    boundary: Boundary = "open"

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "n", _check_n(self.n))
        set_(self, "field", _vector3(self.field, "field"))
        set_(self, "coupling", _vector3(self.coupling, "coupling"))
        set_(self, "onsite", MappingProxyType(normalize_rates(self.onsite, "onsite")))
        set_(self, "neighbour", MappingProxyType(normalize_rates(self.neighbour, "neighbour")))
        if self.boundary not in ("open", "periodic"):
            raise ValueError(f"boundary must be 'open' or 'periodic', got {self.boundary!r}")

    @classmethod
    def thermal(cls, n: int, Gamma: float, n_b: float, ratio: float = 0.0, *, field=(0.0, 0.0, 0.0),
                coupling=(0.0, 0.0, 0.0), boundary: Boundary = "open") -> "ChainModel":
        """A chain in the thermal boson bath of :func:`thermal_rates` (Gamma, n_b, ratio)."""
        onsite, neighbour = thermal_rates(Gamma, n_b, ratio)
        return cls(n, field, coupling, onsite, neighbour, boundary)

    @property
    def periodic(self) -> bool:
        """True for a periodic chain (boundary "periodic")."""
        return self.boundary == "periodic"

    def with_field(self, field) -> "ChainModel":
        """The same chain in another field B (a field sweep)."""
        return replace(self, field=field)

    def replace(self, **changes) -> "ChainModel":
        """A copy with some parameters changed (dataclasses.replace)."""
        return replace(self, **changes)

    def __hash__(self):
        return hash((self.n, self.field, self.coupling, tuple(sorted(self.onsite.items())),
                     tuple(sorted(self.neighbour.items())), self.boundary))

    def __eq__(self, other):
        if not isinstance(other, ChainModel):
            return NotImplemented
        return (self.n, self.field, self.coupling, dict(self.onsite), dict(self.neighbour), self.boundary) == (
            other.n, other.field, other.coupling, dict(other.onsite), dict(other.neighbour), other.boundary)
