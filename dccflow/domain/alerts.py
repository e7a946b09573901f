"""DCC Alert codes (DUIS) and the GBCS Device Alert codes the BAD refers to.

* ``DccAlert``: exactly the ``DCCAlertCode`` enumeration of ``DCCAlertMessage`` in duis-5.4.xsd (AD1,
  N1-N65 without N32, N999). Titles are the names the BAD uses (quoted alongside each code in BAD 7.1-7.9,
  Tables 13 and 14). The full list is in DUIS 3.6.3.4, which is not in the reference texts, so codes the
  BAD never names say so in their title; where the BAD describes the trigger without a name, that is kept
  in ``description``.
* ``DeviceAlert``: the GBCS Alert Codes that BAD 7.2-7.6 mention, titled as the BAD names them, plus the
  two future-dated alert codes DUIS allows in ``FutureDatedDeviceAlertMessage`` (8F66, 8F67), plus the few
  GBCS codes the simulated devices raise where the BAD names none (marked in ``_DEVICE_TITLES``). Note that
  the BAD's 'Future Dated Firmware Activation' alert is a GBCS *message code* (0x00CA, BAD 7.5.3.6.3), not
  an alert code; it is :data:`FUTURE_DATED_FIRMWARE_ACTIVATION_MESSAGE_CODE`.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Final


class DccAlert(StrEnum):
    """A DCC Alert code, as enumerated in duis-5.4.xsd ``DCCAlertMessage/DCCAlertCode``."""

    AD1 = "AD1"
    N1 = "N1"
    N2 = "N2"
    N3 = "N3"
    N4 = "N4"
    N5 = "N5"
    N6 = "N6"
    N7 = "N7"
    N8 = "N8"
    N9 = "N9"
    N10 = "N10"
    N11 = "N11"
    N12 = "N12"
    N13 = "N13"
    N14 = "N14"
    N15 = "N15"
    N16 = "N16"
    N17 = "N17"
    N18 = "N18"
    N19 = "N19"
    N20 = "N20"
    N21 = "N21"
    N22 = "N22"
    N23 = "N23"
    N24 = "N24"
    N25 = "N25"
    N26 = "N26"
    N27 = "N27"
    N28 = "N28"
    N29 = "N29"
    N30 = "N30"
    N31 = "N31"
    N33 = "N33"
    N34 = "N34"
    N35 = "N35"
    N36 = "N36"
    N37 = "N37"
    N38 = "N38"
    N39 = "N39"
    N40 = "N40"
    N41 = "N41"
    N42 = "N42"
    N43 = "N43"
    N44 = "N44"
    N45 = "N45"
    N46 = "N46"
    N47 = "N47"
    N48 = "N48"
    N49 = "N49"
    N50 = "N50"
    N51 = "N51"
    N52 = "N52"
    N53 = "N53"
    N54 = "N54"
    N55 = "N55"
    N56 = "N56"
    N57 = "N57"
    N58 = "N58"
    N59 = "N59"
    N60 = "N60"
    N61 = "N61"
    N62 = "N62"
    N63 = "N63"
    N64 = "N64"
    N65 = "N65"
    N999 = "N999"

    @property
    def title_known(self) -> bool:
        """True if the reference texts give this alert a name."""
        return self in _DCC_TITLES

    @property
    def title(self) -> str:
        """The alert's name as the BAD gives it, or an honest placeholder."""
        return _DCC_TITLES.get(self, f"{self.value} (title not in the reference texts)")

    @property
    def description(self) -> str:
        """Where known, when the DCC sends it and the clause saying so; else the empty string."""
        return _DCC_DESCRIPTIONS.get(self, "")


