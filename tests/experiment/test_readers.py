"""AC and DC files in the instruments' formats, written by the tests, parse to the same numbers."""

import numpy as np
import pytest

from spinbath.errors import ConfigError
from spinbath.experiment import AC_MODELS, read_ac, read_dc

F = np.geomspace(0.1, 1e3, 8)
TEMPS = [2.0, 3.0, 4.0]


def synthetic():
    """(T, f, chi', chi'') rows: one sweep per temperature, generalized Debye, tau falling with T."""
    rows = []
    for T in TEMPS:
        chi = AC_MODELS["generalized-debye"].chi(F, [0.02, 0.3 / T, np.log10(0.01 / T**3), 0.1])
        rows += [(T, f, c.real, -c.imag) for f, c in zip(F, chi)]
    return np.array(rows)


def write_mpms3(path, rows, jitter=None, mass_mg=12.5, mw=800.0):
    head = ["[Header]", "TITLE,AC run", f"INFO,{mass_mg},SAMPLE_MASS", f"INFO,{mw},SAMPLE_MOLECULAR_WEIGHT",
            "INFO,42.1,SAMPLE_VOLUME", "[Data]"]
    cols = ["Comment", "Time Stamp (sec)", "Temperature (K)", "Magnetic Field (Oe)", "Moment (emu)",
            "AC Frequency (Hz)", "AC X' (emu/Oe)", "AC X'' (emu/Oe)", "AC X' Std Err. (emu/Oe)",
            "AC X'' Std Err. (emu/Oe)", "AC Drive (Oe)"]
    lines = head + [",".join(cols) + ","]
    for k, (T, f, cp, cpp) in enumerate(rows):
        Tj = T + (jitter[k] if jitter is not None else 0.0)
        lines.append(f",{k},{Tj},1000,,{f},{cp},{cpp},{1e-4 * abs(cp) + 1e-9},{1e-4 * abs(cpp) + 1e-9},3.0,")
        if k == 3:
            lines.append(",99,2.0,1000,0.001,,,,,,,")  # a DC row in between: skipped
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))


def write_mpms_xl(path, rows, drive=3.9):
    lines = ["[Header]", "INFO,MPMS-XL", "[Data]",
             'Time,Temperature (K),Field (Oe),Wave Frequency (Hz),m\' (emu),m" (emu),Drive Amplitude (Oe)']
    for k, (T, f, cp, cpp) in enumerate(rows):
        lines.append(f"{k},{T},1000,{f},{cp * drive},{cpp * drive},{drive}")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))


def write_plain(path, rows):
    lines = ["# chi in emu/Oe", "T (K), H (Oe), f (Hz), chi' (emu/Oe), chi'' (emu/Oe)"]
    lines += [f"{T}, 1000, {f}, {cp}, {cpp}" for T, f, cp, cpp in rows]
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("writer", [write_mpms3, write_mpms_xl, write_plain])
def test_every_format_parses_to_the_same_numbers(tmp_path, writer):
    rows = synthetic()
    p = tmp_path / "data.dat"
    writer(p, rows)
    data = read_ac(p, mass_mg=None, molar_mass=None) if writer is not write_mpms3 else read_ac(p, mass_mg=0, molar_mass=0)
    assert [s.temperature for s in data.sweeps] == pytest.approx(TEMPS)
    for s, T in zip(data.sweeps, TEMPS):
        mine = rows[rows[:, 0] == T]
        np.testing.assert_allclose(s.frequency, mine[:, 1], rtol=1e-12)
        np.testing.assert_allclose(s.chi_p, mine[:, 2], rtol=1e-12)
        np.testing.assert_allclose(s.chi_pp, mine[:, 3], rtol=1e-12)
        assert s.field == pytest.approx(1000.0)
    assert data.units == "emu/Oe"


def test_molar_susceptibility_from_the_header(tmp_path):
    rows = synthetic()
    write_mpms3(tmp_path / "d.dat", rows, mass_mg=12.5, mw=800.0)
    data = read_ac(tmp_path / "d.dat", diamagnetic=-4e-4)
    assert data.units == "cm^3/mol"
    s = data.sweeps[0]
    scale = 800.0 / 12.5e-3
    np.testing.assert_allclose(s.chi_pp, rows[rows[:, 0] == 2.0][:, 3] * scale, rtol=1e-12)
    np.testing.assert_allclose(s.chi_p, rows[rows[:, 0] == 2.0][:, 2] * scale + 4e-4, rtol=1e-12)
    assert s.err_p is not None


def test_grouping_survives_jitter_and_a_temperature_met_again(tmp_path):
    rows = synthetic()
    rows = np.vstack([rows, rows[rows[:, 0] == 2.0]])  # 2 K again at the end of the file
    jitter = np.random.default_rng(0).uniform(-0.03, 0.03, len(rows))
    write_mpms3(tmp_path / "d.dat", rows, jitter=jitter)
    data = read_ac(tmp_path / "d.dat", mass_mg=0, molar_mass=0, temperature_tolerance=0.1)
    assert [round(s.temperature) for s in data.sweeps] == [2, 3, 4, 2]
    assert all(s.size == F.size for s in data.sweeps)


def test_bad_files_get_one_message_naming_the_file(tmp_path):
    p = tmp_path / "dc_only.dat"
    p.write_text("[Header]\n[Data]\nTime Stamp (sec),Temperature (K),Moment (emu)\n1,2,0.1\n")
    with pytest.raises(ConfigError, match=r"dc_only.dat: no AC frequency column"):
        read_ac(p)
    e = tmp_path / "empty.dat"
    e.write_text("[Header]\nINFO,1,SAMPLE_MASS\n[Data]\n")
    with pytest.raises(ConfigError, match=r"empty.dat: the \[Data\] section is empty"):
        read_ac(e)
    n = tmp_path / "nan.csv"
    n.write_text("T (K), f (Hz), chi' (emu/Oe), chi'' (emu/Oe)\n2, nan, nan, nan\n")
    with pytest.raises(ConfigError, match="no row with a temperature, a frequency"):
        read_ac(n)
    with pytest.raises(ConfigError, match="missing.dat: file not found"):
        read_ac(tmp_path / "missing.dat")


def test_dc_decays_are_grouped_and_fitted(tmp_path):
    from spinbath.experiment import fit_dc

    lines = ["t (s), T (K), M (emu)"]
    rng = np.random.default_rng(3)
    for T, tau, beta in ((2.0, 300.0, 0.8), (4.0, 40.0, 0.9)):
        t = np.geomspace(1.0, 3000.0, 40)
        M = 0.1 + 0.9 * np.exp(-(t / tau) ** beta)
        lines += [f"{a}, {T}, {m + 0.002 * rng.standard_normal()}" for a, m in zip(t, M)]
    (tmp_path / "dc.csv").write_text("\n".join(lines))
    decays = read_dc(tmp_path / "dc.csv")
    assert [d.temperature for d in decays] == [2.0, 4.0]
    for d, (tau, beta) in zip(decays, ((300.0, 0.8), (40.0, 0.9))):
        f = fit_dc(d)
        # times are taken from the first point of each decay (t = 1 s there)
        assert abs(f.values["tau"] - tau) < 3 * f.errors["tau"] + 0.02 * tau
        assert abs(f.values["beta"] - beta) < 3 * f.errors["beta"] + 0.03
        assert f.in_window
