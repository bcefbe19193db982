"""Unit constants against textbook values, and unit strings converted at the config boundary."""

import numpy as np
import pytest

from spinbath.quantities import UnitError, to_unit
from spinbath.units import CM_TO_RAD_PER_S, KB_CM, MEV_TO_CM, MUB_CM, THZ_TO_CM, bose_einstein, convert_energy


def test_constants():
    assert KB_CM == pytest.approx(0.6950348, rel=1e-6)
    assert MUB_CM == pytest.approx(0.4668645, rel=1e-6)
    assert MEV_TO_CM == pytest.approx(8.065544, rel=1e-6)
    assert THZ_TO_CM == pytest.approx(33.35641, rel=1e-6)
    assert CM_TO_RAD_PER_S == pytest.approx(1.883652e11, rel=1e-6)


def test_convert_energy_round_trip():
    for u in ("K", "meV", "eV", "THz", "GHz", "muB*T"):
        assert convert_energy(convert_energy(123.4, "cm^-1", u), u) == pytest.approx(123.4)


def test_unit_strings():
    assert to_unit("451 cm^-1", "meV") == pytest.approx(451 / MEV_TO_CM)
    assert to_unit("10 K", "cm^-1") == pytest.approx(10 * KB_CM)
    assert to_unit("300 mT", "T") == pytest.approx(0.3)
    assert to_unit("3 mV", "mV") == 3
    assert to_unit(7, "K") == 7.0
    with pytest.raises(UnitError, match="cannot be converted"):
        to_unit("2 T", "K")
    with pytest.raises(UnitError, match="finite"):
        to_unit(float("nan"), "K")


def test_bose_einstein_limits():
    assert bose_einstein(100.0, 0.0) == 0.0
    e, t = 10.0, 1000.0
    assert bose_einstein(e, t) == pytest.approx(KB_CM * t / e - 0.5, rel=1e-4)  # classical limit
    n = bose_einstein(np.array([50.0]), 50.0)
    assert n[0] == pytest.approx(1 / np.expm1(50 / (KB_CM * 50)))
