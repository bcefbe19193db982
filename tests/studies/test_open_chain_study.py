"""Study ``open-chain``: exact vs mean field through the config, with units and clean bad input."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from helpers import assert_bad_input as _assert_bad_input
from helpers import run_config as run
from spinbath.cli import main

BASE = """
study = "open-chain"
n = 3
field = [0.25, 0.25, -0.5]
coupling = [0.5, 0.1, 0.1]
initial = [1, 0, 0]
"""
BATH = """
[bath]
damping = 0.1
n_b = 0.08
ratio = 0.1
"""
EVOL = """
[evolution]
t_end = 20
num = 81
"""




@pytest.fixture(scope="module")
def n3(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("oc")
    code, out = run(tmp, BASE + BATH + EVOL)
    assert code == 0
    with xr.open_dataset(out) as ds:
        return ds.load(), out


def test_results_carry_units_and_start_from_the_initial_state(n3):
    ds, out = n3
    for v in ("M_exact", "M_mf", "concurrence", "M_steady", "mismatch", "correlation"):
        assert "units" in ds[v].attrs, v
    assert ds.time.attrs["units"] == "1/gamma"
    np.testing.assert_allclose(ds.M_exact.isel(time=0), [[1, 0, 0]] * 3, atol=1e-12)
    np.testing.assert_allclose(ds.M_mf.isel(time=0), [[1, 0, 0]] * 3, atol=1e-12)
    assert out.with_suffix(".png").exists()


def test_exact_state_stays_physical_and_entangles(n3):
    ds, _ = n3
    norms = np.linalg.norm(ds.M_exact.values, axis=-1)
    assert np.all(norms <= 1 + 1e-9)  # Bloch vectors of reduced states
    C = ds.concurrence.values
    assert np.all((C >= -1e-12) & (C <= 1 + 1e-12))
    assert C[0].max() < 1e-10  # product state at t = 0
    assert C.max() > 1e-3  # anisotropic exchange entangles neighbours
    # mean field is a product state: it cannot follow the exact dynamics exactly
    assert np.all(ds.mismatch.values > 1e-6)


def test_steady_state_is_reached_by_the_exact_evolution(tmp_path):
    text = BASE + BATH + EVOL.replace("t_end = 20", "t_end = 400").replace("num = 81", "num = 41")
    code, out = run(tmp_path, text)
    assert code == 0
    with xr.open_dataset(out) as ds:
        np.testing.assert_allclose(ds.M_exact.isel(time=-1), ds.M_steady, atol=1e-4)


def test_closed_isotropic_chain_mean_field_is_exact_and_anisotropy_breaks_it(tmp_path):
    text = (BASE.replace("[0.5, 0.1, 0.1]", "[0.3, 0.3, 0.3]")
            + "anisotropy_shifts = [0.0, 0.2, 0.4]\nsteady_state = false\n"
            + "[bath]\nonsite = {}\nneighbour = {}\n" + EVOL)
    code, out = run(tmp_path, text)
    assert code == 0
    with xr.open_dataset(out) as ds:
        mis = ds.mismatch_vs_shift.values
        assert mis[0] < 1e-12
        assert mis[1] > 1e-4 and mis[2] > mis[1]


def test_field_loop_exact_steady_state_has_no_hysteresis(tmp_path):
    text = (BASE.replace("n = 3", "n = 2") + "steady_state = false\n" + BATH
            + "[hysteresis]\ndirection = [0, 0, 1]\nstart = -1\nstop = 1\nnum = 9\n")
    code, out = run(tmp_path, text)
    assert code == 0
    with xr.open_dataset(out) as ds:
        ex = ds.m_exact_loop
        np.testing.assert_allclose(ex.sel(branch="up"), ex.sel(branch="down"))
        assert np.all(ds.mf_converged.values == 1)
        assert ds.sw_m.attrs["units"] == "1"


BAD = {
    "bad rate key": (BASE + "[bath]\nonsite = {\"w+\" = 0.1}\n", ["bath.onsite", "w+"]),
    "thermal and explicit": (BASE + "[bath]\ndamping = 0.1\nn_b = 0.1\nonsite = {}\n", ["bath", "either"]),
    "exact too large": (BASE.replace("n = 3", "n = 14") + BATH, ["n = 14", "4^n"]),
    "negative damping": (BASE + "[bath]\ndamping = -0.1\nn_b = 0.1\n", ["bath.damping"]),
    "field length": (BASE.replace("[0.25, 0.25, -0.5]", "[0.25, 0.25]"), ["field"]),
    "shifts without evolution": (BASE + "anisotropy_shifts = [0.1]\nevolution = false\n" + BATH, ["evolution"]),
    "unknown mean field": (BASE + 'mean_field = "papers"\n' + BATH, ["mean_field", "consistent", "paper"]),
    "paper with transverse on-site rates": (BASE + 'mean_field = "paper"\n[bath]\nonsite = {"x-" = 0.1}\n',
                                            ["mean_field = 'paper'", "x-", "along z"]),
    "comparison without thermal bath": (BASE + '[bath]\nonsite = {"z-" = 0.1}\n' + EVOL
                                        + "[mean_field_comparison]\ndampings = [0.1]\n", ["thermal", "damping"]),
    "dynamic exact too large": (BASE.replace("n = 3", "n = 9") + "steady_state = false\nevolution = false\n"
                                + "[dynamic_hysteresis]\nrates = [0.1]\n", ["n = 9", "dynamic_hysteresis.exact"]),
    "dynamic quasi-static too large": (BASE.replace("n = 3", "n = 7") + "steady_state = false\nevolution = false\n"
                                       + "[dynamic_hysteresis]\nrates = [0.1]\n", ["n = 7", "quasi_static = false"]),
    "dynamic negative rate": (BASE + "[dynamic_hysteresis]\nrates = [0.1, -0.2]\n",
                              ["dynamic_hysteresis.rates", "-0.2"]),
    "dynamic with paper equations": (BASE + 'mean_field = "paper"\n[dynamic_hysteresis]\nrates = [0.1]\n',
                                     ["mean_field = 'paper'", "dynamic_hysteresis", "Davies"]),
    "dynamic negative temperature": (BASE + "[dynamic_hysteresis]\nrates = [0.1]\ntemperature = -1\n",
                                     ["dynamic_hysteresis.temperature"]),
    "comparison negative damping": (BASE + BATH + EVOL + "[mean_field_comparison]\ndampings = [0.1, -1]\n",
                                    ["mean_field_comparison.dampings", "-1"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_open_chain_input_is_reported_cleanly(case, tmp_path, capsys):
    _assert_bad_input(tmp_path, capsys, *BAD[case])


def test_relaxation_gap_is_the_late_decay_rate(tmp_path):
    # Long run: the distance to the steady state decays at late times as exp(-gap t) (the slowest
    # Liouvillian mode, with its oscillation averaged by fitting the envelope over a long window).
    text = BASE + BATH + "[evolution]\nt_end = 300\nnum = 601\n"
    code, out = run(tmp_path, text, "gap")
    assert code == 0
    with xr.open_dataset(out) as ds:
        t = ds.time.values
        dev = np.linalg.norm((ds.M_exact - ds.M_steady).values, axis=(1, 2))
        win = (t > 100) & (t < 250)
        rate = -np.polyfit(t[win], np.log(dev[win]), 1)[0]
        assert rate == pytest.approx(float(ds.relaxation_gap), rel=0.1)


def test_correlations_in_both_normalizations_obey_sigma_squared_equals_one(n3):
    """sigma_a^2 = 1 on every site: the same-site, same-axis Pauli correlation is 1 - <sigma_a>^2
    (the paper's Eq. 21 normalization), and the S = sigma/2 one is a quarter of it."""
    ds, _ = n3
    M_end = ds.M_exact.isel(time=-1).values  # (site, axis) = <sigma>
    for i in range(ds.sizes["site"]):
        for k, a in enumerate("xyz"):
            c_sigma = float(ds.correlation_sigma.sel(site_i=i, site_j=i, axis_a=a, axis_b=a))
            assert c_sigma == pytest.approx(1.0 - M_end[i, k] ** 2, abs=1e-9)
            assert float(ds.correlation.sel(site_i=i, site_j=i, axis_a=a, axis_b=a)) == pytest.approx(c_sigma / 4, abs=1e-12)


def test_size_scaling_agrees_with_single_runs_and_marks_the_two_site_ring(tmp_path):
    """mismatch_vs_n at N is the site-averaged mismatch of a run with n = N (open chain); a periodic
    chain of 2 is not a ring (NaN); all mismatches are positive (interactions correlate the sites)."""
    import spinbath

    base = {"study": "open-chain", "n": 3, "field": [0.25, 0.25, -0.5], "coupling": [0.5, 0.1, 0.1],
            "initial": [1, 0, 0], "bath": {"damping": 0.1, "n_b": 0.08, "ratio": 0.1},
            "evolution": {"t_end": 20, "num": 41}, "steady_state": False}
    ds = spinbath.run({**base, "size_scaling": [2, 3], "evolution": {**base["evolution"], "exact": False}}, quiet=True)
    single = spinbath.run({**base, "n": 3}, quiet=True)
    assert float(ds.mismatch_vs_n.sel(chain_boundary="open", n_sites=3)) == pytest.approx(
        float(single.mismatch.mean()), rel=1e-9)
    assert np.isnan(float(ds.mismatch_vs_n.sel(chain_boundary="periodic", n_sites=2)))
    finite = ds.mismatch_vs_n.values[np.isfinite(ds.mismatch_vs_n.values)]
    assert np.all(finite > 0) and np.all(ds.steady_mismatch_vs_n.values[np.isfinite(ds.steady_mismatch_vs_n.values)] > 0)


def test_dynamic_loops_through_the_cli_name_their_models_and_close_as_the_sweep_slows(tmp_path):
    """[dynamic_hysteresis] through `spinbath run`: two spins, three rates; the exact loop area falls
    with the rate toward the quasi-static curve, both models are named, variables carry units."""
    text = (BASE.replace("n = 3", "n = 2").replace("[0.25, 0.25, -0.5]", "[0.25, 0.25, 0.7]")
            + "steady_state = false\nevolution = false\n"
            + "[dynamic_hysteresis]\nh_max = 1.0\nrates = [0.03, 0.06]\nnum = 21\ncycles = 1\nkappa = 0.2\n")
    code, out = run(tmp_path, text, "dyn")
    assert code == 0
    with xr.open_dataset(out) as ds:
        assert list(ds.sweep_rate.values) == [0.06, 0.03]      # sorted fastest first
        for v in ("m_dyn", "loop_area", "loop_closure", "m_dyn_quasistatic"):
            assert "units" in ds[v].attrs, v
        assert "exact Lindblad, N = 2" in ds.attrs["dyn_models"] and "mean field" in ds.attrs["dyn_models"]
        assert "Davies" in ds.attrs["dyn_bath"]
        # the sweep replaces B_z: base field (0.25, 0.25, 0)
        assert ds.attrs["dyn_sweep"].startswith("B(t) = [0.25, 0.25, 0.0]")
        exact = ds.loop_area.sel(dyn_model="exact").values
        assert np.all(exact > 0) and np.all(np.diff(exact) < 0)
        dev = np.abs(ds.m_dyn.sel(dyn_model="exact") - ds.m_dyn_quasistatic).max(("dyn_branch", "h_dyn")).values
        assert np.all(np.diff(dev) < 0)
        assert ds.attrs["dyn_exact_trace_error"] < 1e-10 and ds.attrs["dyn_exact_min_eigenvalue"] > -1e-10
    assert out.with_suffix(".png").exists()
