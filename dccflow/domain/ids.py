"""EUI-64 identifiers and the DUIS RequestID.

* Device IDs and User IDs are EUI-64 Compliant identifiers (SEC H1.5 for User IDs, H4.3 for the DCC's own
  identifiers). DUIS writes them as eight upper- or lower-case hex pairs joined by hyphens (duis-5.4.xsd,
  simple type ``EUI``); we normalise to upper case, e.g. ``00-DB-12-34-56-78-90-A0`` as in the samples.
* A DUIS RequestID is ``originator:target:counter`` (duis-5.4.xsd, simple type ``RequestIDType``): the
  sender's User ID, the target Device ID (or the DCC's ID for Non-Device requests, as in the samples), and
  a counter from 0 to 2**64 - 1 written in decimal without leading zeros.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

EUI64_HEX_DIGITS: Final = 16
#: Largest RequestID counter allowed by the RequestIDType pattern (an unsigned 64-bit integer).
MAX_REQUEST_COUNTER: Final = 2**64 - 1

_HEX = re.compile(r"[0-9A-Fa-f]+")
_COUNTER = re.compile(r"0|[1-9][0-9]*")
_SEPARATORS = ("-", ":", " ")
#: an identifier already in the DUIS form (most are: the check below is then one match)
_CANONICAL = re.compile(r"[0-9A-F]{2}(?:-[0-9A-F]{2}){7}")


class InvalidEui64(ValueError):
    """A value that is not an EUI-64 identifier."""


def normalise_eui64(value: str) -> str:
    """Return ``value`` in the DUIS form ``XX-XX-XX-XX-XX-XX-XX-XX`` (upper-case hex).

    Accepts 16 hex digits with no separators (``00DB1234567890A0``) or eight hex pairs joined by one
    consistent separator: hyphen, colon or space (``00-db-12-...``, ``00:DB:...``). Surrounding whitespace
    is ignored. Raises :class:`InvalidEui64` naming the value and what is wrong with it.
    """
    if not isinstance(value, str):
        raise InvalidEui64(f"EUI-64 must be a string, got {type(value).__name__} {value!r}")
    if _CANONICAL.fullmatch(value):
        return value
    text = value.strip()
    used = {sep for sep in _SEPARATORS if sep in text}
    if len(used) > 1:
        raise InvalidEui64(f"EUI-64 {value!r} mixes separators {sorted(used)}; use one of '-', ':' or ' '")
    if used:
        sep = used.pop()
        groups = text.split(sep)
        if len(groups) != 8 or any(len(g) != 2 for g in groups):
            raise InvalidEui64(
                f"EUI-64 {value!r} must be 8 groups of 2 hex digits separated by {sep!r}, "
                f"got {len(groups)} group(s) of lengths {[len(g) for g in groups]}"
            )
        digits = "".join(groups)
    else:
        digits = text
        if len(digits) != EUI64_HEX_DIGITS:
            raise InvalidEui64(f"EUI-64 {value!r} must have 16 hex digits, got {len(digits)}")
    if not _HEX.fullmatch(digits):
        bad = sorted({c for c in digits if c not in "0123456789abcdefABCDEF"})
        raise InvalidEui64(f"EUI-64 {value!r} contains non-hex character(s) {bad}")
    upper = digits.upper()
    return "-".join(upper[i : i + 2] for i in range(0, EUI64_HEX_DIGITS, 2))


def eui64_key(value: str) -> str:
    """The form an identifier is compared and stored in: :func:`normalise_eui64` of an EUI-64 (so
    ``00-db-…``, `` 00-DB-… `` and ``00DB…`` are one Device), anything else unchanged (it then matches
    nothing that is an EUI-64)."""
    try:
        return normalise_eui64(value)
    except InvalidEui64:
        return value


def is_eui64(value: str) -> bool:
    """True if :func:`normalise_eui64` accepts ``value``."""
    try:
        normalise_eui64(value)
    except InvalidEui64:
        return False
    return True


#: An EUI-64 string field for pydantic models; validated and normalised to the DUIS form.
Eui64 = Annotated[str, AfterValidator(normalise_eui64)]


class InvalidRequestId(ValueError):
    """A value that is not a DUIS RequestID."""


class RequestId(BaseModel):
    """A DUIS RequestID ``originator:target:counter`` (duis-5.4.xsd ``RequestIDType``).

    ``str(request_id)`` gives the DUIS form. A model field typed ``RequestId`` also accepts the DUIS string.
    """

    model_config = ConfigDict(frozen=True)

    originator: Eui64
    target: Eui64
    counter: int = Field(strict=True, ge=0, le=MAX_REQUEST_COUNTER)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        if isinstance(data, str):
            return cls._split(data)
        return data

    def __str__(self) -> str:
        return f"{self.originator}:{self.target}:{self.counter}"

    @property
    def duis(self) -> str:
        """The DUIS form, same as ``str(self)``."""
        return str(self)

    def with_counter(self, counter: int) -> RequestId:
        """A copy with another counter (validated)."""
        return RequestId(originator=self.originator, target=self.target, counter=counter)

    @classmethod
    def parse(cls, s: str) -> RequestId:
        """Parse ``originator:target:counter``; raise :class:`InvalidRequestId` saying which part is bad.

        The two EUI-64s may be in any form :func:`normalise_eui64` accepts, except colon-separated pairs
        mixed with other forms; the counter must be decimal without leading zeros, 0 to 2**64 - 1.
        """
        return cls(**cls._split(s))

    @staticmethod
    def _split(s: str) -> dict[str, Any]:
        if not isinstance(s, str):
            raise InvalidRequestId(f"RequestID must be a string, got {type(s).__name__} {s!r}")
        text = s.strip()
        parts = text.split(":")
        if len(parts) == 3:
            originator, target, counter = parts
        elif len(parts) == 17:  # both EUI-64s written with colons
            originator, target, counter = ":".join(parts[:8]), ":".join(parts[8:16]), parts[16]
        else:
            raise InvalidRequestId(
                f"RequestID {s!r} must have the form 'originator:target:counter' "
                f"(two EUI-64s and a counter), found {len(parts)} ':'-separated part(s)"
            )
        ids: dict[str, str] = {}
        for name, raw in (("originator", originator), ("target", target)):
            try:
                ids[name] = normalise_eui64(raw)
            except InvalidEui64 as exc:
                raise InvalidRequestId(f"RequestID {s!r}: bad {name}: {exc}") from None
        if not _COUNTER.fullmatch(counter):
            raise InvalidRequestId(
                f"RequestID {s!r}: counter {counter!r} must be a decimal integer "
                "without sign or leading zeros"
            )
        value = int(counter)
        if value > MAX_REQUEST_COUNTER:
            raise InvalidRequestId(
                f"RequestID {s!r}: counter {value} exceeds 2**64 - 1 ({MAX_REQUEST_COUNTER})"
            )
        return {"originator": ids["originator"], "target": ids["target"], "counter": value}
