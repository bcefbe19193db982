"""Registry of the master-equation orders of :class:`spinbath.quantum.spin_phonon.SpinPhononRates`.

One line per order: what ``superoperator`` sums (the second-order Redfield rates R^(2) and/or a
part of the fourth-order two-phonon rates R^(4)), whether the ``spin-phonon`` study may be asked
for it, and how its plots draw it. Orders after A. Lunghi, Sci. Adv. 8, eabn7880 (2022),
doi:10.1126/sciadv.abn7880: R = R^(2) (order "2"), R^(4) from the virtual (off-shell)
intermediate states (order "4"), R^(2) + R^(4) (order "2+4"), and the sequential (on-shell) part of
the two-phonon amplitude alone ("4-resonant", for inspection: it repeats the Orbach process of R^(2)).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ORDERS", "MasterEquationOrder", "lookup_order", "study_orders"]


@dataclass(frozen=True)
class MasterEquationOrder:
    """One order: ``second`` adds R^(2); ``fourth`` adds the "virtual" or "resonant" part of R^(4)
    (None: none). ``parts``: orders whose sum this one is (a study that computes them all adds them
    instead of sweeping again). ``study``: allowed in the study's ``[method].orders``. ``color``,
    ``label``, ``marker``: matplotlib style of its curves."""

    second: bool
    fourth: str | None
    parts: tuple[str, ...] = ()
    study: bool = True
    color: str = "C2"
    label: str = ""
    marker: str = "o"


#: name -> order. A new order is one line here.
ORDERS: dict[str, MasterEquationOrder] = {
    "2": MasterEquationOrder(True, None, color="C0", label="2nd order", marker="o"),
    "4": MasterEquationOrder(False, "virtual", color="C3", label="4th order", marker="s"),
    "2+4": MasterEquationOrder(True, "virtual", parts=("2", "4"), color="k", label="2nd + 4th", marker="^"),
    "4-resonant": MasterEquationOrder(False, "resonant", study=False, label="4-resonant"),
}

#: Other spellings accepted by ``superoperator``.
_ALIASES = {"4+2": "2+4"}


def lookup_order(order) -> MasterEquationOrder:
    """The registry entry of ``order`` (an int 2 or 4 or a name; spaces ignored); ValueError if unknown."""
    key = str(order).replace(" ", "")
    key = _ALIASES.get(key, key)
    if key not in ORDERS:
        names = ", ".join(repr(n) for n in ORDERS)
        raise ValueError(f"order must be one of {names} (2 and 4 also as numbers), got {order!r}")
    return ORDERS[key]


def study_orders() -> tuple[str, ...]:
    """Names the ``spin-phonon`` study accepts in ``[method].orders``, in registry order."""
    return tuple(n for n, o in ORDERS.items() if o.study)
