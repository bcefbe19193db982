"""Study configurations: TOML files validated with pydantic, unit strings converted once here."""

from .base import ConfigError, StrictModel, format_validation_error
from .loader import load_config, parse_config_text

__all__ = ["ConfigError", "StrictModel", "format_validation_error", "load_config", "parse_config_text"]
