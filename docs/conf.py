"""Sphinx configuration of the spinbath documentation site (``make docs``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import spinbath

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "_ext"))  # local extensions

project = "spinbath"
author = "the spinbath developers"
copyright = "2026, the spinbath developers"
release = version = spinbath.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "plain_docstrings",  # docstrings are plain text with ASCII math: shown as written
]

# Markdown (MyST) pages; tutorials are MyST notebooks (text files with ```{code-cell} blocks),
# executed at build time and cached in docs/_build/.jupyter_cache, so an unchanged tutorial is not
# run again.
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = os.environ.get("SPINBATH_DOCS_EXECUTE", "cache")
nb_execution_timeout = 600
nb_execution_raise_on_error = True
# SPINBATH_DOCS_CACHE: another cache folder (two builds at once must not share one).
nb_execution_cache_path = os.environ.get("SPINBATH_DOCS_CACHE", str(HERE / "_build" / ".jupyter_cache"))

exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md"]

# Every cross-reference must resolve (``make docs`` runs with -W --keep-going -n).
nitpicky = True
# Names from other projects: there is no network at build time, so no intersphinx; their types in
# signatures are left as plain text.
nitpick_ignore_regex = [
    ("py:class", r"(numpy|np|scipy|sp|xarray|xr|matplotlib|pydantic|dask|distributed|qutip|phonopy|pint|rich)(\..*)?"),
    ("py:class", r"(NDArray|ArrayLike|DTypeLike|Figure|Axes|Dataset|DataArray|Path|PathLike|Client)"),
    ("py:class", r"(optional|callable|array_like|array|ndarray|sequence|iterable|mapping|dict-like)"),
    ("py:class", r"(typing|collections\.abc|pathlib|os|concurrent|dataclasses|enum|types)\..*"),
    ("py:class", r"(Any|Callable|Iterable|Iterator|Mapping|Sequence|Literal|Self|Protocol|ClassVar)"),
    ("py:class", r"(annotated_types|pydantic_core|fractions)\..*|PydanticUndefined|[\d.e+-]+"),
    ("py:class", r"(tuple|list|dict|set|frozenset|float|int|str|bool|complex|object|type|None|bytes|slice)(\[.*)?"),
    ("py:class", r".*\]"),
    ("py:obj", r".*"),
    # Private helpers named in pydantic field annotations, and other projects' functions.
    ("py:class", r"spinbath\..*\._\w+|spinbath\.config\.spin\.unit_direction"),
    ("py:func", r"(scipy|numpy|numba)\..*"),
]
# ConfigError is public both as spinbath.ConfigError and spinbath.config.ConfigError (one class).
suppress_warnings = ["ref.python"]

templates_path = ["_templates"]
autosummary_generate = True
autosummary_imported_members = True

autodoc_typehints = "signature"
autodoc_member_order = "bysource"
autoclass_content = "class"

html_theme = "pydata_sphinx_theme"
html_title = "spinbath"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
}
html_static_path: list[str] = []
