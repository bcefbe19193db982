"""Time reversal in the fourth-order sweep (spinbath.quantum.time_reversal): when Theta = exp(-i pi Jy) K
commutes with H and every coupling, the sweep computes half of the amplitudes and real Gram sums. The
generator R must be the one of the full sweep (round-off apart) for every order, part, lineshape and
basis choice, and the shortcut must switch itself off whenever its premise fails."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import crystal_field, kramers_model, time_even_couplings, zeeman
from spinbath.quantum.spin_phonon import SpinPhononRates
from spinbath.quantum.time_reversal import find_symmetry, real_form, spin_time_reversal
from spinbath.spins.operators import spin_matrices
from spinbath.spins.stevens import stevens

T = np.array([0.0, 4.0, 20.0, 90.0])


def _rel(R: np.ndarray, R0: np.ndarray) -> float:
    """Largest deviation relative to the largest entry, per temperature."""
    return max(float(np.abs(R[t] - R0[t]).max() / np.abs(R0[t]).max()) for t in range(R0.shape[0]))


def _both(H, V, w, width=6.0, **kw):
    on = SpinPhononRates(H, V, w, width, **kw)
    off = SpinPhononRates(H, V, w, width, time_reversal=None, **kw)
    return on, off


def _dy_model(n_modes: int, seed: int):
    """J = 15/2 with the DyCp crystal field and crystal-field derivatives (Stevens k = 2, 4, 6) as couplings."""
    from spinbath.config.spin import SpinConfig

    H = SpinConfig(J="15/2", g=4 / 3, crystal_field={"dataset": "dycp"}).hamiltonian().matrix(np.zeros(3))
    rng = np.random.default_rng(seed)
    ops = np.array([stevens(7.5, k, q) for k in (2, 4, 6) for q in range(-k, k + 1)], dtype=complex)
    ops /= np.linalg.norm(ops, axis=(1, 2))[:, None, None]
    V = np.einsum("ak,kij->aij", rng.normal(size=(n_modes, len(ops))), ops)
    E = np.linalg.eigvalsh(H)
    w = np.sort(rng.uniform(10.0, 1.05 * (E[-1] - E[0]), n_modes))
    return H, V, w


@pytest.mark.parametrize("order", [4, "2+4", "4-resonant"])
@pytest.mark.parametrize("shape, per_mode", [("gaussian", False), ("lorentzian", True)])
def test_kramers_sweep_equals_the_full_sweep(order, shape, per_mode):
    H, V, w = kramers_model(seed=5, n_modes=40)
    lw = np.random.default_rng(5).uniform(0.5, 1.5, w.size) * 6.0 if per_mode else None
    on, off = _both(H, V, w, None if per_mode else 6.0, lineshape=shape, linewidths=lw)
    assert on.symmetry is not None and off.symmetry is None
    assert all(cl.real is not None for cl in on.clusters)  # every cluster holds its time reverse
    R, R0 = on.superoperator(T, order), off.superoperator(T, order)
    assert _rel(R, R0) < 1e-12
    # the small entries too, each against itself, up to the round-off of the largest (an entry formed
    # by cancellation between large rates carries ~1e-16 of them in either sweep)
    for t in range(T.size):
        np.testing.assert_allclose(R[t], R0[t], rtol=1e-11, atol=1e-15 * np.abs(R0[t]).max())
    # and the slowest population relaxation rate (Pauli block), the tau a study reports, to the
    # accuracy of an eigenvalue of that block (round-off of its largest rates)
    d = H.shape[0]
    pops = np.arange(d) * (d + 1)
    for t in range(1, T.size):
        blocks = [M[t][np.ix_(pops, pops)].real for M in (R, R0)]
        slow = [np.sort(np.linalg.eigvals(P).real)[-2] for P in blocks]
        assert slow[0] == pytest.approx(slow[1], rel=1e-10, abs=1e-15 * d * np.abs(blocks[1]).max())


@pytest.mark.parametrize("basis", ["moment", "eigh"])
def test_dysprosium_sweep_equals_the_full_sweep_in_any_doublet_basis(basis):
    # J = 15/2, 8 Kramers doublets, crystal-field derivatives as couplings. In the eigh basis the
    # doublets' basis vectors are whatever the solver returns; Theta still maps each onto the other
    # (<f|Theta f> = 0), so the shortcut holds there too.
    H, V, w = _dy_model(90, seed=2)
    kw = {"basis_operator": spin_matrices(7.5)[2]} if basis == "moment" else {}
    on, off = _both(H, V, w, 8.0, **kw)
    assert on.symmetry is not None
    R, R0 = on.superoperator(T, "2+4"), off.superoperator(T, "2+4")
    assert _rel(R, R0) < 1e-12
    # the pure-dephasing sums, formed from the real coordinates, against the complex ones
    S, S0 = on.fourth_order_sums(T), off.fourth_order_sums(T)
    scale = np.abs(S0.dephasing).max(axis=1, keepdims=True)
    assert np.abs(S.dephasing - S0.dephasing).max() < 1e-12 * scale.max()
    np.testing.assert_allclose(S.dephasing[1:], S0.dephasing[1:], rtol=1e-9, atol=1e-14 * scale.max())


def test_integer_spin_with_self_mapped_levels_uses_it_too():
    # J = 2 with a rhombic field: five non-degenerate levels, Theta maps each onto itself
    # (sigma(f) = f), so the amplitudes of an element are real up to a fixed phase.
    J = 2.0
    rng = np.random.default_rng(7)
    H = crystal_field(J, -3.0, 0.01, 0.9)
    V = time_even_couplings(J, 30, 1.5, rng)
    w = rng.uniform(5.0, 80.0, 30)
    on, off = _both(H, V, w)
    assert on.symmetry is not None and np.array_equal(on.symmetry.sigma, np.arange(5))
    assert any(cl.real is not None and cl.real.n_pair < cl.real.rep.size for cl in on.clusters)
    assert _rel(on.superoperator(T, "2+4"), off.superoperator(T, "2+4")) < 1e-12


@pytest.mark.parametrize("breaker", ["field", "odd coupling", "slightly odd coupling"])
def test_it_switches_itself_off_when_its_premise_fails(breaker):
    H, V, w = kramers_model(seed=1, n_modes=20)
    if breaker == "field":
        H = H + zeeman(2.5, (0.0, 0.0, 0.5))
    else:
        Jx, Jy, Jz = spin_matrices(2.5)
        eps = 1.0 if breaker == "odd coupling" else 1e-8  # J_z is time-odd
        V = V.copy()
        V[3] = V[3] + eps * Jz
    on, off = _both(H, V, w)
    assert on.symmetry is None and all(cl.real is None for cl in on.clusters)
    assert np.array_equal(on.superoperator(T[1:], 4), off.superoperator(T[1:], 4))


def test_bad_time_reversal_argument_is_a_clear_error():
    H, V, w = kramers_model(seed=1, n_modes=5)
    with pytest.raises(ValueError, match="time_reversal must be 'auto', None or a"):
        SpinPhononRates(H, V, w, 5.0, time_reversal="yes")
    with pytest.raises(ValueError, match="time_reversal must have the shape of H"):
        SpinPhononRates(H, V, w, 5.0, time_reversal=np.eye(3))


def test_an_explicit_operator_in_another_basis_is_used():
    # H and V in a rotated basis: the default Y (|J, M> basis) does not fit them, the rotated one does.
    H, V, w = kramers_model(seed=2, n_modes=20)
    Q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(6, 6)) + 1j * np.random.default_rng(1).normal(size=(6, 6)))
    Hr, Vr = Q.conj().T @ H @ Q, Q.conj().T @ V @ Q
    Yr = Q.conj().T @ spin_time_reversal(6) @ Q.conj()  # Theta = Y K in the new basis: Q^+ Y conj(Q)
    assert SpinPhononRates(Hr, Vr, w, 5.0).symmetry is None
    on = SpinPhononRates(Hr, Vr, w, 5.0, time_reversal=Yr)
    off = SpinPhononRates(Hr, Vr, w, 5.0, time_reversal=None)
    assert on.symmetry is not None
    assert _rel(on.superoperator(T, 4), off.superoperator(T, 4)) < 1e-12


def test_real_coordinates_rebuild_every_amplitude_and_dephasing_term():
    # On the generator's own pieces: any amplitude vector that obeys z_pi(j) = phi_j conj(z_j) is E x
    # with x real, x taken from the representatives; the dephasing columns give |z_a - z_b|^2.
    H, V, w = _dy_model(10, seed=0)
    m = SpinPhononRates(H, V, w, 8.0)
    sym = find_symmetry(m.energies, m.eigenvectors, m.couplings_eigenbasis, spin_time_reversal(16))
    assert sym is not None
    c0, pos, pa, pb = m._diagonal_pairs
    cl = m.clusters[c0]
    rf = cl.real
    assert rf.m == 32 and rf.rep.size == 16  # 16 populations and 16 doublet coherences, in 16 pairs
    rng = np.random.default_rng(3)
    P = 50
    z = rng.normal(size=(cl.m, P)) + 1j * rng.normal(size=(cl.m, P))
    where = np.full((16, 16), -1)
    where[cl.f, cl.i] = np.arange(cl.m)
    partner = where[sym.sigma[cl.f], sym.sigma[cl.i]]
    phi = sym.tau[cl.f] * sym.tau[cl.i].conj()
    z = 0.5 * (z + phi[:, None] * z[partner].conj())  # project onto the symmetric amplitudes
    assert np.abs(z[partner] - phi[:, None] * z.conj()).max() < 1e-14
    x = rf.coordinates(z[rf.rep])
    assert x.shape == (P, cl.m) and x.dtype == np.float64
    np.testing.assert_allclose(rf.amplitudes(x, np.arange(cl.m)), z, rtol=0, atol=1e-14)
    idx, cre, cim, back = rf.dephasing_columns(pos[pa], pos[pb])
    assert idx.shape[0] < pa.size  # a level pair and its time reverse share a column
    cols = (np.einsum("cu,pcu->pc", cre, x[:, idx]) ** 2 + np.einsum("cu,pcu->pc", cim, x[:, idx]) ** 2)[:, back]
    np.testing.assert_allclose(cols, np.abs(z[pos[pa]] - z[pos[pb]]).T ** 2, rtol=1e-12, atol=1e-14)
    # a cluster without the time reverse of its elements gets no real form
    assert real_form(sym, np.array([0]), np.array([2]), np.where(np.arange(256).reshape(16, 16) == 2, 0, -1)) is None


def test_vanishing_field_clusters_come_from_their_time_reverse():
    # In the limit B -> 0+ along z an element and its time reverse have opposite first-order shifts,
    # so they sit in different clusters: one of each pair is swept, the other derived from it.
    H, V, w = _dy_model(60, seed=4)
    kw = dict(basis_operator=spin_matrices(7.5)[2], vanishing_field=True)
    on, off = _both(H, V, w, 8.0, **kw)
    assert on.symmetry is not None and len(on._reversed) > 0 and not off._reversed
    swept = lambda m: sum(1 for c, *_ in m._fourth_order_plan())  # noqa: E731  (tiles)
    assert swept(on) < 0.6 * swept(off)
    R, R0 = on.superoperator(T, "2+4"), off.superoperator(T, "2+4")
    assert _rel(R, R0) < 1e-12
    for t in range(T.size):
        np.testing.assert_allclose(R[t], R0[t], rtol=1e-11, atol=1e-15 * np.abs(R0[t]).max())
