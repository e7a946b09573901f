"""Non-Device Service Requests served from the DCC's own data (BAD 7.8.4.4.3; SEC Appendix AB 16.1):
'Device Pre-notification' (12.2), 'Read Inventory' (8.2), 'Request WAN Matrix' (12.1) and the four
'Communications Hub Status Update' variants (8.14.1–8.14.4). 'Update Inventory' (8.4) is in
``dccsim.handlers.update_inventory``.

All of these are exempt from checks C and F (AB 16.1(b)(i), (ii)); 12.1, 12.2, 8.2 and 8.14.x are
role-based services (SEC H3.10).
"""

from __future__ import annotations

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import select

from dccflow.domain.devices import DeviceType
from dccflow.domain.ids import eui64_key
from dccflow.domain.smi import INITIAL_STATUS, SmiStatus
from dccflow.prepared import Prepared
from dccsim.handlers.base import Ctx, Handler, Outcome, reject, status_of
from dccsim.inventory import DETAIL_FIELDS
from dccsim.models import SmiDevice, SmiStatusChange, insert_values
from dccsim.records import ChAssetRecord, WanCoverage
from dccsim.rejections import PROCESSING_CODES, Check

_smi = SmiDevice.__table__
#: a CH's Device Type and asset state (``ChStatusUpdate._ch_row``), compiled once per dialect (``dccflow.prepared``)
_CH_ROW = Prepared(sa_select(_smi.c.device_type, _smi.c.ch_install_state).where(
    _smi.c.device_id == bindparam("device_id")))
#: ``Session.info`` key: the CH rows read in this transaction (cleared between the requests of a group commit)
_CH_ROWS = "ch_rows"

#: DSPInventory holds at most 17 Devices (duis-5.4.xsd)
MAX_INVENTORY_DEVICES = 17
#: 12.2 body element → SMI record field
PRE_NOTIFICATION_DETAILS = dict(zip(("DeviceManufacturer", "DeviceModel", "SMETSCHTSVersion", "FirmwareVersion",
                                     "ESMEVariant"), DETAIL_FIELDS, strict=True))


class NonDeviceHandler(Handler):
    def status_device(self, ctx: Ctx) -> str | None:
        return None  # AB 16.1(b)(i)

    def eligibility_device(self, ctx: Ctx) -> str | None:
        return None  # AB 16.1(b)(ii)


class DevicePrenotification(NonDeviceHandler):
    """SRV 12.2: add the Device to the SMI as 'pending' (AB 16.1(d)(iii); AD 3.8.113.2; AC 2.6, 2.9), or
    return a decommissioned / withdrawn Device to 'pending' for re-use (AC 7.1; AD 3.8.101.5)."""

    srv = "12.2"
    reusable = frozenset({SmiStatus.DECOMMISSIONED, SmiStatus.WITHDRAWN})

    def check(self, ctx: Ctx) -> None:
        dtype = DeviceType(ctx.body["DeviceType"])
        if dtype in (DeviceType.CHF, DeviceType.GPF):
            raise reject(Check.DEVICE_TYPE, "the DCC adds CHFs and GPFs to the SMI itself (AD 3.8.113.1; AC 2.4; "
                                            "BAD 7.1.1.6.2)")
        existing = ctx.inventory.find(ctx.body["DeviceID"])
        if existing is not None and (existing.device_type != dtype or status_of(existing) not in self.reusable):
            raise reject(Check.SMI_STATUS, f"{existing.device_type} {existing.device_id} is already on the SMI "
                                           f"('{existing.smi_status}'); only a decommissioned or withdrawn Device "
                                           "can be pre-notified again (AC 7.1; AD 3.8.101.5)")

    def execute(self, ctx: Ctx) -> Outcome:
        device_id, dtype = ctx.body["DeviceID"], DeviceType(ctx.body["DeviceType"])
        details = {field: ctx.body.get(element) for element, field in PRE_NOTIFICATION_DETAILS.items()}
        inv = ctx.inventory
        existing = inv.find(device_id)
        if existing is None:
            inv.add(device_id, dtype, INITIAL_STATUS[dtype], ctx.at, added_by=ctx.originator,
                    reason=f"SRV 12.2 Device Pre-notification {ctx.request_id} (AB 16.1(d)(iii))", **details)
        else:
            inv.set_status(device_id, SmiStatus.PENDING, ctx.at, f"SRV 12.2 re-use {ctx.request_id} (AC 7.1)")
            existing.added_by, existing.chf_id, existing.mpxn = ctx.originator, None, None
            for field, value in details.items():
                setattr(existing, field, value)
            ctx.session.add(existing)
        return Outcome(detail=f"{dtype.value} {device_id} on the SMI as 'pending'")


