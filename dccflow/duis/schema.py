"""DUIS 5.4 schema access, hardened XML parsing and schema validation.

Everything that crosses the DCC boundary is parsed with :func:`secure_parse` (size limit, no DTDs, no
entity expansion, no network) and then checked with :func:`validate` against the real DUIS 5.4 XSD
(``duis-5.4.xsd`` with its imports ``mmc-5.4.xsd`` and ``xmldsig-core-schema.xsd``).

The schema files are not part of the repository: they live in the shared reference folder that sits
beside the checkout (``<repo>/../shared/duis/schema``). Set ``DCCFLOW_SHARED_DIR`` to point at another
shared folder, or ``DCCFLOW_DUIS_SCHEMA_DIR`` to point straight at a folder holding the three ``.xsd``
files; an installed dccflow is pointed at that folder once with ``dccflow setup schema PATH``
(:mod:`dccflow.duis.schema_location`), which the environment variables override.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

from lxml import etree

import dccflow.duis.schema_location as schema_location

NS_SR = "http://www.dccinterface.co.uk/ServiceUserGateway"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
SCHEMA_VERSION = "5.4"

SCHEMA_FILE = "duis-5.4.xsd"
ENV_SHARED_DIR = "DCCFLOW_SHARED_DIR"
ENV_SCHEMA_DIR = "DCCFLOW_DUIS_SCHEMA_DIR"

MAX_MESSAGE_BYTES = 4 * 1024 * 1024

__all__ = [
    "MAX_MESSAGE_BYTES",
    "NS_DS",
    "NS_SR",
    "SCHEMA_VERSION",
    "DuisConfigError",
    "DuisError",
    "DuisParseError",
    "DuisSchemaError",
    "duis_schema",
    "schema_dir",
    "schema_document",
    "schema_enumeration",
    "secure_parse",
    "shared_dir",
    "validate",
]


# --------------------------------------------------------------------------------------------- errors


class DuisError(ValueError):
    """Base class for every DUIS message problem (bad input, not a programming error)."""


class DuisParseError(DuisError):
    """The bytes are not an acceptable XML document: malformed, too large, or carrying a DTD/entities."""


class DuisSchemaError(DuisError):
    """The document is well-formed XML but not valid against the DUIS 5.4 schema.

    ``element`` is the local name of the element at fault (e.g. ``"JoinTimePeriod"``), ``path`` the
    lxml path to it when known, ``line`` its source line when known (``None`` for documents built in
    memory), ``problem`` the validator's description and ``errors`` every message from the error log.
    """

    def __init__(
        self,
        message: str,
        *,
        element: str | None,
        line: int | None,
        path: str | None = None,
        problem: str = "",
        errors: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.element = element
        self.line = line
        self.path = path
        self.problem = problem
        self.errors = errors


class DuisConfigError(FileNotFoundError):
    """The shared reference folder or the DUIS schema files cannot be found."""


# ------------------------------------------------------------------------------------------ locations


def shared_dir() -> Path:
    """The shared reference folder (``$DCCFLOW_SHARED_DIR`` or ``<repo>/../shared``)."""
    env = os.environ.get(ENV_SHARED_DIR)
    path = Path(env) if env else _default_shared()
    if not path.is_dir():
        source = f"${ENV_SHARED_DIR}" if env else "the default location beside the repository"
        raise DuisConfigError(
            f"shared reference folder not found: looked in {path} ({source}). "
            f"Set {ENV_SHARED_DIR} to the folder that holds duis/schema and duis/samples."
        )
    return path


def _default_shared() -> Path:
    return Path(__file__).resolve().parents[2].parent / "shared"


def schema_dir() -> Path:
    """The folder holding ``duis-5.4.xsd`` and its imports: ``$DCCFLOW_DUIS_SCHEMA_DIR``, else
    ``$DCCFLOW_SHARED_DIR/duis/schema``, else the folder recorded by ``dccflow setup schema`` in the user's
    config file, else ``<repo>/../shared/duis/schema`` (resolved once per setting)."""
    return _schema_dir(*_lookup_key(_decoded(_raw_environment())))


def _resolved_schema_dir() -> str:
    """``schema_dir()`` resolved, as the key of the loaded-schema caches (no file-system call per message)."""
    return _resolved_from(_raw_environment())


_CONFIG_ENV = (schema_location.ENV_CONFIG_FILE, "XDG_CONFIG_HOME", "HOME")
_LOOKUP_ENV = (ENV_SCHEMA_DIR, ENV_SHARED_DIR, *_CONFIG_ENV)
#: ``os.environ``'s own mapping and its keys for the variables the lookup reads: this runs several times for every
#: message (validation, each ServiceReferenceVariant look-up), and ``os.environ.get`` encodes the name and decodes
#: the value each time. Read as stored, the values are a cache key decoded only when they change.
_ENVIRON_DATA = getattr(os.environ, "_data", None)
_ENVIRON_KEYS = tuple(os.environ.encodekey(name) for name in _LOOKUP_ENV) if _ENVIRON_DATA is not None else ()


def _raw_environment() -> tuple:
    """The lookup's variables as ``os.environ`` stores them (``None`` where unset)."""
    data = _ENVIRON_DATA
    if data is None:  # pragma: no cover - an interpreter without os.environ._data
        return tuple(os.environ.get(name) for name in _LOOKUP_ENV)
    return tuple(data.get(key) for key in _ENVIRON_KEYS)


