"""Messages a researcher reads: one plain sentence per bad key, no validator internals, "did you
mean" for misspelt keys and example names; g may be written as a fraction, as J is."""

from __future__ import annotations

import numpy as np
import pytest

import spinbath
from helpers import SPECTRUM
from spinbath.cli import main

SPIN_PHONON = """
study = "spin-phonon"
temperatures = [5, 10]
[spin]
J = "5/2"
g = 2.0
[spin.crystal_field]
B2 = {"0" = -1.0}
[bath]
model = "dycp-model"
"""


def _error(tmp_path, capsys, text):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    assert main(["-q", "run", str(cfg), "--out", str(tmp_path / "c.nc")]) == 2
    assert not (tmp_path / "c.nc").exists()
    return capsys.readouterr().err


def test_negative_temperature_message_has_no_validator_internals(tmp_path, capsys):
    err = _error(tmp_path, capsys, SPIN_PHONON.replace("temperatures = [5, 10]", "temperatures = [-5, 10]"))
    assert "temperatures.0: temperature must be positive" in err
    for internal in ("function-after", "function-before", "list[", "TemperatureGrid", "Range", "dictionary"):
        assert internal not in err
    assert err.count("got -5") == 1


@pytest.mark.parametrize("wrong, right", [("crystal_feld", "crystal_field"), ("temperatres", "temperatures")])
def test_misspelt_keys_get_did_you_mean(tmp_path, capsys, wrong, right):
    if wrong == "crystal_feld":
        text = SPIN_PHONON.replace("[spin.crystal_field]", f"[spin.{wrong}]")
    else:
        text = SPIN_PHONON.replace("temperatures =", f"{wrong} = 3\ntemperatures =")
    err = _error(tmp_path, capsys, text)
    assert f"unknown key (did you mean {right!r}?)" in err


def test_unknown_example_name_gets_did_you_mean(capsys):
    assert main(["example", "dycpp"]) == 2
    assert "did you mean 'dycp'?" in capsys.readouterr().err


def test_g_as_a_fraction_equals_its_value():
    a = spinbath.run(SPECTRUM.replace("g = 2.0", 'g = "4/3"'), quiet=True)
    b = spinbath.run(SPECTRUM.replace("g = 2.0", f"g = {4 / 3!r}"), quiet=True)
    np.testing.assert_array_equal(a["energy"].values, b["energy"].values)
    with pytest.raises(spinbath.ConfigError, match="spin.g: cannot read '4/0'"):
        spinbath.run(SPECTRUM.replace("g = 2.0", 'g = "4/0"'), quiet=True)


def test_a_missing_bath_file_is_named_once_with_where_it_was_looked_for(tmp_path, capsys):
    err = _error(tmp_path, capsys, SPIN_PHONON.replace('model = "dycp-model"', 'file = "nope.npz"'))
    assert "bath.file: file 'nope.npz' not found" in err
    assert err.count("nope.npz") == 2  # the name as written and the path it was looked for at
