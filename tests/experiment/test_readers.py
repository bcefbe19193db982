"""AC and DC files in the instruments' formats, written by the tests, parse to the same numbers; rows
group into sweeps by temperature and field stability; bad files give one sentence naming file and column."""

import numpy as np
import pytest

from spinbath.errors import ConfigError
from spinbath.experiment import AC_MODELS, group_by_temperature, read_ac, read_dc

F = np.geomspace(0.1, 1e3, 8)
TEMPS = [2.0, 3.0, 4.0]
FIELD = 1000.0  # Oe


def synthetic(temps=TEMPS):
    """(T, f, chi', chi'') rows (emu/Oe): one sweep per temperature, generalized Debye, tau falling with T."""
    rows = []
    for T in temps:
        chi = AC_MODELS["generalized-debye"].chi(F, [2e-5, 3e-4 / T, np.log10(0.01 / T**3), 0.1])
        rows += [(T, f, c.real, -c.imag) for f, c in zip(F, chi)]
    return np.array(rows)


def err_p(cp):
    return 1e-3 * abs(cp) + 1e-9


def write_mpms3(path, rows, jitter=None, fields=None, mass_mg=12.5, mw=800.0):
    """MPMS3 .dat: [Header] INFO lines (Latin-1 text), [Data], a CSV table with empty fields, a DC row in
    between, trailing commas and CRLF line ends."""
    head = ["[Header]", "; Dy complex, 2 K \u00b5SQUID run \u00b0", "TITLE,AC run", f"INFO,{mass_mg},SAMPLE_MASS",
            f"INFO,{mw},SAMPLE_MOLECULAR_WEIGHT", "INFO,42.1,SAMPLE_VOLUME", "INFO,Dy\u00b5 sample,SAMPLE_MATERIAL",
            "[Data]"]
    cols = ["Comment", "Time Stamp (sec)", "Temperature (K)", "Magnetic Field (Oe)", "Moment (emu)",
            "AC Frequency (Hz)", "AC X' (emu/Oe)", "AC X'' (emu/Oe)", "AC X' Std Err. (emu/Oe)",
            "AC X'' Std Err. (emu/Oe)", "AC Drive (Oe)", "Sample Position (\u00b0)"]
    lines = head + [",".join(cols) + ","]
    for k, (T, f, cp, cpp) in enumerate(rows):
        Tj = T + (jitter[k] if jitter is not None else 0.0)
        H = fields[k] if fields is not None else FIELD
        lines.append(f",{k},{Tj},{H},,{f},{cp},{cpp},{err_p(cp)},{err_p(cpp)},3.0,,")
        if k == 3:
            lines.append(",99,2.0,1000,0.001,,,,,,,,")  # a DC measurement in between: not an AC row
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))


def write_mpms_xl(path, rows, drive=3.9):
    lines = ["[Header]", "INFO,MPMS-XL \u00b0", "[Data]",
             'Time,Temperature (K),Field (Oe),Wave Frequency (Hz),m\' (emu),m" (emu),Drive Amplitude (Oe)']
    for k, (T, f, cp, cpp) in enumerate(rows):
        lines.append(f"{k},{T},{FIELD},{f},{cp * drive},{cpp * drive},{drive}")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))


def write_csv(path, rows):
    lines = ["# chi in emu/Oe", "T (K), H (Oe), f (Hz), chi' (emu/Oe), chi'' (emu/Oe)"]
    lines += [f"{T}, {FIELD}, {f}, {cp}, {cpp}" for T, f, cp, cpp in rows]
    path.write_text("\n".join(lines) + "\n")


def write_whitespace(path, rows):
    """Whitespace columns, units in brackets with a space inside, field in tesla, frequency in kHz."""
    lines = ["% a text export", "T [K]   B [T]   f [kHz]   chi' [emu Oe^-1]   chi'' [emu Oe^-1]"]
    lines += [f"{T:.6f}  {FIELD * 1e-4:.6f}  {float(f) / 1e3!r}  {float(cp)!r}  {float(cpp)!r}"
              for T, f, cp, cpp in rows]
    path.write_text("\n".join(lines) + "\n")


