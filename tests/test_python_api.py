"""The Python API (spinbath.run / load / plot, the studies' config objects) against the command line.

``spinbath.run`` must return what ``spinbath run`` writes: for the ``spectrum`` and ``chain-n3``
examples, given as a path, TOML text, a dict or a config object built with keyword arguments, the
dataset is identical (``xarray.testing.assert_identical``: values, coordinates, every attribute)
to the CLI's results file read back. The one attribute that cannot be byte-identical for a dict or
an object is ``config_toml`` (the CLI embeds the file verbatim, comments included; a dict or an
object has no text, so run() writes TOML): for those it is checked to validate to the same config,
and everything else must be identical.
"""

from __future__ import annotations

import sys
import tomllib
from importlib import resources

import pytest
import xarray as xr

import spinbath
from spinbath.cli import main
from spinbath.config import parse_config_text
from spinbath.sweeps.tasks import canonical_config


def _example(name: str) -> str:
    return resources.files("spinbath.examples").joinpath(f"{name}.toml").read_text()


def _config_objects():
    from spinbath.studies import OpenChainConfig, SpectrumConfig

    return {
        # The examples, spelled with keyword arguments and unit strings.
        "spectrum": SpectrumConfig(
            study="spectrum", title="DyCp crystal-field levels",
            spin={"J": "15/2", "g": 1.3333333333333333, "crystal_field": {"dataset": "dycp"}},
            field={"direction": [0, 0, 1], "start": "0 T", "stop": "5 T", "num": 51}),
        "chain-n3": OpenChainConfig(
            study="open-chain", title="open chain", n=3, field=[0.25, 0.25, -0.5], coupling=[0.5, 0.1, 0.1],
            initial=[1, 0, 0], anisotropy_shifts=[-0.4, -0.2, 0.0, 0.2, 0.4, 0.8],
            bath={"damping": 0.1, "n_b": 0.08, "ratio": 0.1}, evolution={"t_end": 100, "num": 401}),
    }


