"""Persisted state of the simulated devices: one row per device, plus its key pairs and stored firmware image.

Trust anchor cells (``anchors``) hold either the id of a certificate in the SMKI Repository (an int: the
certificates the procurer put there at manufacture are shared Organisation Certificates, so a reference is
enough) or the certificate itself (base64 DER: what a CS02b placed). Device key pairs are created on first
need (``devices.keys``), not at manufacture, so a fleet of 400,000 devices is built without 800,000 ECDSA
key generations.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import JSON, Column, Field, LargeBinary, SQLModel


class DeviceState(SQLModel, table=True):
    __tablename__ = "device_state"

    device_id: str = Field(primary_key=True)
    device_type: str
    premises_id: str | None = Field(default=None, index=True)
    chf_id: str | None = Field(default=None, index=True)
    install_code: str | None = None
    #: physically fitted and powered by the installer
    installed: bool = False
    #: CHF only: connected to the SM WAN
    wan_connected: bool = False
    network_time_synced: bool = False
    #: joined to the SM HAN (install code authenticated, CBKE done)
    han_joined: bool = False
    #: CHF/GPF device log, or a meter's log of joined devices: list of dicts with at least the
    #: DeviceLogEntry fields (device_id, device_type, joined); the CHF also keeps the install-code link key
    device_log: list = Field(default_factory=list, sa_column=Column(JSON))
    firmware_version: str = "1.0.0"
    clock: datetime | None = None
    #: fault name -> parameter (see devices.faults)
    faults: dict = Field(default_factory=dict, sa_column=Column(JSON))
    # -- added for the fleet model ----------------------------------------------------------------------
    #: mains lost at (None: powered). Battery devices (GSME, PPMID, IHD, CAD) never lose mains.
    power_lost_at: datetime | None = None
    #: when ``clock`` was last set (the device's clock runs on from there)
    clock_set_at: datetime | None = None
    #: trust anchor cells: RemotePartyRole value -> SMKI certificate id (int) or base64 DER (str)
    anchors: dict = Field(default_factory=dict, sa_column=Column(JSON))
    #: anti-replay: originator id -> [last counter, its request id]
    counters: dict = Field(default_factory=dict, sa_column=Column(JSON))
    #: Smart Meters: supply state (enabled / armed / disabled), lock and the cause of a disablement
    supply_state: str | None = None
    supply_locked: bool = False
    supply_cause: str | None = None
    #: firmware state machine (devices.catalogue.FIRMWARE_TRANSITIONS) and its pending job
    firmware_state: str = "IDLE"
    firmware_job: dict = Field(default_factory=dict, sa_column=Column(JSON))
    #: Smart Meters: the MPxN set for display (SRV 6.20.1)
    mpxn: str | None = None
    #: CHF: a Dual Band CH, and its Sub-GHz configuration (BAD 7.5.8)
    dual_band: bool = False
    sub_ghz: dict = Field(default_factory=dict, sa_column=Column(JSON))
    #: GPF: the gas mirror the GSME asked for after joining (BAD 7.2.1.6.7)
    mirror: dict = Field(default_factory=dict, sa_column=Column(JSON))
    #: CBKE results: peer device id -> {"key_id": fingerprint of the shared key, "at": iso time}
    links: dict = Field(default_factory=dict, sa_column=Column(JSON))
    # -- Smart Meters at Change of Supplier (BAD 7.7.1.5.4; devices.cos_effects) --------------------------------
    #: the Supplier name the Meter shows (set from the Organisation Certificate a CoS places; SRV 3.4 later)
    supplier_name: str | None = None
    #: the Supplier telephone number the Meter shows (SRV 3.4: ECS16 / GCS44)
    supplier_telephone: str | None = None
    #: the Import Tariff (Primary Element) set by ECS01a / GCS01a (SRV 1.1.1): currency, standing charge, prices
    tariff: dict = Field(default_factory=dict, sa_column=Column(JSON))
    #: cumulative registers, name -> value (the readings a Billing Data Log entry records)
    registers: dict = Field(default_factory=dict, sa_column=Column(JSON))
    #: the Tariff Block Counter Matrix: rows of block counters per tariff (ESME 8 x 4, GSME 1 x 4)
    tariff_block_counters: list = Field(default_factory=list, sa_column=Column(JSON))
    #: the Billing Data Log: entries {"at", "event", "registers", "tariff_block_counters", ...}
    billing_data_log: list = Field(default_factory=list, sa_column=Column(JSON))


class DeviceKeyPair(SQLModel, table=True):
    """A device's own key pair for one key usage, its Device Certificate, and the pending key a CS02c made."""

    __tablename__ = "device_key_pair"

    device_id: str = Field(primary_key=True)
    usage: str = Field(primary_key=True)  # KeyUsageKind value: DigitalSigning / KeyAgreement
    key_pem: bytes
    cert_pem: bytes | None = None
    pending_key_pem: bytes | None = None
    created_at: datetime


