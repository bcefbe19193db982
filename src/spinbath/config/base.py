"""Building blocks of study configs: strict models and quantity fields with units.

Every section forbids unknown keys, so a misspelt key is reported instead of silently ignored.
Quantity fields accept a plain number (already in the working unit) or a unit string such as
"451 cm^-1" or "2 T" (see :mod:`spinbath.quantities`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ..errors import ConfigError
from ..quantities import to_unit

__all__ = [
    "ConfigError", "StrictModel", "format_validation_error", "quantity", "EnergyCm", "TemperatureK",
    "FieldT", "SpinQuantumNumber", "hermitian_matrix", "finite_positive", "TaskBackendConfig",
]


class StrictModel(BaseModel):
    """A config section: unknown keys are errors, values are validated on construction."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class TaskBackendConfig(StrictModel):
    """Where work that one study run splits into tasks runs: ``backend`` "process" (this process, the
    default) or "dask" (the sweeps' backends, ``spinbath.sweeps.execute``: a local cluster of
    ``workers`` processes, default one per core, or the running cluster at ``scheduler``). The
    command-line options --workers N and --scheduler ADDRESS select "dask" too and take precedence
    over ``workers`` and ``scheduler`` here; ``SPINBATH_SCHEDULER`` comes after both; --serial runs
    the tasks one by one in this process (``spinbath.sweeps.execute.task_backend``)."""

    backend: Literal["process", "dask"] = "process"
    workers: int | None = Field(default=None, ge=1)
    scheduler: str | None = None


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


def finite_positive(values: list[float], what: str) -> list[float]:
    """``values`` unchanged if every one is finite and > 0; else ValueError naming ``what`` and the
    first offending value (for list fields of the config models)."""
    bad = [x for x in values if not np.isfinite(x) or x <= 0]
    if bad:
        raise ValueError(f"every {what} must be finite and > 0, got {bad[0]!r}")
    return values


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


_BUILTIN_TYPES = {"float", "int", "str", "bool", "list", "dict", "tuple", "none", "literal"}


def _is_branch(part, names: set[str]) -> bool:
    """A loc entry naming a union branch or validator (``list[float]``, ``function-after[...]``,
    ``TemperatureGrid``), not a key the user wrote."""
    if not isinstance(part, str):
        return False
    return "[" in part or "(" in part or part.lower() in _BUILTIN_TYPES or part in names


def _model_names() -> set[str]:
    """Class names of every config model: they appear in pydantic locations of union branches."""
    seen: set[str] = set()
    stack = list(StrictModel.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls.__name__ not in seen:
            seen.add(cls.__name__)
            stack.extend(cls.__subclasses__())
    return seen


def _known_keys(model: type | None, path: list) -> list[str]:
    """The keys a config section accepts, found by following ``path`` through ``model``'s fields."""
    import typing

    def models_in(annotation):
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return [annotation]
        return [m for a in typing.get_args(annotation) for m in models_in(a)]

    current = [model] if model is not None else []
    for part in path:
        nxt = []
        for m in current:
            if isinstance(part, str) and part in m.model_fields:
                nxt.extend(models_in(m.model_fields[part].annotation))
        if not nxt:
            return []
        current = nxt
    return sorted({k for m in current for k in m.model_fields})


def format_validation_error(err: ValidationError, prefix: str = "", model: type | None = None) -> str:
    """One message for a pydantic error: each offending key as a dotted path (as written in the TOML
    file), with one plain reason. Union branches and validator names are left out of the path; where
    several branches of one key failed, the reason a spinbath check gave is kept (else the first).
    An unknown key gets "did you mean" from the keys of its section (``model``: the config model)."""
    names = _model_names()
    by_key: dict[str, list[dict]] = {}
    for e in err.errors():
        keys = [p for p in e["loc"] if not _is_branch(p, names)]
        # A list element's index stays (temperatures.0); the branch it came through does not.
        loc = ".".join(str(p) for p in ((prefix,) if prefix else ()) + tuple(keys))
        by_key.setdefault(loc, []).append({**e, "keys": keys})
    top_with_value_error = {loc.split(".")[0] for loc, es in by_key.items()
                            if any(e["type"] == "value_error" for e in es)}
    lines = []
    for loc, es in by_key.items():
        own = [e for e in es if e["type"] in ("value_error", "assertion_error", "extra_forbidden", "missing")]
        if not own and loc.split(".")[0] in top_with_value_error and len(err.errors()) > 1:
            continue  # another branch of this key has spinbath's own reason: that one is the message
        e = (own or es)[0]
        msg = e["msg"]
        for pre in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(pre)
        if e["type"] == "extra_forbidden":
            import difflib

            section = [k for k in e["keys"][:-1]]
            close = difflib.get_close_matches(str(e["keys"][-1]), _known_keys(model, section), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else "check the spelling; see `spinbath example NAME` for a valid config"
            msg = f"unknown key ({hint})"
        elif e["type"] == "missing":
            msg = "required value is missing"
        inp = e.get("input")
        quiet = (e["type"] in ("missing", "extra_forbidden") or isinstance(inp, dict) or "got" in msg
                 or (isinstance(inp, str) and inp in msg))  # the message already names the value
        got = "" if quiet else f" (got {inp!r})"
        lines.append(f"{loc or '<top level>'}: {msg}{got}")
    return "invalid config: " + "; ".join(lines)
