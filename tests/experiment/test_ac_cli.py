"""``spinbath ac`` -> ``spinbath fit`` recovers known Orbach + QTM parameters from synthetic files; the
AC figure passes the reader checks; measured data go on the axes of a computed tau(T)."""

import numpy as np
import pytest

import spinbath
from spinbath.analysis import parse_model
from spinbath.cli import main
from spinbath.experiment import AC_MODELS
from spinbath.plotting import capture_figure, plt

from figure_checks import figure_problems

TRUE = dict(tau0=1e-8, U_eff=60.0, tau_QTM=0.02)  # K, s
F = np.geomspace(0.1, 1e4, 18)


def write_file(path, temps, seed=0):
    rng = np.random.default_rng(seed)
    tau = parse_model("orbach+qtm").tau(TRUE, np.asarray(temps))
    cols = ["Temperature (K)", "Magnetic Field (Oe)", "AC Frequency (Hz)", "AC X' (emu/Oe)", "AC X'' (emu/Oe)",
            "AC X' Std Err. (emu/Oe)", "AC X'' Std Err. (emu/Oe)"]
    lines = ["[Header]", "INFO,10.0,SAMPLE_MASS", "INFO,700.0,SAMPLE_MOLECULAR_WEIGHT", "[Data]", ",".join(cols)]
    for T, t in zip(temps, tau):
        chi = AC_MODELS["generalized-debye"].chi(F, [0.001, 0.05 / T, np.log10(t), 0.08])
        for f, c in zip(F, chi):
            ep, epp = 0.01 * abs(c.real) + 1e-7, 0.01 * abs(c.imag) + 1e-7
            lines.append(f"{T},0,{f},{c.real + ep * rng.standard_normal()},{-c.imag + epp * rng.standard_normal()},{ep},{epp}")
    path.write_text("\r\n".join(lines))
    return tau


def test_ac_then_fit_recovers_orbach_and_tunnelling(tmp_path, capsys):
    temps = np.linspace(2.0, 12.0, 21)
    tau = write_file(tmp_path / "run.dat", temps)
    rc = main(["-q", "ac", str(tmp_path / "run.dat"), "--out", str(tmp_path / "ac.nc"),
               "--plot", str(tmp_path / "ac.png")])
    ds = spinbath.load(tmp_path / "ac.nc")
    assert ds.attrs["study"] == "ac" and ds.tau.attrs["units"] == "s" and ds.attrs["chi_units"] == "cm^3/mol"
    window = (tau > 1 / (2 * np.pi * F.max())) & (tau < 1 / (2 * np.pi * F.min()))
    np.testing.assert_array_equal(ds.in_window.values.astype(bool), window)
    # a tau a decade below the window (12 K) leaves chi_S and tau undetermined: that sweep may be
    # flagged (fit_ok = 0, exit status 1), never an in-window one
    ok = ds.fit_ok.values.astype(bool)
    assert ok[window].all() and rc == (0 if ok.all() else 1)
    assert window.sum() >= 10 and not window.all()
    assert main(["fit", str(tmp_path / "ac.nc"), "--model", "orbach+qtm", "--out", str(tmp_path / "fit.json")]) == 0
    import json

    p = json.loads((tmp_path / "fit.json").read_text())["parameters"]
    for name in ("U_eff", "tau_QTM"):
        assert abs(p[name]["value"] - TRUE[name]) < 3 * p[name]["stderr"], name


def test_ac_figure_passes_the_reader_checks(tmp_path):
    write_file(tmp_path / "run.dat", [2.0, 4.0, 8.0])
    assert main(["-q", "ac", str(tmp_path / "run.dat"), "--out", str(tmp_path / "ac.nc")]) == 0
    fig = spinbath.plot(spinbath.load(tmp_path / "ac.nc"))
    try:
        assert figure_problems(fig) == []
    finally:
        plt.close(fig)