class DeviceFirmwareImage(SQLModel, table=True):
    """The firmware image a device has downloaded and verified, awaiting activation (BAD 7.5.3.6.2)."""

    __tablename__ = "device_firmware_image"

    device_id: str = Field(primary_key=True)
    firmware_version: str
    image: bytes = Field(sa_column=Column(LargeBinary))
    #: SHA-256 (hex, upper case) of the image as verified on download
    image_hash: str
    received_at: datetime


class ChfBufferedAlert(SQLModel, table=True):
    """A Device Alert the CHF holds while it is off the SM WAN (BAD 7.2.2.6.3: "the CHF also maintains a buffer of
    all Device Alerts and Responses whilst the WAN is unavailable"); an HHT on site reads it, and the CHF sends it
    to the DCC when it connects to the SM WAN (BAD 7.2.2.6.6). ``alert`` is a ``DeviceAlertEvent`` as JSON."""

    __tablename__ = "device_chf_buffer"

    id: int | None = Field(default=None, primary_key=True)
    chf_id: str = Field(index=True)
    at: datetime
    alert: dict = Field(default_factory=dict, sa_column=Column(JSON))
    #: when the CHF sent it to the DCC over the SM WAN (None: still held)
    flushed_at: datetime | None = None


class DeviceTimerFired(SQLModel, table=True):
    """A device timer that has fired (``Fleet.fire_timer_with_hubs``), with the effects it had, written in the
    transaction that fired it. A timer fires once: its activity retried after that transaction committed (the
    worker died before carrying the effects) gets the same effects back to carry, instead of running the timer
    again on the state it already changed and losing them. ``effects`` is a ``FleetEffects`` as JSON, emptied once
    they are carried (``Fleet.timer_effects_carried``)."""

    __tablename__ = "device_timer_fired"

    workflow_id: str = Field(primary_key=True)
    fired_at: datetime
    effects: dict = Field(default_factory=dict, sa_column=Column(JSON))


def default_row(**values) -> dict:
    """Every column of a ``device_state`` row with its default, for bulk inserts (``devices.builder``)."""
    row = {
        "premises_id": None, "chf_id": None, "install_code": None, "installed": False, "wan_connected": False,
        "network_time_synced": False, "han_joined": False, "device_log": [], "firmware_version": "1.0.0",
        "clock": None, "faults": {}, "power_lost_at": None, "clock_set_at": None, "anchors": {},
        "counters": {}, "supply_state": None, "supply_locked": False, "supply_cause": None,
        "firmware_state": "IDLE", "firmware_job": {}, "mpxn": None, "dual_band": False, "sub_ghz": {},
        "mirror": {}, "links": {}, "supplier_name": None, "supplier_telephone": None, "tariff": {}, "registers": {},
        "tariff_block_counters": [], "billing_data_log": [],
    }
    row.update(values)
    return row
