"""A small TOML writer for config data (dicts of TOML types), the inverse of ``tomllib.loads``.

Used by :func:`spinbath.run` to embed a config given as a dict or a config object as TOML text in
the results file, as the command line embeds the file it ran. Nested dicts become ``[tables]``,
dicts inside lists inline tables; ``None`` (which TOML cannot spell) means "not given" and is left
out; tuples and numpy arrays are written as arrays, numpy scalars as numbers, paths as strings.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping

__all__ = ["dumps"]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def dumps(data: Mapping) -> str:
    """TOML text of ``data``; ``tomllib.loads(dumps(data))`` gives ``data`` back (Nones left out).

    Raises TypeError naming the dotted key of a value TOML cannot hold (complex, objects, ...).
    """
    lines: list[str] = []
    _table(data, (), lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def _where(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _key(k, path) -> str:
    if not isinstance(k, str):
        raise TypeError(f"{_where(path)}: TOML keys are strings, got {k!r}")
    return k if _BARE_KEY.match(k) else _string(k)


def _string(s: str) -> str:
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _plain(v, path):
    """``v`` as a TOML-able Python value (None: leave the key out)."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, Mapping):
        return dict(v)
    if isinstance(v, (list, tuple)):
        return list(v)
    if isinstance(v, os.PathLike):
        return os.fspath(v)
    try:  # numpy scalars and arrays, without importing numpy here
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if np is not None:
        if isinstance(v, np.ndarray):
            return v.tolist()
        if isinstance(v, np.generic):
            return v.item()
    raise TypeError(f"{_where(path)}: a {type(v).__name__} cannot be written as TOML")


def _value(v, path) -> str:
    v = _plain(v, path)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(float(v))
    if isinstance(v, complex):
        raise TypeError(f"{_where(path)}: a complex number cannot be written as TOML")
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, list):
        items = []
        for i, x in enumerate(v):
            if _plain(x, path + (i,)) is None:
                raise TypeError(f"{_where(path + (i,))}: TOML arrays cannot hold None")
            items.append(_value(x, path + (i,)))
        return "[" + ", ".join(items) + "]"
    if isinstance(v, dict):
        items = [f"{_key(k, path)} = {_value(x, path + (k,))}" for k, x in v.items()
                 if _plain(x, path + (k,)) is not None]
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"{_where(path)}: a {type(v).__name__} cannot be written as TOML")  # pragma: no cover


def _table(data: Mapping, path: tuple, lines: list[str]) -> None:
    scalars, tables = [], []
    for k, v in data.items():
        v = _plain(v, path + (k,))
        if v is None:
            continue
        if isinstance(v, dict) and v:
            tables.append((k, v))
        else:
            scalars.append(f"{_key(k, path)} = {_value(v, path + (k,))}")
    if path and (scalars or not tables):
        lines.extend(["", "[" + ".".join(_key(p, path) for p in path) + "]"])
    lines.extend(scalars)
    for k, v in tables:
        _table(v, path + (k,), lines)
