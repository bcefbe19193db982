"""AC susceptibility from the master equation (linear response): Debye for two levels, the eigenmode
sum and a numerical Fourier transform of M(t) for a Kramers ion, basis independence in a doublet."""

import numpy as np
import pytest
from scipy.integrate import quad

from spinbath.quantum.ac_response import ac_susceptibility, field_response_state
from spinbath.quantum.relaxation import relaxation_modes
from spinbath.quantum.relaxation import evolve
from spinbath.quantum.spin_phonon import SpinPhononRates
from spinbath.spins.operators import spin_matrices
from spinbath.units import KB_CM

from helpers import kramers_model


def two_level_R(w_up: float, w_down: float) -> np.ndarray:
    """Pauli rates 0 -> 1 (w_up) and 1 -> 0 (w_down) on column-stacked vec(rho); coherences decay at half the sum."""
    R = np.zeros((4, 4))
    R[0, 0], R[0, 3] = -w_up, w_down      # rho_00 at index 0, rho_11 at 0 + 2*1... = 3
    R[3, 3], R[3, 0] = -w_down, w_up
    R[1, 1] = R[2, 2] = -(w_up + w_down) / 2
    return R


def test_two_levels_give_exactly_debye_with_the_sum_of_the_rates():
    T, gap = 5.0, 3.0  # K, cm^-1
    w_down = 200.0
    w_up = w_down * np.exp(-gap / (KB_CM * T))  # detailed balance
    E, M = np.array([0.0, gap]), np.diag([1.0, -1.0])
    nu = np.geomspace(0.1, 1e5, 40)
    chi = ac_susceptibility(two_level_R(w_up, w_down), E, M, T, nu)
    tau = 1.0 / (w_up + w_down)
    np.testing.assert_allclose(chi, 1.0 / (1.0 + 2j * np.pi * nu * tau), rtol=1e-12, atol=1e-14)
    assert np.all(chi.imag <= 0)  # chi = chi' - i chi'', chi'' >= 0


@pytest.fixture(scope="module")
def kramers():
    H, V, w = kramers_model(field=(0.0, 0.0, 0.02))
    rates = SpinPhononRates(H, V, w, 8.0)
    E, U = rates.energies, rates.eigenvectors
    Jz = spin_matrices(2.5)[2]
    M = U.conj().T @ Jz @ U
    T = 12.0
    R = rates.superoperator(T, 2)
    return R, E, M, T


def eigenmodes(R, E, M, T):
    """Rates (s^-1) and weights of the eigenmodes of the magnetization response (eigenvectors of G)."""
    from spinbath.quantum.relaxation import with_hamiltonian

    drho = field_response_state(E, M, T)
    lam, amp = relaxation_modes(with_hamiltonian(R, E), M, drho)
    keep = np.abs(amp) > 0
    return -lam[keep], amp[keep] / np.real(np.trace(M @ drho))


def test_mode_sum_equals_the_block_solve(kramers):
    """Two independent routes: the eigenmodes of G (non-stiff here) and the Schur-complement solve."""
    R, E, M, T = kramers
    rates, weights = eigenmodes(R, E, M, T)
    assert abs(weights.sum() - 1.0) < 1e-9
    tau = 1.0 / np.real(rates[np.argmax(np.abs(weights))])
    nu = np.geomspace(1e-3, 1e3, 25) / (2 * np.pi * tau)
    chi = ac_susceptibility(R, E, M, T, nu)
    mode_sum = (weights[None, :] / (1.0 + 2j * np.pi * nu[:, None] / rates[None, :])).sum(axis=1)
    np.testing.assert_allclose(chi, mode_sum, rtol=1e-6, atol=1e-9)


