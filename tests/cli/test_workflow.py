"""run -> results file (units, embedded config) -> plot -> rerun reproduces; examples; demo."""

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from spinbath.cli import main
from spinbath.io import missing_units, read_results


@pytest.fixture(scope="module")
def spectrum_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("spec")
    cfg = d / "spectrum.toml"
    assert main(["--quiet", "example", "spectrum", "--write", str(cfg)]) == 0
    assert main(["--quiet", "run", str(cfg), "--out", str(d / "spectrum.nc")]) == 0
    return d


def test_results_have_units_and_config(spectrum_run):
    ds = read_results(spectrum_run / "spectrum.nc")
    assert missing_units(ds) == []
    assert ds.attrs["study"] == "spectrum"
    assert 'study = "spectrum"' in ds.attrs["config_toml"]
    assert ds["energy"].attrs["units"] == "cm^-1"
    assert np.allclose(ds["doublet_energy"].values[1], 478.5, atol=0.5)


def test_plot_redraws_in_each_format(spectrum_run):
    for fmt in ("png", "svg", "pdf"):
        out = spectrum_run / f"redraw.{fmt}"
        assert main(["--quiet", "plot", str(spectrum_run / "spectrum.nc"), "--out", str(out)]) == 0
        assert out.stat().st_size > 1000
    png = (spectrum_run / "redraw.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_rerun_reproduces_results(spectrum_run):
    out = spectrum_run / "again.nc"
    assert main(["--quiet", "rerun", str(spectrum_run / "spectrum.nc"), "--out", str(out), "--no-figure"]) == 0
    a = xr.load_dataset(spectrum_run / "spectrum.nc", engine="h5netcdf")
    b = xr.load_dataset(out, engine="h5netcdf")
    for v in a.data_vars:
        np.testing.assert_allclose(a[v].values, b[v].values, rtol=1e-12, atol=1e-12)


def test_examples_listing(capsys):
    assert main(["examples"]) == 0
    out = capsys.readouterr().out
    assert "spectrum" in out


def test_unknown_example_exits_2(capsys):
    assert main(["example", "nonesuch"]) == 2
    assert "available:" in capsys.readouterr().err


def test_plot_of_a_non_results_file_exits_2(tmp_path, capsys):
    f = tmp_path / "x.nc"
    f.write_text("not netcdf")
    assert main(["plot", str(f)]) == 2
    assert "not a readable results file" in capsys.readouterr().err


def test_demo_writes_results_and_figure(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    files = sorted(p.name for p in (tmp_path / "spinbath-demo").iterdir())
    assert any(f.endswith(".nc") for f in files) and any(f.endswith(".png") for f in files)
    assert "summary" in out
    # The flagship example claims what its comments say: the model bath gives tau of order
    # 0.1-1 s near 77 K and an Orbach barrier in the region of the high doublets (1185-1474 cm^-1).
    import numpy as np
    import xarray as xr

    with xr.open_dataset(tmp_path / "spinbath-demo" / "dycp.nc") as ds:
        tau = ds.tau.sel(order="2+4")
        t77 = float(np.exp(np.interp(1 / 77.0, 1 / ds.temperature.values[::-1], np.log(tau.values[::-1]))))
        assert 0.1 < t77 < 1.0
        assert 1150 < float(ds.U_eff.sel(order="2")) < 1500
        assert np.all(np.diff(tau.values) < 0)


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert "spinbath" in capsys.readouterr().out


def test_every_shipped_example_is_a_valid_config():
    from importlib import resources

    from spinbath.config import parse_config_text

    folder = resources.files("spinbath.examples")
    names = [p for p in folder.iterdir() if p.name.endswith(".toml")]
    assert len(names) >= 6
    for p in names:
        study, cfg = parse_config_text(p.read_text(), source=p.name, base_dir=Path(str(folder)))
        assert cfg.study == study.name