_DCC_TITLES: dict[DccAlert, str] = {
    DccAlert.AD1: "Power Outage Event",  # BAD 7.5.6.5.2
    DccAlert.N1: "Electricity Smart Meter Decommission or withdrawal",  # BAD 7.6.2.5.5
    DccAlert.N2: "Gas Smart Meter Decommission or withdrawal",  # BAD 7.6.2.5.5
    DccAlert.N3: "Cancellation of Future Dated Response Pattern (DSP) requests because of CoT",  # 7.5.2.5.1
    DccAlert.N4: "Schedule removal because of CoT",  # BAD 7.5.2.5.1
    DccAlert.N6: "Schedule removal because of Device decommission",  # BAD 7.6.2.5.5
    DccAlert.N7: '"DSP Scheduled" / "Future Dated Response Pattern (DSP)" access control failure',  # Tbl 14
    DccAlert.N8: "Device removed from Inventory - Pending Status expired",  # BAD 7.1.1.6.2
    DccAlert.N9: "Communications Hub Decommission",  # BAD 7.6.2.5.5
    DccAlert.N10: '"Future Dated Response Pattern (Device)" Command time-out',  # BAD Table 14
    DccAlert.N11: '"DSP Scheduled" / "Future Dated Response Pattern (DSP)" Command time-out',  # Table 14
    DccAlert.N12: "Failure to deliver Command to Device",  # BAD Table 14
    DccAlert.N13: "Failure to receive Response from Device",  # BAD Table 14
    DccAlert.N14: "Sequenced Request Failure",  # BAD Table 14
    DccAlert.N15: "Sequenced Request received out of order",  # BAD Table 14
    DccAlert.N16: "Device Identity Confirmation",  # BAD 7.1.1.6.3, 7.2.1.6.7
    DccAlert.N17: "Schedule removal because of CoS",  # BAD 7.7.1.5.4
    DccAlert.N18: "Firmware Version / Hash mismatch",  # BAD 7.5.3.6.2
    DccAlert.N19: "Firmware Distribution Device ID identification failure",  # BAD 7.5.3.6.2
    DccAlert.N20: "Firmware image provided is too large",  # BAD 7.5.3.6.2
    DccAlert.N21: "Unknown Firmware Version",  # BAD 7.5.3.6.2
    DccAlert.N22: "Failure to deliver Update Firmware Command to CSP",  # BAD 7.5.3.6.2
    DccAlert.N23: "Failure to receive Update Firmware Command Validation response from CSP",  # 7.5.3.6.2
    DccAlert.N24: "Successful Communications Hub Function Whitelist Update",  # BAD 7.2.1.6.7
    DccAlert.N25: "Potentially Unsuccessful Communications Hub Function Whitelist Update",  # BAD 7.2.1.6.7
    DccAlert.N26: "Update Security Credentials (CoS) \u2013 access control failure",  # BAD 7.7.1.5.4
    DccAlert.N27: "Device CoS",  # BAD 7.7.1.5.4
    DccAlert.N28: "Device Suspended",  # BAD 7.1.2.4.3
    DccAlert.N29: "Device Restored from Suspension",  # BAD 7.1.2.4.4
    DccAlert.N30: "CHF Device Log Restored",  # BAD 7.6.1.6.5
    DccAlert.N31: "GPF Device Log Restored",  # BAD 7.6.1.6.6
    DccAlert.N33: (  # BAD 7.6.2.5.5
        "Cancellation of Future Dated Response Pattern (DSP) requests because of Device Decommission"
    ),
    DccAlert.N38: "Cancellation of Future Dated Response Pattern (DSP) requests because of CoS",  # 7.7.1.5.4
    DccAlert.N39: "PPMID Alert",  # BAD 7.5.6.5.3
    DccAlert.N40: "Schedule Removal because of Device Suspension",  # BAD 7.1.2.4.3
    DccAlert.N41: "Cancellation of Future Dated (DSP) requests because of Device Suspension",  # 7.1.2.4.3
    DccAlert.N42: "Security Credentials updated on the Device",  # BAD 7.7.2.5.5, 7.7.2.5.6
    DccAlert.N43: "PPMID Removal",  # BAD 7.6.2.5.4
    DccAlert.N44: "Recovery complete (ACB Credentials)",  # BAD 7.7.3.4.3, 7.7.3.4.5
    DccAlert.N45: "Recovery Complete",  # BAD 7.7.3.4.4
    DccAlert.N54: "Dual Band CH Sub GHz Alert",  # BAD 7.5.8
}

