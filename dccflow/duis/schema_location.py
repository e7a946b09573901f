"""Where this user keeps the DUIS 5.4 schema, when dccflow is installed away from the shared reference folder.

The schema is the DCC's published material: dccflow never ships it nor fetches it. ``dccflow setup schema PATH``
checks that a folder holds the three files the schema is made of and records the folder in the user's dccflow
config file (``$DCCFLOW_CONFIG``, else ``$XDG_CONFIG_HOME/dccflow/config.toml``, else
``~/.config/dccflow/config.toml``) as ``duis_schema_dir = "…"``. :func:`dccflow.duis.schema.schema_dir` reads
it when neither ``DCCFLOW_DUIS_SCHEMA_DIR`` nor ``DCCFLOW_SHARED_DIR`` is set.

Kernel module: the standard library only.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

ENV_CONFIG_FILE = "DCCFLOW_CONFIG"
#: the DUIS 5.4 schema and the two schemas it imports; all three must be in one folder
SCHEMA_FILES = ("duis-5.4.xsd", "mmc-5.4.xsd", "xmldsig-core-schema.xsd")
CONFIG_KEY = "duis_schema_dir"
_KEY_LINE = re.compile(rf"^\s*{CONFIG_KEY}\s*=")

__all__ = [
    "CONFIG_KEY",
    "ENV_CONFIG_FILE",
    "SCHEMA_FILES",
    "ConfigFileError",
    "config_file",
    "find_schema_folder",
    "missing_schema_files",
    "record_schema_dir",
    "recorded_schema_dir",
]


class ConfigFileError(ValueError):
    """The user's dccflow config file cannot be read or does not say what it should."""


def config_file() -> Path:
    """The user's dccflow config file (which need not exist)."""
    explicit = os.environ.get(ENV_CONFIG_FILE)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME")
    return (Path(base) if base else Path.home() / ".config") / "dccflow" / "config.toml"


def missing_schema_files(folder: Path) -> list[str]:
    """The schema files not in ``folder``, in :data:`SCHEMA_FILES` order (empty: the folder is complete)."""
    return [name for name in SCHEMA_FILES if not (folder / name).is_file()]


def find_schema_folder(path: Path) -> Path | None:
    """The folder holding all of :data:`SCHEMA_FILES`: ``path`` itself, or its ``schema`` or ``duis/schema``
    sub-folder (so the shared reference folder, or its ``duis`` folder, may be given too)."""
    for candidate in (path, path / "schema", path / "duis" / "schema"):
        if candidate.is_dir() and not missing_schema_files(candidate):
            return candidate
    return None


def _read(config: Path) -> dict:
    try:
        with config.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"dccflow config file {config} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigFileError(f"cannot read the dccflow config file {config}: {exc.strerror}") from None


def recorded_schema_dir(config: Path) -> Path | None:
    """The schema folder recorded in ``config``, or ``None`` when the file or the key is absent."""
    if not config.is_file():
        return None
    value = _read(config).get(CONFIG_KEY)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigFileError(f"{CONFIG_KEY} in {config} must be a folder path (a TOML string), got {value!r}")
    return Path(value).expanduser()


def record_schema_dir(folder: Path, config: Path) -> None:
    """Record ``folder`` as the schema folder in ``config``, keeping the file's other settings.

    An unreadable or invalid existing file is left as it is (:class:`ConfigFileError`).
    """
    lines: list[str] = []
    if config.exists():
        _read(config)
        lines = [line for line in config.read_text(encoding="utf-8").splitlines() if not _KEY_LINE.match(line)]
    # a TOML basic string: JSON's escapes are TOML's; the key goes first, before any [table] header
    entry = f"{CONFIG_KEY} = {json.dumps(str(folder))}"
    text = "\n".join([entry, *lines]) + "\n"
    config.parent.mkdir(parents=True, exist_ok=True)
    partial = config.with_name(config.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, config)
