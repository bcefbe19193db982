"""The API reference (docs/api/*.md) documents every public name, and only public names.

Each page ``docs/api/<package>.md`` lists names under ``.. autosummary::`` (functions and classes) or
``.. autodata::`` (constants) after ``.. currentmodule:: <package>``; the set must equal the
package's ``__all__``. Every package with an ``__all__`` (tests/test_public_api.py lists them) has
its page.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import spinbath

API_DIR = Path(__file__).resolve().parents[1] / "docs" / "api"


def public_modules() -> list[str]:
    """spinbath and every subpackage or module with a non-empty ``__all__`` of its own names
    (packages and the public modules of gateway packages such as spinbath.interop.qutip)."""
    names = ["spinbath"]
    for info in pkgutil.walk_packages(spinbath.__path__, "spinbath."):
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        parent = info.name.rsplit(".", 1)[0]
        if not info.ispkg and parent != "spinbath.interop":
            continue  # a module of a package: documented through its package
        mod = importlib.import_module(info.name)
        if getattr(mod, "__all__", None):
            names.append(info.name)
    return names


DOCUMENTED_MODULES = public_modules()


def documented_names(page: Path) -> set[str]:
    """Names listed in a page's autosummary blocks and autodata directives."""
    names: set[str] = set()
    in_summary = False
    for line in page.read_text().splitlines():
        if line.startswith(".. autosummary::"):
            in_summary = True
            continue
        if in_summary:
            if line.startswith("```") or (line and not line.startswith(" ")):
                in_summary = False
            elif re.fullmatch(r"   [A-Za-z_][\w]*", line):
                names.add(line.strip())
        m = re.match(r"\.\. autodata:: (\w+)", line)
        if m:
            names.add(m.group(1))
    return names


@pytest.mark.parametrize("module", DOCUMENTED_MODULES)
def test_api_page_lists_exactly_the_public_names(module):
    page = API_DIR / f"{module}.md"
    assert page.exists(), f"no API page for {module} (docs/api/{module}.md)"
    public = set(importlib.import_module(module).__all__)
    listed = documented_names(page)
    assert listed - public == set(), f"{page.name} documents names not in {module}.__all__"
    assert public - listed == set(), f"{page.name} misses public names of {module}"


def test_every_api_page_is_in_the_index():
    index = (API_DIR / "index.md").read_text()
    for module in DOCUMENTED_MODULES:
        assert re.search(rf"^{re.escape(module)}$", index, re.M), f"{module} not in docs/api/index.md"