class ReadInventory(NonDeviceHandler):
    """SRV 8.2: the SMI records of the premises found by Device ID, MPxN, UPRN or address (AB 16.1(d)(ii))."""

    srv = "8.2"

    def execute(self, ctx: Ctx) -> Outcome:
        devices = self._find(ctx)
        if not devices:
            return Outcome(response_code=PROCESSING_CODES["inventory_not_found"],
                           detail="no Device on the SMI matches the request")
        return Outcome(payload=("DSPInventory", {"Device": [self._device(ctx, d)
                                                            for d in devices[:MAX_INVENTORY_DEVICES]]}))

    def _find(self, ctx: Ctx) -> list[SmiDevice]:
        inv, body = ctx.inventory, ctx.body
        if "DeviceID" in body:
            dev = inv.find(body["DeviceID"])
            seeds = [dev] if dev else []
        else:
            if "MPxN" in body:
                mpxns = [body["MPxN"]]
            elif "UPRN" in body:
                mpxns = ctx.registration.mpxns_at_address(uprn=int(body["UPRN"]))
            else:
                address = body["PropertyFilter"]
                mpxns = ctx.registration.mpxns_at_address(postcode=address["PostCode"],
                                                          address_identifier=address["AddressIdentifier"])
            seeds = list(ctx.session.exec(select(SmiDevice).where(SmiDevice.mpxn.in_(mpxns)))) if mpxns else []
        found: dict[str, SmiDevice] = {}
        for dev in seeds:  # the Devices of the same Communications Hub, i.e. of the premises
            chf_id = dev.device_id if dev.device_type == DeviceType.CHF else dev.chf_id
            group = ([inv.find(chf_id), *inv.devices_of_chf(chf_id)] if chf_id else []) or [dev]
            for member in group:
                if member is not None:
                    found.setdefault(member.device_id, member)
        order = list(DeviceType)
        return sorted(found.values(), key=lambda d: (order.index(DeviceType(d.device_type)), d.device_id))

    @staticmethod
    def _device(ctx: Ctx, dev: SmiDevice) -> dict:
        commissioned = ctx.session.exec(
            select(SmiStatusChange).where(SmiStatusChange.device_id == dev.device_id,
                                          SmiStatusChange.to_status == SmiStatus.COMMISSIONED.value)
            .order_by(SmiStatusChange.id.desc())).first()
        reg = ctx.registration.at(dev.mpxn, ctx.at) if dev.mpxn else None
        status = status_of(dev)
        return {
            "DeviceID": dev.device_id,
            "DeviceType": dev.device_type,
            "DeviceStatus": status.duis_name if status else None,
            "DeviceManufacturer": dev.manufacturer or "",
            "DeviceModel": dev.model or "",
            "SMETSCHTSVersion": dev.smets_chts_version,
            "DeviceFirmwareVersion": dev.firmware_version,
            "DateCommissioned": commissioned.at.date() if commissioned and status == SmiStatus.COMMISSIONED else None,
            "ImportMPxN": dev.mpxn,
            "SecondaryImportMPAN": dev.secondary_import_mpan,
            "ExportMPAN": dev.export_mpan,
            "ESMEVariant": dev.esme_variant,
            "UPRN": reg.uprn if reg else None,
        }


class RequestWanMatrix(NonDeviceHandler):
    """SRV 12.1: SM WAN coverage at an address, from the DCC's coverage table (AB 16.1(d)(ii); BAD 7.2.1.6.2)."""

    srv = "12.1"

    def execute(self, ctx: Ctx) -> Outcome:
        answers = [self._answer(row) for row in self._rows(ctx)] or [
            {"CSPRegion": "Unknown", "CSPRegionResponseCode": PROCESSING_CODES["wan_matrix_unknown_address"]}]
        return Outcome(payload=("DSPWANMatrix", {"Request": ctx.body, "DSPWANMatrixResponse": answers}))

    @staticmethod
    def _rows(ctx: Ctx) -> list[WanCoverage]:
        s, body = ctx.session, ctx.body
        if "UPRN" in body:
            rows = list(s.exec(select(WanCoverage).where(WanCoverage.uprn == int(body["UPRN"]))))
            if rows:
                return rows
            reg = next(iter(r for mpxn in ctx.registration.mpxns_at_address(uprn=int(body["UPRN"]))
                            if (r := ctx.registration.at(mpxn, ctx.at)) is not None), None)
            postcode, identifier = (reg.postcode, reg.address_identifier) if reg else (None, None)
        else:
            postcode = body["PartialAddress"]["PostCode"]
            identifier = body["PartialAddress"]["AddressIdentifier"]
        if postcode is None:
            return []
        exact = list(s.exec(select(WanCoverage).where(WanCoverage.postcode == postcode,
                                                      WanCoverage.address_identifier == identifier)))
        return exact or list(s.exec(select(WanCoverage).where(WanCoverage.postcode == postcode,
                                                              WanCoverage.address_identifier == None)))  # noqa: E711

    @staticmethod
    def _answer(row: WanCoverage) -> dict:
        return {"CSPRegion": row.csp_region, "CSPRegionResponseCode": PROCESSING_CODES["success"],
                "CoverageAvailability": row.coverage_available,
                "AnticipatedCoverageDate": row.anticipated_coverage_date, "WANTechnology": row.wan_technology,
                "ConnectivityLikelihood": row.connectivity_likelihood,
                "AuxiliaryEquipmentRequired": row.auxiliary_equipment_required,
                "AdditionalInformation": row.additional_information}


