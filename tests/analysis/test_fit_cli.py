"""``spinbath fit``: tables and results files in, fit.json (documented structure) and figure out;
bad input -> exit 2, one line "error: ...", nothing written."""

import argparse
import json
import sys

import numpy as np

from spinbath.analysis import parse_model
from spinbath.analysis.fit_cli import add_fit_parser
from spinbath.config import ConfigError
from spinbath.units import KB_CM


def _cli_has_fit() -> bool:
    from spinbath import cli

    subs = [a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return any("fit" in a.choices for a in subs)


def run_fit(argv):
    """Through spinbath.cli.main once the command is wired there, else through a parser of our own
    that handles errors the way main does."""
    if _cli_has_fit():
        from spinbath import cli

        return cli.main(["--quiet", "fit", *argv])
    parser = argparse.ArgumentParser(prog="spinbath")
    parser.add_argument("-q", "--quiet", action="store_true")
    add_fit_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["--quiet", "fit", *argv])
    try:
        return args.func(args)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


TRUE = dict(tau0=1e-11, U_eff=1760.0, C=1e-6, n=3.0, tau_QTM=1e3)


def synthetic_table(n=40, seed=0):
    T = np.geomspace(2.0, 100.0, n)
    tau = parse_model("orbach+raman+qtm").tau(TRUE, T) * np.exp(0.05 * np.random.default_rng(seed).standard_normal(n))
    return T, tau


def test_csv_fit_writes_documented_json_and_figure(tmp_path, capsys):
    T, tau = synthetic_table()
    csv = tmp_path / "tau.csv"
    csv.write_text("T,tau,err\n" + "".join(f"{a},{b},{0.05 * b}\n" for a, b in zip(T, tau)))
    out, fig = tmp_path / "fit.json", tmp_path / "fit.png"
    assert run_fit([str(csv), "--model", "orbach+raman+qtm", "--out", str(out), "--plot", str(fig)]) == 0
    d = json.loads(out.read_text())
    assert d["model"] == "orbach+raman+qtm" and d["n_points"] == 40 and d["data_file"] == str(csv)
    assert d["weighted"] is True and d["chi2"] > 0 and d["dof"] == 35
    units = {k: v["unit"] for k, v in d["parameters"].items()}
    assert units == {"tau0": "s", "U_eff": "K", "U_eff_cm": "cm^-1", "C": "s^-1 K^-n", "n": "1", "tau_QTM": "s"}
    for v in d["parameters"].values():
        assert {"value", "stderr", "unit"} <= set(v) and v["stderr"] > 0
    np.testing.assert_allclose(d["parameters"]["U_eff_cm"]["value"], d["parameters"]["U_eff"]["value"] * KB_CM)
    assert abs(d["parameters"]["U_eff"]["value"] - 1760.0) < 3 * d["parameters"]["U_eff"]["stderr"]
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and fig.stat().st_size > 10_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fit.json", "fit.png", "tau.csv"]  # no temp files left


def test_whitespace_text_and_default_model(tmp_path):
    T, tau = synthetic_table(seed=1)
    txt = tmp_path / "tau.txt"
    txt.write_text("".join(f"{a:.6f}   {b:.8e}\n" for a, b in zip(T, tau)))
    out = tmp_path / "fit.json"
    assert run_fit([str(txt), "--out", str(out)]) == 0
    d = json.loads(out.read_text())
    assert d["model"] == "orbach+raman+qtm" and d["weighted"] is False
    assert "reduced chi^2" in d["uncertainty"]


def test_results_file_with_order_selection(tmp_path):
    import xarray as xr

    T = np.geomspace(5.0, 60.0, 12)
    m = parse_model("orbach+qtm")
    tau = np.stack([m.tau({"tau0": 1e-9, "U_eff": u, "tau_QTM": 1.0}, T) for u in (300.0, 400.0, 500.0)])
    ds = xr.Dataset({"tau": (("order", "temperature"), tau, {"units": "s"})},
                    coords={"order": ("order", ["2", "4", "2+4"], {"units": "1"}),
                            "temperature": ("temperature", T, {"units": "K"})})
    ds.to_netcdf(tmp_path / "res.nc", engine="h5netcdf")
    for select, U in ((["--select", "order=4"], 400.0), ([], 500.0)):
        out = tmp_path / "fit.json"
        assert run_fit([str(tmp_path / "res.nc"), "--model", "orbach+qtm", "--out", str(out), *select]) == 0
        d = json.loads(out.read_text())
        np.testing.assert_allclose(d["parameters"]["U_eff"]["value"], U, rtol=1e-6)
        assert d["selection"] == {"order": "4" if select else "2+4"}


def bad_cases(tmp_path):
    T, tau = synthetic_table(n=8)
    good = "T,tau\n" + "".join(f"{a},{b}\n" for a, b in zip(T, tau))
    cases = {
        "fewer points than parameters": ("T,tau\n1,1\n2,0.5\n3,0.2\n4,0.1\n", "orbach+raman+qtm",
                                         "4 points cannot determine the 5 parameters"),
        "tau <= 0": (good.replace(f"{tau[3]}", "-1.0"), "orbach+raman+qtm", "must be positive"),
        "NaN": (good.replace(f"{tau[2]}", "nan"), "orbach+raman+qtm", "not finite"),
        "unknown term": (good, "orbach+ramen", "unknown relaxation term 'ramen'"),
        "missing file": (None, "orbach", "does not exist"),
        "unreadable columns": ("T;tau\n1;x\n2;y\n", "orbach", "'x' is not a number"),
    }
    for name, (text, model, needle) in cases.items():
        path = tmp_path / f"{name.replace(' ', '_')}.csv"
        if text is not None:
            path.write_text(text)
        yield name, path, model, needle


def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys):
    for name, path, model, needle in bad_cases(tmp_path):
        out, fig = tmp_path / "out" / "fit.json", tmp_path / "out" / "fit.png"
        code = run_fit([str(path), "--model", model, "--out", str(out), "--plot", str(fig)])
        err = capsys.readouterr().err
        assert code == 2, name
        assert err.startswith("error: ") and err.count("\n") == 1 and needle in err, (name, err)
        assert "Traceback" not in err
        assert not (tmp_path / "out").exists(), name


def test_prints_a_table_with_uncertainties(tmp_path, capsys):
    T, tau = synthetic_table(seed=2)
    csv = tmp_path / "tau.csv"
    csv.write_text("T,tau\n" + "".join(f"{a},{b}\n" for a, b in zip(T, tau)))
    parser = argparse.ArgumentParser(prog="spinbath")
    add_fit_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["fit", str(csv), "--model", "orbach+raman+qtm"])  # no --quiet attribute at all
    assert args.func(args) == 0
    out = capsys.readouterr().out
    for needle in ("U_eff_cm", "cm^-1", "tau_QTM", "std. error", "reduced chi^2"):
        assert needle in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tau.csv"]  # nothing written without --out/--plot
