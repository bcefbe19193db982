"""[sweep] parsing and expansion: spellings, product/zip order, ranges with units, coordinates,
defaults of absent sections, and every bad spec reported as one line, exit 2, nothing written."""

from __future__ import annotations

import numpy as np
import pytest

from spinbath.config import ConfigError, parse_config_text
from spinbath.sweeps.tasks import task_key
from helpers import JUNCTION_1x1, SPECTRUM, run_cli

TOY = 'study = "toy"\n'


def sweep_of(text: str):
    _, _, sweep = parse_config_text(text, with_sweep=True)
    return sweep


def test_config_without_sweep_is_unchanged():
    study, cfg, sweep = parse_config_text(SPECTRUM, with_sweep=True)
    assert sweep is None
    assert parse_config_text(SPECTRUM)[1] == cfg


@pytest.mark.parametrize("spelling", [
    '[sweep]\n"x" = [1, 2]\n"y" = [0.5, 1.5, 2.5]\n',
    '[sweep]\nx = [1, 2]\ny = [0.5, 1.5, 2.5]\n',
    '[sweep]\nx = [1, 2]\n[sweep.y]\nstart = 0.5\nstop = 2.5\nnum = 3\n',
])
def test_product_in_c_order(spelling):
    sweep = sweep_of(TOY + spelling)
    assert sweep.mode == "product" and sweep.shape == (2, 3)
    assert [(t.config.x, t.config.y) for t in sweep.tasks] == [
        (1, 0.5), (1, 1.5), (1, 2.5), (2, 0.5), (2, 1.5), (2, 2.5)]
    assert [t.index for t in sweep.tasks] == list(range(6))


def test_quoted_dotted_and_nested_spellings_agree():
    base = JUNCTION_1x1
    quoted = sweep_of(base + '[sweep]\n"bias.temperature" = ["1 K", "2 K"]\n"junction.t0" = [2.0, 3.0]\n')
    dotted = sweep_of(base + '[sweep]\nbias.temperature = ["1 K", "2 K"]\njunction.t0 = [2.0, 3.0]\n')
    nested = sweep_of(base + '[sweep.bias]\ntemperature = ["1 K", "2 K"]\n[sweep.junction]\nt0 = [2.0, 3.0]\n')
    keys = [t.key for t in quoted.tasks]
    assert keys == [t.key for t in dotted.tasks] == [t.key for t in nested.tasks]
    assert len(set(keys)) == 4


def test_zip_pairs_values():
    sweep = sweep_of(TOY + '[sweep]\nmode = "zip"\nx = [1, 2, 3]\ny = [10, 20, 30]\n')
    assert sweep.shape == (3,)
    assert [(t.config.x, t.config.y) for t in sweep.tasks] == [(1, 10), (2, 20), (3, 30)]


def test_range_with_units_gives_validated_coordinate_and_unit():
    sweep = sweep_of(JUNCTION_1x1 + '[sweep]\n"bias.temperature" = {start = "0 mK", stop = "20 mK", num = 3}\n'
                                    '"junction.t0" = ["2 meV", 3.0, "4000 ueV"]\n')
    temp, t0 = sweep.parameters
    np.testing.assert_allclose(temp.coord, [0.0, 0.01, 0.02])
    assert temp.units == "K"
    np.testing.assert_allclose(t0.coord, [2.0, 3.0, 4.0])
    assert t0.units == "meV"
    assert temp.raw[1].endswith(" mK")  # unit strings stay strings: the study converts them


def test_log_range():
    sweep = sweep_of(TOY + '[sweep]\nx = {start = 1, stop = 100, num = 3, spacing = "log"}\n')
    np.testing.assert_allclose(sweep.parameters[0].coord, [1, 10, 100])


def test_equal_configs_share_a_key():
    a = sweep_of(JUNCTION_1x1 + '[sweep]\n"junction.t0" = ["2 meV"]\n').tasks[0]
    b = sweep_of(JUNCTION_1x1 + '[sweep]\n"junction.t0" = ["0.002 eV"]\n').tasks[0]
    c = sweep_of(JUNCTION_1x1 + '[sweep]\n"junction.t0" = [2.0000001]\n').tasks[0]
    assert a.key == b.key == task_key(a.config) != c.key


def test_list_valued_keys_are_swept_whole_and_labelled():
    sweep = sweep_of(JUNCTION_1x1 + '[sweep]\n"bias.V" = [[1.0], [2.0, 3.0]]\n')
    p = sweep.parameters[0]
    assert [t.config.bias.V for t in sweep.tasks] == [[1.0], [2.0, 3.0]]
    assert list(p.coord) == ["[1.0]", "[2.0, 3.0]"] and p.units == "1"