_DCC_DESCRIPTIONS: dict[DccAlert, str] = {
    DccAlert.N1: (
        "an ESME is decommissioned (SRV 8.3): to the Electricity Distributor and, where the meter has an Export MPAN, "
        "its Export Supplier (AD 3.8.100.5(d); AC 9.1; BAD 7.6.2.5.5)"
    ),
    DccAlert.N2: "a GSME is decommissioned (SRV 8.3): to the Gas Transporter (AD 3.8.100.5(d); AC 9.1)",
    DccAlert.N6: (
        "sent to the owner of each DCC Schedule deleted because its Device (a CHF: its GPF) is decommissioned "
        "(AD 3.8.100.5(e), (f))"
    ),
    DccAlert.N9: (
        "a CHF (and its GPF) is decommissioned: to every Responsible Supplier and Network Party of the SMSs it "
        "served but the sender (AB 10.3; SEC H6.4(c))"
    ),
    DccAlert.N16: "a Smart Meter's MPxN association is recorded or changed (AC 4.3(b); AD 3.8.101.4.4e)",
    DccAlert.N24: "second CS14 from the CHF within the join timeout after 'Update HAN Device Log' (8.11)",
    DccAlert.N25: "no second CS14 from the CHF within the join timeout after 'Update HAN Device Log' (8.11)",
    DccAlert.N28: "a Device Model is removed from the CPL (SEC H6.10; AC 9.1, 9.2)",
    DccAlert.N29: (
        "a suspended Device is restored to its prior status: its Model is back on the CPL or new firmware put it "
        "there (AC 7.3; BAD 7.1.2.4.4)"
    ),
    DccAlert.N30: (
        "SRV 8.12.1 restored a CHF Device Log: to every Responsible Supplier for the CHF but the sender (AB 10.4)"
    ),
    DccAlert.N31: (
        "SRV 8.12.2 restored a GPF Device Log, sent by other than the Gas Supplier: to the Gas Supplier (AB 10.5; "
        "AD 3.6.3.4 says every other Responsible Supplier for the CHF, BAD 7.6.1.7)"
    ),
    DccAlert.N33: (
        "sent to the sender of each Future Dated (DSP) request cancelled because its Device (other than a CHF) is "
        "decommissioned (AD 3.8.100.5(g))"
    ),
    DccAlert.N34: (
        "sent to the sender of each Future Dated (DSP) request for the GPF cancelled when its CHF is "
        "Decommissioned (AD 3.8.100.5(h))"
    ),
    DccAlert.N36: (
        "sent to the sender of each Future Dated (DSP) request cancelled when a CHF is Withdrawn "
        "(AD 3.8.101.4.3cii.2)"
    ),
    DccAlert.N40: "sent to the creator of each DCC Schedule deleted because its Device is suspended (BAD 7.1.2.4.3)",
    DccAlert.N41: (
        "sent to the sender of each Future Dated (DSP) request cancelled because its Device is suspended "
        "(BAD 7.1.2.4.3)"
    ),
    DccAlert.N43: (
        "SRV 8.11 removed a PPMID joined to an ESME and a GSME: to every Responsible Supplier for the CHF but the "
        "sender (BAD 7.6.2.5.4; contested by 'no additional DCC Alerts', l.3685)"
    ),
    DccAlert.N37: (
        "sent to the owner of each DSP Schedule deleted when a CHF is Withdrawn (AD 3.8.101.4.3cii.1)"
    ),
}


#: The GBCS message code of the 'Future Dated Firmware Activation' alert (BAD 7.5.3.6.3).
FUTURE_DATED_FIRMWARE_ACTIVATION_MESSAGE_CODE: Final = 0x00CA


