r"""Compiled kernels of the stochastic LLG schemes: straight-line code generated per system size.

The equations, schemes and the noise-induced drift are documented in
:mod:`spinbath.classical.llg`; this module evaluates them fast for ensembles of few-spin systems.

Why generated code. For 1-4 spins a step is ~10^3 floating-point operations on tiny matrices
(a 6 x 6 block solve for the dimer); numpy spends ~50-100 us of overhead per call and a generic
compiled loop over small arrays does not vectorize (LLVM cannot prove that the blocks of one
array do not alias). Instead, the step is written once in Python (``_velocity``, ``_drift_*``,
the block LU) and *traced* with symbolic scalars: every arithmetic operation emits one line of
straight-line code (constants folded, structural zeros of the cross-product matrices dropped).
The trace becomes the body of a loop over the V trajectories ("lanes") of a block, which LLVM
vectorizes across lanes (AVX2 / AVX-512), and blocks run in parallel (numba ``prange``).

Layout: ``m[block, component, lane]`` (component 3 a + i of free spin a) and the generator
states ``states[block, word, lane]`` (:mod:`spinbath.classical.rng`, same numbers as the numpy
backend). Kernels are specialized on (scheme, n = 3 x free spins, drift mode, noise on/off);
the generated source is written to a cache directory (``SPINBATH_KERNEL_DIR``, default
``~/.cache/spinbath/llg_kernels``) and imported from there so that numba's on-disk cache works;
the file name carries a hash of the source.

Linear algebra without pivoting but without breakdown: gamma = 1 + alpha X (X the block-diagonal
[sigma m_a x]) is factored by 3 x 3 block elimination with explicit 3 x 3 inverses; its leading
block submatrices are again of the form 1 + alpha_kk X_k with alpha_kk positive definite, hence
invertible (llg.py). The general-Q drift solves 2 Y + K Y - Y K = Q~ in orthonormal coordinates
of symmetric matrices, where the operator is 2 + (antisymmetric): its leading submatrices have
positive-definite symmetric part, so elimination without pivoting is safe there too.

Drift modes: 0 none, 1 thermal (Q = 2 theta alpha), 2 general Q.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["kernel", "MAX_FREE_SPINS"]

#: largest number of free spins with generated kernels, per drift mode (code grows as n^3; the
#: general-Q Lyapunov solve as n^6); larger systems use the numpy backend.
MAX_FREE_SPINS = {0: 4, 1: 4, 2: 2}

_GENERATOR_VERSION = "1"


# --------------------------------------------------------------------------------- tracer
class _Emitter:
    def __init__(self, prefix: str = "t"):
        self.lines: list[str] = []
        self.k = 0
        self.prefix = prefix

    def emit(self, expr: str) -> _Sym:
        name = f"{self.prefix}{self.k}"
        self.k += 1
        self.lines.append(f"{name} = {expr}")
        return _Sym(name)


_ACTIVE: list[_Emitter] = []


def _isc(x) -> bool:
    return isinstance(x, (int, float))


def _fmt(x) -> str:
    return repr(float(x)) if _isc(x) else x.s


class _Sym:
    """A scalar value of the generated code (a variable name)."""

    __slots__ = ("s",)

    def __init__(self, s: str):
        self.s = s

    def __add__(self, o):
        return _add(self, o)

    def __radd__(self, o):
        return _add(o, self)

    def __sub__(self, o):
        return _add(self, _mul(-1.0, o))

    def __rsub__(self, o):
        return _add(o, _mul(-1.0, self))

    def __mul__(self, o):
        return _mul(self, o)

    def __rmul__(self, o):
        return _mul(o, self)

    def __truediv__(self, o):
        return _div(self, o)

    def __rtruediv__(self, o):
        return _div(o, self)

    def __neg__(self):
        return _mul(-1.0, self)


def _emit(expr: str) -> _Sym:
    return _ACTIVE[-1].emit(expr)


def _add(a, b):
    if _isc(a) and _isc(b):
        return float(a + b)
    if _isc(a) and a == 0:
        return b
    if _isc(b) and b == 0:
        return a
    return _emit(f"{_fmt(a)} + {_fmt(b)}")


def _mul(a, b):
    if _isc(a) and _isc(b):
        return float(a * b)
    if (_isc(a) and a == 0) or (_isc(b) and b == 0):
        return 0.0
    if _isc(a) and a == 1:
        return b
    if _isc(b) and b == 1:
        return a
    if _isc(a) and a == -1:
        return _emit(f"-{_fmt(b)}")
    if _isc(b) and b == -1:
        return _emit(f"-{_fmt(a)}")
    return _emit(f"{_fmt(a)} * {_fmt(b)}")


def _div(a, b):
    if _isc(a) and _isc(b):
        return float(a / b)
    if _isc(a) and a == 0:
        return 0.0
    if _isc(b) and b == 1:
        return a
    return _emit(f"{_fmt(a)} / {_fmt(b)}")


def _dot(a, b):
    """sum_k a_k b_k as one emitted line (zero terms dropped)."""
    terms, const = [], 0.0
    for x, y in zip(a, b):
        if (_isc(x) and x == 0) or (_isc(y) and y == 0):
            continue
        if _isc(x) and _isc(y):
            const += x * y
        elif _isc(x) or _isc(y):
            c, s = (x, y) if _isc(x) else (y, x)
            terms.append(s.s if c == 1 else (f"-{s.s}" if c == -1 else f"{float(c)!r} * {s.s}"))
        else:
            terms.append(f"{x.s} * {y.s}")
    if not terms:
        return const
    if const:
        terms.append(repr(const))
    if len(terms) == 1 and not terms[0].startswith("-") and " " not in terms[0]:
        return _Sym(terms[0])
    return _emit(" + ".join(terms))


def _sqrt(a):
    return float(a) ** 0.5 if _isc(a) else _emit(f"np.sqrt({a.s})")


def _params(name: str, rows: int, cols: int | None = None):
    if cols is None:
        return [_Sym(f"{name}_{i}") for i in range(rows)]
    return [[_Sym(f"{name}_{i}_{j}") for j in range(cols)] for i in range(rows)]


# ------------------------------------------------------------------- the step, traced once
def _cross(a, b):
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def _spin(v, a):
    return v[3 * a:3 * a + 3]


def _build_gamma(xs, alpha, sign):
    """gamma = 1 + sign alpha X: row i, block b = e_i + sign alpha[i, b] x xs_b
    (the row vector r^T [x x] equals r x x)."""
    n = len(xs)
    G = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for b in range(n // 3):
            r = alpha[i][3 * b:3 * b + 3]
            cr = _cross(r, _spin(xs, b))
            for j in range(3):
                G[i][3 * b + j] = sign * cr[j] if sign == -1 else cr[j]
        G[i][i] = G[i][i] + 1.0
    return G


def _inv3(B):
    (a, b, c), (d, e, f), (g, h, k) = B
    A_ = e * k - f * h
    B_ = f * g - d * k
    C_ = d * h - e * g
    inv = 1.0 / _dot([a, b, c], [A_, B_, C_])
    return [[A_ * inv, (c * h - b * k) * inv, (b * f - c * e) * inv],
            [B_ * inv, (a * k - c * g) * inv, (c * d - a * f) * inv],
            [C_ * inv, (b * g - a * h) * inv, (a * e - b * d) * inv]]


def _blk(G, i, j):
    return [row[3 * j:3 * j + 3] for row in G[3 * i:3 * i + 3]]


def _setblk(G, i, j, B):
    for r in range(3):
        G[3 * i + r][3 * j:3 * j + 3] = B[r]


def _mat3(A, B):
    return [[_dot(A[r], [B[0][s], B[1][s], B[2][s]]) for s in range(3)] for r in range(3)]


def _block_lu(G):
    """Block LU without pivoting; diagonal blocks replaced by the inverses of the pivots."""
    G = [row[:] for row in G]
    nb = len(G) // 3
    for k in range(nb):
        Dinv = _inv3(_blk(G, k, k))
        _setblk(G, k, k, Dinv)
        for i in range(k + 1, nb):
            Lik = _mat3(_blk(G, i, k), Dinv)
            _setblk(G, i, k, Lik)
            for j in range(k + 1, nb):
                P = _mat3(Lik, _blk(G, k, j))
                Gij = _blk(G, i, j)
                _setblk(G, i, j, [[Gij[r][s] - P[r][s] for s in range(3)] for r in range(3)])
    return G


def _block_solve(G, y):
    y = list(y)
    nb = len(G) // 3
    for k in range(nb):
        for i in range(k + 1, nb):
            Lik = _blk(G, i, k)
            yk = _spin(y, k)
            for r in range(3):
                y[3 * i + r] = y[3 * i + r] - _dot(Lik[r], yk)
    for k in range(nb - 1, -1, -1):
        acc = _spin(y, k)
        for j in range(k + 1, nb):
            U = _blk(G, k, j)
            yj = _spin(y, j)
            acc = [acc[r] - _dot(U[r], yj) for r in range(3)]
        D = _blk(G, k, k)
        for r in range(3):
            y[3 * k + r] = _dot(D[r], acc)
    return y


def _matvec(A, x):
    return [_dot(row, x) for row in A]


def _velocity(m, xi, sgn, L, h, alpha):
    """F = X gamma^-1 w, w = L m + h + xi; returns F, y = gamma^-1 w, the factored gamma, xs."""
    n = len(m)
    xs = [sgn * v for v in m]
    w = [_dot(L[i] + [1.0, 1.0], list(m) + [h[i], xi[i]]) for i in range(n)]
    Gf = _block_lu(_build_gamma(xs, alpha, 1))
    y = _block_solve(Gf, w)
    F = []
    for a in range(n // 3):
        F += _cross(_spin(xs, a), _spin(y, a))
    return F, y, Gf, xs


def _axial(D):
    return [D[2][1] - D[1][2], D[0][2] - D[2][0], D[1][0] - D[0][1]]


def _finish(v, xs, Gf, alpha, scale):
    """scale * N^-1 v = scale * (v - X gamma^-1 alpha v)."""
    s = _block_solve(Gf, _matvec(alpha, v))
    c = []
    for a in range(len(v) // 3):
        xa = _cross(_spin(xs, a), _spin(s, a))
        c += [scale * (v[3 * a + r] - xa[r]) for r in range(3)]
    return c


def _drift_thermal(xs, Gf, alpha, ts):
    """c = theta sgn N^-1 v(R), R = (1 - (alpha X)^2)^-1 = (gamma^-1 + gamma_-^-1)/2,
    gamma_- = 1 - alpha X (gamma + gamma_- = 2): only the diagonal 3 x 3 blocks of the two
    inverses are needed, from solves with unit vectors (whose zeros the tracer folds away)."""
    n = len(xs)
    nb = n // 3
    Gm = _block_lu(_build_gamma(xs, alpha, -1))
    Dacc = [[[0.0] * 3 for _ in range(3)] for _ in range(nb)]
    for G in (Gf, Gm):
        for j in range(n):
            s = _block_solve(G, [1.0 if i == j else 0.0 for i in range(n)])
            a, jj = divmod(j, 3)
            for r in range(3):
                Dacc[a][r][jj] = Dacc[a][r][jj] + s[3 * a + r]
    v = []
    for a in range(nb):
        v += [0.5 * x for x in _axial(Dacc[a])]
    return _finish(v, xs, Gf, alpha, ts)


def _drift_general(xs, Gf, alpha, sgn, S, Qt, Q):
    """c = sgn N^-1 v(R), R = gamma^-1 (J - Q gamma^-T / 2) X^T, J = S Y S,
    2 Y + K Y - Y K = Qt, K = S X S (see llg.py)."""
    n = len(xs)
    nb = n // 3
    r2 = 2.0 ** 0.5
    # P = X S, K = S P (antisymmetric: upper triangle only)
    P = [[0.0] * n for _ in range(n)]
    for a in range(nb):
        for j in range(n):
            col = [S[3 * a + r][j] for r in range(3)]
            cr = _cross(_spin(xs, a), col)
            for r in range(3):
                P[3 * a + r][j] = cr[r]
    K = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            K[i][j] = _dot(S[i], [P[k][j] for k in range(n)])
            K[j][i] = -K[i][j]
    pairs = [(p, q) for p in range(n) for q in range(p, n)]
    ns = len(pairs)

    def kd(a, b):
        return 1.0 if a == b else 0.0

    Mk = [[0.0] * ns for _ in range(ns)]
    for ci, (r, s) in enumerate(pairs):
        for ri, (p, q) in enumerate(pairs):
            if r == s:
                val = _dot([K[p][r], kd(p, r)], [kd(q, r), -K[r][q]])
            else:
                val = _dot([K[p][r], K[p][s], kd(p, r), kd(p, s)],
                           [kd(q, s), kd(q, r), -K[s][q], -K[r][q]])
                val = val * (1.0 / r2)
            if p != q:
                val = val * r2
            if ri == ci:
                val = val + 2.0
            Mk[ri][ci] = val
    rhs = [Qt[p][q] * (1.0 if p == q else r2) for (p, q) in pairs]
    for k in range(ns):
        inv = 1.0 / Mk[k][k]
        for i in range(k + 1, ns):
            if _isc(Mk[i][k]) and Mk[i][k] == 0:
                continue
            f = Mk[i][k] * inv
            rhs[i] = rhs[i] - f * rhs[k]
            for j in range(k + 1, ns):
                if not (_isc(Mk[k][j]) and Mk[k][j] == 0):
                    Mk[i][j] = Mk[i][j] - f * Mk[k][j]
    sol = [0.0] * ns
    for k in range(ns - 1, -1, -1):
        acc = rhs[k] - _dot(Mk[k][k + 1:], sol[k + 1:])
        sol[k] = acc / Mk[k][k]
    Y = [[0.0] * n for _ in range(n)]
    for idx, (p, q) in enumerate(pairs):
        val = sol[idx] if p == q else sol[idx] * (1.0 / r2)
        Y[p][q] = val
        Y[q][p] = val
    YS = [[_dot(Y[i], [S[k][j] for k in range(n)]) for j in range(n)] for i in range(n)]
    J = [[_dot(S[i], [YS[k][j] for k in range(n)]) for j in range(n)] for i in range(n)]
    Z = [row[:] for row in J]
    for j in range(n):
        col = _block_solve(Gf, [Q[i][j] for i in range(n)])   # (gamma^-1 Q)[:, j]
        for i in range(n):
            Z[j][i] = Z[j][i] - 0.5 * col[i]
    W = [[0.0] * n for _ in range(n)]
    for j in range(n):
        col = _block_solve(Gf, [Z[i][j] for i in range(n)])
        for i in range(n):
            W[i][j] = col[i]
    v = []
    for a in range(nb):
        o = 3 * a
        Raa = [[-x for x in _cross([W[o + r][o], W[o + r][o + 1], W[o + r][o + 2]],
                                   _spin(xs, a))] for r in range(3)]
        v += _axial(Raa)
    return _finish(v, xs, Gf, alpha, sgn)


def _normalize(v):
    out = []
    for a in range(len(v) // 3):
        x = _spin(v, a)
        inv = 1.0 / _sqrt(_dot(x, x))
        out += [inv * c for c in x]
    return out


def _noise(Bm, z):
    return [_dot(row, z) for row in Bm]


# ------------------------------------------------------------------------ code generation
def _loads(n: int, mode: int) -> list[str]:
    out = []
    for name, rows, cols in (("L", n, n), ("alpha", n, n), ("B", n, n), ("h", n, None)):
        for i in range(rows):
            if cols is None:
                out.append(f"{name}_{i} = {name}[{i}]")
            else:
                out += [f"{name}_{i}_{j} = {name}[{i}, {j}]" for j in range(cols)]
    if mode == 2:
        for name in ("S", "Qt", "Q"):
            out += [f"{name}_{i}_{j} = {name}[{i}, {j}]" for i in range(n) for j in range(n)]
    out.append("ts = theta * sgn")
    return out


def _drift(mode, xs, Gf, sgn, alpha, n):
    if mode == 1:
        return _drift_thermal(xs, Gf, alpha, _Sym("ts"))
    if mode == 2:
        return _drift_general(xs, Gf, alpha, sgn, _params("S", n, n), _params("Qt", n, n),
                              _params("Q", n, n))
    return [0.0] * n


def _trace(fn, prefix: str = "t") -> list[str]:
    em = _Emitter(prefix)
    _ACTIVE.append(em)
    try:
        fn()
    finally:
        _ACTIVE.pop()
    return em.lines


def _indent(lines, k):
    return ["    " * k + ln for ln in lines]


def _noise_lines(n: int, row: int, V: int) -> tuple[list[str], list[str]]:
    """Lane code drawing z0..z{n-1} from the generator state kept (as float64 bits) in rows
    row..row+3 of the work array, and the code storing the advanced state. Inline, so the
    generator vectorizes with the rest of the step; the numbers equal rng.draw_step's."""
    load = [f"g{w} = f64_as_u64(wk[{(row + w) * V} + l])" for w in range(4)]
    for p in range(0, n, 2):
        second = f"z{p + 1}" if p + 1 < n else "zdrop"
        load.append(f"z{p}, {second}, g0, g1, g2, g3 = gauss_next(g0, g1, g2, g3)")
    store = [f"wk[{(row + w) * V} + l] = u64_as_f64(g{w})" for w in range(4)]
    return load, store


