"""Build a fleet: N premises, each with a Communications Hub (CHF and GPF) and an ESME (with ``dual_fuel`` a
GSME too; optionally a PPMID and an IHD), their MPxNs and Registration Data, devices pre-notified on the SMI
('pending', BAD 7.2.1.6.1; SEC AC 2.4/2.6) and trust anchor cells populated as BAD 7.2.1.5 Table 4 requires.

Deterministic for a seed: premises numbers come from the seed's block (``premises.seed_block_start``), ids,
MPxNs and install codes from the premises number, and every random choice (which Supplier, Dual Band CHs,
fleet-wide fault rates) from a hash of the seed and the device or premises id.

Fast: building needs no cryptography at all: cells reference shared certificates by SMKI Repository id
(``devices.anchors``) and device key pairs (each device its own, from ``new_private_key``) are generated on
first need (``devices.keys``), as before. What a premises' devices share (Device Type, cells, SMI status,
which faults may apply) is worked out once per Supplier (``_Rows.plan``). On SQLite a ``RowMaker``
(``devices.fleet_rows``) makes, per device, only the columns that vary, converted already, into a scratch file
per chunk (``devices.fleet_stream``: for a large fleet in a second process, so that making rows and writing them
overlap on 2 cores), and each chunk is copied into the fleet's tables with one ``INSERT ... SELECT`` per table
(SQLite's C code; no parameter bound per row in this process). Elsewhere (and with ``raw=False``, the reference
path) ``_Rows.add`` makes the rows and ``devices.bulk`` writes them (Core ``executemany`` of dicts off SQLite).
Rows are streamed ``CHUNK`` premises per transaction, so memory does not grow with the fleet.

Durability (SQLite): the engine's WAL journal with ``synchronous=NORMAL`` is kept for the chunks (each commit
atomic; a crash loses at most the last chunks, never corrupts), and the last chunk is committed with
``synchronous=FULL``, so the whole fleet is on disk when ``build_fleet`` returns. The scratch files are not
journalled (``journal_mode=OFF``): they are thrown away, and a chunk is only in the fleet once its copy commits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import closing, nullcontext
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import IntegrityError

from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import UserRole
from dccflow.domain.smi import INITIAL_STATUS, SmiStatus
from dccflow.parties import ELECTRICITY_DISTRIBUTOR, GAS_TRANSPORTER, SUPPLIER, SUPPLIER_B, Party
from dccsim.models import RegistrationData, SmiDevice, SmiStatusChange
from dccsim.smki import PKI_EPOCH
from devices.anchors import AnchorIds
from devices.bulk import BulkTable
from devices.faults import check_fault, selected
from devices.fleet_rows import Plan, PlannedDevice, RowMaker, TooManyFaults, copy_sources
from devices.fleet_sqlite import WAL_RESTART_EVERY, attached, build_session, durable_commit
from devices.fleet_stream import SCHEMA, Shard, chunks, stream
from devices.hub import DEFAULT_SUB_GHZ
from devices.models import DeviceState, default_row
from devices.premises import BLOCK_SIZE, PremisesIds, install_code, premises_ids, premises_values, seed_block_start

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
    #: of ``seconds``, how long the writer waited for rows (made in its own process or in a second one)
    waiting: float = 0.0
    #: CPU time of the thread that checkpointed the WAL meanwhile (``devices.wal_checkpoint``), in this process
    checkpoint_cpu: float = 0.0


class FleetExists(ValueError):
    pass


def _devices_of(spec: FleetSpec) -> list[tuple[DeviceType, str]]:
    """The premises' devices: their Device Types and which ``PremisesIds`` field holds each one's id."""
    devices = [(_D.CHF, "chf_id"), (_D.GPF, "gpf_id")]
    if not spec.gas_only:
        devices.append((_D.ESME, "esme_id"))
    if spec.dual_fuel or spec.gas_only:
        devices.append((_D.GSME, "gsme_id"))
    for wanted, dtype, field in ((spec.ppmid, _D.PPMID, "ppmid_id"), (spec.ihd, _D.IHD, "ihd_id"),
                                 (spec.hcalcs, _D.HCALCS, "hcalcs_id"), (spec.cad, _D.CAD, "cad_id")):
        if wanted:
            devices.append((dtype, field))
    return devices


#: what one device of a premises gets, the same at every premises of a Supplier (``_Rows.plan``)
_Device = PlannedDevice


#: the tables a fleet writes, each row a tuple of the columns that vary (``devices.bulk``)
DEVICES = BulkTable(DeviceState.__table__, ("device_id", "device_type", "premises_id", "chf_id", "install_code",
                                            "installed", "wan_connected", "han_joined", "mpxn", "dual_band",
                                            "sub_ghz", "faults", "anchors"), default_row())
SMI = BulkTable(SmiDevice.__table__, ("device_id", "device_type", "smi_status", "chf_id", "mpxn"),
                {"associated_with": None, "ch_install_state": None})
CHANGES = BulkTable(SmiStatusChange.__table__, ("device_id", "to_status"),
                    {"from_status": None, "reason": "pre-notified (fleet build; BAD 7.1.1.6.2)"})
REGISTRATIONS = BulkTable(RegistrationData.__table__, ("mpxn", "fuel", "supplier_id", "network_operator_id"),
                          {"effective_from": PKI_EPOCH})


class _Rows:
    """The rows of one premises, built from shared, precomputed parts."""

    def __init__(self, spec: FleetSpec, anchors: AnchorIds, at: datetime):
        self.spec, self.at = spec, at
        self._cells: dict[tuple[DeviceType, str], dict] = {}
        self.anchors = anchors
        self.faults = [(check_fault(name), param, share) for name, param, share in spec.faults]
        self._registrations: dict[str, tuple[tuple[str, str, str], ...]] = {}
        self._plans: dict[tuple[str, bool], tuple[_Device, ...]] = {}
        #: where the rows go (``add``'s tuples), the build's time a constant of the statements
        self.tables = (DEVICES, SMI.with_constants(status_changed_at=at), CHANGES.with_constants(at=at), REGISTRATIONS)

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

    def _registration_parties(self, supplier: Party) -> tuple[tuple[str, str, str], ...]:
        """(fuel, Supplier, Network Operator) of the premises' Registration Data, per Supplier."""
        if supplier.key not in self._registrations:
            spec, parties = self.spec, []
            if not spec.gas_only:
                parties.append(("electricity", supplier.user_ids[UserRole.IMPORT_SUPPLIER],
                                ELECTRICITY_DISTRIBUTOR.user_ids[UserRole.ELECTRICITY_DISTRIBUTOR]))
            if spec.dual_fuel or spec.gas_only:
                parties.append(("gas", supplier.user_ids[UserRole.GAS_SUPPLIER],
                                GAS_TRANSPORTER.user_ids[UserRole.GAS_TRANSPORTER]))
            self._registrations[supplier.key] = tuple(parties)
        return self._registrations[supplier.key]

    def plan(self, supplier: Party, dual_band: bool) -> tuple[_Device, ...]:
        """The devices of a premises of ``supplier`` (made once, reused for every such premises)."""
        key = (supplier.key, dual_band)
        if key not in self._plans:
            spec, plan = self.spec, []
            for dtype, field in _devices_of(spec):
                status = INITIAL_STATUS[dtype]
                mpxn = None
                if spec.in_service:
                    mpxn = {_D.ESME: "mpan", _D.GSME: "mprn", _D.GPF: "mprn"}.get(dtype)
                    status = SmiStatus.COMMISSIONED if status is not None else None
                is_chf = dtype == _D.CHF
                plan.append(_Device(
                    field=field, dtype=dtype.value, is_chf=is_chf, band=is_chf and dual_band,
                    installed=spec.in_service, wan_connected=spec.in_service and is_chf,
                    han_joined=spec.in_service and not is_chf, state_mpxn=mpxn if dtype != _D.GPF else None,
                    cells=self.cells(dtype, supplier),
                    # Type 2 Devices have no SMI Status (AC 2.9); a fleet does not pre-notify them, scenario premises do
                    on_smi=status is not None or spec.prenotify_type2,
                    smi_status=status.value if status is not None else None, smi_mpxn=mpxn,
                    history=status is not None and not spec.in_service,  # in service: its history predates the run
                    faults=tuple(f for f in self.faults if dtype.value in f[0].applies_to)))
            self._plans[key] = tuple(plan)
        return self._plans[key]

    def row_maker(self, dialect: Dialect) -> tuple[RowMaker, tuple[tuple[str, tuple], ...]]:
        """The ``RowMaker`` of this fleet's premises (every Supplier and Dual Band choice its shares allow) and
        the statements that copy a ``Shard``'s rows into the fleet's tables (``INSERT ... SELECT``, one a table)."""
        spec, converters, copies = self.spec, {}, []
        sources = copy_sources(SCHEMA)
        for table in self.tables:
            name = table.table.name
            columns, select, source = sources[name]
            fast = table.reordered(columns)
            converters[name] = dict(zip(fast.columns, fast.processors(dialect), strict=True))
            copies.append(fast.statement(dialect, select, source))
        plans = {(b, band): Plan(self.plan(SUPPLIER_B if b else SUPPLIER, band),
                                 self._registration_parties(SUPPLIER_B if b else SUPPLIER))
                 for b in ((False, True) if spec.supplier_b_share > 0 else (False,))
                 for band in ((False, True) if spec.dual_band_share > 0 else (False,))}
        return RowMaker(spec.seed, spec.supplier_b_share, spec.dual_band_share, plans, converters), tuple(copies)

    def add(self, number: int, tables: tuple[list, list, list, list], supplier: Party | None = None,
            ids: PremisesIds | None = None) -> None:
        """Append the premises' rows to ``tables`` (tuples of ``self.tables``). ``ids``: the premises'
        ``PremisesIds`` when not the number's own (e.g. the ZAZ1 profile's fixed ids)."""
        spec = self.spec
        devices, smi, changes, registrations = tables
        values = dict(ids) if ids is not None else premises_values(number)
        premises_id, chf_id = values["premises_id"], values["chf_id"]
        if supplier is None:
            supplier = SUPPLIER_B if selected(spec.seed, "supplier-b", premises_id, spec.supplier_b_share) \
                else SUPPLIER
        dual_band = selected(spec.seed, "dual-band", premises_id, spec.dual_band_share)
        for d in self.plan(supplier, dual_band):
            dev = values[d.field]
            chf = None if d.is_chf else chf_id
            faults = {f.name: param for f, param, share in d.faults if selected(spec.seed, f.name, dev, share)} \
                if d.faults else {}
            devices.append((dev, d.dtype, premises_id, chf, install_code(dev), d.installed, d.wan_connected,
                            d.han_joined, values[d.state_mpxn] if d.state_mpxn else None, d.band,
                            DEFAULT_SUB_GHZ if d.band else {}, faults, d.cells))
            if d.on_smi:
                smi.append((dev, d.dtype, d.smi_status, chf, values[d.smi_mpxn] if d.smi_mpxn else None))
                if d.history:
                    changes.append((dev, d.smi_status))
        for fuel, supplier_id, operator in self._registration_parties(supplier):
            registrations.append((values["mpan" if fuel == "electricity" else "mprn"], fuel, supplier_id, operator))

    def premises(self, number: int, supplier: Party | None = None, ids=None):
        """The premises' ``PremisesIds`` and its rows as the dicts a Core ``insert`` takes (every column)."""
        tables: tuple[list, list, list, list] = ([], [], [], [])
        ids = ids or premises_ids(number)
        self.add(number, tables, supplier, ids)
        return ids, *([table.as_dict(r) for r in rows] for table, rows in zip(self.tables, tables, strict=True))