class DeviceAlert(IntEnum):
    """A GBCS Device Alert code referred to by the BAD (or allowed by DUIS for future-dated alerts)."""

    CREDIT_BELOW_LOW_CREDIT_LIMIT = 0x810D
    CREDIT_ADDED_LOCALLY = 0x810E
    EMERGENCY_CREDIT_AVAILABLE = 0x8119
    DEVICE_JOINED_SMHAN = 0x8183
    SUPPLY_DISABLED_THEN_LOCKED_SUPPLY_TAMPER_STATE = 0x81BE
    BILLING_LOG_UPDATED = 0x8F0A
    CLOCK_NOT_ADJUSTED = 0x8F0C
    CREDIT_BELOW_DISABLEMENT_THRESHOLD = 0x8F0F
    CHF_DEVICE_LOG_CHANGED = 0x8F12
    FIRMWARE_DISTRIBUTION_RECEIPT_FAILURE = 0x8F1C
    GAS_SMART_METER_POWER_SUPPLY_LOSS = 0x8F1D
    SUPPLY_ARMED = 0x8F32
    SUPPLY_DISABLED_THEN_ARMED_LOAD_LIMIT = 0x8F33
    SUPPLY_ENABLED_AFTER_LOAD_LIMIT_RESTORATION = 0x8F34
    UNAUTHORISED_COMMUNICATION_ACCESS_ATTEMPTED = 0x8F3E
    UNAUTHORISED_PHYSICAL_ACCESS_TAMPER_DETECT = 0x8F3F
    SUPPLY_INTERRUPTED_PHASE_1 = 0x8F58
    SUPPLY_INTERRUPTED_PHASE_2 = 0x8F59
    SUPPLY_INTERRUPTED_PHASE_3 = 0x8F5A
    FUTURE_DATED_COMMAND_ACTIONED = 0x8F66
    FUTURE_DATED_COMMAND_NOT_ACTIONED = 0x8F67
    DEVICE_COMMISSIONED = 0x8F69
    FIRMWARE_DISTRIBUTION_RECEIPT_SUCCESS = 0x8F72
    UNAUTHORISED_PHYSICAL_ACCESS_OTHER = 0x8F78
    DISABLEMENT_OF_SUPPLY_SUSPENDED = 0x8F83
    # -- GBCS Alert Codes the BAD does not name, raised by the simulated devices (devices/catalogue.py) --
    GPF_DEVICE_LOG_CHANGED = 0x8071
    SUB_GHZ_CONFIGURATION_CHANGED = 0x8F2A
    SOURCE_DOES_NOT_HAVE_AUTHORITY_FOR_COMMAND = 0x8F30
    SUPPLY_OUTAGE_RESTORED = 0x8F35
    SUPPLY_OUTAGE_RESTORED_OUTAGE_3_MINUTES = 0x8F36
    TRUSTED_SOURCE_AUTHENTICATION_FAILURE = 0x8F3D

    @property
    def hex(self) -> str:
        """The code as four upper-case hex digits, e.g. '8F12' (the DUIS hexBinary form)."""
        return f"{self.value:04X}"

    @property
    def title(self) -> str:
        """The alert's name as the BAD gives it (see the comments for the section)."""
        return _DEVICE_TITLES[self]

    @classmethod
    def from_hex(cls, code: str) -> DeviceAlert:
        """Parse '8F12', '8f12' or '0x8F12'; raise ``ValueError`` naming an unknown or malformed code."""
        text = code.strip()
        if text[:2].lower() == "0x":
            text = text[2:]
        try:
            return cls(int(text, 16))
        except ValueError:
            raise ValueError(f"not a known Device Alert code: {code!r}") from None