def _png_size(path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


@pytest.fixture(scope="module", params=["spectrum", "chain-n3"])
def cli_run(request, tmp_path_factory):
    """(example name, config path, the CLI's results file read back, its figure)."""
    name = request.param
    d = tmp_path_factory.mktemp(name)
    cfg = d / f"{name}.toml"
    assert main(["--quiet", "example", name, "--write", str(cfg)]) == 0
    assert main(["--quiet", "run", str(cfg), "--out", str(d / "cli.nc")]) == 0
    return name, cfg, spinbath.load(d / "cli.nc"), d / "cli.png"


@pytest.mark.parametrize("form", ["path", "path-str", "text", "dict", "object"])
def test_run_gives_the_cli_results(cli_run, form):
    name, cfg_path, expected, _ = cli_run
    text = cfg_path.read_text()
    config = {"path": cfg_path, "path-str": str(cfg_path), "text": text, "dict": tomllib.loads(text),
              "object": _config_objects().get(name)}[form]
    ds = spinbath.run(config, quiet=True)
    assert isinstance(ds, xr.Dataset)
    if form in ("dict", "object"):
        _, want = parse_config_text(text)
        _, got = parse_config_text(ds.attrs["config_toml"])
        assert canonical_config(got) == canonical_config(want)
        ds.attrs["config_toml"] = expected.attrs["config_toml"]
    xr.testing.assert_identical(ds, expected)


def test_run_writes_the_results_file_and_load_reads_it_back(cli_run, tmp_path):
    name, cfg_path, expected, _ = cli_run
    ds = spinbath.run(cfg_path, out=tmp_path / "api.nc", quiet=True)
    back = spinbath.load(tmp_path / "api.nc")
    xr.testing.assert_identical(back, ds)
    xr.testing.assert_identical(back, expected)


def test_plot_returns_the_figure_and_writes_the_cli_figure(cli_run, tmp_path):
    from matplotlib.figure import Figure
    from matplotlib.pyplot import get_fignums

    name, _, ds, cli_png = cli_run
    before = set(get_fignums())
    fig = spinbath.plot(ds, tmp_path / "api.png")
    assert isinstance(fig, Figure) and fig.axes
    assert _png_size(tmp_path / "api.png") == _png_size(cli_png)  # same style, 300 dpi, tight box
    assert set(get_fignums()) == before  # closed in pyplot: nothing piles up, a notebook shows it once
    assert isinstance(spinbath.plot(ds), Figure)
    assert not list(tmp_path.glob("figure*"))
    fig = spinbath.plot(ds, tmp_path / "api-figure", format="svg")
    assert (tmp_path / "api-figure").read_text().lstrip().startswith("<?xml")


def test_config_object_with_unit_strings_runs():
    from spinbath.studies import SpectrumConfig

    cfg = SpectrumConfig(study="spectrum", spin={"J": "15/2", "g": 4 / 3, "crystal_field": {"dataset": "dycp"}},
                         field={"values": ["0 T", "500 mT", "1 T"]}, temperatures=["2 K", 10])
    ds = spinbath.run(cfg, quiet=True)
    assert ds.attrs["study"] == "spectrum"
    assert ds["field"].values.tolist() == pytest.approx([0.0, 0.5, 1.0])
    assert ds["temperature"].values.tolist() == [2.0, 10.0]
    assert ds["magnetization"].shape == (2, 3)
    # The embedded TOML reproduces the object, so `spinbath rerun` of the results works.
    _, again = parse_config_text(ds.attrs["config_toml"])
    assert canonical_config(again) == canonical_config(cfg)


def test_study_config_models_are_the_studies_own():
    import spinbath.studies as studies

    names = {"SpectrumConfig": "spectrum", "SpinPhononConfig": "spin-phonon", "OpenChainConfig": "open-chain",
             "JunctionCouplingsConfig": "junction-couplings", "DimerLLGConfig": "dimer-llg",
             "RelaxationLawsConfig": "relaxation-laws", "HysteresisConfig": "hysteresis"}
    assert set(names.values()) == set(studies.study_names())
    for attr, study in names.items():
        assert getattr(studies, attr) is studies.get_study(study).config_model
        assert attr in studies.__all__


def _cli_error(args, capsys) -> str:
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    return err[0].removeprefix("error: ")


def test_bad_input_raises_config_error_with_the_cli_message(tmp_path, capsys):
    data = tomllib.loads(_example("spectrum"))
    data["spin"]["Jx"] = 3
    data["field"]["num"] = 0
    bad = tmp_path / "bad.toml"
    from spinbath._toml import dumps

    bad.write_text(dumps(data))
    cli_message = _cli_error(["--quiet", "run", str(bad), "--out", str(tmp_path / "x.nc")], capsys)
    assert "spin.Jx: unknown key" in cli_message and "field.num" in cli_message
    with pytest.raises(spinbath.ConfigError) as from_path:
        spinbath.run(bad)
    assert str(from_path.value) == cli_message
    with pytest.raises(spinbath.ConfigError) as from_dict:
        spinbath.run(data)
    assert str(from_dict.value) == cli_message.replace(str(bad), "<config dict>")
    with pytest.raises(spinbath.ConfigError) as from_text:
        spinbath.run(bad.read_text())
    assert str(from_text.value) == cli_message.replace(str(bad), "<config text>")
    assert not list(tmp_path.glob("*.nc"))

    missing = _cli_error(["run", str(tmp_path / "nope.toml")], capsys)
    with pytest.raises(spinbath.ConfigError, match="does not exist") as err:
        spinbath.run(tmp_path / "nope.toml")
    assert str(err.value) == missing
    with pytest.raises(spinbath.ConfigError, match="<config dict>: study = 'nonesuch' is not a known study"):
        spinbath.run({"study": "nonesuch"})
    with pytest.raises(spinbath.ConfigError, match="does not exist"):
        spinbath.load(tmp_path / "nope.nc")
    with pytest.raises(spinbath.ConfigError, match="<config dict>: .*complex"):
        spinbath.run({"study": "spectrum", "spin": {"J": 1j}})
    with pytest.raises(TypeError, match="whole study config"):
        from spinbath.config.spin import SpinConfig

        spinbath.run(SpinConfig(J=0.5))
    with pytest.raises(spinbath.ConfigError, match="not supported"):
        spinbath.plot(xr.Dataset(attrs={"study": "spectrum"}), tmp_path / "x.jpg")
    with pytest.raises(spinbath.ConfigError, match="unknown study"):
        spinbath.plot(xr.Dataset())


SWEEP = """study = "spectrum"
[spin]
J = "15/2"
g = 1.3333333333333333
[spin.crystal_field]
dataset = "dycp"
[field]
start = "0 T"
stop = "5 T"
num = 6
[sweep]
"spin.g" = [1.2, 1.4]
"""


def test_sweep_gives_the_cli_results(tmp_path):
    cfg = tmp_path / "sweep.toml"
    cfg.write_text(SWEEP)
    assert main(["--quiet", "run", str(cfg), "--out", str(tmp_path / "cli.nc"), "--serial"]) == 0
    expected = spinbath.load(tmp_path / "cli.nc")
    assert "sweep" in expected.attrs and expected.sizes["spin.g"] == 2
    ds = spinbath.run(SWEEP, serial=True, quiet=True)  # in a temporary run folder
    xr.testing.assert_identical(ds, expected)
    ds = spinbath.run(cfg, serial=True, quiet=True, out=tmp_path / "api.nc")
    xr.testing.assert_identical(ds, expected)
    assert (tmp_path / "api.sweep").is_dir()  # kept, so the same call resumes from its checkpoints
    fig = spinbath.plot(ds, tmp_path / "sweep.png")
    assert fig.axes and (tmp_path / "sweep.png").stat().st_size > 1000


def test_quiet_run_prints_nothing(capfd):
    spinbath.run(SWEEP.split("[sweep]")[0], quiet=True)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_progress_bars_show_in_a_terminal_or_notebook_only(monkeypatch):
    from rich.console import Console

    from spinbath.progress import bars_visible

    terminal = Console(force_terminal=True, force_jupyter=False)
    pipe = Console(force_terminal=False, force_jupyter=False)
    notebook = Console(force_jupyter=True)
    assert bars_visible(terminal, quiet=False) and not bars_visible(terminal, quiet=True)
    assert not bars_visible(pipe, quiet=False)
    has_widgets = __import__("importlib").util.find_spec("ipywidgets") is not None
    assert bars_visible(notebook, quiet=False) == has_widgets
    assert not bars_visible(notebook, quiet=True)


def test_run_restores_the_quiet_setting():
    from spinbath.progress import is_quiet, set_quiet

    set_quiet(False)
    spinbath.run(SWEEP.split("[sweep]")[0], quiet=True)
    assert is_quiet() is False


def test_toml_writer_round_trips():
    import numpy as np

    from spinbath._toml import dumps

    data = {"study": "x", "a": 1, "b": [1.5, float("inf"), -0.0, 1e-300], "c": {"d": {"e": 'q"\\\n\té\U0001F600\x7f',
            "f": []}, "g": True, "h": {}}, "sweep": {"field.values": [[0.0], ["1 T"]],
            "bias.temperature": {"start": "0 K", "stop": 20, "num": 5}}, "arr": np.arange(4).reshape(2, 2),
            "n": np.float64(2.5), "i": np.int32(3), "flag": np.bool_(False), "none": None,
            "tables": [{"x": 1, "y": None}, {"z": [1, 2]}], "weird key": 1}
    back = tomllib.loads(dumps(data))
    expected = {k: v for k, v in data.items() if k != "none"}
    expected.update(arr=[[0, 1], [2, 3]], n=2.5, i=3, flag=False, tables=[{"x": 1}, {"z": [1, 2]}])
    assert back == expected
    assert back["b"][2] == 0.0 and str(back["b"][2]) == "-0.0"
    with pytest.raises(TypeError, match="a.b"):
        dumps({"a": {"b": 1j}})
    with pytest.raises(TypeError, match="a.1"):
        dumps({"a": [1, None]})


def test_import_spinbath_exposes_the_api():
    assert {"run", "load", "plot", "ConfigError", "__version__"} <= set(spinbath.__all__)
    assert spinbath.ConfigError is sys.modules["spinbath.config"].ConfigError