def _state_copy(n_row: int, V: int, into: bool) -> list[str]:
    """run()-level lines copying the block's generator states to/from work rows n_row..+3."""
    if into:
        return [f"        for w in range(4):",
                f"            for l in range({V}):",
                f"                wk[({n_row} + w) * {V} + l] = u64_as_f64(states[blk, w, l])"]
    return [f"        for w in range(4):",
            f"            for l in range({V}):",
            f"                states[blk, w, l] = f64_as_u64(wk[({n_row} + w) * {V} + l])"]


def _heun_source(n: int, mode: int, noisy: bool, V: int) -> str:
    m = [_Sym(f"m{i}") for i in range(n)]
    z = [_Sym(f"z{i}") for i in range(n)]
    L, h, alpha, Bm = _params("L", n, n), _params("h", n), _params("alpha", n, n), \
        _params("B", n, n)
    sgn, dt = _Sym("sgn"), _Sym("dt")
    out = {}

    def body():
        xi = _noise(Bm, z) if noisy else [0.0] * n
        F0, _, Gf, xs = _velocity(m, xi, sgn, L, h, alpha)
        c = _drift(mode, xs, Gf, sgn, alpha, n)
        mt = _normalize([m[i] + dt * (F0[i] + c[i]) for i in range(n)])
        F1, _, _, _ = _velocity(mt, xi, sgn, L, h, alpha)
        out["new"] = _normalize([m[i] + dt * (0.5 * (F0[i] + F1[i]) + c[i]) for i in range(n)])

    lines = _trace(body)

    def w(r):  # row r of the flat work array: constant offsets, so LLVM needs no alias checks
        return f"wk[{r * V} + l]"

    # rows: m (n), generator state (4)
    nload, nstore = _noise_lines(n, n, V) if noisy else ([], [])
    lane = [f"m{i} = {w(i)}" for i in range(n)] + nload
    lane += lines + [f"{w(i)} = {_fmt(out['new'][i])}" for i in range(n)] + nstore
    src = ["@njit(cache=True, error_model='numpy')",
           "def _block(wk, n_steps, dt, L, h, alpha, B, sgn, theta, S, Qt, Q):"]
    src += _indent(_loads(n, mode), 1)
    src += ["    for _step in range(n_steps):"]
    src += [f"        for l in range({V}):"] + _indent(lane, 3)
    src += ["", "",
            "@njit(cache=True, parallel=True, error_model='numpy')",
            "def run(m, states, n_steps, dt, L, h, alpha, B, sgn, theta, S, Qt, Q):",
            "    if m.shape[0] == 1:  # one block: no parallel region (its start-up costs more)",
            "        _one(m, states, 0, n_steps, dt, L, h, alpha, B, sgn, theta, S, Qt, Q)",
            "        return",
            "    for blk in prange(m.shape[0]):",
            "        _one(m, states, blk, n_steps, dt, L, h, alpha, B, sgn, theta, S, Qt, Q)",
            "", "",
            "@njit(cache=True, error_model='numpy')",
            "def _one(m, states, blk, n_steps, dt, L, h, alpha, B, sgn, theta, S, Qt, Q):",
            f"        wk = np.zeros({(n + 4) * V})",
            f"        wk[:{n * V}] = m[blk].ravel()"] + _state_copy(n, V, True) + [
            "        _block(wk, n_steps, dt, L, h, alpha, B, sgn, theta, S, Qt, Q)",
            f"        m[blk] = wk[:{n * V}].reshape(({n}, {V}))"] + _state_copy(n, V, False)
    return "\n".join(src) + "\n"