_DEVICE_TITLES: dict[DeviceAlert, str] = {
    DeviceAlert.CREDIT_BELOW_LOW_CREDIT_LIMIT: "Credit Below Low Credit Limit",  # BAD 7.3.2.5.3
    DeviceAlert.CREDIT_ADDED_LOCALLY: "Credit Added Locally",  # BAD 7.3.2.5.5
    DeviceAlert.EMERGENCY_CREDIT_AVAILABLE: "Emergency Credit Available",  # BAD 7.3.2.5.4
    DeviceAlert.DEVICE_JOINED_SMHAN: "Device joined SMHAN",  # BAD 7.2.1.6.7, 7.6.1.6.5
    DeviceAlert.SUPPLY_DISABLED_THEN_LOCKED_SUPPLY_TAMPER_STATE: (  # BAD 7.5.4.6.4
        "Supply Disabled then Locked \u2013 Supply Tamper State Cause"
    ),
    DeviceAlert.BILLING_LOG_UPDATED: "Billing Log Updated",  # BAD 7.4.1.6.1
    DeviceAlert.CLOCK_NOT_ADJUSTED: "Clock not adjusted (adjustment greater than 10 seconds)",  # 7.5.7.5.2
    DeviceAlert.CREDIT_BELOW_DISABLEMENT_THRESHOLD: (  # BAD 7.3.2.5.3, 7.5.4.6.4
        "Credit Below Disablement Threshold (Prepayment Mode)"
    ),
    DeviceAlert.CHF_DEVICE_LOG_CHANGED: "CHF Device Log Changed",  # CS14, BAD 7.2.1.6.7
    DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_FAILURE: "Firmware Distribution Receipt (failure)",  # 7.5.3.6.2
    DeviceAlert.GAS_SMART_METER_POWER_SUPPLY_LOSS: "Gas Smart Meter Power Supply Loss",  # BAD 7.5.4.6.4
    DeviceAlert.SUPPLY_ARMED: "Supply Armed",  # BAD 7.5.4.6.1
    DeviceAlert.SUPPLY_DISABLED_THEN_ARMED_LOAD_LIMIT: (  # BAD 7.5.4.6.4
        "Supply Disabled then Armed \u2013 Load Limit triggered"
    ),
    DeviceAlert.SUPPLY_ENABLED_AFTER_LOAD_LIMIT_RESTORATION: (  # BAD 7.5.4.6.4
        "Supply Enabled after Load Limit Restoration Period (Load Limit triggered)"
    ),
    DeviceAlert.UNAUTHORISED_COMMUNICATION_ACCESS_ATTEMPTED: "Unauthorised Communication Access attempted",
    DeviceAlert.UNAUTHORISED_PHYSICAL_ACCESS_TAMPER_DETECT: (  # BAD 7.5.4.6.4, 7.5.6.5.3
        "Unauthorised Physical Access \u2013 Tamper Detect"
    ),
    DeviceAlert.SUPPLY_INTERRUPTED_PHASE_1: "Supply Interrupted on Phase 1",  # BAD 7.5.6.5.2
    DeviceAlert.SUPPLY_INTERRUPTED_PHASE_2: "Supply Interrupted on Phase 2",  # BAD 7.5.6.5.2
    DeviceAlert.SUPPLY_INTERRUPTED_PHASE_3: "Supply Interrupted on Phase 3",  # BAD 7.5.6.5.2
    # 8F66 / 8F67: DUIS FutureDatedDeviceAlertMessage codes; not named in the BAD. Names from the GBCS
    # alert code list.
    DeviceAlert.FUTURE_DATED_COMMAND_ACTIONED: "Future-date HAN Interface Command Successfully Actioned",
    DeviceAlert.FUTURE_DATED_COMMAND_NOT_ACTIONED: (
        "Future-date HAN Interface Command not Successfully Actioned"
    ),
    DeviceAlert.DEVICE_COMMISSIONED: "Device Commissioned",  # BAD 7.2.1.6.7, 7.2.2
    DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_SUCCESS: "Firmware Distribution Receipt (success)",  # 7.5.3.6.2
    DeviceAlert.UNAUTHORISED_PHYSICAL_ACCESS_OTHER: "Unauthorised Physical Access - Other",  # BAD 7.5.6.5.3
    DeviceAlert.DISABLEMENT_OF_SUPPLY_SUSPENDED: (  # BAD 7.3.2.5.3
        "Disablement of Supply due to insufficient credit has been suspended"
    ),
    # Not named in the BAD: titles from the GBCS Alert Code list (GBCS Table 16.2, as published with the
    # Wireshark GBCS dissector). The BAD refers to GCS62 (the GPF's log alert, 7.2.1.6.12) and to the
    # Dual Band CH alerts behind N54 (7.5.8) without giving their codes.
    DeviceAlert.GPF_DEVICE_LOG_CHANGED: "GPF Device Log Changed",
    DeviceAlert.SUB_GHZ_CONFIGURATION_CHANGED: "Sub GHz Configuration Changed",
    DeviceAlert.SOURCE_DOES_NOT_HAVE_AUTHORITY_FOR_COMMAND: "Source Does not have Authority for Command",
    DeviceAlert.SUPPLY_OUTAGE_RESTORED: "Supply Outage Restored",
    DeviceAlert.SUPPLY_OUTAGE_RESTORED_OUTAGE_3_MINUTES: "Supply Outage Restored - Outage >= 3 minutes",
    DeviceAlert.TRUSTED_SOURCE_AUTHENTICATION_FAILURE: "Trusted Source Authentication Failure",
}
