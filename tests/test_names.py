"""One meaning per variable name: renamed variables, and results files written before the renames.

An "old" file is made from today's results by giving the renamed variables their old names; it
must open with today's names (``renamed_from`` noted), plot, and feed dimer-llg as before.
"""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

import spinbath
from spinbath.cli import main
from spinbath.io import write_results
from spinbath.names import RENAMED

from test_figures import small_config

SMALL_SPIN_PHONON = """
study = "spin-phonon"
temperatures = [20.0, 40.0]
[spin]
J = "15/2"
g = "4/3"
[spin.crystal_field]
dataset = "dycp"
[bath]
model = "dycp-model"
[method]
orders = [2]
width = "10 cm^-1"
"""


@pytest.fixture(scope="module", params=sorted(RENAMED))
def old_file(request, tmp_path_factory):
    study = request.param
    if study == "spin-phonon":
        text = SMALL_SPIN_PHONON
        cfg = tomllib.loads(text)
    else:
        name = {"relaxation-laws": "relaxation-two-modes", "junction-couplings": "junction"}[study]
        cfg = small_config(name)
        if study == "junction-couplings":
            cfg["junction"]["t"] = "0.1 meV"
            cfg["bias"]["mu_F"] = [0.0]
        from spinbath._toml import dumps

        text = dumps(cfg)
    ds = spinbath.run(cfg, quiet=True)
    back = {new: old for old, new in RENAMED[study].items()}
    old = ds.rename_vars({k: v for k, v in back.items() if k in ds.data_vars})
    path = tmp_path_factory.mktemp(study) / "old.nc"
    write_results(old, path, study=study, config_toml=text)
    return study, path, ds


def test_renamed_names_are_unique_across_studies():
    """A new name never takes a name that any study uses for something else."""
    olds = {old for table in RENAMED.values() for old in table}
    news = [new for table in RENAMED.values() for new in table.values()]
    assert len(news) == len(set(news))
    # The old names keep one meaning each after the renames (U_eff: a fitted barrier, ...).
    assert not olds & set(news)


def test_old_file_opens_with_todays_names(old_file):
    study, path, today = old_file
    ds = spinbath.load(path)
    for old, new in RENAMED[study].items():
        assert new in ds.data_vars and old not in ds.data_vars
        assert ds[new].attrs["renamed_from"].startswith(old)
        np.testing.assert_array_equal(ds[new].values, today[new].values)
        assert ds[new].attrs["units"] == today[new].attrs["units"]


def test_old_file_plots(old_file, tmp_path, capsys):
    study, path, _ = old_file
    fig = spinbath.plot(spinbath.load(path))
    assert fig is not None
    assert main(["-q", "plot", str(path), "--out", str(tmp_path / "old.png")]) == 0
    assert (tmp_path / "old.png").stat().st_size > 0


def test_dimer_llg_reads_an_old_junction_file(old_file, tmp_path):
    study, path, today = old_file
    if study != "junction-couplings":
        pytest.skip("only junction files feed dimer-llg")
    cfg = small_config("dimer-llg")
    cfg["bias"] = {"V": [float(v) for v in today.V.values[:2]], "mu_F": "0 meV", "temperature": "0 K",
                   "couplings_file": str(path)}
    cfg["junction"]["t"] = "0.1 meV"
    cfg["langevin"].update({"trajectories": 4, "t_end": "2 ps", "samples": 20})
    ds = spinbath.run(cfg, quiet=True)
    # dimer-llg's J is an energy: J_2 per Delta^2 from the file times Delta^2 S^2 (meV).
    s2 = ds.attrs["Delta_meV"] ** 2 * ds.attrs["S"] ** 2
    expected = today.J_per_Delta2.isel(t_soc=0).sel(site=2, mu_F=0.0).values[:2] * s2
    np.testing.assert_allclose(ds.J.values, expected, rtol=1e-12)
