"""The gathered dataset (product and zip layouts, differing task layouts, name clashes), the sweep
figure, `spinbath plot` and `spinbath rerun` of a sweep results file."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from spinbath.cli import main
from spinbath.io import missing_units, read_results
from helpers import SPECTRUM, load, run_cli

PNG = b"\x89PNG\r\n\x1a\n"


def test_zip_layout_and_figure(tmp_path):
    code, out = run_cli(tmp_path, 'study = "toy"\n[sweep]\nmode = "zip"\nx = [3, 1, 2]\ny = [0.5, 0.25, 0]\n',
                        "--serial", figure=True)
    assert code == 0
    ds = read_results(out)
    assert ds["f"].dims == ("task",) and ds["v"].dims == ("task", "k")
    np.testing.assert_array_equal(ds["task"], [0, 1, 2])
    np.testing.assert_array_equal(ds["x"], [3, 1, 2])
    np.testing.assert_array_equal(ds["f"], [9.5, 1.25, 4.0])
    assert ds["x"].dims == ("task",) and ds["x"].attrs["sweep_path"] == "x"
    assert missing_units(ds) == []
    assert json.loads(ds.attrs["sweep"])["mode"] == "zip"
    assert out.with_suffix(".png").read_bytes()[:8] == PNG


def test_two_parameter_map_figure_and_plot_command(tmp_path):
    code, out = run_cli(tmp_path, 'study = "toy"\n[sweep]\nx = [0, 1, 2]\ny = {start = 0, stop = 1, num = 4}\n',
                        "--serial", figure=True)
    assert code == 0
    ds = load(out)
    assert ds["f"].shape == (3, 4) and ds["v"].dims == ("x", "y", "k")
    np.testing.assert_allclose(ds["f"], np.add.outer([0, 1, 4], np.linspace(0, 1, 4)))
    for fmt in ("png", "svg"):
        fig = tmp_path / f"again.{fmt}"
        assert main(["--quiet", "plot", str(out), "--out", str(fig)]) == 0
        assert fig.stat().st_size > 1000


def test_tasks_with_different_layouts_are_aligned(tmp_path):
    code, out = run_cli(tmp_path, 'study = "toy"\nx = 2.0\n[sweep]\nn = [2, 3]\n', "--serial", figure=True)
    assert code == 0
    ds = load(out)
    np.testing.assert_array_equal(ds["k"], [0, 1, 2])
    np.testing.assert_array_equal(ds["v"], [[0, 2, np.nan], [0, 2, 4]])
    np.testing.assert_array_equal(ds["n_points"], [2, 3])
    assert ds["v"].attrs["units"] == "1"


def test_parameter_named_like_a_study_dimension_is_prefixed(tmp_path):
    text = SPECTRUM + '[sweep]\n"field" = [{values = [0.0]}, {values = ["1 T"]}]\n'
    code, out = run_cli(tmp_path, text, "--serial")
    assert code == 0
    ds = load(out)
    assert ds["energy"].dims == ("sweep.field", "field", "level")
    assert list(ds["sweep.field"].values) == ['{"values" = [0.0]}', '{"values" = ["1 T"]}']
    assert ds["sweep.field"].attrs["sweep_path"] == "field"


def test_rerun_of_a_sweep_results_file_reproduces_it(tmp_path):
    code, out = run_cli(tmp_path, 'study = "toy"\n[sweep]\nx = [1, 2]\n', "--serial")
    assert code == 0
    again = tmp_path / "again.nc"
    assert main(["--quiet", "rerun", str(out), "--out", str(again), "--serial", "--no-figure"]) == 0
    xr.testing.assert_identical(load(again), load(out))
    assert (tmp_path / "again.sweep").is_dir()
