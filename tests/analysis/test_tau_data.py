"""Reading tau(T): CSV with header, whitespace text, units in headers, netCDF results, validation."""

import numpy as np
import pytest
import xarray as xr

from spinbath.analysis import TauData, read_tau_data
from spinbath.config import ConfigError


def test_csv_with_header_and_whitespace_text(tmp_path):
    csv = tmp_path / "tau.csv"
    csv.write_text("T,tau,err\n10,1e-3,1e-4\n5,2e-2,2e-3\n20,1e-5,1e-6\n")
    d = read_tau_data(csv)
    np.testing.assert_array_equal(d.T, [5, 10, 20])  # sorted by T
    np.testing.assert_array_equal(d.tau, [2e-2, 1e-3, 1e-5])
    np.testing.assert_allclose(d.sigma_log10, 0.1 / np.log(10))
    txt = tmp_path / "tau.dat"
    txt.write_text("# T (K)  tau (s)\n  5   2e-2\n\t10  1e-3   # a comment\n20 1e-5\n")
    d2 = read_tau_data(txt)
    np.testing.assert_array_equal(d2.tau, d.tau)
    assert d2.err is None


def test_header_units_and_extra_columns(tmp_path):
    f = tmp_path / "tau.txt"
    f.write_text("alpha  T/K  tau(ms)  H[Oe]\n0.1 5 20 1000\n0.2 10 1 1000\n0.1 20 0.01 1000\n")
    d = read_tau_data(f)
    np.testing.assert_allclose(d.tau, [2e-2, 1e-3, 1e-5])
    np.testing.assert_allclose(d.field, 0.1)


def test_temperature_range_is_applied_before_validation(tmp_path):
    f = tmp_path / "tau.csv"
    f.write_text("T,tau\n1,nan\n5,2e-2\n10,1e-3\n20,1e-5\n")
    with pytest.raises(ConfigError, match="not finite"):
        read_tau_data(f)
    d = read_tau_data(f, tmin=2.0)
    assert d.size == 3 and d.T.min() == 5


@pytest.mark.parametrize("text, needle", [
    ("T,tau\n5,2e-2\n10,-1e-3\n", "must be positive"),
    ("T,tau\n5,2e-2\n10,0\n", "must be positive"),
    ("T,tau\n5,2e-2\nnan,1e-3\n", "temperature T is not finite"),
    ("T,tau,err\n5,2e-2,0\n10,1e-3,1e-4\n", "error of tau must be positive"),
    ("temp,time\n5,2e-2\n", "no column named tau"),
    ("T,tau\n5,2e-2\n10,abc\n", "'abc' is not a number"),
    ("T,tau\n5,2e-2\n10\n", "1 columns where earlier rows have 2"),
    ("5 2e-2 1 1\n10 1e-3 1 1\n", "no header"),
    ("T,tau\n5,2e-2\n", "at least 2 points"),
    ("T (C),tau\n5,2e-2\n6,1e-2\n", "unit 'C'"),
])
def test_bad_tables(tmp_path, text, needle):
    f = tmp_path / "bad.csv"
    f.write_text(text)
    with pytest.raises(ConfigError, match=needle):
        read_tau_data(f)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        read_tau_data(tmp_path / "nope.csv")


def spin_phonon_like(path, orders=("2", "4", "2+4")):
    T = np.array([5.0, 10.0, 20.0, 40.0])
    tau = np.array([[1e3, 1e1, 1e-1, 1e-3], [1e2, 1.0, 1e-2, 1e-4], [90.0, 0.9, 0.9e-2, 0.9e-4]])[: len(orders)]
    ds = xr.Dataset(
        {"tau": (("order", "temperature"), tau, {"units": "s"})},
        coords={"order": ("order", list(orders), {"units": "1"}), "temperature": ("temperature", T, {"units": "K"})},
        attrs={"study": "spin-phonon", "config_toml": ""},
    )
    ds.to_netcdf(path, engine="h5netcdf")
    return tau


def test_netcdf_results_file_with_order_selection(tmp_path):
    path = tmp_path / "res.nc"
    tau = spin_phonon_like(path)
    d = read_tau_data(path, ["order=4"])
    np.testing.assert_array_equal(d.tau, tau[1])
    assert d.selection == {"order": "4"} and d.source == str(path) and "order=4" in d.label
    default = read_tau_data(path)  # documented default: the full 2nd + 4th order tau
    np.testing.assert_array_equal(default.tau, tau[2])
    assert default.selection == {"order": "2+4"}
    with pytest.raises(ConfigError, match="order='6' not found; order has values 2, 4, 2\\+4"):
        read_tau_data(path, ["order=6"])
    with pytest.raises(ConfigError, match="cannot select field"):
        read_tau_data(path, ["field=1"])


def test_netcdf_numeric_coordinates_and_units(tmp_path):
    T = np.array([5.0, 10.0, 20.0])
    ds = xr.Dataset(
        {"tau": (("field", "temperature"), [[1.0, 0.1, 0.01], [2.0, 0.2, 0.02]], {"units": "ms"})},
        coords={"field": ("field", [0.0, 0.5], {"units": "T"}), "temperature": ("temperature", T, {"units": "K"})},
    )
    path = tmp_path / "f.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    np.testing.assert_allclose(read_tau_data(path, {"field": "0.50"}).tau, [2e-3, 2e-4, 2e-5])
    with pytest.raises(ConfigError, match="--select field=VALUE"):
        read_tau_data(path)


def test_arrays_are_validated():
    with pytest.raises(ConfigError, match="different lengths"):
        TauData([1.0, 2.0], [1.0])
    d = TauData([3.0, 1.0, 2.0], [1.0, 3.0, 2.0], err=[0.1, 0.3, 0.2])
    np.testing.assert_array_equal(d.err, [0.3, 0.2, 0.1])