def test_equals_the_fourier_transform_of_the_magnetization_decay(kramers):
    """chi(w)/chi_rel = 1 - i w int_0^inf m(t) e^{-iwt} dt, m(t) = Tr(M drho(t)) / chi_rel from rho(t)
    propagated in time (no eigenmodes), integrated numerically."""
    R, E, M, T = kramers
    drho = field_response_state(E, M, T)
    chi_rel = float(np.real(np.trace(M @ drho)))
    rates, weights = eigenmodes(R, E, M, T)
    tau = 1.0 / np.real(rates[np.argmax(np.abs(weights))])
    t = np.concatenate([[0.0], np.geomspace(1e-6 * tau, 60 * tau, 12000)])
    m = np.real(np.einsum("ij,tji->t", M, evolve(R, drho, t, E=E))) / chi_rel

    def transform(nu: float) -> complex:
        w = 2 * np.pi * nu
        f = lambda s, part: np.interp(s, t, m) * (np.cos(w * s) if part == 0 else -np.sin(w * s))  # noqa: E731
        pts = list(t[:: len(t) // 50])
        re = quad(f, 0.0, t[-1], args=(0,), limit=500, points=pts)[0]
        im = quad(f, 0.0, t[-1], args=(1,), limit=500, points=pts)[0]
        return 1.0 - 1j * w * (re + 1j * im)

    for nu in (0.1 / tau, 0.16 / tau, 1.0 / tau):
        exact = ac_susceptibility(R, E, M, T, [nu])[0]
        # Measured 2e-8 to 1.4e-7: the error of interpolating m(t) linearly on 12000 points.
        assert abs(transform(nu) - exact) < 1e-6, nu


def test_basis_inside_a_doublet_does_not_matter():
    """At zero field every level is a Kramers doublet: rotating the basis inside each doublet (R and M
    transformed alike) leaves chi unchanged."""
    H, V, w = kramers_model()
    rates = SpinPhononRates(H, V, w, 8.0)
    E, U = rates.energies, rates.eigenvectors
    M = U.conj().T @ spin_matrices(2.5)[2] @ U
    R = rates.superoperator(15.0, 2)
    rng = np.random.default_rng(3)
    W = np.eye(6, dtype=complex)
    for k in range(0, 6, 2):
        q, _ = np.linalg.qr(rng.standard_normal((2, 2)) + 1j * rng.standard_normal((2, 2)))
        W[k:k + 2, k:k + 2] = q
    # rho -> W rho W^H, i.e. vec -> (conj(W) kron W) vec
    S = np.kron(W.conj(), W)
    R2 = S @ R @ S.conj().T
    M2 = W @ M @ W.conj().T
    nu = np.geomspace(1e-2, 1e6, 12)
    np.testing.assert_allclose(ac_susceptibility(R2, E, M2, 15.0, nu), ac_susceptibility(R, E, M, 15.0, nu),
                               rtol=1e-9, atol=1e-12)


def test_response_state_is_traceless_hermitian_and_gives_the_curie_law_for_a_free_doublet():
    E = np.zeros(2)
    M = np.diag([1.0, -1.0])
    T = 3.0
    drho = field_response_state(E, M, T)
    np.testing.assert_allclose(drho, drho.conj().T)
    assert abs(np.trace(drho)) < 1e-15
    # chi_T = beta <M^2> for a free doublet (Curie): Tr(M drho) = 1 / (k_B T)
    assert np.real(np.trace(M @ drho)) == pytest.approx(1.0 / (KB_CM * T), rel=1e-14)


def test_stiff_dycp_keeps_the_slow_rate_debye_at_tau():
    """DyCp at 20 K, orders 2+4: tau ~ 1e3 s next to phonon rates ~1e11 s^-1. chi is Debye with the tau
    of relaxation_time_details (its own stiff-safe route, the 4x4 effective generator) to 1e-6."""
    import tomllib
    from pathlib import Path

    import spinbath
    from spinbath.quantum.relaxation import relaxation_time_details
    from spinbath.studies.spin_phonon import SpinPhononConfig, _moment_axis_operator

    text = (Path(spinbath.__file__).parent / "examples" / "dycp.toml").read_text()
    cfg = SpinPhononConfig.model_validate(tomllib.loads(text))
    ham = cfg.spin.hamiltonian()
    moment = _moment_axis_operator(ham, np.asarray(cfg.field.direction))
    H = ham.matrix(cfg.field.field_vector())
    rates = SpinPhononRates.from_bath(H, cfg.bath.build(cfg.spin.J, cfg.field.field_vector()), width=cfg.method.width,
                                      lineshape=cfg.method.lineshape, basis_operator=moment, vanishing_field=True)
    E, U = rates.energies, rates.eigenvectors
    M = U.conj().T @ moment @ U
    R = rates.superoperator(20.0, "2+4")
    found = relaxation_time_details(R, E, M)
    assert 1.0 < found.tau < 1e6 and found.weight > 0.999999
    nu = np.array([0.01, 0.1, 1.0, 10.0]) / (2 * np.pi * found.tau)
    chi = ac_susceptibility(R, E, M, 20.0, nu)
    np.testing.assert_allclose(chi, 1.0 / (1.0 + 2j * np.pi * nu * found.tau), atol=1e-6)


def test_dycp_equals_the_fourier_transform_of_its_magnetization_decay():
    """The DyCp example (orders 2+4, 120 K, tau ~ 4e-5 s): chi from the block solve against
    1 - i w int m(t) e^{-iwt} dt with m(t) propagated in time from drho. Measured 2.6e-7 and 6e-8."""
    import tomllib
    from pathlib import Path

    import spinbath
    from spinbath.quantum.relaxation import relaxation_time_details
    from spinbath.studies.spin_phonon import SpinPhononConfig, _moment_axis_operator

    cfg = SpinPhononConfig.model_validate(
        tomllib.loads((Path(spinbath.__file__).parent / "examples" / "dycp.toml").read_text()))
    ham = cfg.spin.hamiltonian()
    moment = _moment_axis_operator(ham, np.asarray(cfg.field.direction))
    B = cfg.field.field_vector()
    rates = SpinPhononRates.from_bath(ham.matrix(B), cfg.bath.build(cfg.spin.J, B), width=cfg.method.width,
                                      lineshape=cfg.method.lineshape, basis_operator=moment, vanishing_field=True)
    E, U = rates.energies, rates.eigenvectors
    M = U.conj().T @ moment @ U
    T = 120.0
    R = rates.superoperator(T, "2+4")
    tau = relaxation_time_details(R, E, M).tau
    drho = field_response_state(E, M, T)
    chi_rel = float(np.real(np.trace(M @ drho)))
    t = np.concatenate([[0.0], np.geomspace(1e-9 * tau, 60 * tau, 12000)])
    m = np.real(np.einsum("ij,tji->t", M, evolve(R, drho, t, E=E))) / chi_rel
    for nu in (0.1 / tau, 1.0 / tau):
        w = 2 * np.pi * nu
        f = lambda s, part: np.interp(s, t, m) * (np.cos(w * s) if part == 0 else -np.sin(w * s))  # noqa: E731
        pts = list(t[::240])
        re = quad(f, 0.0, t[-1], args=(0,), limit=500, points=pts)[0]
        im = quad(f, 0.0, t[-1], args=(1,), limit=500, points=pts)[0]
        assert abs(1.0 - 1j * w * (re + 1j * im) - ac_susceptibility(R, E, M, T, [nu])[0]) < 1e-6