def _decoded(raw: tuple) -> tuple[str | None, ...]:
    return tuple(None if value is None else value if isinstance(value, str) else os.environ.decodevalue(value)
                 for value in raw)


@functools.lru_cache(maxsize=8)
def _resolved_from(raw: tuple) -> str:
    return _resolved(*_lookup_key(_decoded(raw)))


def _lookup_key(values: tuple[str | None, ...]) -> tuple[str | None, str | None, tuple[str | None, ...] | None]:
    """The environment the lookup depends on (``values``: the variables of ``_LOOKUP_ENV``): the schema and shared
    folders, and the configuration file's variables when neither is set."""
    env, shared_env, *config = values
    return env, shared_env, None if env or shared_env else tuple(config)


@functools.lru_cache(maxsize=8)
def _resolved(env: str | None, shared_env: str | None, config_env: tuple[str | None, ...] | None = None) -> str:
    return str(_schema_dir(env, shared_env, config_env).resolve())


@functools.lru_cache(maxsize=8)
def _schema_dir(env: str | None, shared_env: str | None, config_env: tuple[str | None, ...] | None = None) -> Path:
    files = ", ".join(schema_location.SCHEMA_FILES)
    recorded = None
    config = schema_location.config_file() if config_env is not None else None
    if config and not env and not shared_env:
        try:
            recorded = schema_location.recorded_schema_dir(Path(config))
        except schema_location.ConfigFileError as exc:
            raise DuisConfigError(f"{exc}. Run `dccflow setup schema PATH` to record the schema folder.") from None
    if env:
        path = Path(env)
        source = f"${ENV_SCHEMA_DIR}"
    elif recorded is not None:
        path = recorded
        source = f"recorded in {config} by `dccflow setup schema`"
    else:
        try:
            path = shared_dir() / "duis" / "schema"
        except DuisConfigError as exc:
            if shared_env:
                raise DuisConfigError(f"{exc} Alternatively set {ENV_SCHEMA_DIR} to the schema folder.") from exc
            raise DuisConfigError(
                f"DUIS schema not found: {ENV_SCHEMA_DIR} and {ENV_SHARED_DIR} are not set, no schema folder is "
                f"recorded in {config}, and there is no shared folder beside the checkout ({_default_shared()}). "
                f"Run `dccflow setup schema PATH` with the folder holding {files}, or set {ENV_SCHEMA_DIR} to it."
            ) from exc
        source = f"the shared folder (${ENV_SHARED_DIR} or default)"
    missing = schema_location.missing_schema_files(path)
    if missing:
        raise DuisConfigError(
            f"DUIS schema not found: looked for {path / missing[0]} (from {source}). "
            f"Run `dccflow setup schema PATH` with the folder holding {files}, or set {ENV_SCHEMA_DIR} to it, "
            f"or {ENV_SHARED_DIR} to the shared reference folder."
        )
    return path


# ------------------------------------------------------------------------------------- schema loading


