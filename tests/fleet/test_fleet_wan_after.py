"""A CH installed without SM WAN (Install and Leave, BAD 7.2.2): fault ``wan-after:DAYS`` brings the WAN on a timer,
the CHF holds the Device Alerts raised meanwhile (7.2.2.6.3) and sends them to the DCC when it connects (7.2.2.6.6)."""

from __future__ import annotations

from datetime import timedelta

from fleet_support import Site

from devices.faults import parse_fault_option
from devices.wan import SmWan


class RecordingDcc:
    def __init__(self) -> None:
        self.connected: list[str] = []
        self.alerts: list = []

    def on_chf_connected(self, chf_id, at) -> bool:
        self.connected.append(chf_id)
        return True

    async def receive_device_alert(self, alert) -> None:
        self.alerts.append(alert)


async def test_wan_after_days_buffers_alerts_then_connects_and_flushes(tmp_path):
    site = Site(tmp_path, dual_fuel=False)
    chf, esme = site.ids.chf_id, site.ids.esme_id
    name, days, _ = parse_fault_option("wan-after:2")
    site.fleet.set_fault(chf, name, days)
    dcc = RecordingDcc()
    wan = SmWan(site.fleet, dcc, client=None)

    connected, effects = site.fleet.power_up_ch(chf, site.tick())
    assert not connected and not site.fleet.route(esme).reachable
    (timer,) = [t for t in effects.timers if t.kind == "wan-connect"]
    assert timer.delay_seconds == 2 * 86400

    # a Command delivered locally (the HHT): the CHF's CS14 is held, not lost and not sent
    response = await wan.deliver_locally(site.command("CCS01", chf, device_id=esme, device_type="ESME",
                                                      install_code="00" * 16), site.tick())
    assert response.success
    held = site.fleet.buffered_alerts(chf)
    assert [a.alert_code for _, a in held] == [0x8F12] and dcc.alerts == []

    # two days later the SM WAN comes: the DCC hears of the CHF, then gets the held alert, once
    await wan.fire_timer(timer, site.tick(timer.delay_seconds))  # as the DeviceTimer's activity does
    assert dcc.connected == [chf] and [a.alert_code for a in dcc.alerts] == [0x8F12]
    assert site.dev(chf).wan_connected and "wan-after" not in site.dev(chf).faults
    assert site.fleet.buffered_alerts(chf, unsent_only=True) == []
    assert site.fleet.route(esme).reachable
    # the timer firing again (a retried activity) changes nothing: it does not run again, and what it did was carried
    await wan.fire_timer(timer, site.tick(timedelta(minutes=1).total_seconds()))
    assert dcc.connected == [chf] and len(dcc.alerts) == 1
