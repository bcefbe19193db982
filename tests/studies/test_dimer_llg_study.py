"""Study ``dimer-llg``: Langevin vs Fokker-Planck for the free spin of the junction dimer."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from helpers import assert_bad_input as _assert_bad_input
from helpers import run_config as run

BASE = """
study = "dimer-llg"
[junction]
t = "0.1 meV"
[bias]
V = [-3.0, -2.0, 2.0, 3.0]
temperature = "1 K"
[spins]
S = 1
Delta = "5 meV"
[langevin]
trajectories = 400
dt = "0.01 ps"
t_end = "40 ps"
average_from = 0.4
samples = 40
seed = 11
"""


@pytest.fixture(scope="module")
def weak(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dimer")
    code, out = run(tmp, BASE)
    assert code == 0
    with xr.open_dataset(out) as ds:
        return ds.load(), out


def test_results_carry_units_and_a_figure(weak):
    ds, out = weak
    for name in ("m_langevin", "m_langevin_err", "m_fokker_planck", "T_eff", "J", "D", "D_over_J",
                 "trajectory_m", "alpha_gilbert"):
        assert "units" in ds[name].attrs, name
    assert ds.V.attrs["units"] == "mV" and ds.time.attrs["units"] == "ps"
    assert out.with_suffix(".png").stat().st_size > 10_000
    np.testing.assert_allclose(np.linalg.norm(ds.trajectory_m.values, axis=-1), 1.0, atol=1e-9)


def test_langevin_agrees_with_fokker_planck_away_from_the_switch(weak):
    """At |V| = 2 mV (J > 0, far from the sign change near 3.5 mV) the ensemble mean of the free
    spin equals the Boltzmann average at T_eff within 3.5 standard errors per component (the
    Heun time step adds a bias well below that, checked with dt/2 in the validation set)."""
    ds, _ = weak
    for v in (-2.0, 2.0):
        lan = ds.m_langevin.sel(V=v).values
        fp = ds.m_fokker_planck.sel(V=v).values
        err = ds.m_langevin_err.sel(V=v).values
        assert np.all(np.abs(lan - fp) < 3.5 * err + 1e-3), (v, lan, fp, err)
        assert lan[2] < -0.5  # antiparallel to the pinned spin at low bias


def test_dm_steers_the_free_spin_with_the_sign_of_the_bias(weak):
    """<m_y> changes sign between +V and -V near the switch (D odd in V), in both estimates."""
    ds, _ = weak
    for name in ("m_langevin", "m_fokker_planck"):
        my = ds[name].sel(axis="y")
        assert np.sign(float(my.sel(V=3.0))) == -np.sign(float(my.sel(V=-3.0))) != 0, name
        assert abs(float(my.sel(V=3.0))) > 5 * float(ds.m_langevin_err.sel(V=3.0, axis="y"))
    np.testing.assert_allclose(ds.D.sel(V=3.0), -ds.D.sel(V=-3.0), rtol=1e-9)
    assert float(ds.T_eff.sel(V=3.0)) > float(ds.T_eff.sel(V=2.0)) > 1.0  # bias heats the spin


def test_self_torque_is_what_separates_langevin_from_fokker_planck(tmp_path):
    """Keeping the current-driven self torque (absent from the paper's LLG) shifts <m_y> far
    beyond the statistical error: the Fokker-Planck estimate has no room for it."""
    text = BASE.replace('study = "dimer-llg"', 'study = "dimer-llg"\nself_torque = true')
    code, out = run(tmp_path, text.replace("[-3.0, -2.0, 2.0, 3.0]", "[2.0]"), "torque")
    assert code == 0
    with xr.open_dataset(out) as ds:
        dy = float(ds.m_langevin.sel(V=2.0, axis="y") - ds.m_fokker_planck.sel(V=2.0, axis="y"))
        assert abs(dy) > 6 * float(ds.m_langevin_err.sel(V=2.0, axis="y"))
        assert ds.attrs["self_torque"] == 1


BAD = {
    "list of t": (BASE.replace('t = "0.1 meV"', 't = [0.1, 1.0]'), ["junction.t", "one spin-orbit"]),
    "dt too large": (BASE.replace('dt = "0.01 ps"', 'dt = "50 ps"'), ["langevin", "dt"]),
    "zero spin length": (BASE.replace("S = 1", "S = 0"), ["spins.S"]),
    "missing couplings file": (BASE.replace('temperature = "1 K"', 'temperature = "1 K"\ncouplings_file = "nope.nc"'),
                               ["bias.couplings_file", "does not exist"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_dimer_input_is_reported_cleanly(case, tmp_path, capsys):
    _assert_bad_input(tmp_path, capsys, *BAD[case])