def write_semicolon(path, rows):
    """A spreadsheet export: semicolons and decimal commas."""
    lines = ["Temperature (K);Field (Oe);Frequency (Hz);X' (emu/Oe);X'' (emu/Oe)"]
    lines += [";".join(repr(float(v)).replace(".", ",") for v in (T, FIELD, f, cp, cpp)) for T, f, cp, cpp in rows]
    path.write_text("\n".join(lines) + "\n")


WRITERS = [write_mpms3, write_mpms_xl, write_csv, write_whitespace, write_semicolon]


@pytest.mark.parametrize("writer", WRITERS, ids=lambda w: w.__name__)
def test_every_format_parses_to_the_same_numbers(tmp_path, writer):
    rows = synthetic()
    p = tmp_path / "data.dat"
    writer(p, rows)
    data = read_ac(p, molar=False)
    assert data.units == "emu/Oe"
    assert [s.temperature for s in data.sweeps] == pytest.approx(TEMPS, rel=1e-12)
    for s, T in zip(data.sweeps, TEMPS):
        mine = rows[rows[:, 0] == T]
        np.testing.assert_allclose(s.frequency, mine[:, 1], rtol=1e-12)
        np.testing.assert_allclose(s.chi_p, mine[:, 2], rtol=1e-12)
        np.testing.assert_allclose(s.chi_pp, mine[:, 3], rtol=1e-12)
        assert s.field == pytest.approx(FIELD, rel=1e-12)
        assert s.source == str(p) and s.size == F.size
    if writer is write_mpms3:
        s = data.sweeps[0]
        np.testing.assert_allclose(s.err_p, err_p(rows[:8, 2]), rtol=1e-12)
        assert list(s.lines[:5]) == [10, 11, 12, 13, 15]  # line 14 is the DC row
        np.testing.assert_array_equal(s.rows, np.arange(8) + (np.arange(8) > 3))


def test_molar_susceptibility_from_the_header_or_the_arguments(tmp_path):
    """chi_molar = (chi - background) M / (m / 1000) - diamagnetic, corrections on chi' only."""
    rows = synthetic()
    write_mpms3(tmp_path / "d.dat", rows, mass_mg=12.5, mw=800.0)
    first = rows[rows[:, 0] == 2.0]
    data = read_ac(tmp_path / "d.dat", diamagnetic=-4e-4, background=-1e-6)
    assert data.units == "cm^3/mol" and data.sweeps[0].units == "cm^3/mol"
    s = data.sweeps[0]
    scale = 800.0 / 12.5e-3
    np.testing.assert_allclose(s.chi_pp, first[:, 3] * scale, rtol=1e-12)
    np.testing.assert_allclose(s.chi_p, (first[:, 2] + 1e-6) * scale + 4e-4, rtol=1e-12)
    np.testing.assert_allclose(s.err_pp, err_p(first[:, 3]) * scale, rtol=1e-12)
    other = read_ac(tmp_path / "d.dat", mass_mg=25.0, molar_mass=400.0)  # the arguments win over the header
    np.testing.assert_allclose(other.sweeps[0].chi_pp, first[:, 3] * 400.0 / 25e-3, rtol=1e-12)
    per_gram = tmp_path / "g.csv"
    per_gram.write_text("T (K), f (Hz), chi' (emu/(g Oe)), chi'' (emu/(g Oe))\n"
                        "2, 1, 0.01, 0.002\n2, 10, 0.008, 0.003\n")
    g = read_ac(per_gram, molar_mass=500.0)
    assert g.units == "cm^3/mol" and g.sweeps[0].chi_p == pytest.approx([5.0, 4.0])


def test_grouping_survives_jitter_a_temperature_met_again_and_a_field_change(tmp_path):
    rows = synthetic()
    rows = np.vstack([rows, rows[rows[:, 0] == 2.0], rows[rows[:, 0] == 2.0]])  # 2 K again, twice, at the end
    fields = np.full(len(rows), FIELD)
    fields[-F.size:] = 2000.0  # ... the second time at another field
    jitter = np.random.default_rng(0).uniform(-0.03, 0.03, len(rows))
    fields = fields + np.random.default_rng(1).normal(0, 2, len(rows))  # read-back scatter of a few Oe
    write_mpms3(tmp_path / "d.dat", rows, jitter=jitter, fields=fields)
    data = read_ac(tmp_path / "d.dat", molar=False, temperature_tolerance=0.1)
    assert [round(s.temperature) for s in data.sweeps] == [2, 3, 4, 2, 2]
    assert [round(s.field, -2) for s in data.sweeps] == [1000, 1000, 1000, 1000, 2000]
    assert all(s.size == F.size for s in data.sweeps)
    # the mean temperature of each sweep is the mean of its jittered readings
    assert data.sweeps[1].temperature == pytest.approx(3.0 + jitter[8:16].mean(), rel=1e-12)


