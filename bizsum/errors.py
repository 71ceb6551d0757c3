"""User-facing errors.

Every problem a user can fix (bad input file, unknown parameter, missing key) is raised as a
:class:`BizsumError` whose message names the culprit. The CLI and the notebooks print the message
alone, never a traceback from inside a dependency.
"""

from __future__ import annotations


class BizsumError(Exception):
    """An error the user can act on; its message is shown as-is."""


class ConfigError(BizsumError):
    """The run configuration (YAML file or notebook parameters) is invalid."""


class InputError(BizsumError):
    """A document, reference, prompt template or summary file cannot be used."""


class ProviderError(BizsumError):
    """A provider could not be set up or a request failed for good."""


class SetupError(BizsumError):
    """Something that must be installed or downloaded first is missing."""


class GateFailed(BizsumError):
    """The regression gate found a significant drop (the report says where)."""
