"""Config sections shared by the studies: a single-ion spin Hamiltonian and the applied field."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from .base import FieldT, SpinQuantumNumber, StrictModel, hermitian_matrix
from .grids import even_grid

__all__ = ["CrystalFieldConfig", "SpinConfig", "FieldConfig", "StaticFieldConfig", "builtin_crystal_field", "BUILTIN_CF"]

#: Crystal-field data sets shipped in spinbath/data (source notes in data/SOURCES.md).
BUILTIN_CF = {"dycp": "dycp_cf.json"}

_RANKS = (2, 4, 6, 8, 10, 12)


def check_rank_tables(section, prefix: str, ranks=_RANKS) -> None:
    """Validate the tables ``<prefix>2 .. <prefix>12`` of a section: integer q with |q| <= k, finite values."""
    for k in ranks:
        for q, v in getattr(section, f"{prefix}{k}").items():
            try:
                qi = int(q)
            except ValueError:
                raise ValueError(f"{prefix}{k}: key {q!r} is not an integer q") from None
            if abs(qi) > k:
                raise ValueError(f"{prefix}{k}: q = {qi} is out of range |q| <= {k}")
            if not np.isfinite(v):
                raise ValueError(f"{prefix}{k}[{q}] = {v} is not finite")


@cache
def builtin_crystal_field(name: str) -> dict:
    """Shipped data set ``name``: dict with J, gJ, B {(k, q): cm^-1}, source and reference levels."""
    raw = json.loads(resources.files("spinbath.data").joinpath(BUILTIN_CF[name]).read_text())
    raw["B"] = {(int(k), int(q)): float(v) for k, row in raw["B"].items() for q, v in row.items()}
    return raw


class CrystalFieldConfig(StrictModel):
    """Crystal-field parameters B_k^q (cm^-1) as tables B2 = {"0" = -8.7, "2" = 0.56, "-2" = ...}.

    ``convention``: "stevens" (H = sum B_k^q O_k^q, the Conventions page docs/conventions.md), "tesseral" (Ryabov-normalized,
    as written by MolForge-type codes) or "wybourne" (real Wybourne parameters, with the Stevens
    factors theta_k given in ``theta``). ``dataset`` loads a shipped set instead (e.g. "dycp").
    """

    convention: Literal["stevens", "tesseral", "wybourne"] = "stevens"
    dataset: Literal["dycp"] | None = None
    theta: dict[str, float] | None = Field(default=None, description="Stevens factors {'2': alpha_J, '4': beta_J, '6': gamma_J}")
    B2: dict[str, float] = {}
    B4: dict[str, float] = {}
    B6: dict[str, float] = {}
    B8: dict[str, float] = {}
    B10: dict[str, float] = {}
    B12: dict[str, float] = {}

    @model_validator(mode="after")
    def _check(self):
        if self.convention == "wybourne" and not self.theta and not self.dataset:
            raise ValueError("convention 'wybourne' needs theta = {'2' = alpha_J, '4' = beta_J, '6' = gamma_J}")
        check_rank_tables(self, "B")
        if self.dataset and any(getattr(self, f"B{k}") for k in _RANKS):
            raise ValueError("give either 'dataset' or B2..B12 tables, not both")
        return self

    def parameters(self) -> dict[tuple[int, int], float]:
        """Stevens parameters {(k, q): B_k^q in cm^-1} in the convention of the Conventions page (docs/conventions.md)."""
        if self.dataset:
            return dict(builtin_crystal_field(self.dataset)["B"])
        raw = {(k, int(q)): float(v) for k in _RANKS for q, v in getattr(self, f"B{k}").items()}
        if self.convention == "stevens":
            return raw
        from ..spins import conventions

        if self.convention == "tesseral":
            return conventions.tesseral_to_stevens(raw)
        theta = {int(k): float(v) for k, v in (self.theta or {}).items()} or None
        # Real Wybourne tables: Re B^k_q at +q, Im B^k_q at -q (the usual published form).
        return conventions.wybourne_to_stevens(raw, theta=theta, form="real")


def _fraction(v):
    """A g value may be written as a fraction, as J is ("4/3", the Lande g_J of Dy3+ 6H15/2)."""
    if isinstance(v, str) and "/" in v:
        num, _, den = v.partition("/")
        try:
            return float(num) / float(den)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"cannot read {v!r} as a number or a fraction like '4/3'") from None
    return v


class SpinConfig(StrictModel):
    """Single-ion spin Hamiltonian: J, g (scalar g_J, 3 principal values or 3x3), crystal field.

    ``extra_real``/``extra_imag``: an optional extra (2J+1)x(2J+1) Hermitian term in cm^-1 in the
    |J, M> basis (M descending), added to the crystal field.
    """

    J: SpinQuantumNumber
    g: Annotated[float | list[float] | list[list[float]], BeforeValidator(_fraction)] = 2.0
    crystal_field: CrystalFieldConfig = CrystalFieldConfig()
    extra_real: list[list[float]] | None = None
    extra_imag: list[list[float]] | None = None

    @field_validator("g")
    @classmethod
    def _g_shape(cls, g):
        a = np.asarray(g, dtype=float)
        if a.shape not in ((), (3,), (3, 3)) or not np.all(np.isfinite(a)):
            raise ValueError("g must be a finite scalar, 3 principal values or a 3x3 tensor")
        return g

    @model_validator(mode="after")
    def _check_extra(self):
        if self.extra_imag is not None and self.extra_real is None:
            raise ValueError("extra_imag given without extra_real")
        if self.extra_real is not None:
            hermitian_matrix(self.extra_real, self.extra_imag, name="spin.extra_real/extra_imag",
                             dim=int(round(2 * self.J)) + 1)
        if self.crystal_field.dataset:
            j_data = builtin_crystal_field(self.crystal_field.dataset)["J"]
            if abs(j_data - self.J) > 1e-9:
                raise ValueError(f"crystal_field.dataset {self.crystal_field.dataset!r} is for J = {j_data}, not {self.J}")
        return self

    def hamiltonian(self):
        """The :class:`~spinbath.spins.SpinHamiltonian` this section describes."""
        from ..spins.hamiltonian import SpinHamiltonian

        h = SpinHamiltonian.single_ion(self.J, self.crystal_field.parameters(), g=self.g)
        if self.extra_real is not None:
            extra = hermitian_matrix(self.extra_real, self.extra_imag, name="spin.extra", dim=h.dim)
            h = h.with_extra(extra)
        return h


def unit_direction(d) -> list[float]:
    """A field direction normalized to unit length (ValueError unless a finite non-zero 3-vector)."""
    a = np.asarray(d, dtype=float)
    if a.shape != (3,) or not np.all(np.isfinite(a)) or np.linalg.norm(a) == 0:
        raise ValueError("direction must be a non-zero 3-vector")
    return list(a / np.linalg.norm(a))


#: A config field holding a direction: any finite non-zero 3-vector, stored normalized.
Direction = Annotated[list[float], AfterValidator(unit_direction)]


class FieldConfig(StrictModel):
    """Applied magnetic field: a direction (normalized here) and magnitudes in T.

    Either ``values = [0, "0.5 T", 1]`` or ``start``/``stop``/``num`` for an even grid.
    """

    direction: Direction = [0.0, 0.0, 1.0]
    values: list[FieldT] | None = None
    start: FieldT | None = None
    stop: FieldT | None = None
    num: int | None = Field(default=None, ge=1, le=100000)

    @model_validator(mode="after")
    def _grid(self):
        grid = (self.start, self.stop, self.num)
        if self.values is not None and any(x is not None for x in grid):
            raise ValueError("give either 'values' or 'start'/'stop'/'num', not both")
        if any(x is not None for x in grid) and any(x is None for x in grid):
            raise ValueError("a field grid needs all of 'start', 'stop' and 'num'")
        return self

    def magnitudes(self) -> np.ndarray:
        """Field magnitudes in T (a single 0 T if nothing is given)."""
        if self.values is not None:
            return np.asarray(self.values, dtype=float)
        if self.num is not None:
            return even_grid(self.start, self.stop, self.num)
        return np.zeros(1)


class StaticFieldConfig(StrictModel):
    """One applied field: ``direction`` (normalized here) and ``value`` (magnitude, T, >= 0).

    ``field_vector()`` gives B in T. At zero field the direction still matters: it sets the axis
    along which the magnetization is measured and on which degenerate doublets are quantized.
    """

    direction: Direction = [0.0, 0.0, 1.0]
    value: FieldT = 0.0

    @field_validator("value")
    @classmethod
    def _nonneg(cls, v):
        if v < 0:
            raise ValueError("the field magnitude must be >= 0 T (reverse 'direction' instead)")
        return v

    def field_vector(self) -> np.ndarray:
        return self.value * np.asarray(self.direction)