def test_grouping_by_running_mean():
    """Slow drift stays in one sweep; a step larger than the tolerance starts another; NaN fields neither
    split nor move a sweep."""
    T = np.concatenate([2.0 + 0.01 * np.arange(10), [5.0, 5.02, 4.98]])
    assert [g.tolist() for g in group_by_temperature(T, 0.1)] == [list(range(10)), [10, 11, 12]]
    H = np.array([0, np.nan, 3, 2, 500, 505, 498, np.nan, 0, 1, 1, 2, 1], float)
    groups = group_by_temperature(T, 0.1, H, 25.0)
    assert [g.tolist() for g in groups] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [10, 11, 12]]
    with pytest.raises(ConfigError, match="tolerance must be > 0 K"):
        group_by_temperature(T, 0.0)


def test_bad_files_get_one_message_naming_the_file_and_column(tmp_path):
    p = tmp_path / "dc_only.dat"
    p.write_text("[Header]\n[Data]\nTime Stamp (sec),Temperature (K),Moment (emu)\n1,2,0.1\n")
    with pytest.raises(ConfigError, match=r"dc_only.dat: no AC frequency column \(columns: 'Time Stamp \(sec\)'"):
        read_ac(p)
    e = tmp_path / "empty.dat"
    e.write_text("[Header]\nINFO,1,SAMPLE_MASS\n[Data]\n")
    with pytest.raises(ConfigError, match=r"empty.dat: the \[Data\] section is empty"):
        read_ac(e)
    e.write_text("[Header]\n[Data]\nTemperature (K),AC Frequency (Hz),AC X' (emu/Oe),AC X'' (emu/Oe)\n2,,,\n3,,,\n")
    with pytest.raises(ConfigError, match="empty.dat: no row has an AC frequency, chi' and chi''"):
        read_ac(e)
    n = tmp_path / "nan.csv"
    n.write_text("T (K), f (Hz), chi' (emu/Oe), chi'' (emu/Oe)\n2, 1, 0.3, 0.1\n2, 10, nan, 0.2\n2, 100, 0.1, \n")
    with pytest.raises(ConfigError, match=r"nan.csv: line 3 has no valid value in column \"chi' \(emu/Oe\)\" "
                                          r"\(and 1 more rows\)"):
        read_ac(n)
    kept = read_ac(n, skip_incomplete=True)
    assert kept.sweeps[0].size == 1 and len(kept.notes) == 2 and "line 4" in kept.notes[1]
    u = tmp_path / "unit.csv"
    u.write_text("T (K), f (Hz), chi' (SI), chi'' (SI)\n2, 1, 0.3, 0.1\n")
    with pytest.raises(ConfigError, match=r"unit.csv: column \"chi' \(SI\)\": unit 'SI' not understood"):
        read_ac(u)
    c = tmp_path / "celsius.csv"
    c.write_text("T (C), f (Hz), chi' (emu/Oe), chi'' (emu/Oe)\n2, 1, 0.3, 0.1\n")
    with pytest.raises(ConfigError, match=r"celsius.csv: column 'T \(C\)' has unit 'C'; temperature needs one of k"):
        read_ac(c)
    h = tmp_path / "noheader.csv"
    h.write_text("2, 1, 0.3, 0.1\n")
    with pytest.raises(ConfigError, match="noheader.csv: no header row naming the columns"):
        read_ac(h)
    write_csv(tmp_path / "plain.csv", synthetic())
    with pytest.raises(ConfigError, match="plain.csv: the diamagnetic correction is in cm\\^3/mol, but chi is emu/Oe"):
        read_ac(tmp_path / "plain.csv", diamagnetic=-1e-4)
    with pytest.raises(ConfigError, match="plain.csv: a molar chi needs the sample mass"):
        read_ac(tmp_path / "plain.csv", molar=True)
    with pytest.raises(ConfigError, match="missing.dat: file not found"):
        read_ac(tmp_path / "missing.dat")


