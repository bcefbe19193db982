"""Measures of N spin-1/2 states: partial traces, magnetizations, correlations, concurrence, mismatch.

Basis: (up, down) per site, site 0 most significant (qutip.tensor order); S = sigma / 2, hbar = 1.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from spinbath.quantum.measures import (
    SPIN_OPERATORS, concurrence, pairwise_concurrence, purity, reduced_density_matrix,
    site_magnetization, time_averaged_mismatch, total_magnetization, two_point_correlations,
    von_neumann_entropy,
)

qutip = pytest.importorskip("qutip")

rng = np.random.default_rng(20240505)
SX, SY, SZ = SPIN_OPERATORS
UP = np.array([1, 0], dtype=complex)
DOWN = np.array([0, 1], dtype=complex)


def kron_all(*ops):
    out = np.array([[1.0 + 0j]]) if ops[0].ndim == 2 else np.array([1.0 + 0j])
    for op in ops:
        out = np.kron(out, op)
    return out


def proj(psi):
    psi = np.asarray(psi, dtype=complex)
    return np.outer(psi, psi.conj())


def rand_ket(d):
    v = rng.normal(size=d) + 1j * rng.normal(size=d)
    return v / np.linalg.norm(v)


def rand_dm(d, rank=None):
    rank = d if rank is None else rank
    X = rng.normal(size=(d, rank)) + 1j * rng.normal(size=(d, rank))
    r = X @ X.conj().T
    return r / np.trace(r).real


def rand_unitary(d):
    Q, R = np.linalg.qr(rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d)))
    return Q * (np.diag(R) / np.abs(np.diag(R)))


def site_op(op, j, n):
    return kron_all(*[op if k == j else np.eye(2) for k in range(n)])


def bell_states():
    uu, ud, du, dd = (np.kron(a, b) for a, b in itertools.product((UP, DOWN), repeat=2))
    s = 1 / np.sqrt(2)
    return {"phi+": s * (uu + dd), "phi-": s * (uu - dd), "psi+": s * (ud + du), "psi-": s * (ud - du)}


SINGLET = proj(bell_states()["psi-"])


# --- partial traces ---------------------------------------------------------------------------

@pytest.mark.parametrize("n", [3, 4])
def test_partial_trace_matches_qutip_ptrace(n):
    for trial in range(3):
        rho = rand_dm(2 ** n)
        q = qutip.Qobj(rho, dims=[[2] * n, [2] * n])
        for k in range(0, n + 1):
            for keep in itertools.combinations(range(n), k):
                ours = reduced_density_matrix(rho, keep, n)
                ref = q.ptrace(list(keep)).full() if keep else np.array([[q.tr()]])
                assert ours.shape == (2 ** k, 2 ** k)
                np.testing.assert_allclose(ours, ref, atol=1e-14, rtol=0)


def test_partial_trace_matches_explicit_sum():
    """Independent of QuTiP: (rho_K)_{s,s'} = sum_r rho_{(s,r),(s',r)} by explicit loops, n = 3, keep (0, 2)."""
    n = 3
    rho = rand_dm(8)
    T = rho.reshape([2] * 6)
    ref = np.zeros((2, 2, 2, 2), dtype=complex)
    for a, c, a2, c2, b in itertools.product(range(2), repeat=5):
        ref[a, c, a2, c2] += T[a, b, c, a2, b, c2]
    np.testing.assert_allclose(reduced_density_matrix(rho, (0, 2), n), ref.reshape(4, 4), atol=1e-15)


def test_partial_trace_of_product_state_and_keep_order():
    a, b, c = rand_dm(2), rand_dm(2), rand_dm(2)
    rho = kron_all(a, b, c)
    np.testing.assert_allclose(reduced_density_matrix(rho, 1, 3), b, atol=1e-15)
    np.testing.assert_allclose(reduced_density_matrix(rho, (0, 2), 3), np.kron(a, c), atol=1e-15)
    # keep order sets the tensor order of the result (first entry most significant)
    np.testing.assert_allclose(reduced_density_matrix(rho, (2, 0), 3), np.kron(c, a), atol=1e-15)
    np.testing.assert_allclose(reduced_density_matrix(rho, (2, 0, 1), 3), kron_all(c, a, b), atol=1e-15)
    # n inferred from the shape; a Qobj is accepted
    np.testing.assert_allclose(reduced_density_matrix(rho, (1,)), b, atol=1e-15)
    q = qutip.Qobj(rho, dims=[[2] * 3, [2] * 3])
    np.testing.assert_allclose(reduced_density_matrix(q, (0, 1), 3), np.kron(a, b), atol=1e-15)


def test_partial_trace_rejects_bad_input():
    rho = rand_dm(8)
    with pytest.raises(ValueError):
        reduced_density_matrix(rho, (0, 3), 3)
    with pytest.raises(ValueError):
        reduced_density_matrix(rho, (1, 1), 3)
    with pytest.raises(ValueError):
        reduced_density_matrix(rho, (0,), 4)
    with pytest.raises(ValueError):
        reduced_density_matrix(np.eye(6), (0,))


# --- magnetization ------------------------------------------------------------------------------

def test_magnetization_all_along_plus_x():
    n = 4
    plus_x = (UP + DOWN) / np.sqrt(2)
    rho = proj(kron_all(*[plus_x] * n))
    m = site_magnetization(rho, n)
    assert m.shape == (n, 3)
    np.testing.assert_allclose(m, np.tile([0.5, 0.0, 0.0], (n, 1)), atol=1e-15)
    np.testing.assert_allclose(total_magnetization(rho, n), [2.0, 0.0, 0.0], atol=1e-14)


def test_magnetization_of_a_known_product_state():
    """Site j along the unit vector u_j: <S^(j)> = u_j / 2 (Bloch vector over 2)."""
    n = 3
    us = [np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 0.0]), np.array([1.0, -2.0, 2.0]) / 3]
    kets = []
    for u in us:
        theta, phi = np.arccos(u[2]), np.arctan2(u[1], u[0])
        kets.append(np.array([np.cos(theta / 2), np.exp(1j * phi) * np.sin(theta / 2)]))
    rho = proj(kron_all(*kets))
    np.testing.assert_allclose(site_magnetization(rho, n), 0.5 * np.array(us), atol=1e-14)
    np.testing.assert_allclose(total_magnetization(rho), 0.5 * np.sum(us, axis=0), atol=1e-14)
    # all down: <S_z> = -1/2 on every site
    down = proj(kron_all(DOWN, DOWN, DOWN))
    np.testing.assert_allclose(site_magnetization(down, 3)[:, 2], [-0.5, -0.5, -0.5], atol=0)


def test_magnetization_equals_trace_with_embedded_operators():
    n = 4
    rho = rand_dm(2 ** n)
    m = site_magnetization(rho, n)
    for j in range(n):
        for a, S in enumerate(SPIN_OPERATORS):
            assert m[j, a] == pytest.approx(np.trace(rho @ site_op(S, j, n)).real, abs=1e-14)


# --- correlations -------------------------------------------------------------------------------

def test_correlations_vanish_for_product_states():
    n = 4
    rho = kron_all(*[rand_dm(2) for _ in range(n)])
    C = two_point_correlations(rho, n)
    assert C.shape == (n, n, 3, 3)
    off = ~np.eye(n, dtype=bool)
    np.testing.assert_allclose(C[off], 0.0, atol=1e-14)
    # the diagonal i = i is the one-site covariance delta_ab/4 - m_a m_b
    m = site_magnetization(rho, n)
    for i in range(n):
        np.testing.assert_allclose(C[i, i], np.eye(3) / 4 - np.outer(m[i], m[i]), atol=1e-14)


def test_correlations_of_the_singlet():
    """Singlet: <S^1_a S^2_b> = -delta_ab / 4, <S^j_a> = 0, so C = G = -delta_ab / 4."""
    C = two_point_correlations(SINGLET, 2)
    G = two_point_correlations(SINGLET, 2, connected=False)
    np.testing.assert_allclose(C[0, 1], -np.eye(3) / 4, atol=1e-15)
    np.testing.assert_allclose(C[1, 0], -np.eye(3) / 4, atol=1e-15)
    np.testing.assert_allclose(G[0, 1], -np.eye(3) / 4, atol=1e-15)
    # singlet on sites (0, 2) of three, site 1 up: the same, and no correlation with site 1
    rho3 = proj(np.einsum("ac,b->abc", bell_states()["psi-"].reshape(2, 2), UP).reshape(8))
    C3 = two_point_correlations(rho3, 3)
    np.testing.assert_allclose(C3[0, 2], -np.eye(3) / 4, atol=1e-15)
    np.testing.assert_allclose(C3[0, 1], 0.0, atol=1e-15)
    np.testing.assert_allclose(C3[1, 2], 0.0, atol=1e-15)


def test_correlations_equal_traces_with_embedded_operators():
    n = 3
    rho = rand_dm(2 ** n)
    C = two_point_correlations(rho, n)
    for i, j in itertools.permutations(range(n), 2):
        for a, b in itertools.product(range(3), repeat=2):
            Ai, Bj = site_op(SPIN_OPERATORS[a], i, n), site_op(SPIN_OPERATORS[b], j, n)
            ref = np.trace(rho @ Ai @ Bj) - np.trace(rho @ Ai) * np.trace(rho @ Bj)
            assert C[i, j, a, b] == pytest.approx(ref.real, abs=1e-14)
            assert abs(ref.imag) < 1e-14


# --- concurrence --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["phi+", "phi-", "psi+", "psi-"])
def test_concurrence_of_bell_states_is_one(name):
    assert concurrence(proj(bell_states()[name])) == pytest.approx(1.0, abs=1e-12)


def test_concurrence_of_pure_states_equals_analytic_formula():
    """Pure |psi> = sum c_ab |ab>: C = 2 |c_00 c_11 - c_01 c_10|."""
    for _ in range(20):
        psi = rand_ket(4)
        c = psi.reshape(2, 2)
        assert concurrence(proj(psi)) == pytest.approx(2 * abs(c[0, 0] * c[1, 1] - c[0, 1] * c[1, 0]), abs=1e-12)


def test_concurrence_of_product_states_is_zero():
    for _ in range(20):
        pure = proj(np.kron(rand_ket(2), rand_ket(2)))
        mixed = np.kron(rand_dm(2), rand_dm(2))
        assert concurrence(pure) == pytest.approx(0.0, abs=1e-12)
        assert concurrence(mixed) == pytest.approx(0.0, abs=1e-12)
    # separable mixtures of product states too
    sep = sum(w * np.kron(rand_dm(2, rank=1), rand_dm(2, rank=1)) for w in rng.dirichlet(np.ones(5)))
    assert concurrence(sep) == pytest.approx(0.0, abs=1e-12)
    assert concurrence(np.eye(4) / 4) == 0.0


def test_concurrence_of_werner_states():
    ps = np.linspace(0.0, 1.0, 41)
    rhos = np.array([p * SINGLET + (1 - p) * np.eye(4) / 4 for p in ps])
    C = concurrence(rhos)
    assert C.shape == ps.shape
    np.testing.assert_allclose(C, np.maximum(0.0, (3 * ps - 1) / 2), atol=1e-12)
    assert C[ps > 1 / 3 + 1e-9].min() > 0


def test_concurrence_invariant_under_local_unitaries():
    for rho in [rand_dm(4), rand_dm(4, rank=1), rand_dm(4, rank=2),
                0.8 * SINGLET + 0.2 * np.eye(4) / 4]:
        c0 = concurrence(rho)
        for _ in range(5):
            U = np.kron(rand_unitary(2), rand_unitary(2))
            assert concurrence(U @ rho @ U.conj().T) == pytest.approx(c0, abs=1e-12)


def test_concurrence_agrees_with_qutip():
    for rank in (1, 2, 4):
        for _ in range(5):
            rho = rand_dm(4, rank=rank)
            ref = qutip.concurrence(qutip.Qobj(rho, dims=[[2, 2], [2, 2]]))
            assert concurrence(rho) == pytest.approx(ref, abs=1e-7)


def test_pairwise_concurrence_in_a_chain():
    """Singlet on sites (0, 2), site 1 up: C_02 = 1, C_01 = C_12 = 0, symmetric in (i, j)."""
    rho3 = proj(np.einsum("ac,b->abc", bell_states()["psi-"].reshape(2, 2), UP).reshape(8))
    assert pairwise_concurrence(rho3, 0, 2, 3) == pytest.approx(1.0, abs=1e-12)
    assert pairwise_concurrence(rho3, 2, 0, 3) == pytest.approx(1.0, abs=1e-12)
    assert pairwise_concurrence(rho3, 0, 1, 3) == pytest.approx(0.0, abs=1e-12)
    assert pairwise_concurrence(rho3, 1, 2, 3) == pytest.approx(0.0, abs=1e-12)
    # GHZ: every pair is classically correlated, C = 0; W state: every pair has C = 2/3
    ghz = np.zeros(8, dtype=complex)
    ghz[[0, 7]] = 1 / np.sqrt(2)
    w = np.zeros(8, dtype=complex)
    w[[1, 2, 4]] = 1 / np.sqrt(3)
    for i, j in itertools.combinations(range(3), 2):
        assert pairwise_concurrence(proj(ghz), i, j) == pytest.approx(0.0, abs=1e-12)
        assert pairwise_concurrence(proj(w), i, j) == pytest.approx(2 / 3, abs=1e-12)


# --- purity and entropy -------------------------------------------------------------------------

def test_purity_and_entropy():
    assert purity(SINGLET) == pytest.approx(1.0, abs=1e-14)
    assert purity(np.eye(8) / 8) == pytest.approx(1 / 8, abs=1e-15)
    assert von_neumann_entropy(SINGLET) == pytest.approx(0.0, abs=1e-12)
    assert von_neumann_entropy(np.eye(8) / 8, base=2) == pytest.approx(3.0, abs=1e-12)
    # the reduced state of a Bell state is maximally mixed: 1 bit of entanglement
    r1 = reduced_density_matrix(SINGLET, 0, 2)
    assert von_neumann_entropy(r1, base=2) == pytest.approx(1.0, abs=1e-12)
    assert purity(r1) == pytest.approx(0.5, abs=1e-15)
    rho = rand_dm(4)
    p = np.linalg.eigvalsh(rho)
    assert von_neumann_entropy(rho) == pytest.approx(-np.sum(p * np.log(p)), abs=1e-12)
    assert purity(rho) == pytest.approx(np.sum(p ** 2), abs=1e-14)


# --- stacks -------------------------------------------------------------------------------------

def test_stacked_inputs_equal_looping():
    n = 4
    stack = np.array([rand_dm(2 ** n, rank=r) for r in (1, 2, 16, 3, 5, 1)]).reshape(2, 3, 16, 16)
    flat = stack.reshape(6, 16, 16)

    def looped(f):
        return np.array([f(r) for r in flat]).reshape((2, 3) + np.shape(f(flat[0])))

    checks = {
        "rdm": lambda r: reduced_density_matrix(r, (3, 1), n),
        "rdm0": lambda r: reduced_density_matrix(r, (), n),
        "mag": lambda r: site_magnetization(r, n),
        "tot": lambda r: total_magnetization(r, n),
        "corr": lambda r: two_point_correlations(r, n),
        "conc": lambda r: pairwise_concurrence(r, 0, 2, n),
        "purity": purity,
        "entropy": von_neumann_entropy,
    }
    for name, f in checks.items():
        got = f(stack)
        ref = looped(f)
        assert np.shape(got) == ref.shape, name
        np.testing.assert_allclose(got, ref, atol=1e-13, err_msg=name)


# --- time-averaged mismatch ---------------------------------------------------------------------

def test_time_averaged_mismatch_trapezoid():
    t = np.linspace(0.0, 2.0, 5)
    # |M_a - M_b|^2 = t^2 piecewise-linearly interpolated: trapezoid of t^2 on 4 intervals, / T
    Ma = np.stack([t, np.zeros_like(t), np.zeros_like(t)], axis=1)
    Mb = np.zeros_like(Ma)
    dt = 0.5
    f = t ** 2
    expected = dt * (f[0] / 2 + f[1:-1].sum() + f[-1] / 2) / 2.0
    assert time_averaged_mismatch(t, Ma, Mb) == pytest.approx(expected, rel=1e-14)
    assert expected == pytest.approx(1.375)  # vs exact 4/3: O(dt^2) trapezoid error
    # constant offset (1, 2, 2): |.|^2 = 9 exactly, on a non-uniform grid
    tn = np.array([0.0, 0.1, 0.5, 2.0, 3.0])
    Mc = rng.normal(size=(5, 3))
    assert time_averaged_mismatch(tn, Mc + [1, 2, 2], Mc) == pytest.approx(9.0, rel=1e-14)
    # converges to the exact average of a precession mismatch: |(cos t, sin t, 0) - (1, 0, 0)|^2
    # = 2 - 2 cos t, average over [0, 2 pi] = 2
    tt = np.linspace(0, 2 * np.pi, 2001)
    prec = np.stack([np.cos(tt), np.sin(tt), 0 * tt], axis=1)
    fixed = np.tile([1.0, 0.0, 0.0], (tt.size, 1))
    assert time_averaged_mismatch(tt, prec, fixed) == pytest.approx(2.0, abs=1e-12)
    # per-site input (T, n, 3) -> (n,); scalar input (T,)
    per_site = time_averaged_mismatch(tn, np.stack([Mc + [1, 2, 2], Mc], axis=1), np.stack([Mc, Mc], axis=1))
    np.testing.assert_allclose(per_site, [9.0, 0.0], atol=1e-14)
    assert time_averaged_mismatch(tn, np.full(5, 3.0), np.ones(5)) == pytest.approx(4.0)
    with pytest.raises(ValueError):
        time_averaged_mismatch(tn[::-1], Mc, Mc)