def _midpoint_source(n: int, mode: int, noisy: bool, V: int) -> str:
    m = [_Sym(f"m{i}") for i in range(n)]
    mi = [_Sym(f"mi{i}") for i in range(n)]
    mp = [_Sym(f"p{i}") for i in range(n)]
    z = [_Sym(f"z{i}") for i in range(n)]
    xiv = [_Sym(f"x{i}") for i in range(n)]
    cv = [_Sym(f"c{i}") for i in range(n)]
    L, h, alpha, Bm = _params("L", n, n), _params("h", n), _params("alpha", n, n), \
        _params("B", n, n)
    sgn, hdt = _Sym("sgn"), _Sym("hdt")
    pre_out, it_out = {}, {}

    def pre():  # noise and drift at the start point
        xi = _noise(Bm, z) if noisy else [0.0] * n
        c = [0.0] * n
        if mode:
            _, _, Gf, xs = _velocity(m, xi, sgn, L, h, alpha)
            c = _drift(mode, xs, Gf, sgn, alpha, n)
        pre_out["xi"], pre_out["c"] = xi, c

    def iterate():  # one fixed-point iteration: Omega at mbar, Cayley rotation of m
        mb = [0.5 * (mi[i] + mp[i]) for i in range(n)]
        _, y, _, _ = _velocity(mb, xiv if noisy else [0.0] * n, sgn, L, h, alpha)
        new = []
        for a in range(n // 3):
            x = _spin(mb, a)
            Om = [sgn * v for v in _spin(y, a)]
            if mode:
                inv = 1.0 / _dot(x, x)
                cx = _cross(_spin(cv, a), x)
                Om = [Om[r] + cx[r] * inv for r in range(3)]
            av = [hdt * o for o in Om]
            ma = _spin(mi, a)
            u = [ma[r] - t for r, t in enumerate(_cross(av, ma))]
            au = _dot(av, u)
            inv2 = 1.0 / (1.0 + _dot(av, av))
            axu = _cross(av, u)
            new += [(u[r] - axu[r] + au * av[r]) * inv2 for r in range(3)]
        it_out["new"] = new

    # distinct names in the two lane loops: a name assigned in both would be one Python variable
    # live across them, which numba turns into loop-carried values that block vectorization
    pre_lines = _trace(pre, "a")
    it_lines = _trace(iterate, "b")

    # rows of the flat work array: m [0, n), generator state [n, n+4), xi, c, m', error
    rx, rc, rp, re_ = n + 4, 2 * n + 4, 3 * n + 4, 4 * n + 4

    def w(r):
        return f"wk[{r * V} + l]"

    nload, nstore = _noise_lines(n, n, V) if noisy else ([], [])
    lane_pre = [f"m{i} = {w(i)}" for i in range(n)] + nload
    lane_pre += pre_lines + nstore
    if noisy:
        lane_pre += [f"{w(rx + i)} = {_fmt(pre_out['xi'][i])}" for i in range(n)]
    if mode:
        lane_pre += [f"{w(rc + i)} = {_fmt(pre_out['c'][i])}" for i in range(n)]
    lane_pre += [f"{w(rp + i)} = m{i}" for i in range(n)]
    lane_it = [f"mi{i} = {w(i)}" for i in range(n)]
    lane_it += [f"p{i} = {w(rp + i)}" for i in range(n)]
    if noisy:
        lane_it += [f"x{i} = {w(rx + i)}" for i in range(n)]
    if mode:
        lane_it += [f"c{i} = {w(rc + i)}" for i in range(n)]
    lane_it += it_lines
    lane_it += [f"q{i} = {_fmt(it_out['new'][i])}" for i in range(n)]
    lane_it += ["e = 0.0"] + [f"e = max(e, abs(q{i} - p{i}))" for i in range(n)]
    lane_it += [f"{w(re_)} = e"] + [f"{w(rp + i)} = q{i}" for i in range(n)]
    src = ["@njit(cache=True, error_model='numpy')",
           "def _block(wk, n_steps, dt, L, h, alpha, B, sgn, theta, S, Qt, Q, tol, max_iter, "
           "stats):",
           "    hdt = 0.5 * dt",
           "    max_used = 0",
           "    unconverged = 0"]
    src += _indent(_loads(n, mode), 1)
    src += ["    for _step in range(n_steps):"]
    src += [f"        for l in range({V}):"] + _indent(lane_pre, 3)
    src += ["        it = 0",
            "        converged = False",
            "        while it < max_iter:",
            "            it += 1",
            f"            for l in range({V}):"] + _indent(lane_it, 4)
    src += ["            emax = 0.0",
            f"            for l in range({V}):",
            f"                emax = max(emax, wk[{re_ * V} + l])",
            "            if emax < tol:",
            "                converged = True",
            "                break",
            "        max_used = max(max_used, it)",
            "        if not converged:",
            "            unconverged += 1",
            f"        for k in range({n * V}):",
            f"            wk[k] = wk[{rp * V} + k]",
            "    stats[0] = max_used",
            "    stats[1] = unconverged",
            "", "",
            "@njit(cache=True, parallel=True, error_model='numpy')",
            "def run(m, states, n_steps, dt, L, h, alpha, B, sgn, theta, S, Qt, Q, tol, max_iter, "
            "stats):",
            "    if m.shape[0] == 1:  # one block: no parallel region (its start-up costs more)",
            "        _one(m, states, 0, n_steps, dt, L, h, alpha, B, sgn, theta, S, Qt, Q, tol, "
            "max_iter, stats)",
            "        return",
            "    for blk in prange(m.shape[0]):",
            "        _one(m, states, blk, n_steps, dt, L, h, alpha, B, sgn, theta, S, Qt, Q, tol, "
            "max_iter, stats)",
            "", "",
            "@njit(cache=True, error_model='numpy')",
            "def _one(m, states, blk, n_steps, dt, L, h, alpha, B, sgn, theta, S, Qt, Q, tol, "
            "max_iter, stats):",
            f"        wk = np.zeros({(re_ + 1) * V})",
            f"        wk[:{n * V}] = m[blk].ravel()"] + _state_copy(n, V, True) + [
            "        _block(wk, n_steps, dt, L, h, alpha, B, sgn, theta, S, Qt, Q, tol, max_iter, "
            "stats[blk])",
            f"        m[blk] = wk[:{n * V}].reshape(({n}, {V}))"] + _state_copy(n, V, False)
    return "\n".join(src) + "\n"


_HEADER = '''"""Generated by spinbath.classical.llg_kernels ({what}); do not edit."""
import numpy as np
from numba import njit, prange

from spinbath.classical.rng import f64_as_u64, gauss_next, u64_as_f64


'''

_LOADED: dict = {}


def _rng_module_file() -> str:
    from spinbath.classical import rng

    return rng.__file__


def _cache_dir() -> Path:
    env = os.environ.get("SPINBATH_KERNEL_DIR")
    base = Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) \
        / "spinbath" / "llg_kernels"
    try:
        base.mkdir(parents=True, exist_ok=True)
        probe = base / ".write_test"
        probe.write_text("ok")
        probe.unlink()
        return base
    except OSError:
        tmp = Path(tempfile.gettempdir()) / f"spinbath_llg_kernels_{os.getuid()}"
        tmp.mkdir(parents=True, exist_ok=True)
        return tmp