def write_dc_mpms3(path, decays, seed=0, noise=0.002):
    """MPMS3 decays: "Time Stamp (sec)" on the instrument's clock, "DC Moment Fixed Ctr (emu)" with errors."""
    rng = np.random.default_rng(seed)
    lines = ["[Header]", "INFO,5.0,SAMPLE_MASS", "[Data]",
             "Comment,Time Stamp (sec),Temperature (K),Magnetic Field (Oe),DC Moment Fixed Ctr (emu),"
             "DC Moment Err Fixed Ctr (emu),"]
    clock = 3.6e6
    for T, tau, beta in decays:
        t = np.concatenate([[0.0], np.geomspace(1.0, 3000.0, 39)])  # the field step at t = 0
        M = 0.1 + 0.9 * np.exp(-(t / tau) ** beta)
        for a, m in zip(t, M):
            lines.append(f",{clock + a},{T},0,{m + noise * rng.standard_normal()},{noise},")
        clock += 1e4
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))


DECAYS = ((2.0, 300.0, 0.8), (4.0, 40.0, 0.6))


def test_dc_decays_are_read_grouped_and_fitted_within_two_sigma(tmp_path):
    """M(t) = M_eq + (M_0 - M_eq) exp(-(t/tau)^beta) with 0.2 % noise: tau and beta within 2 sigma in
    >= 8 of 10 seeds; t counts from each decay's first point; tau_upper = tau exp(sigma(beta))."""
    from spinbath.experiment import fit_dc

    hits = np.zeros((len(DECAYS), 2), int)
    for seed in range(10):
        write_dc_mpms3(tmp_path / "dc.dat", DECAYS, seed)
        decays = read_dc(tmp_path / "dc.dat")
        assert [d.temperature for d in decays] == [2.0, 4.0] and decays[0].err is not None
        assert decays[0].time[0] == 0.0 and decays[1].t_start == pytest.approx(3.6e6 + 1e4)
        for k, (d, (T, tau, beta)) in enumerate(zip(decays, DECAYS)):
            f = fit_dc(d)
            assert f.success and f.in_window and f.weighted
            hits[k, 0] += abs(f.tau - tau) <= 2 * f.tau_err
            hits[k, 1] += abs(f.parameters["beta"] - beta) <= 2 * f.errors["beta"]
            s = 1.64 * np.tan(np.pi * (1 - f.parameters["beta"]) / 2) / (1 - f.parameters["beta"]) ** 0.141
            assert f.tau_upper == pytest.approx(f.tau * np.exp(s), rel=1e-12)
    assert hits.min() >= 8, hits


def test_dc_dataset_and_bad_decays(tmp_path):
    from spinbath.experiment import fit_dc, fit_dc_all

    write_dc_mpms3(tmp_path / "dc.dat", DECAYS)
    ds = fit_dc_all(read_dc(tmp_path / "dc.dat"))
    assert list(ds.temperature.values) == [2.0, 4.0] and ds.tau.attrs["units"] == "s"
    assert ds.fit_ok.values.tolist() == [1, 1] and ds.moment.dims == ("temperature", "point")
    assert ds.attrs["moment_units"] == "emu" and ds.M_0.attrs["units"] == "emu"
    short = tmp_path / "short.csv"
    short.write_text("t (s), T (K), M (emu)\n0, 2, 1.0\n10, 2, 0.8\n20, 2, 0.7\n")
    with pytest.raises(ConfigError, match=r"short.csv: the decay at 2 K \(lines 2-4\) has 3 points, too few"):
        fit_dc(read_dc(short)[0])
    gap = tmp_path / "gap.csv"
    gap.write_text("t (s), T (K), M (emu)\n0, 2, 1.0\n10, 2, \n")
    with pytest.raises(ConfigError, match=r"gap.csv: line 3 has no valid value in column 'M \(emu\)'"):
        read_dc(gap)
    write_csv(tmp_path / "ac.csv", synthetic())
    with pytest.raises(ConfigError, match=r"ac.csv: no time \(s\) column"):
        read_dc(tmp_path / "ac.csv")
