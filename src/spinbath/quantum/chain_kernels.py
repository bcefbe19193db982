"""Matrix-free kernels of the open-chain Liouvillian: local dense products, row-chunked sparse
products on a small thread pool, and the real coordinates of Hermitian matrices.

numpy's matmul (BLAS), elementwise ufuncs and scipy's sparse kernels release the GIL, so two Python
threads give two-way parallelism without copies; the solvers keep BLAS itself on one thread meanwhile
(:mod:`spinbath.quantum.blas`). The pool is per process, so a forked child makes its own.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np
import scipy.sparse as sp

try:  # y += A x without temporaries (private scipy routine); see csr_matvec_add
    from scipy.sparse import _sparsetools
except ImportError:  # pragma: no cover
    _sparsetools = None

__all__ = [
    "LocalSum", "RowChunkedCSR", "partition", "csr_matvec_add", "add_transposed", "hermitian_to_real",
    "real_to_hermitian", "real_of_hermitian_part", "hermitian_part", "run_parallel", "worker_threads",
]

#: A product term coef * prod_k op_k^(site_k): (coef, ((site, 2x2 array), ...)).
ProductTerm = tuple[complex, tuple[tuple[int, np.ndarray], ...]]


def _embed_dense(op: np.ndarray, pos: int, nsites: int) -> np.ndarray:
    return np.kron(np.kron(np.eye(2**pos), op), np.eye(2 ** (nsites - pos - 1)))


def partition(n: int, block: int | None) -> list[tuple[int, int]]:
    """Overlapping blocks [start, stop) of consecutive sites covering the chain (overlap one site).

    Every nearest-neighbour product term fits into one block. ``block`` is the target size; the
    default keeps one block up to n = 7 and uses two blocks of about n/2 + 1 sites beyond.
    """
    if block is None:
        block = n if n <= 7 else (n + 1) // 2 + 1
    block = max(2, min(int(block), n))
    if block >= n:
        return [(0, n)]
    out, s = [], 0
    while True:
        e = min(s + block, n)
        out.append((s, e))
        if e == n:
            return out
        s = e - 1


class LocalSum:
    """A sum of product terms applied from the left to a (d, m) array by dense block products.

    The chain is cut into overlapping blocks of consecutive sites (:func:`partition`); every term
    that fits into a block is summed into that block's dense 2^b x 2^b matrix O, and
    (1 kron O kron 1) @ X is one BLAS product per slice of X (``zgemm`` with beta = 1, so nothing
    is copied). Terms that fit in no block (the bond (n-1, 0) of a periodic chain) are applied
    site by site.
    """

    def __init__(self, n: int, terms: Sequence[ProductTerm], block: int | None = None):
        self.n = n
        self.blocks = partition(n, block)
        mats = [np.zeros((2 ** (e - s),) * 2, dtype=complex) for s, e in self.blocks]
        self.extra: list[ProductTerm] = []
        for coef, factors in terms:
            sites = [s for s, _ in factors]
            for bi, (s, e) in enumerate(self.blocks):
                if min(sites) >= s and max(sites) < e:
                    m = coef * np.eye(2 ** (e - s), dtype=complex)
                    for site, op in factors:
                        m = m @ _embed_dense(op, site - s, e - s)
                    mats[bi] += m
                    break
            else:  # e.g. the bond (n-1, 0) of a periodic chain
                self.extra.append((coef, tuple(factors)))
        keep = [i for i, m in enumerate(mats) if np.any(m)]
        self.blocks = [self.blocks[i] for i in keep]
        self.mats = [np.ascontiguousarray(mats[i]) for i in keep]
        self._scaled: dict[complex, list[np.ndarray]] = {}

    def _mats(self, alpha: complex) -> list[np.ndarray]:
        if alpha not in self._scaled:
            self._scaled[alpha] = [alpha * O for O in self.mats]
        return self._scaled[alpha]

    def apply(self, X: np.ndarray, out: np.ndarray, alpha: complex = 1.0) -> np.ndarray:
        """out = alpha (sum of terms) @ X for C-contiguous complex X and out of shape (2^n, m).

        numpy's matmul (BLAS, GIL released) on two threads: the first block (sites 0..b-1) splits the
        rows of its matrix, later blocks split their 2^s independent slices and accumulate.
        """
        if not (X.flags.c_contiguous and out.flags.c_contiguous):
            raise ValueError("X and out must be C-contiguous")
        n = self.n
        first = True
        for (s, e), O in zip(self.blocks, self._mats(alpha)):
            b = e - s
            if s == 0:
                X2, T2 = X.reshape(2**b, -1), out.reshape(2**b, -1)

                def rows(r0, r1, O=O, X2=X2, T2=T2, acc=not first):
                    def run():
                        if acc:
                            T2[r0:r1] += O[r0:r1] @ X2
                        else:
                            np.matmul(O[r0:r1], X2, out=T2[r0:r1])
                    return run
                run_parallel([rows(r0, r1) for r0, r1 in _split(2**b, X.size >= 16384)])
            else:
                X3, T3 = X.reshape(2**s, 2**b, -1), out.reshape(2**s, 2**b, -1)

                def slabs(x0, x1, O=O, X3=X3, T3=T3, acc=not first):
                    def run():
                        tmp = np.empty(T3.shape[1:], dtype=T3.dtype) if acc else None
                        for x in range(x0, x1):
                            if acc:
                                np.matmul(O, X3[x], out=tmp)
                                T3[x] += tmp
                            else:
                                np.matmul(O, X3[x], out=T3[x])
                    return run
                run_parallel([slabs(x0, x1) for x0, x1 in _split(2**s, X.size >= 16384)])
            first = False
        if first:
            out[...] = 0
        for coef, factors in self.extra:
            Y = X
            for site, op in factors:
                Y = _apply_site(op, site, n, Y)
            out += (alpha * coef) * Y
        return out


def _apply_site(op: np.ndarray, site: int, n: int, X: np.ndarray) -> np.ndarray:
    """op^(site) @ X for X of shape (2^n, m) (returns a new array)."""
    X3 = X.reshape(2**site, 2, -1)
    Y = np.einsum("ij,ajb->aib", op, X3)
    return Y.reshape(X.shape)


_POOL: tuple[int, ThreadPoolExecutor] | None = None  # (pid, pool): a forked child makes its own
_THREADS = max(1, min(2, os.cpu_count() or 1))


def worker_threads() -> int:
    """Worker threads for the matrix-free products (2 where the machine has them)."""
    return _THREADS


def run_parallel(tasks) -> None:
    """Run callables on a small thread pool (numpy, BLAS and sparse kernels release the GIL)."""
    global _POOL
    if len(tasks) == 1:
        tasks[0]()
        return
    if _POOL is None or _POOL[0] != os.getpid():
        _POOL = (os.getpid(), ThreadPoolExecutor(max_workers=worker_threads(), thread_name_prefix="spinbath"))
    futures = [_POOL[1].submit(t) for t in tasks[1:]]
    tasks[0]()
    for f in futures:
        f.result()


class RowChunkedCSR:
    """A sparse matrix split into row chunks whose products y += A x run on parallel threads."""

    def __init__(self, A: sp.csr_matrix, chunks: int):
        A = A.tocsr()
        A.sum_duplicates()
        N = A.shape[0]
        self.shape = A.shape
        self.nnz = A.nnz
        self.parts = [(a, b, A[a:b].tocsr()) for a, b in _ranges(N, max(1, min(chunks, N)))]

    def add_to(self, x: np.ndarray, y: np.ndarray) -> None:
        """y += A @ x (x, y flat complex128, C-contiguous)."""
        def task(a, b, P):
            return lambda: csr_matvec_add(b - a, P.shape[1], P.indptr, P.indices, P.data, x, y[a:b])
        run_parallel([task(a, b, P) for a, b, P in self.parts if P.nnz])


def csr_matvec_add(nrow, ncol, indptr, indices, data, x, y) -> None:
    """y += A x for the CSR matrix A = (data, indices, indptr) of shape (nrow, ncol), in place.

    The fast path is scipy's private ``_sparsetools.csr_matvec`` (no temporaries, GIL released);
    where scipy lacks it, the public product ``csr_matrix(...) @ x`` (one temporary) is used instead.
    This is the package's only call of a private scipy routine.
    """
    if _sparsetools is not None:
        _sparsetools.csr_matvec(nrow, ncol, indptr, indices, data, x, y)
    else:
        y += sp.csr_matrix((data, indices, indptr), shape=(nrow, ncol)) @ x


def add_transposed(out: np.ndarray, Y: np.ndarray, alpha: complex = 1.0, conj: bool = False) -> None:
    """out += alpha * (conj(Y) if conj else Y).T for square arrays, in parallel row chunks."""
    def task(a, b):
        def run():
            src = Y[:, a:b].T
            tmp = np.conjugate(src) if conj else np.array(src)
            if alpha != 1.0:
                tmp *= alpha
            out[a:b] += tmp
        return run
    run_parallel([task(a, b) for a, b in _row_chunks(out.shape[0])])


@lru_cache(maxsize=256)
def _ranges(count: int, k: int) -> tuple[tuple[int, int], ...]:
    b = [count * i // k for i in range(k + 1)]
    return tuple(zip(b[:-1], b[1:]))


def _split(count: int, parallel: bool = True) -> tuple[tuple[int, int], ...]:
    """[start, stop) ranges splitting range(count) among the worker threads (one if not parallel)."""
    return _ranges(count, max(1, min(count, worker_threads() if parallel else 1)))


def _row_chunks(d: int) -> tuple[tuple[int, int], ...]:
    """[start, stop) ranges splitting range(d) among the worker threads (one range if d < 256)."""
    return _ranges(d, worker_threads() if d >= 256 else 1)


def hermitian_to_real(M: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Real coordinates of a Hermitian d x d matrix: R = Re(M) + Im(M) (flat, length d^2).

    Re(M) is the symmetric and Im(M) the antisymmetric part of R, so the map is one-to-one on
    Hermitian matrices and isometric: R_A . R_B = Tr(A^+ B) (Frobenius). Krylov and GMRES vectors
    stored this way take half the memory and bandwidth of complex ones.
    """
    M = np.asarray(M)
    d = M.shape[-1]
    M = M.reshape(d, d)
    if out is None:
        out = np.empty(d * d)
    np.add(M.real, M.imag, out=out.reshape(d, d))
    return out


