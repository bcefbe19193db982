"""Building blocks of study configs: strict models and quantity fields with units.

Every section forbids unknown keys, so a misspelt key is reported instead of silently ignored.
Quantity fields accept a plain number (already in the working unit) or a unit string such as
"451 cm^-1" or "2 T" (see :mod:`spinbath.quantities`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from ..errors import ConfigError
from ..quantities import to_unit

__all__ = [
    "ConfigError", "StrictModel", "format_validation_error", "quantity", "EnergyCm", "TemperatureK",
    "FieldT", "SpinQuantumNumber", "hermitian_matrix",
]


class StrictModel(BaseModel):
    """A config section: unknown keys are errors, values are validated on construction."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


def quantity(unit: str):
    """A float field in ``unit`` that also accepts unit strings ("451 cm^-1", "10 K", "2 T")."""

    def parse(v):
        if isinstance(v, (list, tuple, dict)):
            raise ValueError(f"expected a single value in {unit}, got {type(v).__name__}")
        return to_unit(v, unit)

    return Annotated[float, BeforeValidator(parse)]


EnergyCm = quantity("cm^-1")
FieldT = quantity("T")


def _positive_temperature(v):
    t = to_unit(v, "K")
    if t <= 0:
        raise ValueError(f"temperature must be positive (absolute, in K), got {v!r}")
    return t


TemperatureK = Annotated[float, BeforeValidator(_positive_temperature)]


def _spin_qn(v):
    from ..spins.operators import check_spin

    if isinstance(v, bool):
        raise ValueError(f"J = {v!r} is not a number")
    if isinstance(v, str):
        try:
            v = float(Fraction(v.strip()))
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"J = {v!r} is not a number like 15/2 or 7.5") from None
    return check_spin(v)


SpinQuantumNumber = Annotated[float, BeforeValidator(_spin_qn)]


def hermitian_matrix(real, imag=None, *, name: str, dim: int | None = None, rtol: float = 1e-10) -> np.ndarray:
    """Build real + i imag and check that it is square, finite, of dimension ``dim`` and Hermitian."""
    m = np.asarray(real, dtype=float) + (0 if imag is None else 1j * np.asarray(imag, dtype=float))
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {m.shape}")
    if dim is not None and m.shape[0] != dim:
        raise ValueError(f"{name} must be {dim}x{dim} (2J+1), got {m.shape[0]}x{m.shape[1]}")
    if not np.all(np.isfinite(m)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    dev = np.max(np.abs(m - m.conj().T)) if m.size else 0.0
    if dev > rtol * max(1.0, np.max(np.abs(m))):
        raise ValueError(f"{name} is not Hermitian (max |M - M^dagger| = {dev:.3g})")
    return (m + m.conj().T) / 2


def format_validation_error(err: ValidationError, prefix: str = "") -> str:
    """One message for a pydantic error: each offending key as a dotted path, with the reason."""
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in ((prefix,) if prefix else ()) + tuple(e["loc"]))
        msg = e["msg"]
        for pre in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(pre)
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see `spinbath example NAME` for a valid config)"
        elif e["type"] == "missing":
            msg = "required value is missing"
        inp = e.get("input")
        got = "" if e["type"] in ("missing", "extra_forbidden") or isinstance(inp, dict) else f" (got {inp!r})"
        lines.append(f"{loc or '<top level>'}: {msg}{got}")
    return "invalid config: " + "; ".join(lines)
