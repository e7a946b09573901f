"""Build a fleet: N premises, each with a Communications Hub (CHF and GPF) and an ESME (with ``dual_fuel`` a
GSME too; optionally a PPMID and an IHD), their MPxNs and Registration Data, devices pre-notified on the SMI
('pending', BAD 7.2.1.6.1; SEC AC 2.4/2.6) and trust anchor cells populated as BAD 7.2.1.5 Table 4 requires.

Deterministic for a seed: premises numbers come from the seed's block (``premises.seed_block_start``), ids,
MPxNs and install codes from the premises number, and every random choice (which Supplier, Dual Band CHs,
fleet-wide fault rates) from a hash of the seed and the device or premises id.

Fast: rows are made as plain dicts and written with SQLAlchemy Core ``executemany`` in chunks, one
transaction per chunk; cells reference shared certificates by SMKI Repository id (``devices.anchors``) and
device key pairs are generated on first need (``devices.keys``), so building needs no cryptography at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import UserRole
from dccflow.domain.smi import INITIAL_STATUS, SmiStatus
from dccflow.parties import ELECTRICITY_DISTRIBUTOR, GAS_TRANSPORTER, SUPPLIER, SUPPLIER_B, Party
from dccsim.models import RegistrationData, SmiDevice, SmiStatusChange
from dccsim.smki import PKI_EPOCH
from devices.anchors import AnchorIds
from devices.faults import check_fault, selected
from devices.hub import DEFAULT_SUB_GHZ
from devices.models import DeviceState, default_row
from devices.premises import BLOCK_SIZE, install_code, premises_ids, seed_block_start

_D = DeviceType
CHUNK = 10_000


class FleetSpec(BaseModel):
    sms: int = Field(ge=1, le=BLOCK_SIZE)
    dual_fuel: bool = False
    seed: int = 1
    ppmid: bool = False
    ihd: bool = False
    hcalcs: bool = False
    cad: bool = False
    #: a single-fuel gas premises: CH (on a hot-shoe), GPF and GSME, no ESME and no MPAN (BAD 7.2.1.6.4)
    gas_only: bool = False
    #: whose Organisation Certificate the procurer put in the Supplier cell, by Device Type (BAD 7.2.1.5 Table 4):
    #: "DCC" (a DCC Access Control Broker certificate, option (b)) or a User ID (option (c), or another MPID of
    #: the Supplier, BAD 7.2.1.6.9); absent: the procuring Supplier's own (option (a))
    supplier_cells: dict[str, str] = Field(default_factory=dict)
    #: put Type 2 Devices (IHD, CAD) on the SMI without an SMI Status, as pre-notified (AC 2.9; BAD 7.2.1.6.1)
    prenotify_type2: bool = False
    #: share of CHs that are Dual Band (BAD 7.5.8), drawn per premises from the seed
    dual_band_share: float = Field(default=0.0, ge=0, le=1)
    #: share of premises supplied by Supplier B instead of Supplier A
    supplier_b_share: float = Field(default=0.0, ge=0, le=1)
    #: fleet-wide faults: (name, parameter, share of the devices the fault applies to)
    faults: list[tuple[str, Any, float]] = Field(default_factory=list)
    #: first premises number (default: the seed's block)
    first_number: int | None = None
    #: the SMS are already in service: fitted, the CH on the SM WAN, the HAN joined and the Type 1 Devices
    #: 'commissioned' on the SMI, linked to their MPxNs (a Supplier's installed estate, e.g. for BAD 7.7.2 campaigns).
    #: Their SMI status history (and so the DCC's post-commissioning duties, SEC AC 5) predates the run: not written
    in_service: bool = False

    @property
    def start(self) -> int:
        return self.first_number if self.first_number is not None else seed_block_start(self.seed)


class BuildReport(BaseModel):
    premises: int
    devices: int
    first_number: int
    last_number: int
    seconds: float


class FleetExists(ValueError):
    pass


def _devices_of(spec: FleetSpec, ids) -> list[tuple[DeviceType, str]]:
    devices = [(_D.CHF, ids.chf_id), (_D.GPF, ids.gpf_id)]
    if not spec.gas_only:
        devices.append((_D.ESME, ids.esme_id))
    if spec.dual_fuel or spec.gas_only:
        devices.append((_D.GSME, ids.gsme_id))
    for wanted, dtype, dev in ((spec.ppmid, _D.PPMID, ids.ppmid_id), (spec.ihd, _D.IHD, ids.ihd_id),
                               (spec.hcalcs, _D.HCALCS, ids.hcalcs_id), (spec.cad, _D.CAD, ids.cad_id)):
        if wanted:
            devices.append((dtype, dev))
    return devices


class _Rows:
    """The rows of one premises, built from shared, precomputed parts."""

    def __init__(self, spec: FleetSpec, anchors: AnchorIds, at: datetime):
        self.spec, self.at = spec, at
        self._cells: dict[tuple[DeviceType, str], dict] = {}
        self.anchors = anchors
        self.faults = [(check_fault(name), param, share) for name, param, share in spec.faults]

    def cells(self, dtype: DeviceType, supplier: Party) -> dict:
        key = (dtype, supplier.key)
        if key not in self._cells:
            fuel_role = UserRole.GAS_SUPPLIER if dtype == _D.GSME else UserRole.IMPORT_SUPPLIER
            holder = self.spec.supplier_cells.get(dtype.value)
            supplier_id = None if holder == "DCC" else holder or supplier.user_ids[fuel_role]
            self._cells[key] = self.anchors.manufacture(
                dtype, supplier_id=supplier_id,
                network_operator_id=ELECTRICITY_DISTRIBUTOR.user_ids[UserRole.ELECTRICITY_DISTRIBUTOR]
                if dtype == _D.ESME else None)
        return self._cells[key]

    def premises(self, number: int, supplier: Party | None = None):
        spec, at = self.spec, self.at
        ids = premises_ids(number)
        if supplier is None:
            supplier = SUPPLIER_B if selected(spec.seed, "supplier-b", ids.premises_id, spec.supplier_b_share) \
                else SUPPLIER
        dual_band = selected(spec.seed, "dual-band", ids.premises_id, spec.dual_band_share)
        devices, smi, changes = [], [], []
        for dtype, dev in _devices_of(spec, ids):
            faults = {f.name: param for f, param, share in self.faults
                      if dtype.value in f.applies_to and selected(spec.seed, f.name, dev, share)}
            chf = None if dtype == _D.CHF else ids.chf_id
            row = default_row(device_id=dev, device_type=dtype.value, premises_id=ids.premises_id, chf_id=chf,
                              install_code=install_code(dev), anchors=self.cells(dtype, supplier), faults=faults)
            if dtype == _D.CHF and dual_band:
                row.update(dual_band=True, sub_ghz=DEFAULT_SUB_GHZ)
            status, mpxn = INITIAL_STATUS[dtype], None
            if spec.in_service:
                mpxn = {_D.ESME: ids.mpan, _D.GSME: ids.mprn, _D.GPF: ids.mprn}.get(dtype)
                row.update(installed=True, wan_connected=dtype == _D.CHF, han_joined=dtype != _D.CHF,
                           mpxn=mpxn if dtype != _D.GPF else None)
                status = SmiStatus.COMMISSIONED if status is not None else None
            devices.append(row)
            # Type 2 Devices have no SMI Status (AC 2.9); a fleet does not pre-notify them, scenario premises do
            if status is not None or spec.prenotify_type2:
                smi.append({"device_id": dev, "device_type": dtype.value,
                            "smi_status": status.value if status is not None else None,
                            "chf_id": chf, "associated_with": None, "mpxn": mpxn, "ch_install_state": None,
                            "status_changed_at": at})
                if status is not None and not spec.in_service:  # in service: its history predates the run
                    changes.append({"device_id": dev, "from_status": None, "to_status": status.value, "at": at,
                                    "reason": "pre-notified (fleet build; BAD 7.1.1.6.2)"})
        registrations = [] if spec.gas_only else [
            {"mpxn": ids.mpan, "fuel": "electricity", "supplier_id": supplier.user_ids[UserRole.IMPORT_SUPPLIER],
             "network_operator_id": ELECTRICITY_DISTRIBUTOR.user_ids[UserRole.ELECTRICITY_DISTRIBUTOR],
             "effective_from": PKI_EPOCH}]
        if spec.dual_fuel or spec.gas_only:
            registrations.append({"mpxn": ids.mprn, "fuel": "gas",
                                  "supplier_id": supplier.user_ids[UserRole.GAS_SUPPLIER],
                                  "network_operator_id": GAS_TRANSPORTER.user_ids[UserRole.GAS_TRANSPORTER],
                                  "effective_from": PKI_EPOCH})
        return ids, devices, smi, changes, registrations


def _chunks(start: int, count: int, size: int) -> Iterator[range]:
    for first in range(start, start + count, size):
        yield range(first, min(first + size, start + count))


def _write(engine: Engine, devices: list, smi: list, changes: list, registrations: list) -> None:
    with engine.begin() as conn:
        conn.execute(insert(DeviceState.__table__), devices)
        if smi:
            conn.execute(insert(SmiDevice.__table__), smi)
        if changes:
            conn.execute(insert(SmiStatusChange.__table__), changes)
        conn.execute(insert(RegistrationData.__table__), registrations)


def build_fleet(engine: Engine, spec: FleetSpec, at: datetime,
                on_progress: Callable[[int], None] | None = None) -> BuildReport:
    """Create ``spec.sms`` premises. Raises ``FleetExists`` if any of their devices already exists."""
    began = time.perf_counter()
    rows = _Rows(spec, AnchorIds(engine), at)
    table = DeviceState.__table__
    first = premises_ids(spec.start).chf_id
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(table).where(table.c.device_id == first)).scalar():
            raise FleetExists(f"premises {spec.start} (CHF {first}) already exists: seed {spec.seed}'s block "
                              "is in use in this database")
    total = 0
    for numbers in _chunks(spec.start, spec.sms, CHUNK):
        devices, smi, changes, registrations = [], [], [], []
        for number in numbers:
            _, d, s, c, r = rows.premises(number)
            devices += d
            smi += s
            changes += c
            registrations += r
        try:
            _write(engine, devices, smi, changes, registrations)
        except IntegrityError as exc:
            raise FleetExists(f"premises {numbers.start}-{numbers.stop - 1} clash with existing devices") from exc
        total += len(devices)
        if on_progress is not None:
            on_progress(len(numbers))
    return BuildReport(premises=spec.sms, devices=total, first_number=spec.start,
                       last_number=spec.start + spec.sms - 1, seconds=time.perf_counter() - began)


def build_premises(engine: Engine, number: int, at: datetime, *, supplier: Party = SUPPLIER,
                   dual_fuel: bool = False, ppmid: bool = False, ihd: bool = False, hcalcs: bool = False,
                   cad: bool = False, gas_only: bool = False, supplier_cells: dict[str, str] | None = None):
    """One premises with a given number (scenarios): returns its ``PremisesIds``. Its Type 2 Devices are on the
    SMI without a status, as pre-notified before the install (BAD 7.2.1.6.1; AC 2.9). ``gas_only``: no ESME
    (the CH on a hot-shoe); ``supplier_cells``: what the Supplier cells hold (``FleetSpec.supplier_cells``)."""
    spec = FleetSpec(sms=1, dual_fuel=dual_fuel, ppmid=ppmid, ihd=ihd, hcalcs=hcalcs, cad=cad, gas_only=gas_only,
                     supplier_cells=supplier_cells or {}, prenotify_type2=True, first_number=number)
    ids, devices, smi, changes, registrations = _Rows(spec, AnchorIds(engine), at).premises(number, supplier)
    _write(engine, devices, smi, changes, registrations)
    return ids
