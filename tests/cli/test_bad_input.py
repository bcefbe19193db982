"""Every class of bad input: one clear message naming the key, exit code 2, no traceback, no file."""

import subprocess
import sys

import pytest

from helpers import SPECTRUM
from spinbath.cli import main

GOOD = SPECTRUM


def run_cli(tmp_path, text, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    out = tmp_path / "out.nc"
    code = main(["--quiet", "run", str(cfg), "--out", str(out)])
    err = capsys.readouterr().err
    return code, err, out


CASES = {
    "unknown key": (GOOD.replace('g = 2.0', 'g = 2.0\ncolour = "red"'), ["spin.colour", "unknown key"]),
    "wrong type": (GOOD.replace('g = 2.0', 'g = "two"'), ["spin.g"]),
    "missing required": (GOOD.replace('J = "5/2"', ""), ["spin.J", "missing"]),
    "negative temperature": (GOOD + "temperatures = [-5, 10]\n".replace("\n", "\n"), ["temperatures", "positive"]),
    "J not a multiple of 1/2": (GOOD.replace('J = "5/2"', "J = 2.3"), ["spin.J", "multiple of 1/2"]),
    "non-Hermitian matrix": (
        GOOD.replace("g = 2.0", "g = 2.0\nextra_real = [[0,1,0,0,0,0],[0,0,0,0,0,0],[0,0,0,0,0,0],"
                                "[0,0,0,0,0,0],[0,0,0,0,0,0],[0,0,0,0,0,0]]"),
        ["extra", "not Hermitian"],
    ),
    "NaN": (GOOD.replace('"0" = -1.0', '"0" = nan'), ["B2", "not finite"]),
    "bad unit": (GOOD + '[field]\nvalues = ["2 K"]\n', ["field.values", "cannot be converted to T"]),
    "unknown study": (GOOD.replace('"spectrum"', '"spectrun"'), ["study", "spectrun", "spectrum"]),
    "not TOML": ("study = spectrum [", ["not valid TOML"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_reported_cleanly(case, tmp_path, capsys):
    # Top-level keys must precede tables in TOML: move 'temperatures' up front for that case.
    text, needles = CASES[case]
    if case == "negative temperature":
        text = "temperatures = [-5, 10]\n" + GOOD
    code, err, out = run_cli(tmp_path, text, capsys)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for n in needles:
        assert n in err, (n, err)
    assert not out.exists()
    assert not list(tmp_path.glob("*.png")) and not list(tmp_path.glob(".*tmp"))


def test_good_config_runs(tmp_path, capsys):
    code, err, out = run_cli(tmp_path, "temperatures = [2, 300]\n" + GOOD, capsys)
    assert code == 0, err
    assert out.exists() and out.with_suffix(".png").exists()


def test_missing_config_file_exits_2(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_console_script_exit_code(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(GOOD.replace('J = "5/2"', "J = -1"))
    proc = subprocess.run([sys.executable, "-m", "spinbath.cli", "run", str(cfg), "--out", str(tmp_path / "x.nc")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "spin.J" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.nc").exists()
