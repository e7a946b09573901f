"""Persisted state of the simulated devices (one row per device)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import JSON, Column, Field, SQLModel


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
    #: CHF/GPF device log, or a meter's log of joined devices: list of DeviceLogEntry dicts
    device_log: list = Field(default_factory=list, sa_column=Column(JSON))
    firmware_version: str = "1.0.0"
    clock: datetime | None = None
    #: fault name -> parameter (see devices.faults)
    faults: dict = Field(default_factory=dict, sa_column=Column(JSON))
