"""Fields in the units of magnetometry: Oe and G (with k/m prefixes) convert to T exactly
(B = mu_0 H in vacuum: 1 Oe <-> 1 G = 1e-4 T); unit names are case-insensitive, symbols are not."""

from __future__ import annotations

import numpy as np
import pytest

import spinbath
from spinbath.quantities import UnitError, to_unit


@pytest.mark.parametrize("text, tesla", [
    ("50 kOe", 5.0), ("10 Oe", 1e-3), ("200 G", 0.02), ("3 kG", 0.3), ("2.5 kilogauss", 0.25),
    ("1e3 oersted", 0.1), ("5 Tesla", 5.0), ("5 TESLA", 5.0), ("5 mT", 5e-3), ("-2 kOe", -0.2),
])
def test_field_spellings(text, tesla):
    assert to_unit(text, "T") == pytest.approx(tesla, rel=1e-15)


def test_symbols_keep_their_case_and_cgs_units_are_only_fields():
    assert to_unit("1 MT", "T") == pytest.approx(1e6)  # mega, not milli
    with pytest.raises(UnitError, match="cannot be converted to K"):
        to_unit("50 kOe", "K")
    assert to_unit("300 Kelvin", "K") == 300.0


def test_a_config_in_koe_gives_the_same_results_as_in_tesla():
    base = {"study": "spectrum", "spin": {"J": "5/2", "g": 2.0, "crystal_field": {"B2": {"0": -1.0, "2": 0.1}}}}
    ds_oe = spinbath.run({**base, "field": {"start": "0 kOe", "stop": "50 kOe", "num": 3}}, quiet=True)
    ds_t = spinbath.run({**base, "field": {"start": "0 T", "stop": "5 Tesla", "num": 3}}, quiet=True)
    np.testing.assert_array_equal(ds_oe["field"].values, [0.0, 2.5, 5.0])
    np.testing.assert_array_equal(ds_oe["energy"].values, ds_t["energy"].values)
