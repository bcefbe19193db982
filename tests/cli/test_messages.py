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


def test_example_list_is_aligned_and_complete(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["examples"]) == 0
    out = capsys.readouterr().out.splitlines()
    header, rows = out[0], [ln for ln in out[1:] if not ln.startswith(" ")]
    study_col, desc_col = header.index("study"), header.index("description")
    assert len(rows) == len(spinbath_examples())
    for row in rows:
        name = row.split()[0]
        assert row[study_col - 2:study_col] == "  " and row[study_col] != " ", row  # aligned columns
        assert row[desc_col - 2:desc_col] == "  " and row[desc_col] != " ", row
        assert len(name) < study_col
    assert all(len(ln) <= 100 for ln in out)
    text = " ".join(ln.strip() for ln in out)
    assert "vs bias and Fermi energy, from Keldysh Green's functions" in text  # not cut at the line end


def spinbath_examples():
    from importlib import resources

    return [p for p in resources.files("spinbath.examples").iterdir() if p.name.endswith(".toml")]