def _write(conn: Connection, rows: _Rows, tables, raw: bool = True) -> None:
    for table, table_rows in zip(rows.tables, tables, strict=True):
        table.write(conn, table_rows, raw=raw)


def _write_chunk(conn: Connection, rows: _Rows, tables: tuple | Shard, copies: tuple[tuple[str, tuple], ...], *,
                 last: bool, raw: bool) -> int:
    """One chunk in one transaction (the last one durably: ``devices.fleet_sqlite.durable_commit``); returns its
    devices. ``tables``: a ``Shard`` to copy (``copies``), or rows for ``_write``."""
    with durable_commit(conn) if last else nullcontext(), attached(conn, tables), conn.begin():
        if isinstance(tables, Shard):
            for sql, tail in copies:
                conn.exec_driver_sql(sql, tail)
        else:
            _write(conn, rows, tables, raw)
    return tables.devices if isinstance(tables, Shard) else len(tables[0])


def _reference_chunks(rows: _Rows, start: int, count: int) -> Iterator[tuple[range, tuple]]:
    """Chunks of rows as ``_Rows.add`` makes them (for Core ``insert``, and on databases other than SQLite)."""
    for numbers in chunks(start, count, CHUNK):
        tables: tuple[list, list, list, list] = ([], [], [], [])
        for number in numbers:
            rows.add(number, tables)
        yield numbers, tables


