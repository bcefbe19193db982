"""The master-equation order registry (quantum/orders.py) read by superoperator and the study."""

import pytest

from spinbath.quantum.orders import ORDERS, lookup_order, study_orders


def test_registry_entries():
    assert lookup_order(2) is ORDERS["2"] and lookup_order("4") is ORDERS["4"]
    assert lookup_order("4 + 2") is ORDERS["2+4"]
    assert (ORDERS["2"].second, ORDERS["2"].fourth) == (True, None)
    assert (ORDERS["4"].second, ORDERS["4"].fourth) == (False, "virtual")
    assert (ORDERS["2+4"].second, ORDERS["2+4"].fourth, ORDERS["2+4"].parts) == (True, "virtual", ("2", "4"))
    assert (ORDERS["4-resonant"].second, ORDERS["4-resonant"].fourth) == (False, "resonant")
    assert study_orders() == ("2", "4", "2+4")


def test_unknown_order_message():
    with pytest.raises(ValueError, match=r"order must be one of '2', '4', '2\+4', '4-resonant'.*got 3"):
        lookup_order(3)


def test_study_config_reads_registry():
    from pydantic import ValidationError

    from spinbath.studies.spin_phonon import MethodConfig

    assert MethodConfig(orders=[2, "4", "2+4"]).order_names() == ["2", "4", "2+4"]
    with pytest.raises(ValidationError):
        MethodConfig(orders=["4-resonant"])
