"""The fleet builder's rows in a scratch table format SQLite copies from: a premises number in, one row per
device (only what varies per device, and which plan row holds the rest) and its Registration Data rows out,
every value already converted as SQLAlchemy's bind processors convert it (JSON as text, booleans as 0/1).

What a premises' devices share (``PlannedDevice``: Device Type, cells, SMI status, which faults may apply) is
converted once per Supplier and Dual Band choice into a *plan row* (``plan_rows``); ``devices.fleet_stream``
writes the rows into a scratch SQLite file and ``devices.builder`` copies them into ``device_state``,
``smi_device``, ``smi_status_change`` and ``dcc_registration`` with ``INSERT ... SELECT`` (``copy_sources``),
the SMI rows selected from the device rows by their plan row (on the SMI; with a 'pre-notified' change). Per
premises only the ids, MPxNs and install codes are made (as ``devices.premises`` makes them), and per device the
faults drawn (``selected``): a few string operations and one SHA-256 per device, no per-value function call.
A ``RowMaker`` holds plain data only, so another process can make the rows (``devices.fleet_stream``).
``tests/fleet/test_fleet_bulk.py`` holds the rows copied byte for byte to those of a Core ``insert`` of the
builder's dicts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from dccflow.domain.mpxn import MPAN_PRIMES
from devices.faults import selected
from devices.premises import DISTRIBUTOR_ID, MANUFACTURER_PREFIX, TYPE_OCTET

#: the scratch tables' columns: a device's row, its plan row's, a Registration Data row
DEVICE_COLUMNS = ("device_id", "premises_id", "chf_id", "install_code", "mpxn", "faults", "plan", "smi_mpxn")
PLAN_COLUMNS = ("plan", "device_type", "installed", "wan_connected", "han_joined", "dual_band", "sub_ghz", "anchors",
                "on_smi", "smi_status", "history")
REGISTRATION_COLUMNS = ("mpxn", "fuel", "supplier_id", "network_operator_id")
#: the most fleet-wide faults that may apply to one Device Type (their combinations are converted beforehand)
MAX_FAULTS = 10
_MPXN_INDEX = {None: 0, "mpan": 1, "mprn": 2}
_FIELD_TYPE = {"chf_id": "CHF", "gpf_id": "GPF", "esme_id": "ESME", "gsme_id": "GSME", "ppmid_id": "PPMID",
               "ihd_id": "IHD", "hcalcs_id": "HCALCS", "cad_id": "CAD"}
_DEVICE_FROM = "FROM {s}.device AS d CROSS JOIN {s}.plan AS p WHERE p.plan = d.plan{where} ORDER BY d.rowid"


def copy_sources(schema: str) -> dict[str, tuple[tuple[str, ...], str]]:
    """Per fleet table, with the scratch file attached as ``schema``: the columns copied, what each is selected
    as, and the rest of the ``SELECT`` (rows in the order they were made)."""
    device = ("device_id", "premises_id", "chf_id", "install_code", "mpxn", "faults")
    plan = ("device_type", "installed", "wan_connected", "han_joined", "dual_band", "sub_ghz", "anchors")
    return {
        "device_state": (device + plan, tuple(f"d.{c}" for c in device) + tuple(f"p.{c}" for c in plan),
                         _DEVICE_FROM.format(s=schema, where="")),
        "smi_device": (("device_id", "chf_id", "mpxn", "device_type", "smi_status"),
                       ("d.device_id", "d.chf_id", "d.smi_mpxn", "p.device_type", "p.smi_status"),
                       _DEVICE_FROM.format(s=schema, where=" AND p.on_smi")),
        "smi_status_change": (("device_id", "to_status"), ("d.device_id", "p.smi_status"),
                              _DEVICE_FROM.format(s=schema, where=" AND p.on_smi AND p.history")),
        "dcc_registration": (REGISTRATION_COLUMNS, tuple(f"r.{c}" for c in REGISTRATION_COLUMNS),
                             f"FROM {schema}.dcc_registration AS r ORDER BY r.rowid"),
    }


class PlannedDevice(NamedTuple):
    """What one device of a premises gets, the same at every premises of a Supplier (``devices.builder``)."""

    field: str  # its id's ``PremisesIds`` field
    dtype: str
    is_chf: bool
    band: bool  # a Dual Band CHF
    installed: bool
    wan_connected: bool
    han_joined: bool
    state_mpxn: str | None  # the ``PremisesIds`` field of the MPxN the device shows, if any
    cells: dict
    on_smi: bool
    smi_status: str | None
    smi_mpxn: str | None  # the ``PremisesIds`` field of its MPxN on the SMI, if any
    history: bool  # a 'pre-notified' status change
    faults: tuple  # (FaultSpec, parameter, share) of the fleet-wide faults that apply to its Device Type


class Plan(NamedTuple):
    """One Supplier and Dual Band choice: its devices and its Registration Data ((fuel, Supplier, Network
    Operator) per fuel)."""

    devices: tuple[PlannedDevice, ...]
    registrations: tuple[tuple[str, str, str], ...]


#: per fleet table, each column's bind processor (None: bound as it is), from ``devices.bulk.BulkTable.processors``
Converters = Mapping[str, Mapping[str, Callable[[Any], Any] | None]]


def _convert(converters: Converters, table: str, column: str, value: Any) -> Any:
    process = converters[table].get(column)
    return process(value) if process is not None else value


class Mpxns:
    """A premises number's MPAN and MPRN, as ``devices.premises.premises_values`` makes them (``mpan_check_digit``,
    ``make_mprn``; SEC/MRA check digits: weighted digit sums mod 11), with the weighted sum of the last four
    digits from a table and that of the others worked out once per 10,000 numbers: no per-digit loop per premises."""

    def __init__(self) -> None:
        low = [f"{n:04d}" for n in range(10_000)]
        self._mpan_low = [sum(int(d) * p for d, p in zip(digits, MPAN_PRIMES[8:], strict=True)) for digits in low]
        self._mprn_low = [sum(int(d) * w for d, w in zip(digits, (4, 3, 2, 1), strict=True)) for digits in low]
        self._high: dict[int, tuple[int, int]] = {}

    def __call__(self, number: int) -> tuple[str, str]:
        high, low = divmod(number, 10_000)
        sums = self._high.get(high)
        if sums is None:
            mpan_high = f"{DISTRIBUTOR_ID}{high:06d}"  # the first 8 of the MPAN's first 12 digits
            mprn_high = f"{high % 10_000:04d}"  # the first 4 of the MPRN's 8 digits before its check digits
            sums = self._high[high] = (
                sum(int(d) * p for d, p in zip(mpan_high, MPAN_PRIMES[:8], strict=True)),
                sum(int(d) * w for d, w in zip(mprn_high, (8, 7, 6, 5), strict=True)))
            if len(self._high) > 16:  # consecutive numbers: one or two at a time
                self._high = {high: sums}
        first12 = f"{DISTRIBUTOR_ID}{number:010d}"
        return (f"{first12}{(sums[0] + self._mpan_low[low]) % 11 % 10}",
                f"{number % 10**8:08d}{(sums[1] + self._mprn_low[low]) % 11:02d}")


class TooManyFaults(ValueError):
    """More fleet-wide faults may apply to one Device Type than ``MAX_FAULTS``: the builder makes its rows the
    reference way (``devices.builder._Rows``) instead."""


class _Template(NamedTuple):
    prefix: str  # the device id up to the premises' octets
    is_chf: bool
    state_mpxn: int  # 0: none, 1: the MPAN, 2: the MPRN
    smi_mpxn: int
    plan: int  # its plan row
    faults: tuple[tuple[str, float], ...]  # (name, share) of the faults that may apply
    faults_text: tuple  # converted faults, by the bit mask of those drawn


class RowMaker:
    """Scratch rows for premises numbers (plain data: picklable)."""

    def __init__(self, seed: int, supplier_b_share: float, dual_band_share: float, plans: dict[tuple[bool, bool], Plan],
                 converters: Converters):
        """``plans`` by (Supplier B, Dual Band) for every choice the shares allow."""
        self.seed, self.supplier_b_share, self.dual_band_share = seed, supplier_b_share, dual_band_share
        self._mpxns = Mpxns()
        self.plan_rows: list[tuple] = []
        self._templates = {}
        for key, plan in plans.items():
            self._templates[key] = (
                tuple(self._template(d, converters) for d in plan.devices),
                tuple((2 if fuel == "gas" else 1,
                       tuple(_convert(converters, "dcc_registration", column, value) for column, value
                             in zip(REGISTRATION_COLUMNS[1:], (fuel, supplier, operator), strict=True)))
                      for fuel, supplier, operator in plan.registrations))

    def _template(self, d: PlannedDevice, converters: Converters) -> _Template:
        from devices.hub import DEFAULT_SUB_GHZ  # here: the process that makes rows need not import the hub

        faults = d.faults
        if len(faults) > MAX_FAULTS:
            raise TooManyFaults(f"more than {MAX_FAULTS} fleet-wide faults apply to {d.dtype}")
        texts = []
        for mask in range(2 ** len(faults)):  # the builder's dict of the faults drawn, for each combination
            drawn = {f.name: param for i, (f, param, _share) in enumerate(faults) if mask >> i & 1}
            texts.append(_convert(converters, "device_state", "faults", drawn))
        plan = len(self.plan_rows)
        values = {"device_type": d.dtype, "installed": d.installed, "wan_connected": d.wan_connected,
                  "han_joined": d.han_joined, "dual_band": d.band, "sub_ghz": DEFAULT_SUB_GHZ if d.band else {},
                  "anchors": d.cells}
        self.plan_rows.append((plan, *(_convert(converters, "device_state", c, v) for c, v in values.items()),
                               int(d.on_smi), _convert(converters, "smi_device", "smi_status", d.smi_status),
                               int(d.history)))
        return _Template(prefix=f"{MANUFACTURER_PREFIX}-{TYPE_OCTET[_FIELD_TYPE[d.field]]:02X}-", is_chf=d.is_chf,
                         state_mpxn=_MPXN_INDEX[d.state_mpxn], smi_mpxn=_MPXN_INDEX[d.smi_mpxn], plan=plan,
                         faults=tuple((f.name, share) for f, _param, share in faults), faults_text=tuple(texts))

    def rows(self, numbers: range) -> tuple[list[tuple], list[tuple]]:
        """The device rows (``DEVICE_COLUMNS``) and Registration Data rows (``REGISTRATION_COLUMNS``) of premises
        ``numbers``, in the order the builder adds them (premises by premises)."""
        if numbers and not (0 <= numbers[0] and numbers[-1] < 2**32):
            raise ValueError(f"premises numbers {numbers} out of range")
        devices: list[tuple] = []
        registrations: list[tuple] = []
        add_device, add_registration = devices.append, registrations.append
        seed, b_share, band_share = self.seed, self.supplier_b_share, self.dual_band_share
        templates = self._templates
        fixed = templates[(False, False)] if b_share <= 0 and band_share <= 0 else None
        sha256, mpxns_of = hashlib.sha256, self._mpxns
        chf_prefix = f"{MANUFACTURER_PREFIX}-{TYPE_OCTET['CHF']:02X}-"
        for number in numbers:
            octets = f"{number >> 24:02X}-{number >> 16 & 255:02X}-{number >> 8 & 255:02X}-{number & 255:02X}"
            premises_id = f"P{number:08d}"
            mpan, mprn = mpxns_of(number)
            mpxns = (None, mpan, mprn)
            chf_id = chf_prefix + octets
            if fixed is None:
                plan = templates[(selected(seed, "supplier-b", premises_id, b_share),
                                  selected(seed, "dual-band", premises_id, band_share))]
            else:
                plan = fixed
            device_templates, registration_templates = plan
            for t in device_templates:
                dev = t.prefix + octets
                if t.faults:
                    mask = 0
                    for bit, (name, share) in enumerate(t.faults):
                        if selected(seed, name, dev, share):
                            mask |= 1 << bit
                    faults = t.faults_text[mask]
                else:
                    faults = t.faults_text[0]
                add_device((dev, premises_id, None if t.is_chf else chf_id,
                            sha256(b"install-code:" + dev.encode()).hexdigest()[:32].upper(), mpxns[t.state_mpxn],
                            faults, t.plan, mpxns[t.smi_mpxn]))
            for mpxn, tail in registration_templates:
                add_registration((mpxns[mpxn], *tail))
        return devices, registrations