def test_absent_section_starts_from_the_study_default():
    # open-chain's default bath is (damping 0.1, n_b 0.08), not the bath class defaults (None):
    # sweeping bath.ratio must keep the rest of that default.
    text = 'study = "open-chain"\nn = 2\nfield = [0, 0, 1]\ncoupling = [1, 1, 1]\n[sweep]\n"bath.ratio" = [0.0, 0.2]\n'
    _, base, sweep = parse_config_text(text, with_sweep=True)
    for t in sweep.tasks:
        assert t.config.bath.damping == base.bath.damping == 0.1
        assert t.config.bath.n_b == base.bath.n_b == 0.08
    assert [t.config.bath.ratio for t in sweep.tasks] == [0.0, 0.2]


def test_dict_valued_keys_accept_sub_keys():
    sweep = sweep_of(SPECTRUM + '[sweep]\n"spin.crystal_field.B2.0" = [-1.0, -2.0]\n')
    assert [t.config.spin.crystal_field.B2["0"] for t in sweep.tasks] == [-1.0, -2.0]
    assert sweep.tasks[0].config.spin.crystal_field.B2["2"] == 0.1


BAD = {
    "unknown path": (SPECTRUM + '[sweep]\n"field.colour" = [1, 2]\n', ["sweep.field.colour", "not a key of field"]),
    "unknown section": (TOY + '[sweep]\n"nonsense.x" = [1]\n', ["sweep.nonsense.x", "'nonsense' is not a key"]),
    "empty list": (TOY + '[sweep]\nx = []\n', ["sweep.x", "empty list"]),
    "zip lengths differ": (TOY + '[sweep]\nmode = "zip"\nx = [1, 2, 3]\ny = [1, 2]\n',
                           ["zip", "same length", "x has 3", "y has 2"]),
    "value the study rejects": (SPECTRUM + '[sweep]\n"field.values" = [[0.0], ["2 K"]]\n',
                                ["sweep.field.values", "2 K", "cannot be converted to T"]),
    "combination the study rejects": (SPECTRUM + '[field]\nstart = 0\nstop = 1\nnum = 3\n'
                                      '[sweep]\n"field.values" = [[0.0]]\n', ["sweep.field.values", "not both"]),
    "bad mode": (TOY + '[sweep]\nmode = "outer"\nx = [1]\n', ["sweep.mode", "product", "zip"]),
    "no parameters": (TOY + '[sweep]\nmode = "zip"\n', ["[sweep] has no parameters"]),
    "range without num": (TOY + '[sweep]\nx = {start = 0, stop = 1}\n', ["sweep.x", "missing num"]),
    "range with mixed units": (JUNCTION_1x1 + '[sweep]\n"junction.t0" = {start = "1 meV", stop = 2, num = 2}\n',
                               ["sweep.junction.t0", "both"]),
    "scalar instead of list": (TOY + '[sweep]\nx = 1.0\n', ["sweep.x", "give a list"]),
    "duplicate values": (JUNCTION_1x1 + '[sweep]\n"junction.t0" = ["2 meV", "0.002 eV"]\n',
                         ["sweep.junction.t0", "same value"]),
    "the study key": (TOY + '[sweep]\nstudy = ["toy"]\n', ["sweep.study", "cannot be swept"]),
    "path through a value": (TOY + '[sweep]\n"x.y" = [1]\n', ["sweep.x.y", "not a table"]),
    "overlapping paths": (JUNCTION_1x1 + '[sweep]\n"bias" = [{}]\n"bias.temperature" = [1]\n', ["overlap"]),
    "sweep not a table": (TOY.replace('study = "toy"', 'study = "toy"\nsweep = 3'), ["'sweep' must be a table"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_spec_is_one_clear_error_and_writes_nothing(case, tmp_path, capsys):
    text, needles = BAD[case]
    code, out = run_cli(tmp_path, text, "--serial")
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for n in needles:
        assert n in err, (n, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml"]


def test_bad_base_config_reported_as_usual(tmp_path, capsys):
    code, _ = run_cli(tmp_path, TOY + 'colour = 1\n[sweep]\nx = [1]\n', "--serial")
    assert code == 2 and "colour: unknown key" in capsys.readouterr().err


def test_too_many_tasks(tmp_path, capsys):
    code, _ = run_cli(tmp_path, TOY + '[sweep]\nx = {start = 0, stop = 1, num = 1000}\n'
                                      'y = {start = 0, stop = 1, num = 1000}\n', "--serial")
    assert code == 2 and "1000000 tasks" in capsys.readouterr().err


def test_bad_command_line_choices(tmp_path, capsys):
    text = TOY + '[sweep]\nx = [1]\n'
    assert run_cli(tmp_path, text, "--serial", "--scheduler", "tcp://127.0.0.1:1")[0] == 2
    assert "exclude each other" in capsys.readouterr().err
    assert run_cli(tmp_path, text, "--workers", "0")[0] == 2
    assert "--workers must be >= 1" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml"]


def test_errors_name_the_source(tmp_path):
    with pytest.raises(ConfigError, match=r"^my\.toml: sweep\.x: empty list"):
        parse_config_text(TOY + '[sweep]\nx = []\n', source="my.toml")
