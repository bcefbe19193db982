"""Study ``junction-couplings``: the maps through the config, with symmetry laws, units and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from helpers import assert_bad_input as _assert_bad_input
from helpers import run_config as run
from spinbath.junction import couplings

BASE = """
study = "junction-couplings"
[junction]
t = ["0.1 meV", "1 meV"]
[bias]
V = {start = "-4 mV", stop = "4 mV", num = 5}
mu_F = [-1.5, 0, "0.7 meV"]
"""


@pytest.fixture(scope="module")
def maps(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("jc")
    code, out = run(tmp, BASE)
    assert code == 0
    with xr.open_dataset(out) as ds:
        return ds.load(), out


def test_every_output_has_units_and_a_figure(maps):
    ds, out = maps
    for name in ("J_per_Delta2", "D_per_Delta2", "A_per_Delta2", "K_per_Delta2", "Dloc_per_Delta2", "s", "T_eff", "D_over_J", "alpha_i", "alpha_an", "j_i", "j_an"):
        assert "units" in ds[name].attrs, name
    assert ds.V.attrs["units"] == "mV" and ds.mu_F.attrs["units"] == "meV"
    assert ds.J_per_Delta2.attrs["units"] == "meV^-1" and ds.alpha_i.attrs["units"] == "meV^-2"
    assert out.with_suffix(".png").stat().st_size > 10_000


def test_map_obeys_the_symmetries_of_the_symmetric_junction(maps):
    """Inversion (sites 1 <-> 2, leads L <-> R, V -> -V) and particle-hole symmetry (eps0 = 0).

    D: exactly 0 at V = 0, odd in V and D_2 = -D_1 at every mu_F (it is purely a bias effect).
    J, A, K: site 2 at V equals site 1 at -V (inversion); even in V at the particle-hole
    symmetric point mu_F = 0; in general X_1(V, mu_F) = X_1(-V, -mu_F).
    """
    ds, _ = maps
    D, J = ds.D_per_Delta2.values, ds.J_per_Delta2.values  # (t, site, V, mu_F); V and mu_F grids symmetric about 0
    np.testing.assert_array_equal(ds.D_per_Delta2.sel(V=0.0).values, 0.0)
    np.testing.assert_allclose(D, -D[:, :, ::-1], atol=1e-9 * np.abs(D).max())
    np.testing.assert_allclose(D[:, 1], -D[:, 0], atol=1e-9 * np.abs(D).max())
    mu = ds.mu_F.values
    for name in ("J", "A", "K"):
        x = ds[f"{name}_per_Delta2"].values
        tol = 1e-9 * np.abs(x).max()
        np.testing.assert_allclose(x[:, 1], x[:, 0, ::-1], atol=tol, err_msg=name)
        at0 = x[..., list(mu).index(0.0)]
        np.testing.assert_allclose(at0, at0[:, :, ::-1], atol=tol, err_msg=name)
        np.testing.assert_allclose(at0[:, 1], at0[:, 0], atol=tol, err_msg=name)
    assert np.abs(D).max() > 1e-3 * np.abs(J).max()  # bias really makes a DM coupling


def test_particle_hole_symmetry_maps_mu_to_minus_mu(tmp_path):
    """eps0 = 0 makes the junction particle-hole symmetric: (V, mu_F) -> (-V, -mu_F) keeps J, A, K
    and flips D (which, being odd in V, is then even in mu_F)."""
    code, out = run(tmp_path, BASE.replace("mu_F = [-1.5, 0, \"0.7 meV\"]", "mu_F = [-1.5, 1.5]"), "ph")
    assert code == 0
    with xr.open_dataset(out) as ds:
        for name, sign in (("J", 1), ("A", 1), ("K", 1), ("D", -1)):
            x = ds[f"{name}_per_Delta2"].values
            np.testing.assert_allclose(x, sign * x[:, :, ::-1, ::-1], atol=1e-9 * np.abs(x).max(),
                                       err_msg=name)


def test_map_agrees_with_the_point_function(maps):
    """The vectorized map and ``couplings`` (one point at a time) are the same numbers."""
    ds, _ = maps
    c = couplings(4.0, 0.7, 0.0, t=1.0)
    point = ds.sel(t_soc=1.0, V=4.0, mu_F=0.7)
    for name in ("J", "D", "A", "K"):
        for a in (1, 2):
            assert float(point[f"{name}_per_Delta2"].sel(site=a)) == pytest.approx(c[f"{name}{a}"], rel=1e-6, abs=1e-10)
    np.testing.assert_allclose(point.alpha_i.values, c["alpha_i"], rtol=1e-6)
    np.testing.assert_allclose(point.j_i.values, c["j_i"], rtol=1e-6)


def test_strong_soc_gives_larger_dm_and_anisotropy(maps):
    ds, _ = maps
    weak, strong = ds.sel(t_soc=0.1), ds.sel(t_soc=1.0)
    assert np.abs(strong.D_per_Delta2).max() > 3 * np.abs(weak.D_per_Delta2).max()
    assert np.abs(strong.A_per_Delta2).max() > 10 * np.abs(weak.A_per_Delta2).max()


BAD = {
    "negative temperature": (BASE + 'temperature = "-1 K"\n', ["bias.temperature", ">= 0 K"]),
    "zero t_hat": (BASE.replace('[junction]\n', '[junction]\nt_hat = [0, 0, 0]\n'), ["junction.t_hat"]),
    "unknown key": (BASE.replace('[junction]\n', '[junction]\nt_0 = 2\n'), ["junction.t_0", "unknown key"]),
    "negative lead coupling": (BASE.replace('[junction]\n', '[junction]\nt_L = -3\n'), ["junction.t_L"]),
    "empty bias list": (BASE.replace('V = {start = "-4 mV", stop = "4 mV", num = 5}', "V = []"), ["bias.V"]),
    "bias in tesla": (BASE.replace('"-4 mV"', '"-4 T"'), ["bias.V", "-4 T"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_junction_input_is_reported_cleanly(case, tmp_path, capsys):
    _assert_bad_input(tmp_path, capsys, *BAD[case])
