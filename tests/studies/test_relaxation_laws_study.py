"""Study ``relaxation-laws``: config -> tau(T), mechanisms, local barrier; the three shipped examples.

Through the CLI: results with units, the figure, the relaxation model in the attributes, bad input
-> exit 2 with one line. The examples show what the issue asks: (a) an S = 2 Fe(II) barrier at the
mode energies (20.1-27.6 cm^-1), far below 3|D| = 78 cm^-1; (b) a weakly coupled lower mode lowers
the barrier at low T; (c) Debye + one mode: direct T^-1, a steeper power law, then an exponential.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest
import xarray as xr

from helpers import run_config
from spinbath.config import parse_config_text
from spinbath.quantum.pauli import multilevel_rate, two_state_rate
from spinbath.quantum.phonon_rates import PhononRates
from spinbath.studies.relaxation_laws import run
from spinbath.units import KB_CM

CONFIG = """
study = "relaxation-laws"
title = "toy S = 2"
temperatures = {start = "2 K", stop = "20 K", num = 8, spacing = "inverse"}

[spin]
J = 2
D = "-26 cm^-1"
E = "0.05 cm^-1"

[field]
value = "0.1 T"

[[bath.modes]]
energy = "22 cm^-1"
width = "2 cm^-1"
dB2 = {"2" = 0.1, "1" = 0.1}
operators = {"SxSz" = 0.02}

[[bath.modes]]
name = "hi"
energy = "43 cm^-1"
width = "3 cm^-1"
dB2 = {"-2" = 0.1}

[bath.debye]
energy = "30 cm^-1"
branches = [{dB2 = {"2" = 0.01}}, {dB2 = {"-1" = 0.01}}]

