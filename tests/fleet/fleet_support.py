"""Helpers for the fleet tests: a fresh database with the SMKI and the Parties' certificates, one premises
built by the fleet builder, and commands as the DCC would send them (signed where GBCS requires)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from activities.credentials import UserKeyStore
from dccflow.db import get_engine, session_scope
from dccflow.domain.roles import RemotePartyRole, UserRole
from dccflow.messages import GbcsCommand, GbcsResponse
from dccflow.parties import ELECTRICITY_DISTRIBUTOR, GAS_TRANSPORTER, SUPPLIER, SUPPLIER_B
from dccflow.security.pki import Credential
from devices.anchors import authority, dcc_anchor_credential
from devices.builder import build_premises
from devices.cli import prepare_market
from devices.effects import FleetEffects
from devices.fleet import Fleet
from devices.models import DeviceState
from devices.signing import sign_command

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
IS = SUPPLIER.user_ids[UserRole.IMPORT_SUPPLIER]
GS = SUPPLIER.user_ids[UserRole.GAS_SUPPLIER]
IS_B = SUPPLIER_B.user_ids[UserRole.IMPORT_SUPPLIER]
ED = ELECTRICITY_DISTRIBUTOR.user_ids[UserRole.ELECTRICITY_DISTRIBUTOR]
GT = GAS_TRANSPORTER.user_ids[UserRole.GAS_TRANSPORTER]
DCC = "90-B3-D5-1F-30-00-00-02"


class Site:
    """One premises and the people who send its devices commands."""

    def __init__(self, tmp_path: Path, *, dual_fuel: bool = True, number: int = 7,
                 ppmid: bool = False, ihd: bool = False):
        self.engine = get_engine(f"sqlite:///{tmp_path / 'fleet.db'}")
        prepare_market(self.engine)
        self.fleet = Fleet(self.engine)
        self.users = UserKeyStore(self.engine)
        self.ids = build_premises(self.engine, number, T0, supplier=SUPPLIER, dual_fuel=dual_fuel, ppmid=ppmid,
                                  ihd=ihd)
        self.now = T0
        self._counter = itertools.count(1000)

    # -- credentials ------------------------------------------------------------------------------------
    def user(self, user_id: str) -> Credential:
        return self.users.get(user_id)

    def dcc(self, role: RemotePartyRole) -> Credential:
        return dcc_anchor_credential(self.engine, role)

    def ca(self) -> Credential:
        with session_scope(self.engine) as s:
            return authority(s, "ca")

    # -- time and state ---------------------------------------------------------------------------------
    def tick(self, seconds: float = 60) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def dev(self, device_id: str) -> DeviceState:
        return self.fleet.get(device_id)

    # -- commands ---------------------------------------------------------------------------------------
    def command(self, use_case: str, target: str, *, originator: str = IS, signer: Credential | None = None,
                counter: int | None = None, **params) -> GbcsCommand:
        n = next(self._counter) if counter is None else counter
        cmd = GbcsCommand(use_case=use_case, target=target, originator=originator,
                          request_id=f"{originator}:{target}:{n}", params=params)
        return sign_command(cmd, signer) if signer is not None else cmd

    def run(self, cmd: GbcsCommand) -> tuple[GbcsResponse, FleetEffects]:
        return self.fleet.execute(cmd, self.tick(1))

    def send(self, use_case: str, target: str, **kw) -> tuple[GbcsResponse, FleetEffects]:
        return self.run(self.command(use_case, target, **kw))

    def signed(self, use_case: str, target: str, *, by: str = IS, **kw) -> tuple[GbcsResponse, FleetEffects]:
        return self.send(use_case, target, originator=by, signer=self.user(by), **kw)

    # -- installation (what Install & Commission does, device side) -------------------------------------
    def power_up(self) -> bool:
        connected, _ = self.fleet.power_up_ch(self.ids.chf_id, self.tick())
        return connected

    def whitelist(self, device_id: str, device_type: str, install_code: str | None = None):
        from devices.premises import install_code as code_of

        return self.send("CCS01", self.ids.chf_id, device_id=device_id, device_type=device_type,
                         install_code=install_code or code_of(device_id))

    def fire(self, effects: FleetEffects, kind: str | None = None) -> FleetEffects:
        """Let the timers ``effects`` started run out (what the device workflows do), in order of delay."""
        out = FleetEffects()
        for timer in sorted(effects.timers, key=lambda t: t.delay_seconds):
            if kind is None or timer.kind == kind:
                out.extend(self.fleet.fire_timer(timer, self.tick(timer.delay_seconds)))
        return out

    def join(self, device_id: str, device_type: str) -> FleetEffects:
        """Fit the device, whitelist it on the CHF and let the join complete."""
        self.fleet.install_device(device_id, self.tick())
        _, effects = self.whitelist(device_id, device_type)
        return self.fire(effects, "han-join")

    def commissioned_electricity(self) -> None:
        assert self.power_up()
        self.join(self.ids.esme_id, "ESME")


def alert_codes(effects: FleetEffects) -> list[int]:
    return [a.alert_code for a in effects.alerts]


def cell_serial(site: Site, device_id: str, role: RemotePartyRole) -> str:
    from devices.anchors import CertResolver

    with session_scope(site.engine) as s:
        dev = s.get(DeviceState, device_id)
        cert = CertResolver().cert(s, dev.anchors.get(role.value))
    return str(cert.serial_number)


def smki_cert_by_id(site: Site, cert_id: int):
    from cryptography import x509

    from dccsim.models import SmkiCertificate

    with session_scope(site.engine) as s:
        row = s.exec(select(SmkiCertificate).where(SmkiCertificate.id == cert_id)).one()
    return x509.load_pem_x509_certificate(row.pem)


def add_device(site: Site, device_type: str, device_id: str) -> str:
    """A device the builder does not make (HCALCS, CAD), with its cells as its procurer fills them."""
    from dccflow.domain.devices import DeviceType
    from devices.anchors import AnchorIds
    from devices.premises import install_code

    cells = AnchorIds(site.engine).manufacture(DeviceType(device_type), supplier_id=IS, network_operator_id=None)
    with session_scope(site.engine) as s:
        s.add(DeviceState(device_id=device_id, device_type=device_type, premises_id=site.ids.premises_id,
                          chf_id=site.ids.chf_id, install_code=install_code(device_id), anchors=cells))
    return device_id
