"""Smart Metering Inventory operations (SEC H5, Appendix AC; BAD 7.1.1). Every status change goes through
the legal transition table of ``dccflow.domain.smi`` and is kept in the status history."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus, check_transition
from dccsim.models import RegistrationData, SmiDevice, SmiStatusChange


class UnknownSmiDevice(LookupError):
    pass


class Inventory:
    def __init__(self, session: Session):
        self.s = session

    def get(self, device_id: str) -> SmiDevice:
        dev = self.s.get(SmiDevice, device_id)
        if dev is None:
            raise UnknownSmiDevice(f"device {device_id} is not on the Smart Metering Inventory")
        return dev

    def find(self, device_id: str) -> SmiDevice | None:
        return self.s.get(SmiDevice, device_id)

    def status(self, device_id: str) -> SmiStatus:
        return SmiStatus(self.get(device_id).smi_status)

    def add(self, device_id: str, device_type: DeviceType, status: SmiStatus, at: datetime, *,
            chf_id: str | None = None, mpxn: str | None = None, reason: str) -> SmiDevice:
        if self.s.get(SmiDevice, device_id) is not None:
            raise ValueError(f"device {device_id} is already on the Smart Metering Inventory")
        dev = SmiDevice(device_id=device_id, device_type=device_type.value, smi_status=status.value,
                        chf_id=chf_id, mpxn=mpxn, status_changed_at=at)
        self.s.add(dev)
        self.s.add(SmiStatusChange(device_id=device_id, from_status=None, to_status=status.value, at=at,
                                   reason=reason))
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
        self.s.add(SmiStatusChange(device_id=device_id, from_status=current.value, to_status=new.value,
                                   at=at, reason=reason))

    def devices_of_chf(self, chf_id: str) -> list[SmiDevice]:
        return list(self.s.exec(select(SmiDevice).where(SmiDevice.chf_id == chf_id)))


class Registration:
    """Time-aware Registration Data look-ups (BAD 7.8.1; SEC E2)."""

    def __init__(self, session: Session):
        self.s = session

    def add(self, *, mpxn: str, fuel: str, supplier_id: str, network_operator_id: str,
            effective_from: datetime) -> None:
        self.s.add(RegistrationData(mpxn=mpxn, fuel=fuel, supplier_id=supplier_id,
                                    network_operator_id=network_operator_id, effective_from=effective_from))

    def at(self, mpxn: str, when: datetime) -> RegistrationData | None:
        rows = self.s.exec(
            select(RegistrationData).where(RegistrationData.mpxn == mpxn).order_by(RegistrationData.effective_from)
        ).all()
        current = None
        for row in rows:
            eff = row.effective_from if row.effective_from.tzinfo else row.effective_from.replace(tzinfo=when.tzinfo)
            if eff <= when:
                current = row
        return current
