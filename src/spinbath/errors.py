"""Exceptions shared by every layer of spinbath (configs, analysis, I/O, the command line)."""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """Bad user input: the message names the offending key or value and says why.

    The command line prints it as ``error: <message>`` and exits with code 2, without a traceback
    and without writing any output file.
    """
