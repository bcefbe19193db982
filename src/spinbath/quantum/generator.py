"""A Liouvillian in the one form every method uses: products, dense and sparse forms, trace.

:func:`as_generator` accepts a dense (d^2, d^2) array (e.g. a rate superoperator R in s^-1), any
``scipy.sparse`` matrix, any ``LinearOperator``, an
:class:`~spinbath.quantum.open_chain.OpenChainLiouvillian` or the sparse matrix of
:func:`~spinbath.quantum.open_chain.open_chain_liouvillian` (which remembers its matrix-free model).
Column stacking throughout: vec(rho)[a + d b] = rho[a, b] (the Conventions page, docs/conventions.md).
"""

from __future__ import annotations

from functools import cached_property
from typing import Union

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from .chain_kernels import hermitian_to_real, real_to_hermitian
from .open_chain import OpenChainLiouvillian

__all__ = ["Generator", "as_generator", "liouvillian_dimension", "GeneratorLike"]

GeneratorLike = Union[OpenChainLiouvillian, sp.spmatrix, sp.sparray, LinearOperator, np.ndarray]


def liouvillian_dimension(L) -> int:
    """d (e.g. 2^n) for a (d^2, d^2) generator; ValueError for any other shape."""
    shape = getattr(L, "shape", None)
    if shape is None or len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"L must be a square (d*d, d*d) superoperator, got shape {shape}")
    N = shape[0]
    d = int(round(np.sqrt(N)))
    if d * d != N:
        raise ValueError(f"L has size {N}, which is not d^2")
    return d


def _chain_operator(L) -> OpenChainLiouvillian | None:
    """The matrix-free chain operator behind L, if L is one or remembers one.

    A remembered model is checked against the matrix on a fixed random vector at every call (two
    products, far below the cost of any solve), so a matrix changed in place is not mistaken for it.
    """
    if isinstance(L, OpenChainLiouvillian):
        return L
    model = getattr(L, "chain_model", None)
    if not isinstance(model, OpenChainLiouvillian) or model.shape != L.shape:
        return None
    rng = np.random.default_rng(2024)
    v = rng.normal(size=L.shape[0]) + 1j * rng.normal(size=L.shape[0])
    a, b = L @ v, model.apply_vec(v)
    if np.linalg.norm(a - b) > 1e-10 * max(1.0, np.linalg.norm(a)):
        return None
    return model


class Generator:
    """A generator L (shape (d^2, d^2), column stacking) as the methods see it.

    Attributes: ``source`` (what was passed), ``d``, ``N`` = d^2, ``chain`` (the matrix-free
    :class:`~spinbath.quantum.open_chain.OpenChainLiouvillian` behind it, or None), ``is_dense``
    (a numpy array was passed); ``matvec`` (v -> L v), ``hermitian_matvec`` (the same for v = vec of
    a Hermitian matrix, faster for chains), ``real_matvec`` (L in the real coordinates of Hermitian
    matrices, :func:`~spinbath.quantum.chain_kernels.hermitian_to_real` of rho^T) and
    ``preserves_hermiticity``.
    """

    def __init__(self, L: GeneratorLike):
        self.source = L
        self.d = liouvillian_dimension(L)
        self.N = self.d * self.d
        self.is_dense = isinstance(L, np.ndarray)
        self.chain = _chain_operator(L)
        if self.chain is not None:
            self.matvec = self.chain.apply_vec
            self.hermitian_matvec = self.chain.apply_hermitian_vec
            self.real_matvec = self.chain.apply_real
            return
        if self.is_dense:
            A = np.asarray(L, dtype=complex)
            self.matvec = lambda v: A @ v
        elif sp.issparse(L):
            A = sp.csr_matrix(L, dtype=complex)
            self.matvec = lambda v: A @ v
        else:
            A = aslinearoperator(L)
            self.matvec = lambda v: np.asarray(A.matvec(v)).reshape(-1)
        self.hermitian_matvec = self.matvec
        d, mv = self.d, self.matvec
        self.real_matvec = lambda r: hermitian_to_real(mv(real_to_hermitian(r).reshape(-1)).reshape(d, d))

    @cached_property
    def preserves_hermiticity(self) -> bool:
        """True if L maps Hermitian matrices to Hermitian ones (chains: always; else checked on a
        random Hermitian matrix to 1e-12)."""
        if self.chain is not None:
            return True
        d = self.d
        rng = np.random.default_rng(12345)
        X = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
        X = X + X.conj().T
        Y = self.matvec(X.T.reshape(-1).astype(complex)).reshape(d, d).T
        return bool(np.abs(Y - Y.conj().T).max() <= 1e-12 * max(1.0, np.abs(Y).max()))

    def dense(self) -> np.ndarray:
        """L as a dense complex (N, N) array."""
        L = self.source
        if self.is_dense:
            return np.asarray(L, dtype=complex)
        if sp.issparse(L):
            return L.toarray().astype(complex)
        if self.chain is not None:
            return self.chain.to_sparse().toarray()
        A = aslinearoperator(L)
        return A.matmat(np.eye(A.shape[1], dtype=complex))

    def sparse(self) -> sp.csr_matrix:
        """L as a complex CSR matrix."""
        L = self.source
        if sp.issparse(L):
            return sp.csr_matrix(L, dtype=complex)
        if self.is_dense:
            return sp.csr_matrix(np.asarray(L, dtype=complex))
        if self.chain is not None:
            return self.chain.to_sparse()
        return sp.csr_matrix(self.dense())

    def trace(self) -> complex | None:
        """Tr L, or None where it is not known without building L (a general LinearOperator)."""
        L = self.source
        if self.chain is not None:
            return self.chain.trace()
        if sp.issparse(L):
            return complex(L.diagonal().sum())
        if self.is_dense:
            return complex(np.trace(L))
        return None

    def operator(self):
        """(A, Tr A): L as a sparse matrix or LinearOperator with ``rmatvec`` (for scipy's
        ``expm_multiply``, which applies A to general vectors) and its trace (None if unknown)."""
        L = self.source
        if self.chain is not None:
            op = self.chain
            A = LinearOperator((self.N, self.N), matvec=op.apply_vec, rmatvec=op.apply_adjoint_vec, dtype=complex)
            return A, op.trace()
        if sp.issparse(L) or self.is_dense:
            A = sp.csr_matrix(L, dtype=complex)
            return A, complex(A.diagonal().sum())
        return aslinearoperator(L), None

    def residual(self, rho: np.ndarray) -> float:
        """||L vec(rho)||_2 (via the real coordinates where L preserves Hermiticity and rho is Hermitian)."""
        rho = np.asarray(rho, dtype=complex)
        if self.preserves_hermiticity and np.allclose(rho, rho.conj().T, rtol=0, atol=1e-14):
            r = self.real_matvec(hermitian_to_real(rho.T))
        else:
            r = self.matvec(np.ascontiguousarray(rho.T).reshape(-1))
        return float(np.linalg.norm(r))


def as_generator(L: GeneratorLike | Generator) -> Generator:
    """Wrap L as a :class:`Generator` (a Generator is returned unchanged)."""
    return L if isinstance(L, Generator) else Generator(L)
