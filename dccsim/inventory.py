"""Smart Metering Inventory operations (SEC H5, Appendix AC; BAD 7.1.1) and time-aware Registration Data look-ups
(BAD 7.8.1; SEC E2). Every SMI status change goes through the legal transition table of ``dccflow.domain.smi``
and is kept in the status history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel import Session, select

from dccflow.domain.devices import DeviceType
from dccflow.domain.ids import eui64_key
from dccflow.domain.roles import UserRole
from dccflow.domain.smi import SmiStatus, check_transition
from dccflow.moments import as_utc
from dccflow.session import Rows, select_rows
from dccsim.models import RegistrationData, SmiDevice, SmiLinkChange, SmiStatusChange, insert_values
from dccsim.records import ChAssetRecord

DETAIL_FIELDS = ("manufacturer", "model", "smets_chts_version", "firmware_version", "esme_variant")

#: ``Session.info`` key: what a transaction wrote that the DCC must follow up once it is committed (``DccService``
#: starts the workflows): ``DUTIES`` a Device Commissioned (AC 5.1, 5.3), ``ORPHAN_WATCH`` a CHF's H6.6 watch
FOLLOW_UPS = "dcc_follow_ups"
DUTIES, ORPHAN_WATCH = "post_commissioning_duties", "orphan_watch"


def note_follow_up(session: Session, what: str) -> None:
    session.info.setdefault(FOLLOW_UPS, set()).add(what)


class UnknownSmiDevice(LookupError):
    pass


#: the rows a session's look-ups found, kept for the session's lifetime (``_hold``), and how many at most
_HELD, _HOLD_AT_MOST = "dcc_inventory_held", 10_000


def _hold(session: Session, dev: SmiDevice) -> None:
    """Keep ``dev`` referenced while its session lasts. The session's identity map holds its rows weakly, so a
    Device looked up once per step (the request's target, then its CHF, then the target again in the handler) was
    read from the database each time; held, the next look-up in the same transaction finds it in the map. Bounded,
    so that a session walking a whole fleet does not keep every row."""
    held = session.info.setdefault(_HELD, {})
    if len(held) < _HOLD_AT_MOST:
        held[dev.device_id] = dev


#: the Devices Associated with a CHF (``Inventory.devices_of_chf``)
_ON_CHF = Rows(SmiDevice, SmiDevice.chf_id == bindparam("chf_id"))


class Inventory:
    def __init__(self, session: Session):
        self.s = session

    # Device IDs are compared and stored in one form (``eui64_key``): one record per Device however a request
    # wrote its ID (the primary key is then unique per Device).
    def get(self, device_id: str) -> SmiDevice:
        dev = self.find(device_id)
        if dev is None:
            raise UnknownSmiDevice(f"device {device_id} is not on the Smart Metering Inventory")
        return dev

    def find(self, device_id: str) -> SmiDevice | None:
        dev = self.s.get(SmiDevice, eui64_key(device_id))
        if dev is not None:
            _hold(self.s, dev)
        return dev

    def status(self, device_id: str) -> SmiStatus | None:
        raw = self.get(device_id).smi_status
        return SmiStatus(raw) if raw else None

    def add(self, device_id: str, device_type: DeviceType, status: SmiStatus | None, at: datetime, *,
            chf_id: str | None = None, mpxn: str | None = None, reason: str, added_by: str | None = None,
            **details: str | None) -> SmiDevice:
        device_id = eui64_key(device_id)
        chf_id = eui64_key(chf_id) if chf_id is not None else None
        if self.s.get(SmiDevice, device_id) is not None:
            raise ValueError(f"device {device_id} is already on the Smart Metering Inventory")
        dev = SmiDevice(device_id=device_id, device_type=device_type.value,
                        smi_status=status.value if status else None, chf_id=chf_id, mpxn=mpxn,
                        status_changed_at=at, added_by=added_by,
                        **{k: v for k, v in details.items() if k in DETAIL_FIELDS})
        self.s.add(dev)
        if status is not None:
            insert_values(self.s, SmiStatusChange, dict(device_id=device_id, to_status=status.value, at=at,
                                                        reason=reason))  # at once, as ``set_status`` does
            if status == SmiStatus.COMMISSIONED:
                note_follow_up(self.s, DUTIES)
        return dev

    def set_status(self, device_id: str, new: SmiStatus, at: datetime, reason: str) -> None:
        dev = self.get(device_id)
        current = SmiStatus(dev.smi_status)
        if current == new:
            return
        check_transition(DeviceType(dev.device_type), current, new)
        dev.smi_status = new.value
        dev.status_changed_at = at
        self.s.add(dev)
        # the history row is written once, never changed: inserted at once (Core), not through the unit of work
        insert_values(self.s, SmiStatusChange, dict(device_id=dev.device_id, from_status=current.value,
                                                    to_status=new.value, at=at, reason=reason))
        if new == SmiStatus.COMMISSIONED:
            note_follow_up(self.s, DUTIES)

    def relink(self, dev: SmiDevice, field: str, value: str | None, at: datetime, reason: str) -> None:
        """Set one of the Device's SMI links (``chf_id``, ``associated_with``, ``mpxn``) and keep the change in the
        link history (:class:`dccsim.models.SmiLinkChange`), as :meth:`set_status` keeps the status history."""
        old = getattr(dev, field)
        if old == value:
            return
        setattr(dev, field, value)
        self.s.add(dev)
        self.s.add(SmiLinkChange(device_id=dev.device_id, field=field, from_value=old, to_value=value, at=at,
                                 reason=reason))

    def remove(self, device_id: str) -> None:
        """Delete a Device's SMI record (AD 3.8.101.4.2); its status history is kept for audit."""
        self.s.delete(self.get(device_id))

    def devices_of_chf(self, chf_id: str) -> list[SmiDevice]:
        return select_rows(self.s, _ON_CHF, {"chf_id": eui64_key(chf_id)})

    def gpf_of(self, chf_id: str) -> SmiDevice | None:
        return next((d for d in self.devices_of_chf(chf_id) if d.device_type == DeviceType.GPF), None)

    def linked_mpxns(self, dev: SmiDevice) -> set[str]:
        """The MPxNs a Device is linked to through the SMI (AB 6.1(f)): a meter's own; for a Type 1 Device the
        meter it is joined to; for a CHF or GPF those of the meters on the CHF, and the MPxN the Supplier named
        when reporting the CH installed (SRV 8.14.1)."""
        if dev.mpxn:
            return {dev.mpxn}
        if dev.associated_with:
            other = self.find(dev.associated_with)
            return {other.mpxn} if other is not None and other.mpxn else set()
        chf_id = dev.device_id if dev.device_type == DeviceType.CHF else (
            dev.chf_id if dev.device_type == DeviceType.GPF else None)
        if chf_id is None:
            return set()
        found = {d.mpxn for d in self.devices_of_chf(chf_id) if d.mpxn}
        if not found:
            report = self.s.exec(select(ChAssetRecord).where(ChAssetRecord.chf_id == chf_id,
                                                             ChAssetRecord.mpxn != None)  # noqa: E711
                                 .order_by(ChAssetRecord.id.desc())).first()
            if report is not None:
                found.add(report.mpxn)
        return found


#: a Metering Point's registrations, oldest first (``Registration.rows``)
_REGISTRATIONS = Rows(RegistrationData, RegistrationData.mpxn == bindparam("mpxn"),
                      order_by=(RegistrationData.effective_from, RegistrationData.id))

#: the fuel of the Metering Points a User Role is registered for (SEC H3.8; digest 06 §B.3)
_ROLE_FUEL = {UserRole.IMPORT_SUPPLIER: "electricity", UserRole.ELECTRICITY_DISTRIBUTOR: "electricity",
              UserRole.GAS_SUPPLIER: "gas", UserRole.GAS_TRANSPORTER: "gas"}


class Registration:
    """Time-aware Registration Data look-ups (BAD 7.8.1; SEC E2.1(c), E2.2(e): past, current and future)."""

    def __init__(self, session: Session):
        self.s = session

    def add(self, *, mpxn: str, fuel: str, supplier_id: str, network_operator_id: str,
            effective_from: datetime, effective_to: datetime | None = None, uprn: int | None = None,
            postcode: str | None = None, address_identifier: str | None = None) -> RegistrationData:
        row = RegistrationData(mpxn=mpxn, fuel=fuel, supplier_id=supplier_id,
                               network_operator_id=network_operator_id, effective_from=effective_from,
                               effective_to=effective_to, uprn=uprn, postcode=postcode,
                               address_identifier=address_identifier)
        self.s.add(row)
        self._read().pop(mpxn, None)
        return row

    def rows(self, mpxn: str) -> list[RegistrationData]:
        """The Metering Point's registrations, read once per transaction (a Service Request consults them for
        eligibility, status and notices alike)."""
        read = self._read()
        if mpxn not in read:
            read[mpxn] = select_rows(self.s, _REGISTRATIONS, {"mpxn": mpxn})
        return read[mpxn]

    def _read(self) -> dict[str, list[RegistrationData]]:
        return self.s.info.setdefault("registration_rows", {})

    def read_many(self, mpxns) -> None:
        """``rows`` of many Metering Points, read in a few queries (a fleet's look-ups: ``dccsim.smki_recovery``)."""
        read = self._read()
        wanted = sorted(set(mpxns) - set(read))
        for start in range(0, len(wanted), 500):
            found: dict[str, list[RegistrationData]] = {m: [] for m in wanted[start:start + 500]}
            for row in self.s.exec(select(RegistrationData).where(RegistrationData.mpxn.in_(list(found)))
                                   .order_by(RegistrationData.effective_from, RegistrationData.id)):
                found[row.mpxn].append(row)
            read.update(found)

    def at(self, mpxn: str, when: datetime) -> RegistrationData | None:
        """The registration in force at ``when`` (the latest-starting one if periods overlap)."""
        current = None
        for row in self.rows(mpxn):
            if as_utc(row.effective_from) <= when and (row.effective_to is None or when < as_utc(row.effective_to)):
                current = row
        return current

    @staticmethod
    def party(row: RegistrationData, role: UserRole) -> str | None:
        """Who holds ``role`` for the Metering Point in this registration (``None``: the role is not one
        Registration Data records, e.g. Other User)."""
        if _ROLE_FUEL.get(role) != row.fuel:
            return None
        return row.supplier_id if role.is_supplier else row.network_operator_id

    def holds(self, mpxn: str, role: UserRole, user_id: str, start: datetime, end: datetime | None = None) -> bool:
        """Whether ``user_id`` holds ``role`` for ``mpxn`` at ``start`` or, given ``end``, at every instant of
        [start, end] (AB 6.1(f)(i)): a gap or a hand-over inside the range fails."""
        moments = {start}
        if end is not None:  # the registration in force can only change where a period starts or ends
            for row in self.rows(mpxn):
                for edge in (row.effective_from, row.effective_to):
                    if edge is not None and start < as_utc(edge) <= end:
                        moments.add(as_utc(edge))
        for moment in moments:
            row = self.at(mpxn, moment)
            if row is None or self.party(row, role) != user_id:
                return False
        return True

    def mpxns_at_address(self, *, uprn: int | None = None, postcode: str | None = None,
                         address_identifier: str | None = None) -> list[str]:
        q = select(RegistrationData)
        if uprn is not None:
            q = q.where(RegistrationData.uprn == uprn)
        else:
            q = q.where(RegistrationData.postcode == postcode,
                        RegistrationData.address_identifier == address_identifier)
        return sorted({r.mpxn for r in self.s.exec(q)})
