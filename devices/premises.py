"""Deterministic premises for scenarios and fleets: device EUI-64s, MPANs and install codes derived from a
premises number, so the same number always gives the same premises.

Numbers: scenarios number their premises from 1; a fleet built with seed S uses the block of 2**20 numbers
starting at ``seed_block_start(S)`` (S mod 4095 picks the block), so fleets of different seeds and scenario
premises can share one database without clashing, and the same seed always gives the same ids."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel

from dccflow.domain.mpxn import make_mprn, mpan_check_digit

#: second-to-fourth octet of simulated device ids, then one octet for the device type
MANUFACTURER_PREFIX = "00-DB-12"
TYPE_OCTET = {"CHF": 0x01, "GPF": 0x02, "ESME": 0x03, "GSME": 0x04, "PPMID": 0x05, "IHD": 0x06,
              "HCALCS": 0x07, "CAD": 0x08}
DISTRIBUTOR_ID = "13"
#: premises numbers per seed block
BLOCK_SIZE = 2**20


def seed_block_start(seed: int) -> int:
    """The first premises number of the block a fleet built with ``seed`` uses (never block 0: scenarios')."""
    return (seed % 4095 + 1) * BLOCK_SIZE


def _octets(number: int) -> str:
    """The premises number's four octets of a device id (``00-20-00-05``)."""
    if not 0 <= number < 2**32:
        raise ValueError(f"premises number {number} out of range")
    return "{:02X}-{:02X}-{:02X}-{:02X}".format(*number.to_bytes(4, "big"))


def device_id(device_type: str, number: int) -> str:
    return f"{MANUFACTURER_PREFIX}-{TYPE_OCTET[device_type]:02X}-{_octets(number)}"


def install_code(device: str) -> str:
    """A 16-octet install code (hex), fixed per device, as printed on a device at manufacture."""
    return hashlib.sha256(f"install-code:{device}".encode()).hexdigest()[:32].upper()


class PremisesIds(BaseModel):
    number: int
    premises_id: str
    chf_id: str
    gpf_id: str
    esme_id: str
    gsme_id: str
    mpan: str
    mprn: str
    ppmid_id: str = ""
    ihd_id: str = ""
    hcalcs_id: str = ""
    cad_id: str = ""


_ID_FIELDS = (("CHF", "chf_id"), ("GPF", "gpf_id"), ("ESME", "esme_id"), ("GSME", "gsme_id"),
              ("PPMID", "ppmid_id"), ("IHD", "ihd_id"), ("HCALCS", "hcalcs_id"), ("CAD", "cad_id"))
_TYPE_PREFIX = {field: f"{MANUFACTURER_PREFIX}-{TYPE_OCTET[dtype]:02X}-" for dtype, field in _ID_FIELDS}


def premises_values(number: int) -> dict[str, Any]:
    """``premises_ids`` as a dict of its fields (the fleet builder's hot path: no model per premises)."""
    octets = _octets(number)
    first12 = f"{DISTRIBUTOR_ID}{number:010d}"  # a valid Distributor ID: make_mpan's checks hold
    values: dict[str, Any] = {field: prefix + octets for field, prefix in _TYPE_PREFIX.items()}
    values.update(number=number, premises_id=f"P{number:08d}", mpan=first12 + str(mpan_check_digit(first12)),
                  mprn=make_mprn(f"{number % 10**8:08d}"))
    return values


def premises_ids(number: int) -> PremisesIds:
    return PremisesIds.model_construct(**premises_values(number))
