"""Property: no sequence of commands, installer actions, faults and timers drives a device, or its SMI record
as the DCC keeps it from the devices' responses and alerts, into a state the transition tables forbid.

The SMI side applies the Code's rules to what the devices report, through the DCC's own ``Inventory`` (whose
``set_status`` enforces ``dccflow.domain.smi``): CHF connected → 'commissioned' (AC 4.1); CCS01 executed →
'whitelisted' (AC 4.3(c)); CS14 shows the device joined → 'installed not commissioned' (AC 4.4); Set Clock
executed → 'commissioned' (AC 4.13); CS03A1 executed → the PPMID follows the ESME (AC 4.7). Commands are only
sent when the DCC would send them (AC 4.6, 4.12). Device-level states must move along
``devices.catalogue.SUPPLY_TRANSITIONS`` and ``FIRMWARE_TRANSITIONS``.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from fleet_support import GS, IS, IS_B, Site
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from dccflow.db import session_scope
from dccflow.domain.alerts import DeviceAlert
from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import RemotePartyRole
from dccflow.domain.smi import SmiStatus
from dccsim.inventory import Inventory
from devices.catalogue import FIRMWARE_TRANSITIONS, SUPPLY_TRANSITIONS
from devices.effects import FleetEffects

_S = SmiStatus
IMAGE = b"image" * 50
HASH = hashlib.sha256(IMAGE).hexdigest().upper()
_FW_OK = set(FIRMWARE_TRANSITIONS) | {(a, c) for a, b in FIRMWARE_TRANSITIONS for b2, c in FIRMWARE_TRANSITIONS
                                      if b == b2}


class FleetMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="fleet-prop-"))
        self.site = Site(self.tmp, ppmid=True, ihd=True)
        ids = self.site.ids
        self.meters = {ids.esme_id: ("ESME", IS, "ECS70"), ids.gsme_id: ("GSME", GS, "GCS28")}
        self.joiners = {ids.esme_id: "ESME", ids.gsme_id: "GSME", ids.ppmid_id: "PPMID", ids.ihd_id: "IHD"}
        self.timers: list = []
        self.sent: list = []
        self.prev = self._snapshot()
        self.anchors_may_change = False
        self.version_may_change = False

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- the DCC's SMI, from what devices report -------------------------------------------------------------
    def _status(self, device_id: str) -> SmiStatus | None:
        with session_scope(self.site.engine) as s:
            dev = Inventory(s).find(device_id)
            return SmiStatus(dev.smi_status) if dev and dev.smi_status else None

    def _set(self, device_id: str, status: SmiStatus, reason: str) -> None:
        with session_scope(self.site.engine) as s:
            Inventory(s).set_status(device_id, status, self.site.now, reason)  # raises on a forbidden move

    def _apply(self, effects: FleetEffects) -> None:
        self.timers.extend(effects.timers)
        for alert in effects.alerts:
            if alert.alert_code == DeviceAlert.CHF_DEVICE_LOG_CHANGED:
                for entry in alert.device_log or []:
                    if entry.joined and self._status(entry.device_id) in (_S.PENDING, _S.WHITELISTED):
                        self._set(entry.device_id, _S.INSTALLED_NOT_COMMISSIONED, "AC 4.4")
            if alert.alert_code == 0x00CA and alert.detail.get("success") or alert.detail.get("activated"):
                self.version_may_change = True

    def _send(self, cmd):
        self.sent.append(cmd)
        response, effects = self.site.run(cmd)
        self._apply(effects)
        return response

    # -- rules ---------------------------------------------------------------------------------------------
    @initialize(stage=st.integers(0, 3))
    def set_up_to(self, stage):
        """Start some examples further along Install & Commission, so deep states are explored too."""
        if stage >= 1:
            self.power_up()
        if stage >= 2:
            for device in ("esme", "gsme", "ppmid", "ihd"):
                self.install(device)
                self.whitelist(device, True)
            while self.timers:
                timer = self.timers.pop(0)
                self._apply(self.site.fleet.fire_timer(timer, self.site.tick(timer.delay_seconds)))
        if stage >= 3:
            self.commission("esme", "own")
            self.commission("gsme", "own")
        self.prev = self._snapshot()

    @rule()
    def power_up(self):
        connected, effects = self.site.fleet.power_up_ch(self.site.ids.chf_id, self.site.tick())
        self._apply(effects)
        if connected and self._status(self.site.ids.chf_id) != _S.COMMISSIONED:
            self._set(self.site.ids.chf_id, _S.COMMISSIONED, "AC 4.1")

    @rule(device=st.sampled_from(["esme", "gsme", "ppmid", "ihd"]))
    def install(self, device):
        self._apply(self.site.fleet.install_device(getattr(self.site.ids, f"{device}_id"), self.site.tick()))

    @rule(device=st.sampled_from(["esme", "gsme", "ppmid", "ihd"]), right_code=st.booleans())
    def whitelist(self, device, right_code):
        device_id = getattr(self.site.ids, f"{device}_id")
        if not self.site.fleet.route(self.site.ids.chf_id).reachable:
            return
        response, effects = self.site.whitelist(device_id, self.joiners[device_id],
                                                None if right_code else "0F" * 16)
        self._apply(effects)
        if response.success and self._status(device_id) == _S.PENDING:
            self._set(device_id, _S.WHITELISTED, "AC 4.3(c)")

    @rule(device=st.sampled_from(["esme", "gsme", "ppmid", "ihd"]))
    def remove(self, device):
        if self.site.fleet.route(self.site.ids.chf_id).reachable:
            self._send(self.site.command("CCS02", self.site.ids.chf_id, device_id=getattr(self.site.ids,
                                                                                         f"{device}_id")))

    @precondition(lambda self: self.timers)
    @rule(data=st.data())
    def timer_fires(self, data):
        timer = self.timers.pop(data.draw(st.integers(0, len(self.timers) - 1)))
        self._apply(self.site.fleet.fire_timer(timer, self.site.tick(timer.delay_seconds)))

    @rule(meter=st.sampled_from(["esme", "gsme"]), signer=st.sampled_from(["own", "other", "none"]))
    def commission(self, meter, signer):
        meter_id = getattr(self.site.ids, f"{meter}_id")
        dtype, supplier, use_case = self.meters[meter_id]
        status = self._status(meter_id)
        if status in (_S.COMMISSIONED, _S.DECOMMISSIONED, _S.WITHDRAWN, _S.SUSPENDED) or \
                self._status(self.site.ids.chf_id) != _S.COMMISSIONED or not self._reachable(meter_id):
            return  # AC 4.12: the DCC sends no Command
        by = {"own": supplier, "other": IS_B, "none": None}[signer]
        cred = self.site.user(by) if by else None
        response = self._send(self.site.command(use_case, meter_id, originator=by or supplier, signer=cred))
        event(f"Set Clock {'executed' if response.success else 'refused'}")
        if response.success:
            self._set(meter_id, _S.COMMISSIONED, "AC 4.13")

    @rule()
    def join_ppmid(self):
        ids = self.site.ids
        ok = {_S.PENDING, _S.INSTALLED_NOT_COMMISSIONED, _S.COMMISSIONED}
        if not (self._status(ids.ppmid_id) in ok and self._status(ids.esme_id) in ok and self._reachable(ids.esme_id)):
            return  # AC 4.6
        self._send(self.site.command("CS03A2", ids.ppmid_id, other_device_id=ids.esme_id))
        response = self._send(self.site.command("CS03A1", ids.esme_id, signer=self.site.user(IS),
                                                other_device_id=ids.ppmid_id))
        event(f"CS03A1 {'executed' if response.success else 'refused'}")
        esme = self._status(ids.esme_id)
        if response.success and esme in (_S.INSTALLED_NOT_COMMISSIONED, _S.COMMISSIONED) and \
                self._status(ids.ppmid_id) != _S.COMMISSIONED:
            self._set(ids.ppmid_id, esme, "AC 4.7")

    @rule(use_case=st.sampled_from(["ECS42", "ECS43", "ECS44", "ECS45"]), signed=st.booleans())
    def supply(self, use_case, signed):
        esme = self.site.ids.esme_id
        if self._reachable(esme):
            self._send(self.site.command(use_case, esme, signer=self.site.user(IS) if signed else None))

    @rule()
    def consumer_enables(self):
        self.site.fleet.consumer_enable_supply(self.site.ids.esme_id)

    @rule(signer=st.sampled_from([IS, IS_B]), corrupt=st.sampled_from([None, "download", "storage"]))
    def distribute_firmware(self, signer, corrupt):
        esme = self.site.ids.esme_id
        if not self._reachable(esme):
            return
        if corrupt:
            self.site.fleet.set_fault(esme, "firmware-corrupt", corrupt)
        else:
            self.site.fleet.clear_fault(esme, "firmware-corrupt")
        self._send(self.site.command("UpdateFirmware", esme, signer=self.site.user(signer), firmware_version="9.9",
                                     image_b64=base64.b64encode(IMAGE).decode(), image_hash=HASH))

    @rule(right_hash=st.booleans(), future=st.booleans())
    def activate_firmware(self, right_hash, future):
        esme = self.site.ids.esme_id
        if not self._reachable(esme):
            return
        when = {"execution_datetime": self.site.now.replace(year=self.site.now.year + 1).isoformat()} if future else {}
        response = self._send(self.site.command("CS06", esme, signer=self.site.user(IS),
                                                firmware_hash=HASH if right_hash else "00" * 32, **when))
        self.version_may_change |= response.success and not future

    @rule(signer=st.sampled_from(["supplier", "other", "transcos", "recovery"]))
    def replace_supplier_cell(self, signer):
        esme = self.site.ids.esme_id
        if not self._reachable(esme):
            return
        cred = {"supplier": self.site.user(IS), "other": self.site.user(IS_B),
                "transcos": self.site.dcc(RemotePartyRole.TRANSITIONAL_COS),
                "recovery": self.site.dcc(RemotePartyRole.RECOVERY)}[signer]
        new = self.site.user(IS_B).cert
        der = lambda c: base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()  # noqa: E731
        response = self._send(self.site.command("CS02b", esme, signer=cred, remote_party_role="Supplier",
                                                certificate=der(new), certification_path=[der(self.site.ca().cert)]))
        self.anchors_may_change |= response.success

    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    def replay(self, data):
        cmd = self.sent[data.draw(st.integers(0, len(self.sent) - 1))]
        if self._reachable(cmd.target):
            response, effects = self.site.run(cmd)
            assert response.success is False or response.params.get("duplicate"), response
            self._apply(effects)

    @rule(minutes=st.integers(1, 10))
    def power_cut(self, minutes):
        if self.site.dev(self.site.ids.chf_id).installed:
            self._apply(self.site.fleet.power_loss(self.site.ids.chf_id, self.site.tick(), minutes))

    def _reachable(self, device_id: str) -> bool:
        return self.site.fleet.route(device_id).reachable

    # -- device-level invariants ---------------------------------------------------------------------------
    def _snapshot(self) -> dict:
        return {d.device_id: d for d in self.site.fleet.premises_devices(self.site.ids.premises_id)}

    @invariant()
    def devices_move_only_along_their_tables(self):
        now = self._snapshot()
        chf = now[self.site.ids.chf_id]
        joined_in_log = {e["device_id"] for e in chf.device_log if e["joined"]}
        for device_id, dev in now.items():
            before = self.prev[device_id]
            if DeviceType(dev.device_type) in (DeviceType.ESME, DeviceType.GSME, DeviceType.PPMID, DeviceType.IHD):
                assert dev.han_joined == (device_id in joined_in_log), device_id
            if before.supply_state and dev.supply_state != before.supply_state:
                assert (before.supply_state, dev.supply_state) in SUPPLY_TRANSITIONS
            if dev.firmware_state != before.firmware_state:
                assert (before.firmware_state, dev.firmware_state) in _FW_OK
            if dev.firmware_version != before.firmware_version:
                assert self.version_may_change, "firmware version changed without a successful activation"
            if dev.anchors != before.anchors:
                assert self.anchors_may_change, "a trust anchor cell changed without an accepted CS02b"
            for originator, (counter, *_rest) in before.counters.items():
                assert dev.counters[originator][0] >= counter
        self.prev = now
        self.anchors_may_change = self.version_may_change = False


FleetMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=25, deadline=None,
                                          suppress_health_check=[HealthCheck.too_slow])
test_no_command_sequence_breaks_the_transition_tables = FleetMachine.TestCase
