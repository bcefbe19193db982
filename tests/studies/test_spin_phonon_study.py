"""Study ``spin-phonon``: config -> tau, T1, T2, T2* with units; the same physics as the quantum layer."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
import xarray as xr

from spinbath.baths.cf_couplings import couplings_from_cf_derivatives, save_cf_derivative_npz
from spinbath.baths.phonons import PhononBath
from helpers import assert_bad_input as _assert_bad_input
from helpers import run_config
from spinbath.cli import main
from spinbath.config import parse_config_text
from spinbath.quantum.relaxation import coherence_times, relaxation_time
from spinbath.quantum.spin_phonon import SpinPhononRates
from spinbath.spins.hamiltonian import SpinHamiltonian

HEAD = """
study = "spin-phonon"
title = "toy J = 5/2"
temperatures = {start = "5 K", stop = "40 K", num = 5, spacing = "inverse"}
"""
SPIN = """
[spin]
J = "5/2"
g = 0.857
[spin.crystal_field]
B2 = {"0" = -5.0, "2" = 0.8}
B4 = {"0" = 0.02}
"""
MODES = [  # energy (cm^-1), {(k, q): dB/dQ (cm^-1)}
    (30.0, {(2, 0): 0.3, (2, 1): 0.2, (2, 2): 0.1}),
    (56.0, {(2, -1): 0.4, (2, 2): -0.2, (4, 4): 0.004}),
    (70.0, {(2, 0): -0.2, (2, -2): 0.3, (4, 3): 0.01}),
    (95.0, {(2, 1): 0.3, (4, 0): 0.01, (4, -2): 0.005}),
]


def inline_bath() -> str:
    lines = ["[bath]", "modes = ["]
    for e, dB in MODES:
        tables = {}
        for (k, q), v in dB.items():
            tables.setdefault(k, []).append(f'"{q}" = {v}')
        parts = ", ".join(f"dB{k} = {{{', '.join(t)}}}" for k, t in tables.items())
        lines.append(f'  {{energy = "{e} cm^-1", {parts}}},')
    lines.append("]")
    return "\n".join(lines) + "\n"


METHOD = '[method]\nwidth = "5 cm^-1"\n'
CONFIG = HEAD + SPIN + inline_bath() + METHOD




@pytest.fixture(scope="module")
def toy_results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sp")
    code, out = run_config(tmp, CONFIG)
    assert code == 0
    with xr.open_dataset(out) as ds:
        return ds.load(), out


def test_results_have_units_and_the_figure_is_written(toy_results):
    ds, out = toy_results
    for v in ("tau", "T1", "T2", "T2_star"):
        assert ds[v].attrs["units"] == "s"
        assert ds[v].dims == ("order", "temperature")
    assert ds["slowest_rates"].attrs["units"] == "s^-1"
    assert ds["energy"].attrs["units"] == "cm^-1" and ds["U_eff"].attrs["units"] == "cm^-1"
    assert list(ds.order.values) == ["2", "4", "2+4"]
    assert out.with_suffix(".png").stat().st_size > 10_000


def test_study_equals_the_quantum_layer_called_by_hand(toy_results):
    ds, _ = toy_results
    J = 2.5
    keys = sorted({kq for _, dB in MODES for kq in dB})
    dB = np.array([[m[1].get(kq, 0.0) for kq in keys] for m in MODES])
    V = couplings_from_cf_derivatives(J, dB, keys)
    ham = SpinHamiltonian.single_ion(J, {(2, 0): -5.0, (2, 2): 0.8, (4, 0): 0.02}, g=0.857)
    H = ham.matrix((0.0, 0.0, 0.0))
    # Zero field: the study takes the limit of a vanishing field along [field].direction = z.
    m = SpinPhononRates(H, V, [e for e, _ in MODES], 5.0, basis_operator=ham.magnetic_moment[2],
                        vanishing_field=True)
    U = m.eigenvectors
    M = U.conj().T @ ham.magnetic_moment[2] @ U
    T = ds.temperature.values
    for order in ("2", "4", "2+4"):
        Rs = m.superoperator(T, order if order == "2+4" else int(order))
        tau = [relaxation_time(R, m.energies, M) for R in Rs]
        T1, T2, T2s = np.array([coherence_times(R, (0, 1)) for R in Rs]).T
        np.testing.assert_allclose(ds.tau.sel(order=order), tau, rtol=1e-10)
        np.testing.assert_allclose(ds.T1.sel(order=order), T1, rtol=1e-10)
        np.testing.assert_allclose(ds.T2.sel(order=order), T2, rtol=1e-10)


def test_second_order_has_no_pure_dephasing_and_fourth_order_does(toy_results):
    ds, _ = toy_results
    np.testing.assert_allclose(ds.T2.sel(order="2"), 2 * ds.T1.sel(order="2"), rtol=1e-6)
    assert np.all(np.isinf(ds.T2_star.sel(order="2")) | (ds.T2_star.sel(order="2") > 1e6 * ds.T2.sel(order="2")))
    assert np.all(np.isfinite(ds.T2_star.sel(order="4")))
    assert np.all(ds.T2.sel(order="4") < (1 - 1e-5) * 2 * ds.T1.sel(order="4"))  # beyond round-off
    # 1/T2 = 1/(2 T1) + 1/T2* for every order and temperature
    np.testing.assert_allclose(1 / ds.T2, 1 / (2 * ds.T1) + 1 / ds.T2_star, rtol=1e-9)


def test_relaxation_speeds_up_with_temperature(toy_results):
    ds, _ = toy_results
    for order in ds.order.values:
        tau = ds.tau.sel(order=order).values
        assert np.all(np.diff(tau) < 0), (order, tau)
    # the slowest rates are sorted and positive
    r = ds.slowest_rates.values
    assert np.all(np.diff(r, axis=-1)[np.isfinite(np.diff(r, axis=-1))] >= 0)


def test_bath_from_a_file_equals_the_inline_bath(tmp_path, toy_results):
    ds, _ = toy_results
    keys = sorted({kq for _, dB in MODES for kq in dB})
    dB = np.array([[m[1].get(kq, 0.0) for kq in keys] for m in MODES])
    energies = [e for e, _ in MODES]
    save_cf_derivative_npz(tmp_path / "cf_bath.npz", 2.5, energies, keys, dB, source="test")
    PhononBath(energies, couplings_from_cf_derivatives(2.5, dB, keys)).save_npz(tmp_path / "v_bath.npz")
    for fname in ("cf_bath.npz", "v_bath.npz"):
        # relative path: resolved against the folder of the config file, not the cwd
        code, out = run_config(tmp_path, HEAD + SPIN + f'[bath]\nfile = "{fname}"\n' + METHOD, fname[:4])
        assert code == 0
        with xr.open_dataset(out) as d2:
            np.testing.assert_allclose(d2.tau.values, ds.tau.values, rtol=1e-12)
            np.testing.assert_allclose(d2.T2.values, ds.T2.values, rtol=1e-12)


def test_a_field_splits_the_doublet_and_measures_along_its_direction(tmp_path):
    text = CONFIG.replace("[method]", '[field]\ndirection = [0, 0, 1]\nvalue = "0.5 T"\n[method]')
    code, out = run_config(tmp_path, text, "field")
    assert code == 0
    with xr.open_dataset(out) as ds:
        assert ds.energy.values[1] > 0.1  # Zeeman-split ground doublet (cm^-1)
        assert ds.moment.values[0] * ds.moment.values[1] < 0  # opposite moments along z
        np.testing.assert_allclose(ds.field_T if "field_T" in ds else ds.attrs["field_T"], [0, 0, 0.5])


BAD = {
    "pair out of range": ("pair = [0, 9]\n" + CONFIG, ["pair", "0..5"]),
    "pair equal": ("pair = [1, 1]\n" + CONFIG, ["pair", "two different"]),
    "no bath": (HEAD + SPIN + METHOD, ["bath", "missing"]),
    "two bath sources": (HEAD + SPIN + inline_bath() + 'model = "dycp-model"\n' + METHOD,
                         ["bath", "exactly one"]),
    "missing bath file": (HEAD + SPIN + '[bath]\nfile = "nothere.npz"\n' + METHOD, ["bath.file", "not found"]),
    "unknown model": (HEAD + SPIN + '[bath]\nmodel = "dycp-modle"\n' + METHOD, ["bath.model", "dycp-modle"]),
    "negative width": (CONFIG.replace('width = "5 cm^-1"', 'width = "-5 cm^-1"'), ["method.width", "greater than 0"]),
    "duplicate orders": (CONFIG + "", ["method.orders", "duplicates"]),
    "bad lineshape": (CONFIG.replace("[method]", '[method]\nlineshape = "voigt"'), ["method.lineshape"]),
    "negative mode energy": (CONFIG.replace('energy = "30.0 cm^-1"', 'energy = "-30 cm^-1"'), ["bath.modes.0.energy"]),
    "q out of range": (CONFIG.replace('"1" = 0.2', '"3" = 0.2'), ["dB2", "out of range"]),
    "temperature grid": (CONFIG.replace('num = 5', 'num = 0'), ["temperatures", "num"]),
}
BAD["duplicate orders"] = (CONFIG.replace("[method]", "[method]\norders = [2, \"2\"]"), ["method.orders", "duplicates"])


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_spin_phonon_input_is_reported_cleanly(case, tmp_path, capsys):
    _assert_bad_input(tmp_path, capsys, *BAD[case])


def test_bath_of_the_wrong_dimension_is_bad_input(tmp_path, capsys):
    PhononBath([50.0], np.eye(4)[None]).save_npz(tmp_path / "b.npz")  # J = 3/2 couplings for J = 5/2
    cfg = tmp_path / "c.toml"
    cfg.write_text(HEAD + SPIN + '[bath]\nfile = "b.npz"\n' + METHOD)
    code = main(["--quiet", "run", str(cfg), "--out", str(tmp_path / "c.nc")])
    err = capsys.readouterr().err
    assert code == 2 and "bath.file" in err and "2J+1 = 6" in err
    assert not (tmp_path / "c.nc").exists()


def test_config_parses_to_the_documented_defaults():
    _, cfg = parse_config_text(CONFIG)
    assert cfg.method.order_names() == ["2", "4", "2+4"]
    assert cfg.method.lineshape == "gaussian" and cfg.method.eta == 0.0 and cfg.pair == [0, 1]
    assert cfg.method.zero_field == "limit" and cfg.method.resonant_part
    assert tomllib.loads(CONFIG)["study"] == "spin-phonon"


@pytest.mark.parametrize("key", ["file", "cf_displacements"])
def test_an_unreadable_bath_file_is_bad_input_naming_the_key(key, tmp_path, capsys):
    (tmp_path / "junk.npz").write_text("not an npz archive")
    bath = ('[bath]\nfile = "junk.npz"\n' if key == "file"
            else '[bath]\nphonopy = "junk.npz"\ncf_displacements = "junk.npz"\n')
    cfg = tmp_path / "c.toml"
    cfg.write_text(HEAD + SPIN + bath + METHOD)
    code = main(["--quiet", "run", str(cfg), "--out", str(tmp_path / "c.nc")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and f"bath.{key}" in err and "junk.npz" in err, err
    assert not (tmp_path / "c.nc").exists()