def test_bad_model_and_rerun_give_one_line_and_exit_2(tmp_path, capsys):
    write_file(tmp_path / "run.dat", [2.0, 4.0])
    assert main(["ac", str(tmp_path / "run.dat"), "--model", "cole", "--out", str(tmp_path / "x.nc")]) == 2
    err = capsys.readouterr().err
    assert "--model 'cole'" in err and "Traceback" not in err
    assert not (tmp_path / "x.nc").exists()
    assert main(["-q", "ac", str(tmp_path / "run.dat"), "--out", str(tmp_path / "ac.nc")]) == 0
    assert main(["rerun", str(tmp_path / "ac.nc")]) == 2
    assert "spinbath ac" in capsys.readouterr().err


def test_measured_taus_on_the_axes_of_a_spin_phonon_result(tmp_path):
    from test_sweep_figures import SPIN_PHONON

    theory = {k: v for k, v in SPIN_PHONON.items() if k != "sweep"}
    spinbath.run(theory, out=tmp_path / "sp.nc", quiet=True)
    write_file(tmp_path / "run.dat", [3.0, 5.0, 8.0])  # three distinct taus
    assert main(["-q", "ac", str(tmp_path / "run.dat"), "--out", str(tmp_path / "ac.nc")]) == 0
    with capture_figure() as cap:
        assert main(["-q", "plot", str(tmp_path / "sp.nc"), "--data", str(tmp_path / "ac.nc"),
                     "--out", str(tmp_path / "both.png")]) == 0
    try:
        assert figure_problems(cap.figure) == []
        labels = [t.get_text() for ax in cap.figure.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
        assert any("computed" in x for x in labels) and any("measured" in x for x in labels)
    finally:
        plt.close(cap.figure)


@pytest.mark.parametrize("bad", ["dc"])
def test_plot_data_must_be_measured_results(tmp_path, bad, capsys):
    from test_sweep_figures import SPIN_PHONON

    theory = {k: v for k, v in SPIN_PHONON.items() if k != "sweep"}
    spinbath.run(theory, out=tmp_path / "sp.nc", quiet=True)
    assert main(["plot", str(tmp_path / "sp.nc"), "--data", str(tmp_path / "sp.nc")]) == 2
    assert "not an AC or DC results file" in capsys.readouterr().err


def test_skip_options_on_the_command_line(tmp_path, capsys):
    # A file with a 2-frequency sweep at 9 K and a row with no chi'': without the options the run
    # stops with exit 2 naming the line and the option; with them it fits the rest and lists what
    # it dropped; the results file records the choice.
    write_file(tmp_path / "run.dat", [3.0, 5.0])
    lines = (tmp_path / "run.dat").read_text().splitlines()
    lines[7] = ",".join(lines[7].split(",")[:4] + ["", "1e-7", "1e-7"])  # 3 K, third frequency
    lines += ["9.0,0,10.0,0.001,0.0001,1e-7,1e-7", "9.0,0,100.0,0.0009,0.0002,1e-7,1e-7"]
    (tmp_path / "run.dat").write_text("\r\n".join(lines))
    out = str(tmp_path / "ac.nc")
    assert main(["-q", "ac", str(tmp_path / "run.dat"), "--out", out]) == 2
    err = capsys.readouterr().err
    assert "line 8" in err and "--skip-incomplete" in err and "Traceback" not in err
    assert not (tmp_path / "ac.nc").exists()
    assert main(["-q", "ac", str(tmp_path / "run.dat"), "--out", out, "--skip-incomplete"]) == 2
    err = capsys.readouterr().err
    assert "9" in err and "--skip-short" in err
    # exit status 1: a sweep is in the file but not fitted (fit_ok = 0, NaN tau), as for a failed fit
    assert main(["ac", str(tmp_path / "run.dat"), "--out", out, "--skip-incomplete", "--skip-short"]) == 1
    err = capsys.readouterr().err
    assert "skipped: line 8" in err and "9 K" in err and "too few" in err
    ds = spinbath.load(out)
    np.testing.assert_allclose(ds.temperature.values, [3.0, 5.0, 9.0])
    np.testing.assert_array_equal(ds.fit_ok.values, [1, 1, 0])
    assert np.isnan(ds.tau.values[2]) and np.isfinite(ds.tau.values[:2]).all()
    assert "skip_short = true" in ds.attrs["config_toml"]