def real_to_hermitian(R: np.ndarray, out: np.ndarray | None = None, scale: float = 1.0) -> np.ndarray:
    """Inverse of :func:`hermitian_to_real` times ``scale``: M = scale [(R + R^T) + i (R - R^T)]/2."""
    R = np.asarray(R, dtype=float)
    d = int(round(np.sqrt(R.size)))
    R = R.reshape(d, d)
    if out is None:
        out = np.empty((d, d), dtype=complex)
    O = out.reshape(d, d)

    def task(a, b):
        def run():
            T = np.ascontiguousarray(R[:, a:b].T)
            np.add(R[a:b], T, out=O[a:b].real)
            np.subtract(R[a:b], T, out=O[a:b].imag)
            if scale != 2.0:
                O[a:b] *= 0.5 * scale
        return run
    run_parallel([task(a, b) for a, b in _row_chunks(d)])
    return out


def real_of_hermitian_part(W: np.ndarray, out: np.ndarray) -> None:
    """out (real d x d) = hermitian_to_real(W + W^+) = (Re W + Im W) + (Re W - Im W)^T."""
    def task(a, b):
        def run():
            Wt = W[:, a:b].T
            np.add(W[a:b].real, W[a:b].imag, out=out[a:b])
            out[a:b] += Wt.real
            out[a:b] -= Wt.imag
        return run
    run_parallel([task(a, b) for a, b in _row_chunks(W.shape[0])])


def hermitian_part(W: np.ndarray, out: np.ndarray) -> None:
    """out = W + W^+ (square arrays), in parallel row chunks."""

    def task(a, b):
        def run():
            np.conjugate(W[:, a:b].T, out=out[a:b])
            out[a:b] += W[a:b]
        return run
    run_parallel([task(a, b) for a, b in _row_chunks(W.shape[0])])