class ChStatusUpdate(NonDeviceHandler):
    """SRV 8.14.x: record what the Supplier reports about a Communications Hub in the DCC's asset records."""

    state: str
    #: body elements kept in the asset record
    kept: tuple[str, ...] = ()

    def check(self, ctx: Ctx) -> None:
        device_id = eui64_key(ctx.body["DeviceID"])
        device_type, _state = self._ch_row(ctx, ctx.body["DeviceID"])
        if device_type != DeviceType.CHF:
            raise reject(Check.DEVICE_TYPE, f"{device_id} is a {device_type}, not a CHF")

    @staticmethod
    def _ch_row(ctx: Ctx, device_id: str) -> tuple[str, str | None]:
        """The CH's Device Type and asset state, read once per request without loading the ORM object (the
        intake's hot path: ``docs/performance.md``); what this transaction changed through the ORM is flushed
        first, so the read sees it."""
        key = eui64_key(device_id)
        seen = ctx.session.info.setdefault(_CH_ROWS, {})
        if key not in seen:
            if ctx.session.new or ctx.session.dirty:
                ctx.session.flush()
            row = _CH_ROW.first(ctx.session.connection(), {"device_id": key})
            if row is None:
                raise reject(Check.UNKNOWN_DEVICE, f"device {device_id} is not on the SMI")
            seen[key] = (row[0], row[1])
        return seen[key]

    def incident(self, ctx: Ctx) -> str | None:
        return None

    def execute(self, ctx: Ctx) -> Outcome:
        device_id = eui64_key(ctx.body["DeviceID"])
        if self._ch_row(ctx, device_id)[1] != self.state:  # the asset state changes: through the ORM
            chf = ctx.inventory.get(device_id)
            chf.ch_install_state = self.state
            ctx.session.add(chf)
            ctx.session.info[_CH_ROWS][device_id] = (chf.device_type, self.state)
        # written once, never changed: a Core INSERT, no ORM object
        insert_values(ctx.session, ChAssetRecord, dict(
            chf_id=device_id, srv=self.srv, state=self.state, user_id=ctx.originator, request_id=ctx.request_id,
            at=ctx.at, mpxn=ctx.body.get("MPxN"), incident_ref=self.incident(ctx),
            details={k: ctx.body[k] for k in self.kept if k in ctx.body}))
        return Outcome(detail=f"CH {device_id}: {self.state}")


class ChInstallSuccess(ChStatusUpdate):
    """SRV 8.14.1: the DCC updates its asset management systems (BAD 7.2.1.6.6)."""

    srv, state = "8.14.1", "installed"
    kept = ("CHFInstallType", "InstallDateTime", "CHFLocation", "AerialInstall")


class ChInstallNoSmWan(ChStatusUpdate):
    """SRV 8.14.2: recorded, and the DCC raises an Incident about the coverage (BAD 7.2.2.6.1; App I 4.10)."""

    srv, state = "8.14.2", "installed, no SM WAN"
    kept = ("CHFInstallType", "PremiseType", "MetalObstructionCheck", "ConnectivityObstructionCheck",
            "SharedObstructionCheck")

    def incident(self, ctx: Ctx) -> str | None:
        count = ctx.session.exec(select(func.count()).select_from(ChAssetRecord)
                                 .where(ChAssetRecord.incident_ref.is_not(None))).one()  # on their own index
        return f"INC{count + 1:09d}"  # IncidentReference: at most 15 characters


class ChFaultReturn(ChStatusUpdate):
    """SRV 8.14.3: a record for the returned CH (BAD 7.9.1.6.2; App I 9.4, 11.1)."""

    srv, state = "8.14.3", "returned (fault)"
    kept = ("CHFFaultReturnType", "CHFFaultReason", "CHFConnectionMethod", "OtherDeviceID", "IncidentReference")


class ChNoFaultReturn(ChStatusUpdate):
    """SRV 8.14.4: a record for the returned CH (BAD 7.9.1.6.2; App I 9.6, 11.1)."""

    srv, state = "8.14.4", "returned (no fault)"
    kept = ("CHFNoFaultReturnType", "IncidentReference")
