"""MPAN cores and MPRNs: validation and generation.

The SEC and DUIS only constrain the shape: DUIS ``MPAN`` is a 13-character string and ``MPRN`` a string of 1
to 10 characters (duis-5.4.xsd). The check-digit rules are industry rules outside the reference texts:

* MPAN core (13 digits): digits 1-2 are the Distributor ID, digits 3-12 a unique reference, digit 13 a check
  digit: multiply the first 12 digits by 3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43 (the primes from 3,
  skipping 11), add, then take the sum mod 11 and that mod 10. Source: the MRA / MPAS rule as documented
  in the widely copied MPAN check-digit implementations (formerly on Wikipedia's MPAN page); checked here
  against cores that appear in public industry sample data: 1200023305967 and 2200031930792 (a sample
  D0010 meter-reading flow) and 1312345678907 (the example of the open-source ``mpan`` library).
* MPRN: the last two digits are check digits. Weight the preceding digits n, n-1, ..., 1 from the left
  (n = number of preceding digits), add, take mod 11 and write the result as two digits (00-10). Source:
  the Xoserve rule as described on the 'Meter Point Reference Number' encyclopaedia page, whose example
  3938424403 this rule reproduces. We accept 6 to 10 digits (DUIS allows at most 10).

Validators take ``check_digits=False`` to check only the shape; the DUIS samples use test numbers such
as MPAN '1312345678111' and MPRN '1234567890', whose check digits are not valid.

Distributor IDs (first two digits of the MPAN core): 10-23 are the 14 GB distribution licence areas of
the DNOs (``DNO_AREAS``). Independent distribution network operators (IDNOs) are numbered upwards from 24
(24-36 are in public lists; new licensees get new numbers). The reference texts list none of them, so any
ID from 10 to 99 is accepted and 00-09 are rejected. Generators should use ``DNO_AREAS`` IDs.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

MPAN_PRIMES: Final = (3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43)
MPAN_CORE_LENGTH: Final = 13
MPRN_MIN_LENGTH: Final = 6
MPRN_MAX_LENGTH: Final = 10

#: The 14 GB DNO licence areas, by Distributor ID.
DNO_AREAS: Mapping[str, str] = MappingProxyType(
    {
        "10": "Eastern England",
        "11": "East Midlands",
        "12": "London",
        "13": "Merseyside and North Wales",
        "14": "West Midlands",
        "15": "North Eastern England",
        "16": "North Western England",
        "17": "North Scotland",
        "18": "South Scotland",
        "19": "South Eastern England",
        "20": "Southern England",
        "21": "South Wales",
        "22": "South Western England",
        "23": "Yorkshire",
    }
)
#: Every Distributor ID the validators accept (see the module docstring).
VALID_DISTRIBUTOR_IDS: frozenset[str] = frozenset(f"{i:02d}" for i in range(10, 100))


class InvalidMpxn(ValueError):
    """An MPAN or MPRN that is malformed or fails its check digits."""


def _digits(kind: str, value: str, lengths: range | tuple[int, ...]) -> str:
    if not isinstance(value, str):
        raise InvalidMpxn(f"{kind} must be a string of digits, got {type(value).__name__} {value!r}")
    text = value.strip()
    if not text.isascii() or not text.isdigit():
        raise InvalidMpxn(f"{kind} {value!r} must contain digits only")
    if len(text) not in lengths:
        expected = f"{lengths[0]}" if len(lengths) == 1 else f"{lengths[0]} to {lengths[-1]}"
        raise InvalidMpxn(f"{kind} {value!r} has {len(text)} digits; expected {expected}")
    return text


def mpan_check_digit(first12: str) -> int:
    """The check digit for the first 12 digits of an MPAN core."""
    digits = _digits("MPAN core without check digit", first12, (12,))
    return sum(int(d) * p for d, p in zip(digits, MPAN_PRIMES, strict=True)) % 11 % 10


def _check_distributor(kind: str, value: str, digits: str) -> None:
    if digits[:2] not in VALID_DISTRIBUTOR_IDS:
        raise InvalidMpxn(f"{kind} {value!r} has Distributor ID {digits[:2]!r}; expected 10 to 99")


def validate_mpan(value: str, *, check_digits: bool = True) -> str:
    """Return the 13-digit MPAN core ``value`` (whitespace stripped) or raise :class:`InvalidMpxn`."""
    digits = _digits("MPAN", value, (MPAN_CORE_LENGTH,))
    _check_distributor("MPAN", value, digits)
    if check_digits:
        expected = mpan_check_digit(digits[:12])
        if int(digits[12]) != expected:
            raise InvalidMpxn(f"MPAN {value!r} has check digit {digits[12]}, expected {expected}")
    return digits


def make_mpan(first12: str) -> str:
    """Append the check digit to the first 12 digits of an MPAN core (Distributor ID must be 10-99)."""
    digits = _digits("MPAN core without check digit", first12, (12,))
    _check_distributor("MPAN core without check digit", first12, digits)
    return digits + str(mpan_check_digit(digits))


def distributor_id(mpan: str) -> str:
    """The Distributor ID (first two digits) of an MPAN core; the MPAN is validated first."""
    return validate_mpan(mpan)[:2]


def mprn_check_digits(base: str) -> str:
    """The two check digits for the MPRN digits that precede them."""
    digits = _digits("MPRN without check digits", base, range(MPRN_MIN_LENGTH - 2, MPRN_MAX_LENGTH - 1))
    n = len(digits)
    return f"{sum(int(d) * (n - i) for i, d in enumerate(digits)) % 11:02d}"


def validate_mprn(value: str, *, check_digits: bool = True) -> str:
    """Return the MPRN ``value`` (6-10 digits, whitespace stripped) or raise :class:`InvalidMpxn`."""
    digits = _digits("MPRN", value, range(MPRN_MIN_LENGTH, MPRN_MAX_LENGTH + 1))
    if check_digits:
        expected = mprn_check_digits(digits[:-2])
        if digits[-2:] != expected:
            raise InvalidMpxn(f"MPRN {value!r} has check digits {digits[-2:]}, expected {expected}")
    return digits


def make_mprn(base: str) -> str:
    """Append the two check digits to ``base`` (4 to 8 digits) to make a valid MPRN."""
    return base.strip() + mprn_check_digits(base)
