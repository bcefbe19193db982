"""Liouville-space conventions (column stacking) and the structure checks used on rate generators."""

from __future__ import annotations

import numpy as np
import pytest

from spinbath.quantum.liouville import (
    change_basis, choi_matrix, hamiltonian_superoperator, hermiticity_preservation_error,
    is_completely_positive, is_hermiticity_preserving, is_trace_preserving, lindblad_dissipator,
    spost, spre, sprepost, superoperator_to_kossakowski, superoperator_to_tensor,
    tensor_to_superoperator, trace_preservation_error, unvec, vec,
)

rng = np.random.default_rng(11)


def rand(d, herm=False):
    A = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    return (A + A.conj().T) / 2 if herm else A


def test_vec_is_column_stacking():
    X = np.arange(6).reshape(2, 3)
    v = vec(X)
    d0 = X.shape[0]
    for a in range(2):
        for b in range(3):
            assert v[a + d0 * b] == X[a, b]
    Y = rand(4)
    assert np.array_equal(unvec(vec(Y)), Y)
    stack = np.array([rand(3), rand(3)])
    assert np.array_equal(unvec(vec(stack)), stack)


def test_vec_of_a_product_is_kron():
    A, X, B = rand(3), rand(3), rand(3)
    assert np.allclose(vec(A @ X @ B), np.kron(B.T, A) @ vec(X))
    assert np.allclose(sprepost(A, B) @ vec(X), vec(A @ X @ B))
    assert np.allclose(spre(A) @ vec(X), vec(A @ X))
    assert np.allclose(spost(B) @ vec(X), vec(X @ B))


def test_dissipator_and_hamiltonian_act_as_written():
    L, H, X = rand(4), rand(4, herm=True), rand(4)
    D = lindblad_dissipator(L, rate=2.5)
    LdL = L.conj().T @ L
    assert np.allclose(D @ vec(X), vec(2.5 * (L @ X @ L.conj().T - 0.5 * (LdL @ X + X @ LdL))))
    assert np.allclose(hamiltonian_superoperator(H) @ vec(X), vec(-1j * (H @ X - X @ H)))
    for S in (D, hamiltonian_superoperator(H) + D):
        assert is_trace_preserving(S) and is_hermiticity_preserving(S) and is_completely_positive(S)


def test_conventions_match_qutip():
    qutip = pytest.importorskip("qutip")
    L, H = rand(3), rand(3, herm=True)
    ours = hamiltonian_superoperator(H) + lindblad_dissipator(L)
    theirs = qutip.liouvillian(qutip.Qobj(H), [qutip.Qobj(L)]).full()
    assert np.allclose(ours, theirs, atol=1e-13)


def test_tensor_form_and_basis_change():
    S = lindblad_dissipator(rand(3)) + hamiltonian_superoperator(rand(3, herm=True))
    R = superoperator_to_tensor(S)
    X = rand(3)
    dX = unvec(S @ vec(X))
    assert np.allclose(dX, np.einsum("abcd,cd->ab", R, X))
    assert np.array_equal(tensor_to_superoperator(R), S)
    U, _ = np.linalg.qr(rand(3))
    # S written in basis U acts on X_u; in the original basis on U X_u U^H.
    S_orig = change_basis(S, U)
    assert np.allclose(S_orig @ vec(U @ X @ U.conj().T), vec(U @ unvec(S @ vec(X)) @ U.conj().T))


def test_choi_and_kossakowski_detect_non_cp_generators():
    L1, L2 = rand(3), rand(3)
    good = lindblad_dissipator(L1) + lindblad_dissipator(L2, 0.3)
    bad = lindblad_dissipator(L1) - lindblad_dissipator(L2, 0.3)  # a negative rate
    assert is_completely_positive(good)
    assert not is_completely_positive(bad)
    assert is_trace_preserving(bad) and is_hermiticity_preserving(bad)  # CP is the only failure
    K = superoperator_to_kossakowski(good)
    assert K.shape == (8, 8)
    assert np.allclose(K, K.conj().T)
    # Choi of X -> L X L^+ is the rank-one |vec L><vec L| (up to index order).
    C = choi_matrix(np.kron(L1.conj(), L1))
    assert np.linalg.matrix_rank(C, tol=1e-10) == 1


def test_structure_errors_are_relative():
    S = lindblad_dissipator(rand(3)) * 1e9
    assert trace_preservation_error(S) < 1e-14
    assert hermiticity_preservation_error(S) < 1e-14
    S[0, 4] += 1e6
    assert trace_preservation_error(S) > 1e-5 or hermiticity_preservation_error(S) > 1e-5
    with pytest.raises(ValueError):
        superoperator_to_tensor(np.zeros((5, 5)))
