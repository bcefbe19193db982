"""Unit strings at the config boundary: "451 cm^-1", "2 T", "3 mV", "77 K" -> floats in working units.

Conversion happens here, once; everything past the config works in the working units of the Conventions page
(docs/conventions.md: cm^-1, K, T, s, meV, mV). Plain numbers are taken to be in the working unit already. Parsing is
done with pint; energies convert among cm^-1, meV, eV, K (as k_B T), THz/GHz (as h nu) and J
through the spectroscopy context.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

__all__ = ["to_unit", "UnitError"]


class UnitError(ValueError):
    """A quantity string that cannot be read or converted to the unit a key needs."""


@lru_cache(maxsize=1)
def _registry():
    import pint

    ureg = pint.UnitRegistry()
    return ureg


def _energy_like(ureg, q):
    """Map temperatures to k_B T so that "10 K" is accepted where an energy is expected."""
    if q.dimensionality == ureg.kelvin.dimensionality:
        return (q.to("kelvin") * ureg.boltzmann_constant).to("joule")
    return q


#: CGS magnetic units for a field in T: B = mu_0 H, so 1 Oe (of H) and 1 G (of B) are 1e-4 T in vacuum.
_NUMBER = r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*"
_CGS_SYMBOL = re.compile(r"^" + _NUMBER + r"(k|m|u|µ)?(?:Oe|G)\s*$")
_CGS_NAME = re.compile(r"^" + _NUMBER + r"(kilo|milli|micro)?(?:oersted|gauss)\s*$", re.IGNORECASE)
_PREFIX = {None: 1.0, "k": 1e3, "m": 1e-3, "u": 1e-6, "µ": 1e-6, "kilo": 1e3, "milli": 1e-3, "micro": 1e-6}


def _cgs_field_in_tesla(text: str) -> float | None:
    """A field written in oersted or gauss ("50 kOe", "200 G", "3 kilogauss") in T, exactly
    (powers of ten); None for anything else."""
    m = _CGS_SYMBOL.match(text) or _CGS_NAME.match(text)
    if m is None:
        return None
    number, prefix = m.groups()
    return float(number) * _PREFIX[prefix.lower() if prefix and len(prefix) > 1 else prefix] * 1e-4


def _lower_unit_names(text: str) -> str:
    """Unit names spelled with capitals ("5 Tesla", "300 Kelvin") in lower case; symbols (three
    letters or fewer: "meV", "MHz", "mT") are left as written, since their case is meaningful."""
    return re.sub(r"[A-Za-z]{4,}", lambda m: m.group(0).lower(), text)


def to_unit(value, unit: str) -> float:
    """Return ``value`` in ``unit`` as a float.

    ``value`` is a number (already in ``unit``) or a string "<number> <unit>" such as "451 cm^-1",
    "56 meV", "2 T", "300 mK". Energies, wavenumbers, frequencies and temperatures interconvert
    (E = h c nu~ = h nu = k_B T). Fields in T also accept the CGS units of magnetometry, Oe and G
    with k/m prefixes ("50 kOe" = 5 T, B = mu_0 H in vacuum). Unit names are case-insensitive
    ("5 Tesla"); symbols are not ("mT" is milli-, "MT" mega-tesla). Raises UnitError with the
    reason for anything else, including NaN.
    """
    if isinstance(value, bool):
        raise UnitError(f"expected a number or a quantity string in {unit}, got {value!r}")
    if isinstance(value, (int, float)):
        out = float(value)
    elif isinstance(value, str):
        ureg = _registry()
        text = value.strip().replace("cm-1", "cm^-1").replace("1/cm", "cm^-1")
        cgs = _cgs_field_in_tesla(text) if unit == "T" else None
        try:
            q = ureg.Quantity(text) if cgs is None else ureg.Quantity(cgs, "tesla")
        except Exception:
            try:
                q = ureg.Quantity(_lower_unit_names(text))
            except Exception:
                raise UnitError(f"cannot read {value!r} as a quantity (expected e.g. '451 cm^-1', '2 T', "
                                "'50 kOe')") from None
        target = ureg.Unit(unit.replace("cm^-1", "1/cm"))
        if not isinstance(q, ureg.Quantity) or q.dimensionless and not ureg.Quantity(1, target).dimensionless:
            out = float(q.magnitude if hasattr(q, "magnitude") else q)
        else:
            try:
                if q.dimensionality == target.dimensionality:
                    out = float(q.to(target).magnitude)
                else:
                    with ureg.context("sp"):
                        out = float(_energy_like(ureg, q).to(target).magnitude)
            except Exception:
                raise UnitError(f"{value!r} cannot be converted to {unit}") from None
    else:
        raise UnitError(f"expected a number or a quantity string in {unit}, got {value!r}")
    if not math.isfinite(out):
        raise UnitError(f"{value!r} is not a finite number")
    return out
