"""Study ``dimer-llg`` with the spins' own Zeeman field and anisotropy ([spins] g, field,
K_easy_axis, K_easy_plane), run through the CLI as users run it: Larmor precession of the free spin
(closed form), the Zeeman sign and the meV input of the field (Langevin function), the
Fokker-Planck average with an easy axis (a one-dimensional integral), Langevin against
Fokker-Planck with all terms, T = 0 (noise off at V = 0, no NaN), and bad input (exit code 2)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy.integrate import quad

from helpers import assert_bad_input
from helpers import run_config as run
from spinbath.classical.fokker_planck import langevin
from spinbath.units import HBAR_MEV_PS, KB_MEV, MUB_MEV

#: A junction whose couplings are negligible (Delta^2 S^2 J ~ 1e-7 meV): the spin's own terms alone.
WEAK = """
study = "dimer-llg"
[junction]
t = "0.1 meV"
[bias]
V = [0.0]
temperature = "{T}"
[spins]
S = 2.5
Delta = "1e-3 meV"
initial = {initial}
{spins}
[langevin]
trajectories = 2
dt = "{dt}"
t_end = "{t_end}"
samples = {samples}
method = "{method}"
seed = 5
"""


def _load(tmp, text, name="c"):
    code, out = run(tmp, text, name)
    assert code == 0
    with xr.open_dataset(out) as ds:
        return ds.load()


@pytest.mark.parametrize("method", ["heun", "midpoint"])
def test_zeeman_alone_precesses_at_the_larmor_frequency_and_t0_switches_the_noise_off(tmp_path, method):
    """B = 5 T along z, spin 2 starting along x, T = 0 and V = 0 (no noise), damping ~1e-7: m_x + i m_y
    turns at -omega_L = -g mu_B B / hbar (clockwise about B for g > 0), m_z stays 0."""
    ds = _load(tmp_path, WEAK.format(T="0 K", initial="[1, 0, 0]", spins='field = [0, 0, "5 T"]', dt="0.005 ps",
                                     t_end="20 ps", samples=1000, method=method))
    tr = ds.trajectory_m.isel(V=0, trajectory=0)
    t = ds.time.values
    phase = np.unwrap(np.arctan2(tr.sel(axis="y"), tr.sel(axis="x")))
    omega = np.polyfit(t, phase, 1)[0]
    omega_L = 2.0 * MUB_MEV * 5.0 / HBAR_MEV_PS
    assert ds.attrs["larmor_angular_frequency_rad_per_ps"] == pytest.approx(omega_L, rel=1e-12)
    assert omega == pytest.approx(-omega_L, rel=1e-5)
    assert np.abs(tr.sel(axis="z")).max() < 1e-5
    # T = 0, V = 0: no noise, every trajectory the same, no NaN anywhere.
    assert float(ds.T_eff.sel(V=0.0)) == 0.0
    np.testing.assert_array_equal(ds.trajectory_m.isel(trajectory=0), ds.trajectory_m.isel(trajectory=1))
    assert float(np.abs(ds.m_langevin_err).max()) < 1e-12
    for name, var in ds.data_vars.items():
        if name not in ("D_over_J", "A_over_J", "K_over_J"):  # 0/0 where D = 0 at V = 0 is not a failure
            assert np.all(np.isfinite(var.values)), name


@pytest.mark.parametrize("field", ['["0.05 meV", 0, 0]', "[0.4318996, 0, 0]"], ids=["meV", "tesla"])
def test_zeeman_sign_and_energy_input_follow_the_langevin_function(tmp_path, field):
    """At V = 0 and T = 2 K (T_eff = T, fluctuation-dissipation) the Fokker-Planck mean of a spin
    with E = g mu_B S B.m is <m> = -L(g mu_B S |B| / k_B T) B/|B|: antiparallel for g > 0. The field
    "0.05 meV" means g mu_B B = 0.05 meV (0.4318996 T at g = 2)."""
    ds = _load(tmp_path, WEAK.format(T="2 K", initial="[0, 0, 1]", spins=f"field = {field}", dt="0.01 ps",
                                     t_end="0.2 ps", samples=2, method="heun"))
    assert float(ds.T_eff.sel(V=0.0)) == pytest.approx(2.0, rel=1e-6)
    assert ds.attrs["field_T"][0] == pytest.approx(0.05 / (2 * MUB_MEV), rel=1e-4)
    x = 2.5 * 0.05 / (KB_MEV * 2.0)
    np.testing.assert_allclose(ds.m_fokker_planck.sel(V=0.0), [-langevin(x), 0, 0], atol=1e-5)


def test_fokker_planck_with_easy_axis_and_field_matches_a_one_dimensional_integral(tmp_path):
    """E = g mu_B S B m_z - K S^2 m_z^2: <m_z> = int x w(x) dx / int w(x) dx, w = exp(-E(x)/k_B T)."""
    spins = 'field = [0, 0, "0.2 T"]\nK_easy_axis = "0.02 meV"\neasy_axis = [0, 0, 1]'
    ds = _load(tmp_path, WEAK.format(T="1.5 K", initial="[0, 0, 1]", spins=spins, dt="0.01 ps", t_end="0.2 ps",
                                     samples=2, method="heun"))
    kT = KB_MEV * float(ds.T_eff.sel(V=0.0))
    b, k = 2 * MUB_MEV * 2.5 * 0.2, 0.02 * 2.5**2
    w = lambda x: np.exp(-(b * x - k * x**2) / kT)  # noqa: E731
    mz = quad(lambda x: x * w(x), -1, 1)[0] / quad(w, -1, 1)[0]
    assert mz < -0.1  # the field breaks the symmetry of the easy axis: antiparallel wins
    np.testing.assert_allclose(ds.m_fokker_planck.sel(V=0.0), [0, 0, mz], atol=2e-5)


JUNCTION = """
study = "dimer-llg"
[junction]
t = "0.1 meV"
[bias]
V = [-2.0, 2.0]
temperature = "0 K"
[spins]
S = 2.5
Delta = "5 meV"
field = ["8 T", 0, 0]
K_easy_axis = "0.2 meV"
easy_axis = [0, 0, 1]
K_easy_plane = "0.5 meV"
plane_normal = [0, 1, 0]
[langevin]
trajectories = 400
dt = "0.01 ps"
t_end = "30 ps"
average_from = 0.4
samples = 30
seed = 21
"""


def test_langevin_agrees_with_fokker_planck_with_field_and_anisotropy(tmp_path):
    """At T = 0 under |V| = 2 mV the current's noise alone sets T_eff (~2.7 K). An 8 T field along x
    tilts the antiparallel free spin toward -x (g > 0) and the hard axis y flattens <m_y>; the
    Langevin ensemble equals the Boltzmann average at T_eff with the same energy within 3.5 standard
    errors per component."""
    ds = _load(tmp_path, JUNCTION)
    assert np.all(ds.T_eff.values > 1.0)
    for v in (-2.0, 2.0):
        lan, fp = ds.m_langevin.sel(V=v).values, ds.m_fokker_planck.sel(V=v).values
        err = ds.m_langevin_err.sel(V=v).values
        assert np.all(np.abs(lan - fp) < 3.5 * err + 1e-3), (v, lan, fp, err)
        assert lan[0] < -0.1 and lan[2] < -0.8  # tilted against B, still antiparallel to the pinned spin
    base = _load(tmp_path, JUNCTION.replace('field = ["8 T", 0, 0]', ""), "nofield")
    assert np.all(np.abs(base.m_fokker_planck.sel(axis="x")) < 0.02)  # the tilt is the field's


BAD_BASE = WEAK.format(T="0 K", initial="[1, 0, 0]", spins='field = [0, 0, "1 T"]', dt="0.01 ps", t_end="1 ps",
                       samples=2, method="heun")
BAD = {
    "negative S": (BAD_BASE.replace("S = 2.5", "S = -2.5"), ["spins.S", "greater than 0"]),
    "field of two components": (BAD_BASE.replace('field = [0, 0, "1 T"]', "field = [0, 1]"),
                                ["spins.field", "3-vector", "2 entries"]),
    "field in volts": (BAD_BASE.replace('"1 T"', '"1 mV"'), ["spins.field", "component 2", "'1 mV'"]),
    "field as a scalar": (BAD_BASE.replace('field = [0, 0, "1 T"]', 'field = "1 T"'), ["spins.field", "3-vector"]),
    "anisotropy in tesla": (BAD_BASE.replace("[spins]", '[spins]\nK_easy_axis = "1 T"'), ["spins.K_easy_axis", "meV"]),
    "negative easy axis": (BAD_BASE.replace("[spins]", '[spins]\nK_easy_axis = "-0.1 meV"'),
                           ["spins.K_easy_axis", "greater than or equal to 0"]),
    "zero plane normal": (BAD_BASE.replace("[spins]", "[spins]\nplane_normal = [0, 0, 0]"), ["spins.plane_normal"]),
    "negative g": (BAD_BASE.replace("[spins]", "[spins]\ng = -2"), ["spins.g", "greater than 0"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_onsite_input_is_reported_cleanly(case, tmp_path, capsys):
    assert_bad_input(tmp_path, capsys, *BAD[case])


def test_console_exit_code_for_a_bad_field(tmp_path):
    """Through a separate process, as a shell runs it: exit code 2, the key named, no traceback, no file."""
    import subprocess
    import sys

    cfg = tmp_path / "c.toml"
    cfg.write_text(BAD["field of two components"][0])
    proc = subprocess.run([sys.executable, "-m", "spinbath.cli", "run", str(cfg), "--out", str(tmp_path / "x.nc")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "spins.field" in proc.stderr and "3-vector" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.nc").exists()