class _LocalOnlyResolver(etree.Resolver):
    """Serves schema imports from the schema folder only; refuses anything remote."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self._root = root.resolve()
        self.refused: list[str] = []

    def resolve(self, system_url, public_id, context):  # noqa: D102 - lxml hook
        if not system_url:
            return None
        parsed = urlparse(system_url)
        candidate = Path(unquote(parsed.path))
        if not candidate.is_absolute():
            candidate = self._root / candidate
        candidate = candidate.resolve()
        local = parsed.scheme in ("", "file") and not parsed.netloc
        if not local or candidate.parent != self._root or not candidate.is_file():
            # Never fall back to libxml2's own loader: refuse (the schema then fails to compile).
            self.refused.append(system_url)
            raise DuisConfigError(f"schema loading refused {system_url!r} (only files in {self._root})")
        return self.resolve_filename(str(candidate), context)


@functools.lru_cache(maxsize=4)
def _load_schema(directory: str) -> tuple[etree.XMLSchema, etree._ElementTree]:
    root = Path(directory)
    resolver = _LocalOnlyResolver(root)
    parser = etree.XMLParser(
        no_network=True, load_dtd=False, dtd_validation=False, resolve_entities=False, huge_tree=False
    )
    parser.resolvers.add(resolver)
    try:
        doc = etree.parse(str(root / SCHEMA_FILE), parser)
        return etree.XMLSchema(doc), doc
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        refused = f"; refused non-local resources: {', '.join(resolver.refused)}" if resolver.refused else ""
        raise DuisConfigError(f"cannot load the DUIS schema from {root}: {exc}{refused}") from exc


def duis_schema() -> etree.XMLSchema:
    """The compiled DUIS 5.4 schema (loaded once per schema folder, never from the network)."""
    return _load_schema(_resolved_schema_dir())[0]


def schema_document() -> etree._ElementTree:
    """The parsed ``duis-5.4.xsd`` document itself (shared; treat as read-only)."""
    return _load_schema(_resolved_schema_dir())[1]


_XS = "{http://www.w3.org/2001/XMLSchema}"


@functools.lru_cache(maxsize=64)
def _enumeration(directory: str, type_name: str) -> tuple[str, ...]:
    doc = _load_schema(directory)[1]
    found = doc.getroot().find(f"{_XS}simpleType[@name='{type_name}']")
    if found is None:
        raise KeyError(f"no simpleType {type_name!r} in {SCHEMA_FILE}")
    return tuple(e.get("value") for e in found.iter(f"{_XS}enumeration"))


def schema_enumeration(type_name: str) -> tuple[str, ...]:
    """Enumerated values of a top-level simple type of the DUIS schema, in schema order.

    e.g. ``schema_enumeration("ServiceReferenceVariant")`` or ``schema_enumeration("ResponseCode")``.
    """
    return _enumeration(_resolved_schema_dir(), type_name)


def in_schema_enumeration(type_name: str, value: str) -> bool:
    """Whether ``value`` is one of ``schema_enumeration(type_name)``, by a set (a request checks two per message)."""
    return value in _enumeration_set(_resolved_schema_dir(), type_name)


@functools.lru_cache(maxsize=64)
def _enumeration_set(directory: str, type_name: str) -> frozenset[str]:
    return frozenset(_enumeration(directory, type_name))


# ------------------------------------------------------------------------------------------- parsing

# A DTD is never legitimate in DUIS. Checking the raw bytes first rejects it before libxml2 reads a
# single declaration; the docinfo check after parsing covers encodings this scan cannot see.
_DOCTYPE_MARKERS = (
    b"<!DOCTYPE",
    "<!DOCTYPE".encode("utf-16-le"),
    "<!DOCTYPE".encode("utf-16-be"),
    b"<!ENTITY",
)


def _secure_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )


def secure_parse(xml: bytes) -> etree._Element:
    """Parse one DUIS message and return its root element.

    Raises :class:`DuisParseError` if the input is larger than :data:`MAX_MESSAGE_BYTES` (checked
    before parsing), is not well-formed, or contains a document type declaration (which is how XXE and
    entity-expansion attacks are mounted; none are expanded, the document is just refused).
    """
    if isinstance(xml, str):
        raise TypeError("secure_parse() takes the message bytes, not str")
    if not isinstance(xml, bytes | bytearray | memoryview):
        raise TypeError(f"secure_parse() takes bytes, got {type(xml).__name__}")
    data = bytes(xml)
    if len(data) > MAX_MESSAGE_BYTES:
        raise DuisParseError(f"message is {len(data)} bytes, more than the {MAX_MESSAGE_BYTES}-byte limit")
    if not data.strip():
        raise DuisParseError("message is empty")
    if any(marker in data for marker in _DOCTYPE_MARKERS):
        raise DuisParseError("document type declarations (DOCTYPE/ENTITY) are not allowed in DUIS messages")
    try:
        root = etree.fromstring(data, _secure_parser())
    except etree.XMLSyntaxError as exc:
        raise DuisParseError(f"malformed XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise DuisParseError("document type declarations (DOCTYPE/ENTITY) are not allowed in DUIS messages")
    return root


# ---------------------------------------------------------------------------------------- validation

_VALIDATE_LOCK = threading.Lock()  # an XMLSchema's error log is per object, so serialise its use
_ELEMENT_RE = re.compile(r"^Element '(?:\{[^}]*\})?(?P<name>[^']+)'(?:, attribute '(?P<attr>[^']+)')?: ")


def _schema_error(entries: list) -> DuisSchemaError:
    messages = tuple(f"line {e.line}: {e.message}" if e.line > 0 else e.message for e in entries)
    first = entries[0]
    match = _ELEMENT_RE.match(first.message)
    element = match.group("name") if match else None
    problem = first.message[match.end() :] if match else first.message
    if match and match.group("attr"):
        problem = f"attribute {match.group('attr')!r}: {problem}"
    line = first.line if first.line and first.line > 0 else None
    path = first.path or None
    where = f"<{element}>" if element else "the document"
    at_line = f" (line {line})" if line else ""
    more = f" [+{len(entries) - 1} more]" if len(entries) > 1 else ""
    text = f"DUIS schema violation at {where}{at_line}: {problem.strip()}{more}"
    return DuisSchemaError(
        text, element=element, line=line, path=path, problem=problem.strip(), errors=messages
    )


def validate(doc: etree._Element | etree._ElementTree) -> None:
    """Validate a DUIS document (root element or tree) against the DUIS 5.4 schema.

    Raises :class:`DuisSchemaError` naming the first element at fault.
    """
    schema = duis_schema()
    with _VALIDATE_LOCK:
        if schema.validate(doc):
            return
        entries = list(schema.error_log)
    if not entries:  # pragma: no cover - libxml2 always logs a reason
        raise DuisSchemaError("DUIS schema violation", element=None, line=None)
    raise _schema_error(entries)
