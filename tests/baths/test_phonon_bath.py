"""PhononBath validation and file round trip; normalized lineshapes and their truncation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, signal

from spinbath.baths.lineshapes import cutoff_distance, gaussian, lineshape, lorentzian
from spinbath.baths.phonons import PhononBath

rng = np.random.default_rng(21)


def random_bath(n=5, d=4, linewidths=True):
    A = rng.normal(size=(n, d, d)) + 1j * rng.normal(size=(n, d, d))
    V = (A + A.conj().transpose(0, 2, 1)) / 2
    lw = rng.uniform(1, 5, n) if linewidths else None
    return PhononBath(rng.uniform(10, 500, n), V, lw, source="random test bath")


# ----------------------------------------------------------------------------- PhononBath
def test_bath_is_immutable_and_reports_its_size():
    bath = random_bath()
    assert bath.n_modes == 5 and bath.dim == 4
    with pytest.raises(ValueError):
        bath.energies_cm[0] = 1.0  # read-only copy
    with pytest.raises(AttributeError):
        bath.source = "x"  # frozen dataclass


@pytest.mark.parametrize("linewidths", [True, False])
def test_npz_round_trip(tmp_path, linewidths):
    bath = random_bath(linewidths=linewidths)
    path = tmp_path / "bath.npz"
    bath.save_npz(path)
    back = PhononBath.load_npz(path)
    assert np.array_equal(back.energies_cm, bath.energies_cm)
    assert np.array_equal(back.couplings_cm, bath.couplings_cm)
    assert back.source == "random test bath"
    if linewidths:
        assert np.array_equal(back.linewidths_cm, bath.linewidths_cm)
    else:
        assert back.linewidths_cm is None
    with np.load(path) as f:
        assert {"energies_cm", "couplings_cm", "source", "schema"} <= set(f.files)


def test_load_rejects_foreign_files(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, energies=np.ones(3))
    with pytest.raises(ValueError, match="missing"):
        PhononBath.load_npz(path)
    np.savez(path, energies_cm=np.ones(1), couplings_cm=np.eye(2)[None], schema=np.array("other/9"))
    with pytest.raises(ValueError, match="schema"):
        PhononBath.load_npz(path)


def test_validation_messages_name_the_problem():
    V = np.zeros((2, 3, 3), complex)
    with pytest.raises(ValueError, match="mode 1 is not Hermitian"):
        W = V.copy()
        W[1, 0, 1] = 1.0
        PhononBath([1.0, 2.0], W)
    with pytest.raises(ValueError, match="must be > 0"):
        PhononBath([1.0, -2.0], V)
    with pytest.raises(ValueError, match="NaN"):
        PhononBath([1.0, np.nan], V)
    with pytest.raises(ValueError, match="NaN"):
        W = V.copy()
        W[0, 0, 0] = np.nan
        PhononBath([1.0, 2.0], W)
    with pytest.raises(ValueError, match="shape mismatch"):
        PhononBath([1.0, 2.0, 3.0], V)
    with pytest.raises(ValueError, match=r"\(n_modes, d, d\)"):
        PhononBath([1.0, 2.0], np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="linewidths"):
        PhononBath([1.0, 2.0], V, [1.0, 0.0])
    with pytest.raises(ValueError, match="shape mismatch"):
        PhononBath([1.0, 2.0], V, [1.0])


def test_couplings_in_basis():
    bath = random_bath()
    U, _ = np.linalg.qr(rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4)))
    Vt = bath.couplings_in_basis(U)
    assert np.allclose(Vt[2], U.conj().T @ bath.couplings_cm[2] @ U)


# ----------------------------------------------------------------------------- lineshapes
@pytest.mark.parametrize("f, width", [(gaussian, 3.0), (lorentzian, 3.0), (gaussian, 0.2)])
def test_lineshapes_are_normalized(f, width):
    area, _ = integrate.quad(lambda x: f(x, width), -np.inf, np.inf, limit=200)
    assert area == pytest.approx(1.0, rel=1e-8)


def test_width_meanings():
    s, g = 2.0, 2.0
    var, _ = integrate.quad(lambda x: x * x * gaussian(x, s), -np.inf, np.inf)
    assert var == pytest.approx(s * s, rel=1e-8)  # Gaussian width = standard deviation
    assert lorentzian(g, g) == pytest.approx(0.5 * lorentzian(0.0, g))  # Lorentzian width = HWHM


@pytest.mark.parametrize("name, rel", [("gaussian", 1e-8), ("gaussian", 1e-4), ("lorentzian", 1e-6)])
def test_truncation_window_and_lost_area(name, rel):
    ls = lineshape(name)
    width = 1.7
    xc = cutoff_distance(name, width, rel)
    assert ls(xc, width) == pytest.approx(rel * ls(0.0, width), rel=1e-9)
    assert ls.truncated(xc * 0.999, width, rel) > 0 and ls.truncated(xc * 1.001, width, rel) == 0
    tail, _ = integrate.quad(lambda x: ls(x, width), xc, np.inf)
    assert ls.tail_weight(width, rel) == pytest.approx(2 * tail, rel=1e-6)


def test_default_truncations_and_their_cost():
    g, lz = lineshape("gaussian"), lineshape("lorentzian")
    assert g.cutoff_distance(1.0) == pytest.approx(6.0697, rel=1e-4)  # default rel = 1e-8
    assert g.tail_weight() < 2e-9
    assert lz.cutoff_distance(1.0) == pytest.approx(1000.0, rel=1e-3)  # default rel = 1e-6
    assert lz.tail_weight() == pytest.approx(2 / np.pi * 1e-3, rel=1e-3)  # long tails


def test_pair_widths_are_convolution_widths():
    x = np.linspace(-60, 60, 24001)
    dx = x[1] - x[0]
    for name, (w1, w2) in [("gaussian", (1.5, 2.5)), ("lorentzian", (0.5, 0.8))]:
        ls = lineshape(name)
        conv = signal.fftconvolve(ls(x, w1), ls(x, w2), mode="same") * dx
        direct = ls(x, ls.combine(w1, w2))
        centre = np.abs(x) < 10
        assert np.allclose(conv[centre], direct[centre], rtol=2e-3, atol=1e-5)


def test_lineshape_lookup_and_width_checks():
    assert lineshape("Gaussian") is lineshape("gaussian")
    with pytest.raises(ValueError, match="unknown lineshape"):
        lineshape("voigt")
    with pytest.raises(ValueError, match="width"):
        gaussian(0.0, 0.0)
    with pytest.raises(ValueError, match="rel"):
        lineshape("gaussian").cutoff_distance(1.0, 2.0)
