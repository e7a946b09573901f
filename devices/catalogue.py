"""What the simulated devices are, as data: trust anchor cells, who may sign what, log capacities, the use
cases each Device Type answers, and the device-level state machines (supply, firmware).

Sources: BAD = Business Architecture Document v2.0 (reference/004); AC = SEC Appendix AC (quoted in the BAD);
App L = SEC Appendix L (SMKI Recovery Procedure, quoted in BAD 7.7.3); digest 03 §F.10 and §G.6.

Decisions where the Code is silent (each is marked ``DECISION`` where it is used):

1. Trust anchor cells are modelled for Digital Signing only. BAD Table 4 / AC 3.2 also give Key Agreement
   cells (Supplier, Network Operator, ACB), used to encrypt sensitive Commands and Responses; the simulated
   SM WAN does not encrypt, so those cells would be inert. A CS02b may carry a Key Agreement certificate;
   devices ignore it and say so in the Response.
2. Which cells each Device Type has (``CELLS``): Table 4 lists the roles; it says Network Operator cells are
   required on the ESME and GPF only. The CHF gets the cells the DCC uses with it (Root, Recovery, ACB,
   WAN Provider: BAD 7.5.3.6.5 has CH firmware signed by the WAN Provider). PPMID, IHD and CAD hold none
   (Type 2 Devices have no credentials; the BAD never sends a PPMID a signed Command).
3. Device Log capacities (``LOG_CAPACITY``): the CHTS/GBCS minimums are not in the reference texts. We
   chose 16 Devices for the CHF Device Log (a CH serves at most one premises' meters, PPMIDs, IHDs, CADs
   and HCALCSs), 5 for the GPF and the Smart Meters (BAD 7.2.1.6.12 joins at most a GPF or ESME, PPMID,
   IHD, HCALCS and a CAD to one meter), 2 for a PPMID (ESME and GSME) and 1 for an HCALCS (its ESME).
4. Non-Critical Commands are protected in GBCS by the DCC Access Control Broker's MAC, which the simulation
   does not model: the SM WAN is trusted for them. Critical Commands carry the User's signature (the Signed
   Pre-Command, ``dccflow.gbcs``) and are verified against the Supplier cell (``SIGNED_BY``); unsigned ones
   are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import RemotePartyRole, SmkiRoleCode
from dccflow.firmware_image import ACTIVATION_CANCELLATION

_R = RemotePartyRole
_D = DeviceType

#: Trust anchor cells per Device Type (BAD 7.2.1.5 Table 4; AC 3.2). DECISION 1 and 2 above.
CELLS: Mapping[DeviceType, tuple[RemotePartyRole, ...]] = MappingProxyType({
    _D.CHF: (_R.ROOT, _R.RECOVERY, _R.ACCESS_CONTROL_BROKER, _R.WAN_PROVIDER),
    _D.GPF: (_R.ROOT, _R.RECOVERY, _R.SUPPLIER, _R.NETWORK_OPERATOR, _R.ACCESS_CONTROL_BROKER,
             _R.TRANSITIONAL_COS),
    _D.ESME: (_R.ROOT, _R.RECOVERY, _R.SUPPLIER, _R.NETWORK_OPERATOR, _R.ACCESS_CONTROL_BROKER,
              _R.TRANSITIONAL_COS),
    _D.GSME: (_R.ROOT, _R.RECOVERY, _R.SUPPLIER, _R.ACCESS_CONTROL_BROKER, _R.TRANSITIONAL_COS),
    _D.HCALCS: (_R.ROOT, _R.RECOVERY, _R.SUPPLIER, _R.ACCESS_CONTROL_BROKER, _R.TRANSITIONAL_COS),  # Table 11 row 10
    _D.PPMID: (), _D.IHD: (), _D.CAD: (),
})

#: The Remote Party Role codes a certificate may carry to occupy each cell (BAD Table 4: the Supplier cell
#: may hold a Supplier's or the DCC's ACB certificate; the Network Operator cell a Network Operator's, a
#: Supplier's or the ACB certificate; the other cells the DCC's own certificate of that role).
ALLOWED_ROLE_CODES: Mapping[RemotePartyRole, frozenset[str]] = MappingProxyType({
    _R.ROOT: frozenset(),  # the Root OCA certificate is a CA certificate; it carries no role code
    _R.RECOVERY: frozenset({SmkiRoleCode.RECOVERY.ou}),
    _R.SUPPLIER: frozenset({SmkiRoleCode.SUPPLIER.ou, SmkiRoleCode.ACCESS_CONTROL_BROKER.ou}),
    _R.NETWORK_OPERATOR: frozenset({SmkiRoleCode.NETWORK_OPERATOR.ou, SmkiRoleCode.SUPPLIER.ou,
                                    SmkiRoleCode.ACCESS_CONTROL_BROKER.ou}),
    _R.ACCESS_CONTROL_BROKER: frozenset({SmkiRoleCode.ACCESS_CONTROL_BROKER.ou}),
    _R.TRANSITIONAL_COS: frozenset({SmkiRoleCode.TRANSITIONAL_COS.ou}),
    _R.WAN_PROVIDER: frozenset({SmkiRoleCode.WAN_PROVIDER.ou}),
    _R.LOAD_CONTROLLER: frozenset({SmkiRoleCode.LOAD_CONTROLLER.ou}),
})

#: Which cells' holders may sign a CS02b 'Update Security Credentials' that replaces each cell:
#: the current holder (KRP, BAD 7.7.2.5.6; Request Handover, 7.7.2.5.5, where the DCC's ACB certificate
#: sits in the cell); the Transitional CoS party for the Supplier cell (CoS, BAD 7.7.1.5.4); the DCC's
#: Recovery key for any cell but Root (App L 4.2.2.4, 4.3.2.5, 6.2.2.4). The Root cell: by the Contingency
#: Command (App L 5.2.8, ``devices.contingency``), or in the Contingency key rollover (App L 6.1.2.7) by the
#: Supplier cell's holder (the DCC's ACB key for a CHF) with a new Root the existing Root key signed.
ENTITLED_TO_REPLACE: Mapping[RemotePartyRole, frozenset[RemotePartyRole]] = MappingProxyType({
    _R.ROOT: frozenset({_R.SUPPLIER, _R.ACCESS_CONTROL_BROKER}),
    _R.RECOVERY: frozenset({_R.RECOVERY}),
    _R.SUPPLIER: frozenset({_R.SUPPLIER, _R.TRANSITIONAL_COS, _R.RECOVERY}),
    _R.NETWORK_OPERATOR: frozenset({_R.NETWORK_OPERATOR, _R.RECOVERY}),
    _R.ACCESS_CONTROL_BROKER: frozenset({_R.ACCESS_CONTROL_BROKER, _R.RECOVERY}),
    _R.TRANSITIONAL_COS: frozenset({_R.TRANSITIONAL_COS, _R.RECOVERY}),
    _R.WAN_PROVIDER: frozenset({_R.WAN_PROVIDER, _R.RECOVERY}),
    _R.LOAD_CONTROLLER: frozenset({_R.LOAD_CONTROLLER, _R.RECOVERY}),
})

#: Critical Commands: the cell whose certificate must have signed them, per Device Type. From the SRVs the
#: BAD processes as Critical: 8.1.1 (ECS70/GCS28), 8.7.1 (CS03A1, CS03C on the GSME, CS03A2 on an
#: HCALCS), 8.8.1 (CS04AC on meters and HCALCS), 11.3 (CS06), 6.17 (CS02c), 6.15.2 (CS02d), 7.1-7.3
#: (ECS42/ECS43/ECS44, GCS32/GCS39), 1.1.1 (ECS01a/GCS01a). Firmware images are signed by the Supplier (BAD
#: 7.5.3.6.2, GBCS 11.2.5) and CH images by the WAN Provider (BAD 7.5.3.6.5). CS02b is checked by
#: ``ENTITLED_TO_REPLACE`` instead.
_METER_CRITICAL = ("CS03A1", "CS04AC", "CS06", "CS02c", "CS02d", "UpdateFirmware")
SIGNED_BY: Mapping[DeviceType, Mapping[str, RemotePartyRole]] = MappingProxyType({
    _D.ESME: MappingProxyType({uc: _R.SUPPLIER for uc in (*_METER_CRITICAL, "ECS70", "ECS42", "ECS43", "ECS44",
                                                          "ECS01a")}),
    _D.GSME: MappingProxyType({uc: _R.SUPPLIER for uc in (*_METER_CRITICAL, "GCS28", "CS03C", "GCS32",
                                                          "GCS39", "GCS01a")}),
    _D.GPF: MappingProxyType({uc: _R.SUPPLIER for uc in ("CS02c", "CS02d")}),
    _D.HCALCS: MappingProxyType({uc: _R.SUPPLIER for uc in ("CS03A2", "CS04AC")}),
    # CH credentials are the DCC's duty (BAD 7.2.3): signed with its ACB key; CH firmware by the WAN Provider
    _D.CHF: MappingProxyType({"UpdateFirmware": _R.WAN_PROVIDER, "CS06": _R.WAN_PROVIDER,
                              "CS02c": _R.ACCESS_CONTROL_BROKER, "CS02d": _R.ACCESS_CONTROL_BROKER}),
})

#: DECISION 3: how many Devices each Device Log holds.
LOG_CAPACITY: Mapping[DeviceType, int] = MappingProxyType({
    _D.CHF: 16, _D.GPF: 5, _D.ESME: 5, _D.GSME: 5, _D.PPMID: 2, _D.HCALCS: 1,
})

#: Devices that join the SM HAN through the CHF Device Log (BAD 7.2.1.6.7; 7.2.1.6.14 for the CAD). The GPF
#: is part of the Communications Hub and is on the SM HAN whenever the CH is powered.
HAN_JOINERS: frozenset[DeviceType] = frozenset({_D.ESME, _D.GSME, _D.PPMID, _D.HCALCS, _D.IHD, _D.CAD})

#: Devices that own a key-agreement key pair for CBKE and device certificates (BAD 7.7.2.5.7: Smart Meters,
#: CHF and GPF generate key pairs and hold Device Certificates; HAN devices take part in CBKE too).
KEY_HOLDERS: frozenset[DeviceType] = frozenset(DeviceType)

# -- supply (BAD 7.5.4; digest 03 §G.6) -------------------------------------------------------------------
ENABLED, ARMED, DISABLED = "enabled", "armed", "disabled"
#: Causes of a Disabled supply after which an Arm (and, on an ESME, an Enable) Command takes effect
#: (BAD 7.5.4.6.1-7.5.4.6.2); any other cause (credit, load limit) leaves the supply as it is.
REMOTELY_RECOVERABLE_CAUSES: frozenset[str] = frozenset({"disable-command", "tamper", "supply-depletion"})
#: Every supply-state change a Smart Meter may make, with what causes it.
SUPPLY_TRANSITIONS: Mapping[tuple[str, str], str] = MappingProxyType({
    (ENABLED, ARMED): "Arm Supply ECS44/GCS39 (BAD 7.5.4.6.1)",
    (ARMED, ARMED): "Arm Supply on an Armed supply (BAD 7.5.4.6.1)",
    (DISABLED, ARMED): "Arm Supply after a Disable Command, tamper or GSME power loss (BAD 7.5.4.6.1)",
    (ARMED, ENABLED): "Enable Supply ECS42 (ESME) or a local enable on the meter (BAD 7.5.4.6.1-2)",
    (DISABLED, ENABLED): "Enable Supply ECS42 after a Disable Command or tamper (ESME; BAD 7.5.4.6.2)",
    (ENABLED, DISABLED): "Disable Supply ECS43/GCS32, tamper or GSME power loss (BAD 7.5.4.6.3-4)",
    (ARMED, DISABLED): "Disable Supply ECS43/GCS32 (BAD 7.5.4.6.3)",
    (DISABLED, DISABLED): "Disable Supply on a Disabled supply (BAD 7.5.4.6.3)",
    (ENABLED, ENABLED): "Enable Supply on an Enabled supply",
})

# -- firmware (BAD 7.5.3.6.2-3; digest 03 §F.10) -----------------------------------------------------------
FW_IDLE, FW_DOWNLOADING, FW_STORED = "IDLE", "DOWNLOADING", "STORED_VERIFIED"
FW_SCHEDULED = "ACTIVATION_SCHEDULED"
FIRMWARE_TRANSITIONS: Mapping[tuple[str, str], str] = MappingProxyType({
    (FW_IDLE, FW_DOWNLOADING): "image buffered at the CH and offered to the device (BAD 7.5.3.6.2)",
    (FW_STORED, FW_DOWNLOADING): "a newer image offered while one is stored",
    (FW_SCHEDULED, FW_DOWNLOADING): "a newer image offered while an activation is scheduled",
    (FW_DOWNLOADING, FW_STORED): "download verified: 0x8F72 (BAD 7.5.3.6.2)",
    (FW_DOWNLOADING, FW_IDLE): "download failed verification: 0x8F1C, image discarded (digest 03 §F.12)",
    (FW_STORED, FW_IDLE): "CS06 activated the image (success or failure) (BAD 7.5.3.6.3)",
    (FW_STORED, FW_SCHEDULED): "future-dated CS06 stored (BAD 7.5.3.6.3)",
    (FW_SCHEDULED, FW_STORED): "future-dated activation cancelled (DUIS 3000-12-31 convention)",
    (FW_SCHEDULED, FW_IDLE): "future-dated activation executed: 0x00CA (BAD 7.5.3.6.3)",
    (FW_SCHEDULED, FW_SCHEDULED): "future-dated CS06 re-scheduled",
})
#: DUIS convention for cancelling a stored future-dated activation (sample CS06_11.3_CANCELLATION): the DCC's reading
#: of it too (``dccflow.firmware_image.cancels_activation``)
FIRMWARE_CANCEL_YEAR = ACTIVATION_CANCELLATION.year
#: How long the meter's Zigbee OTA download from the CH takes once the CH has buffered the image.
OTA_DOWNLOAD_SECONDS = 600
#: DECISION: the effective Zigbee OTA throughput over the SM HAN (octets per second; digest 03 §F.14 "realistic:
#: one download per meter over the HAN"): a 750 kB image takes about 50 minutes, a small one the minimum above.
OTA_BYTES_PER_SECOND = 250

# -- timing ------------------------------------------------------------------------------------------------
#: How long a powered device takes to find the SM HAN, authenticate with its install code and finish CBKE.
DEFAULT_JOIN_DELAY_SECONDS = 20
#: BAD 7.5.6.5.2: an outage of the CH's mains of 3 minutes or more is a 'Power Outage Event' (AD1); GBCS
#: distinguishes the restoration alerts on the same threshold (0x8F35 / 0x8F36).
LONG_OUTAGE_SECONDS = 180