[[bath.quadratic]]
channels = ["mode0", "hi"]
dB2 = {"2" = 0.01}
"""


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rl")
    code, out = run_config(tmp, CONFIG)
    assert code == 0
    with xr.open_dataset(out) as ds:
        return ds.load(), out


def test_results_have_units_the_model_and_the_figure(toy):
    ds, out = toy
    assert ds.attrs["relaxation_model"] == "both"
    assert list(ds.model.values) == ["two-state", "multi-level"]
    assert list(ds.mechanism.values) == ["direct", "raman", "resonant", "two-phonon-sum", "orbach"]
    units = {"tau": "s", "relaxation_rate": "s^-1", "rate": "s^-1", "U_local": "cm^-1", "U_local_K": "K",
             "exponent": "1", "energy": "cm^-1", "channel_energy": "cm^-1"}
    for name, unit in units.items():
        assert ds[name].attrs["units"] == unit, name
    assert ds.tau.dims == ("model", "temperature")
    assert np.allclose(ds.U_local_K * KB_CM, ds.U_local)
    assert list(ds.channel.values) == ["mode0", "hi", "debye0", "debye1"]
    assert float(ds.detailed_balance_error) < 1e-12
    assert out.with_suffix(".png").stat().st_size > 10_000


def test_study_equals_the_rates_called_by_hand(toy):
    ds, _ = toy
    _, cfg = parse_config_text(CONFIG)
    H = cfg.spin.hamiltonian().matrix(cfg.field.field_vector())
    rates = PhononRates(H, cfg.bath.build(cfg.spin.J))
    T = ds.temperature.values
    r = rates.rates(T)
    assert not np.any(r["raman"] + r["sum"] < 0)  # nothing to clip here: the models use the sums below
    W = r["one-phonon"] + r["raman"] + r["sum"]
    two = two_state_rate(W + r["raman-resonant"] + r["sum-resonant"])
    assert np.allclose(ds.tau.sel(model="two-state"), 1 / two, rtol=1e-6)
    assert np.allclose(ds.tau.sel(model="multi-level"), 1 / multilevel_rate(W), rtol=1e-6)
    assert np.all(ds.clipped_rates.values == 0)
    assert np.allclose(ds.rate.sel(mechanism="direct"), two_state_rate(r["one-phonon"]), rtol=1e-12)
    # tau(T) of the 2-state model is 1 / (sum of its mechanisms)
    parts = ds.rate.sel(mechanism=["direct", "raman", "resonant", "two-phonon-sum"]).sum("mechanism")
    assert np.allclose(ds.tau.sel(model="two-state"), 1 / parts, rtol=1e-10)


def test_one_relaxation_model_is_recorded(tmp_path):
    code, out = run_config(tmp_path, CONFIG + '\n[method]\nrelaxation_model = "multi-level"\n')
    assert code == 0
    with xr.open_dataset(out) as ds:
        assert list(ds.model.values) == ["multi-level"] and ds.attrs["relaxation_model"] == "multi-level"


def test_a_bath_file_gives_the_same_results_as_inline_tables(tmp_path):
    head, _, bath = CONFIG.partition("[[bath.modes]]")
    tables = ("[[bath.modes]]" + bath).replace("[[bath.", "[[").replace("[bath.", "[")
    (tmp_path / "bath.toml").write_text(tables)
    code, out = run_config(tmp_path, head + '[bath]\nfile = "bath.toml"\n', name="f")
    assert code == 0
    code, ref = run_config(tmp_path, CONFIG, name="inline")
    with xr.open_dataset(out) as a, xr.open_dataset(ref) as b:
        assert np.allclose(a.tau, b.tau, rtol=1e-12) and list(a.channel.values) == list(b.channel.values)


BAD = {
    "negative width": (CONFIG.replace('width = "2 cm^-1"', 'width = "-2 cm^-1"'),
                       ["bath.modes.0.width", "greater than 0"]),
    "unknown operator": (CONFIG.replace('"SxSz"', '"SwSz"'), ["bath.modes.0", "unknown operator name 'SwSz'"]),
    "temperature <= 0": (CONFIG.replace('start = "2 K"', 'start = "0 K"'), ["temperatures", "positive"]),
    "unknown channel": (CONFIG.replace('["mode0", "hi"]', '["mode0", "lo"]'), ["bath", "unknown channel 'lo'"]),
    "q out of range": (CONFIG.replace('"-2" = 0.1', '"-3" = 0.1'), ["dB2", "out of range"]),
    "no channel": (CONFIG.split("[[bath.modes]]")[0] + "[bath]\n", ["bath", "at least one"]),
    "negative eta": (CONFIG + '[method]\neta = "-1 cm^-1"\n', ["method.eta"]),
    "unknown key": (CONFIG.replace('width = "2 cm^-1"', 'width = "2 cm^-1"\ncolour = 1'), ["colour", "unknown key"]),
    "missing bath file": (CONFIG.split("[[bath.modes]]")[0] + '[bath]\nfile = "nope.toml"\n', ["bath", "not found"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_with_one_line(case, tmp_path, capsys):
    text, needles = BAD[case]
    code, out = run_config(tmp_path, text)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    for needle in needles:
        assert needle in err, (needle, err)
    assert not out.exists()


# ---------------------------------------------------------------------- the shipped examples
def _example(name: str) -> xr.Dataset:
    text = resources.files("spinbath.examples").joinpath(f"{name}.toml").read_text()
    _, cfg = parse_config_text(text)
    return run(cfg)


def test_fe_tpa_example_has_a_barrier_at_the_mode_energies():
    # (a) Where tau is exponential -- the Raman process through the broadened modes carries > 90%
    # of the rate, the local barrier varies slowly (dln U / dln T < 0.5; a power law T^-n has
    # U = n k_B T, dln U / dln T = 1) and k_B T < w_min / 3 (eq. (4) needs n(w_a) << 1; at
    # k_B T = w_a / 3 the stimulated-emission factor already raises the local slope w_a (1 + 2 n)
    # by 10%) -- the local barrier and the Arrhenius fit lie between the lowest and the highest of
    # the four low modes (20.1-27.6 cm^-1), far below the magnetic barrier 3|D| = 78 cm^-1.
    ds = _example("relaxation-fe-tpa")
    T = ds.temperature.values
    assert ds.energy.values[2] > 75  # first excited level (M = +-1) at ~78 cm^-1
    for model in ds.model.values:
        tau = ds.tau.sel(model=model).values
        U = ds.U_local.sel(model=model).values
        share = ds.rate.sel(mechanism="raman").values * tau
        window = (share > 0.9) & (np.gradient(np.log(U), np.log(T)) < 0.5) & (KB_CM * T < 20.1 / 3)
        assert T[window].min() < 5.0 and T[window].max() > 8.5, T[window]  # ~4.8 .. 8.9 K
        assert np.all((U[window] > 20.1) & (U[window] < 27.6)), U[window]
        fit = np.polyfit(1 / T[window], np.log(tau[window]), 1)[0] * KB_CM
        assert 20.1 < fit < 27.6


def test_two_modes_example_has_a_lower_barrier_at_low_temperature():
    # (b) The weakly coupled 30 cm^-1 mode sets the barrier at low T, the 70 cm^-1 mode at high T.
    ds = _example("relaxation-two-modes")
    T = ds.temperature.values
    U = ds.U_local.sel(model="multi-level").values
    low = (T > 5) & (T < 8.5)
    assert np.all((U[low] > 25) & (U[low] < 32))
    assert U[T > 35].min() > 65 and U[T > 35].max() < 80
    assert U[low].max() < 0.5 * U[T > 35].min()


def test_generic_example_goes_from_direct_to_a_power_law_to_an_exponential():
    # (c) Local power n = -dln tau/dln T: 1 at the lowest T (direct, Debye, splitting << k_B T);
    # then a steep power law (n >= 5.5 nearly constant: Debye two-phonon Raman, T^-7 for this
    # non-Kramers doublet, softened by the Debye cutoff); then an exponential: the local barrier
    # tends to the mode energy (100 cm^-1) while n = U / k_B T falls.
    ds = _example("relaxation-generic")
    T = ds.temperature.values
    n = ds.exponent.sel(model="multi-level").values
    U = ds.U_local.sel(model="multi-level").values
    direct = T < 0.7
    power = (T > 3.5) & (T < 7)
    expo = T > 25
    assert np.all(np.abs(n[direct] - 1) < 0.05)
    assert np.all(n[power] > 5.5) and np.ptp(n[power]) < 1.0
    assert np.all(np.abs(U[expo] - 100) < 10) and np.all(np.diff(n[expo]) < 0)
    # the sequence: each regime lies above the previous one in temperature
    assert T[direct].max() < T[power].min() and T[power].max() < T[expo].min()
    # the power-law regime is Raman, the exponential one the mode: mechanism shares
    tau = ds.tau.sel(model="two-state").values
    assert np.all(ds.rate.sel(mechanism="direct").values[direct] * tau[direct] > 0.95)
    assert np.all(ds.rate.sel(mechanism="raman").values[power | expo] * tau[power | expo] > 0.9)