def build_fleet(engine: Engine, spec: FleetSpec, at: datetime,
                on_progress: Callable[[int], None] | None = None, *, raw: bool = True,
                parallel: bool | None = None) -> BuildReport:
    """Create ``spec.sms`` premises, ``CHUNK`` premises per transaction, streamed (memory does not grow with the
    fleet). Raises ``FleetExists`` if any of their devices already exists. ``raw=False``: write through Core
    ``insert`` of dicts (the reference path the fast one is tested against). On SQLite the rows are made by a
    ``RowMaker``, in a second process for a large fleet (``devices.fleet_stream``; ``parallel`` forces the
    choice) while this one writes."""
    began = time.perf_counter()
    rows = _Rows(spec, AnchorIds(engine), at)
    table = DeviceState.__table__
    first = premises_ids(spec.start).chf_id
    total, end, waiting = 0, spec.start + spec.sms, 0.0
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(table).where(table.c.device_id == first)).scalar():
            raise FleetExists(f"premises {spec.start} (CHF {first}) already exists: seed {spec.seed}'s block "
                              "is in use in this database")
        conn.commit()
        copies: tuple[tuple[str, tuple], ...] = ()
        source: Iterator[tuple[range, Any]] | None = None
        if raw and conn.dialect.name == "sqlite":
            try:
                maker, copies = rows.row_maker(conn.dialect)
                source = stream(maker, spec.start, spec.sms, CHUNK, parallel=parallel)
            except TooManyFaults:  # their combinations are not worth converting beforehand
                pass
        if source is None:
            source = _reference_chunks(rows, spec.start, spec.sms)
        with closing(source), build_session(conn) as checkpointer:
            while True:
                waited = time.perf_counter()
                try:
                    numbers, tables = next(source)
                except StopIteration:
                    break
                waiting += time.perf_counter() - waited
                try:
                    if checkpointer is not None and (numbers.start - spec.start) // CHUNK % WAL_RESTART_EVERY == 0:
                        checkpointer.settle()  # every earlier frame copied: this chunk's commit restarts the WAL
                    total += _write_chunk(conn, rows, tables, copies, last=numbers.stop == end, raw=raw)
                    if checkpointer is not None:
                        checkpointer.request()
                except IntegrityError as exc:
                    raise FleetExists(f"premises {numbers.start}-{numbers.stop - 1} clash with existing "
                                      "devices") from exc
                if on_progress is not None:
                    on_progress(len(numbers))
    return BuildReport(premises=spec.sms, devices=total, first_number=spec.start, last_number=end - 1,
                       seconds=time.perf_counter() - began, waiting=waiting,
                       checkpoint_cpu=checkpointer.cpu if checkpointer is not None else 0.0)


