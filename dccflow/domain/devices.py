"""Device types of a GB Smart Metering System, as the Code and DUIS name them.

Sources:

* BAD 4.6 'Devices' lists the physical devices that may form part of a Smart Metering System (SMS).
* BAD 7.1.1.1 / SEC Appendix AC 2.9: Type 2 Devices (IHD, CAD) have no SMI Status.
* SEC H5.1: enrolment happens on commissioning of the Electricity Smart Meter (electricity) or of both the
  Gas Smart Meter and the Gas Proxy Function (gas).
* DUIS 5.4 XSD, simple type ``DeviceType`` (used by 12.2 Device Pre-notification, 8.2 Read Inventory,
  DCC Alert ``DeviceStatusChange`` ...): ESME, GSME, GPF, CHF, HCALCS, PPMID, IHD, CAD.
"""

from __future__ import annotations

from enum import StrEnum


class Fuel(StrEnum):
    """The fuel of a Smart Metering System (SEC H5.1: electricity or gas)."""

    ELECTRICITY = "electricity"
    GAS = "gas"


class DeviceType(StrEnum):
    """A Device Type. The value is the DUIS ``DeviceType`` enumeration value (duis-5.4.xsd)."""

    CHF = "CHF"
    GPF = "GPF"
    ESME = "ESME"
    GSME = "GSME"
    PPMID = "PPMID"
    HCALCS = "HCALCS"
    IHD = "IHD"
    CAD = "CAD"

    @property
    def full_name(self) -> str:
        """The long name used in the BAD / SEC (BAD 4.6 and glossary)."""
        return _FULL_NAMES[self]

    @property
    def is_meter(self) -> bool:
        """A Smart Meter: Electricity Smart Meter or Gas Smart Meter."""
        return self in (DeviceType.ESME, DeviceType.GSME)

    @property
    def is_type1(self) -> bool:
        """A Type 1 Device (PPMID or HCALCS): on the CPL, has an SMI Status, can be Decommissioned."""
        return self in (DeviceType.PPMID, DeviceType.HCALCS)

    @property
    def is_type2(self) -> bool:
        """A Type 2 Device (IHD or CAD): not on the CPL and no SMI Status (SEC Appendix AC 2.9)."""
        return self in (DeviceType.IHD, DeviceType.CAD)

    @property
    def is_comms_hub(self) -> bool:
        """One of the two logical functions of a Communications Hub (CHF, GPF)."""
        return self in (DeviceType.CHF, DeviceType.GPF)

    @property
    def has_smi_status(self) -> bool:
        """Every Device Type other than a Type 2 Device has an SMI Status (BAD 7.1.1.1, AC 2.9)."""
        return not self.is_type2

    @property
    def fuel(self) -> Fuel | None:
        """The fuel of the only kind of SMS this Device Type can belong to, else ``None``.

        ESME and GSME measure that fuel. The GPF exists only for gas SMSs (SEC H5.1(b)). An HCALCS is
        only ever joined to an Electricity Smart Meter (BAD Table 5 and 7.2.1.6.12). CHF, PPMID, IHD and
        CAD can serve either fuel, so they have no fuel.
        """
        return _FUELS.get(self)

    @property
    def duis_name(self) -> str:
        """The DUIS ``DeviceType`` enumeration value for this Device Type (duis-5.4.xsd)."""
        return self.value

    @classmethod
    def from_duis(cls, name: str) -> DeviceType:
        """Parse a DUIS ``DeviceType`` value, e.g. ``'ESME'``; raise ``ValueError`` naming the bad value."""
        try:
            return cls(name.strip())
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown DUIS DeviceType {name!r}; expected one of {allowed}") from None


_FULL_NAMES: dict[DeviceType, str] = {
    DeviceType.CHF: "Communications Hub Function",
    DeviceType.GPF: "Gas Proxy Function",
    DeviceType.ESME: "Electricity Smart Meter",
    DeviceType.GSME: "Gas Smart Meter",
    DeviceType.PPMID: "Prepayment Meter Interface Device",
    DeviceType.HCALCS: "HAN Connected Auxiliary Load Control Switch",
    DeviceType.IHD: "In-Home Display",
    DeviceType.CAD: "Consumer Access Device",
}

_FUELS: dict[DeviceType, Fuel] = {
    DeviceType.ESME: Fuel.ELECTRICITY,
    DeviceType.GSME: Fuel.GAS,
    DeviceType.GPF: Fuel.GAS,
    DeviceType.HCALCS: Fuel.ELECTRICITY,
}
