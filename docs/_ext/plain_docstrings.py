"""Render spinbath's docstrings, which are plain text with ASCII math, faithfully as reST.

The docstrings are written to be read in ``help()``: equations such as ``|A_ab|^2``, ``x * y`` or
``gamma_`` and indented equation lines follow a text line directly. Read as reST, ``|...|`` would be
a substitution, ``*`` emphasis, ``word_`` a link, and an indented line without a blank line before
it an error. This extension (``autodoc-process-docstring``) escapes those characters outside
````literal```` and ``:role:`...``` spans, and separates indented blocks by blank lines, so that the
site shows the text as written. Docstrings that already use reST markup keep it.
"""

from __future__ import annotations

import re

_LITERAL = re.compile(r"(``.+?``|:[a-z:]+:`[^`]+`|`[^`]+`_?)")
_TRAILING_UNDERSCORE = re.compile(r"(?<=\w)_(?=[^\w{(\[]|$)")


def _escape(text: str) -> str:
    parts = _LITERAL.split(text)
    for i in range(0, len(parts), 2):  # even indices: outside literals and roles
        p = parts[i].replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*")
        parts[i] = _TRAILING_UNDERSCORE.sub(r"\\_", p)
    return "".join(parts)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _is_directive_or_field(line: str) -> bool:
    s = line.strip()
    return s.startswith((".. ", ":")) or s.endswith("::") or s.startswith(">>>")


def process(app, what, name, obj, options, lines: list[str]) -> None:
    out: list[str] = []
    in_literal_block = False
    literal_indent = 0
    for line in lines:
        blank = not line.strip()
        if in_literal_block:
            if not blank and _indent(line) <= literal_indent:
                in_literal_block = False
            else:
                out.append(line)
                continue
        if not blank and out and out[-1].strip():
            prev = out[-1]
            if _indent(line) != _indent(prev) and not _is_directive_or_field(prev) \
                    and not prev.strip().startswith(">>>"):
                out.append("")  # an indented block (or its end) needs a blank line in reST
        if line.strip().startswith(">>>"):
            out.append(line)
            continue
        out.append(_escape(line))
        if line.rstrip().endswith("::"):
            in_literal_block, literal_indent = True, _indent(line)
    lines[:] = out


def setup(app):
    app.connect("autodoc-process-docstring", process)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
