"""Semi-infinite tight-binding leads (spinbath.baths.leads): self-energy, broadening, Fermi function.

Physics checks: closed-form values of Sigma^R = t_c^2 g_s on every side of the band, causality
(Im Sigma^R <= 0 on the real axis and in the upper half plane), the semicircular broadening inside
the band, the 1/E tail outside it, the Kramers-Kronig (Hilbert-transform) relation between Re Sigma
and Gamma, the spectral sum rule of the surface site, the analytic dSigma/dE, and the Fermi function
(T = 0 step, finite-difference derivative, bad input).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from spinbath.baths.leads import (
    chain_broadening, chain_self_energy, chain_self_energy_derivative, fermi, minus_fermi_derivative,
    surface_green_function,
)
from spinbath.units import KB_MEV

T_E, T_C = 100.0, 10.0  # meV, the default junction's lead


# ------------------------------------------------------------------------------------------------
# Closed-form values and branches
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "E, expected",
    [
        (0.0, -1.0j),                 # band centre: -i t_c^2 / t_e
        (120.0, 0.6 - 0.8j),          # inside the band: (120 - i sqrt(4e4 - 120^2)) / 200
        (210.0, 0.729843788128357),   # above the band: (210 - sqrt(10 * 410)) / 200, real
        (-250.0, -0.5),               # below the band: (-250 + sqrt(450 * 50)) / 200, real
    ],
)
def test_self_energy_closed_form_values(E, expected):
    """Sigma^R(E) = t_c^2 [z - sqrt(z - 2t_e) sqrt(z + 2t_e)] / (2 t_e^2) on each side of the band.

    The numbers are the hand-evaluated closed form; 1e-5 is the precision they are quoted to
    (the code agrees to round-off). Below the band the decaying branch gives -0.5, not -2.
    """
    got = complex(chain_self_energy(E, T_E, T_C))
    assert abs(got - expected) < 1e-5


def test_signed_zero_imaginary_part_does_not_flip_the_branch():
    """E = -250 - 0j (a negative zero imaginary part) is still the +i0 limit: Sigma = -0.5, not -2."""
    got = complex(chain_self_energy(np.array([complex(-250.0, -0.0)]), T_E, T_C)[0])
    assert abs(got - (-0.5)) < 1e-12


def test_causality_on_the_real_axis_and_in_the_upper_half_plane():
    """Im Sigma^R(E) <= 0 on a dense real grid (band and both outsides) and at complex z, Im z > 0.

    A retarded function is analytic in the upper half plane with a negative imaginary part
    (a positive spectral density). Tolerance: 1e-14 absolute, round-off on |Sigma| <= 1 meV.
    """
    E = np.linspace(-600.0, 600.0, 24001)
    sig = chain_self_energy(E, T_E, T_C)
    assert np.all(sig.imag <= 1e-14)
    outside = np.abs(E) > 2 * T_E
    assert np.all(np.abs(sig.imag[outside]) < 1e-14)  # real outside the band
    rng = np.random.default_rng(1)
    z = rng.uniform(-600, 600, 4000) + 1j * 10.0 ** rng.uniform(-6, 3, 4000)
    assert np.all(chain_self_energy(z, T_E, T_C).imag <= 1e-14)


def test_broadening_is_the_semicircle_inside_the_band():
    """Gamma(E) = -2 Im Sigma^R = (t_c^2 / t_e^2) sqrt(4 t_e^2 - E^2) for |E| < 2 t_e, 0 outside."""
    E = np.linspace(-199.99, 199.99, 2001)
    expected = (T_C**2 / T_E**2) * np.sqrt(4 * T_E**2 - E**2)
    np.testing.assert_allclose(chain_broadening(E, T_E, T_C), expected, rtol=1e-12, atol=1e-14)
    E_out = np.array([-600.0, -200.5, 200.5, 600.0])
    np.testing.assert_allclose(chain_broadening(E_out, T_E, T_C), 0.0, atol=1e-14)


def test_far_outside_the_band_sigma_is_tc2_over_E():
    """Sigma(E) = t_c^2 (1/E + t_e^2/E^3 + 2 t_e^4/E^5 + ...) for |E| >> 2 t_e (moment expansion).

    The surface site's moments are m_0 = 1, m_2 = t_e^2, m_4 = 2 t_e^4; the remainder after the
    E^-5 term is O(t_e^6 / E^7), so the relative residue after three terms is < 10 (t_e/E)^6.
    The closed form z - sqrt(z - 2t_e) sqrt(z + 2t_e) cancels for |z| >> t_e, which adds a
    round-off of ~ eps (E/t_e)^2 relative (6e-11 at E = -1e5 meV): allowed as 1e-14 (E/t_e)^2.
    """
    for E in (2.0e3, -5.0e3, 1.0e4, -1.0e5):
        series = T_C**2 * (1 / E + T_E**2 / E**3 + 2 * T_E**4 / E**5)
        got = complex(chain_self_energy(E, T_E, T_C))
        assert abs(got.imag) == 0.0
        rel = 10 * (T_E / abs(E)) ** 6 + 1e-14 * (E / T_E) ** 2
        assert abs(got.real - series) <= rel * abs(series)
        assert abs(got.real * E / T_C**2 - 1) < 2 * (T_E / E) ** 2  # leading t_c^2 / E


@pytest.mark.parametrize("E", [0.0, 50.0, -130.0, 190.0, 210.0, -250.0, 500.0])
def test_real_part_is_the_hilbert_transform_of_the_broadening(E):
    """Kramers-Kronig: Re Sigma^R(E) = P int dE'/2pi Gamma(E') / (E - E').

    Sigma^R(E) = int dE'/2pi Gamma(E')/(E - E' + i0) for a lead with no bound states. Principal
    value by QUADPACK's Cauchy weight (inside the band) or plain quadrature (outside); tolerance
    1e-6 meV, well above the quadrature error (~1e-10) and far below |Sigma| ~ 0.1-1 meV.
    """
    gamma = lambda x: float(chain_broadening(x, T_E, T_C))  # noqa: E731
    if abs(E) < 2 * T_E:
        # quad(weight="cauchy") returns P int g(x) / (x - E) dx
        pv, _ = quad(gamma, -2 * T_E, 2 * T_E, weight="cauchy", wvar=E, epsabs=1e-13, limit=500)
        hilbert = -pv / (2 * np.pi)
    else:
        hilbert, _ = quad(lambda x: gamma(x) / (E - x), -2 * T_E, 2 * T_E, epsabs=1e-13, limit=500)
        hilbert /= 2 * np.pi
    assert abs(hilbert - complex(chain_self_energy(E, T_E, T_C)).real) < 1e-6


def test_surface_spectral_weight_sum_rule():
    """int dE/2pi Gamma(E) = t_c^2: the end site of the chain carries one state (no bound states).

    Tolerance 1e-9 relative: the integrand is a semicircle, integrated by adaptive quadrature.
    """
    total, _ = quad(lambda x: float(chain_broadening(x, T_E, T_C)), -2 * T_E, 2 * T_E, epsabs=1e-12)
    assert abs(total / (2 * np.pi) - T_C**2) < 1e-9 * T_C**2


def test_self_energy_derivative_matches_finite_differences():
    """chain_self_energy_derivative = dSigma/dE (central differences, h = 1e-4 meV).

    Checked inside the band, outside on both sides (away from the sqrt edge singularities) and at
    complex z in the upper half plane. Truncation error ~ h^2 Sigma''' / 6 < 1e-9 there; tolerance
    1e-7 relative to max(|dSigma/dE|, 1e-3).
    """
    h = 1e-4
    z = np.array([0.0, 57.3, -150.0, 230.0, -320.0, 3.0 + 0.5j, -199.0 + 2.0j, 250.0 + 10.0j])
    fd = (chain_self_energy(z + h, T_E, T_C) - chain_self_energy(z - h, T_E, T_C)) / (2 * h)
    an = chain_self_energy_derivative(z, T_E, T_C)
    scale = np.maximum(np.abs(an), 1e-3)
    assert np.all(np.abs(fd - an) < 1e-7 * scale)


def test_surface_green_function_is_the_recursive_fixed_point():
    """g_s = 1 / (z - t_e^2 g_s): adding one site to a semi-infinite chain leaves it unchanged."""
    rng = np.random.default_rng(2)
    z = np.concatenate([rng.uniform(-500, 500, 200) + 0j,
                        rng.uniform(-500, 500, 200) + 1j * rng.uniform(0.01, 100, 200)])
    g = surface_green_function(z, T_E)
    np.testing.assert_allclose(g, 1.0 / (z - T_E**2 * g), rtol=1e-10, atol=1e-15)


# ------------------------------------------------------------------------------------------------
# Fermi function
# ------------------------------------------------------------------------------------------------

def test_fermi_at_zero_temperature_is_a_step_with_half_at_mu():
    """f(E; mu, T = 0) = theta(mu - E), with f(mu) = 1/2 exactly."""
    mu = 1.3
    E = np.array([-100.0, 1.3 - 1e-9, 1.3, 1.3 + 1e-9, 100.0])
    np.testing.assert_array_equal(fermi(E, mu, 0.0), [1.0, 1.0, 0.5, 0.0, 0.0])


def test_fermi_limits_and_particle_hole_symmetry():
    """f(mu + x) + f(mu - x) = 1; f(mu) = 1/2; no overflow for |E - mu| >> k_B T."""
    mu, T = -2.0, 7.0
    x = np.linspace(-50, 50, 1001)
    np.testing.assert_allclose(fermi(mu + x, mu, T) + fermi(mu - x, mu, T), 1.0, atol=1e-15)
    assert fermi(mu, mu, T) == 0.5
    with np.errstate(all="raise"):
        far = fermi(np.array([-1e6, 1e6]), 0.0, 0.01)
    np.testing.assert_array_equal(far, [1.0, 0.0])


@pytest.mark.parametrize("T", [0.5, 10.0, 300.0])
def test_minus_fermi_derivative_matches_finite_differences(T):
    """-df/dE from minus_fermi_derivative agrees with central differences of fermi.

    Step h = 1e-4 k_B T: truncation error (h^2/6) f''' ~ 1e-9 of the peak 1/(4 k_B T);
    tolerance 1e-7 of the peak. Also the normalization int (-f') dE = 1.
    """
    kT = KB_MEV * T
    mu = 0.7
    E = mu + kT * np.linspace(-15, 15, 301)
    h = 1e-4 * kT
    fd = -(fermi(E + h, mu, T) - fermi(E - h, mu, T)) / (2 * h)
    peak = 1.0 / (4 * kT)
    assert np.max(np.abs(fd - minus_fermi_derivative(E, mu, T))) < 1e-7 * peak
    total, _ = quad(lambda e: float(minus_fermi_derivative(e, mu, T)), mu - 60 * kT, mu + 60 * kT,
                    points=[mu], epsabs=1e-13)
    assert abs(total - 1.0) < 1e-10


# ------------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("t_e", [0.0, -100.0])
def test_non_positive_lead_hopping_raises(t_e):
    with pytest.raises(ValueError):
        chain_self_energy(0.0, t_e, T_C)
    with pytest.raises(ValueError):
        surface_green_function(0.0, t_e)


def test_negative_temperature_raises():
    with pytest.raises(ValueError):
        fermi(0.0, 0.0, -1.0)
    with pytest.raises(ValueError):
        minus_fermi_derivative(0.0, 0.0, -1.0)
    with pytest.raises(ValueError):  # a delta function at T = 0: evaluated analytically elsewhere
        minus_fermi_derivative(0.0, 0.0, 0.0)