def build_premises(engine: Engine, number: int, at: datetime, *, supplier: Party = SUPPLIER,
                   dual_fuel: bool = False, ppmid: bool = False, ihd: bool = False, hcalcs: bool = False,
                   cad: bool = False, gas_only: bool = False, supplier_cells: dict[str, str] | None = None,
                   in_service: bool = False, ids=None):
    """One premises with a given number (scenarios): returns its ``PremisesIds``. Its Type 2 Devices are on the
    SMI without a status, as pre-notified before the install (BAD 7.2.1.6.1; AC 2.9). ``gas_only``: no ESME
    (the CH on a hot-shoe); ``supplier_cells``: what the Supplier cells hold (``FleetSpec.supplier_cells``);
    ``in_service``: as ``FleetSpec.in_service``; ``ids``: its ``PremisesIds`` when not the number's own."""
    spec = FleetSpec(sms=1, dual_fuel=dual_fuel, ppmid=ppmid, ihd=ihd, hcalcs=hcalcs, cad=cad, gas_only=gas_only,
                     supplier_cells=supplier_cells or {}, prenotify_type2=True, first_number=number,
                     in_service=in_service)
    tables: tuple[list, list, list, list] = ([], [], [], [])
    rows = _Rows(spec, AnchorIds(engine), at)
    ids = ids or premises_ids(number)
    rows.add(number, tables, supplier, ids)
    with engine.begin() as conn:
        _write(conn, rows, tables)
    return ids