def kernel(scheme: str, n: int, mode: int, noisy: bool, V: int):
    """The compiled ``run`` function of (scheme 'heun' or 'midpoint', n = 3 x free spins, drift
    mode, noise on/off, V lanes per block), generated and imported on first use (then cached on
    disk by numba). ``run(m, states, n_steps, dt, L, h, alpha, B, sgn, theta, S, Qt, Q[, tol,
    max_iter, stats])`` advances m (nblk, n, V) and states (nblk, 4, V) in place."""
    key = (scheme, n, mode, bool(noisy), int(V))
    if key in _LOADED:
        return _LOADED[key]
    if n // 3 > MAX_FREE_SPINS[mode]:
        raise ValueError(f"no generated kernel for {n // 3} free spins in drift mode {mode} "
                         f"(limit {MAX_FREE_SPINS[mode]}); use backend='numpy'")
    make = {"heun": _heun_source, "midpoint": _midpoint_source}[scheme]
    body = make(n, mode, bool(noisy), int(V))
    what = (f"{scheme}, n={n}, mode={mode}, noisy={bool(noisy)}, V={V}, "
            f"generator {_GENERATOR_VERSION}")
    source = _HEADER.format(what=what) + body
    # numba's cache does not see changes in called functions: hash the noise generator too
    rng_source = Path(_rng_module_file()).read_bytes()
    digest = hashlib.sha1(source.encode() + rng_source).hexdigest()[:12]
    name = f"llg_{scheme}_n{n}_m{mode}_{'z' if noisy else 'd'}_v{V}_{digest}"
    path = _cache_dir() / f"{name}.py"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(source)
        os.replace(tmp, path)   # atomic: concurrent processes see a whole file
    spec = importlib.util.spec_from_file_location(f"spinbath_generated.{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    _LOADED[key] = module.run
    return module.run
