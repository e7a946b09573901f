"""A Command whose first delivery committed on the device but died before its effects were carried (the worker
killed between ``Fleet.dispatch`` and ``SmWan.carry``): the DCC's retry reaches the device as a retransmission, is
not executed twice, and carries the effects the first delivery left behind — the CHF's CS14 reaches the DCC and the
ESME's HAN join still runs. Once carried, they are not carried again."""

from __future__ import annotations

from fleet_support import IS, Site
from temporalio.exceptions import WorkflowAlreadyStartedError

from devices.premises import install_code
from devices.wan import SmWan


class RecordingDcc:
    def __init__(self) -> None:
        self.alerts: list = []

    def on_chf_connected(self, chf_id, at) -> bool:
        return True

    async def receive_device_alert(self, alert) -> None:
        self.alerts.append(alert)


class RecordingClient:
    """Starts workflows as Temporal does for an id already used: refused (``SmWan._start`` ignores that)."""

    def __init__(self) -> None:
        self.started: list[str] = []

    async def start_workflow(self, workflow_type, arg, *, id, **kw):  # noqa: A002 - Temporal's keyword
        if id in self.started:
            raise WorkflowAlreadyStartedError(id, workflow_type)
        self.started.append(id)


async def test_a_retransmitted_command_carries_the_effects_its_first_delivery_left(tmp_path):
    site = Site(tmp_path, dual_fuel=False)
    chf, esme = site.ids.chf_id, site.ids.esme_id
    assert site.power_up()
    site.fleet.install_device(esme, site.tick())
    dcc, client = RecordingDcc(), RecordingClient()
    wan = SmWan(site.fleet, dcc, client=client)
    ccs01 = site.command("CCS01", chf, originator=IS, device_id=esme, device_type="ESME",
                         install_code=install_code(esme))

    first = site.fleet.dispatch(ccs01, site.tick())  # committed on the CHF; the worker dies before carrying
    assert first.response.success and first.effects.joins and dcc.alerts == [] and client.started == []
    assert esme in [entry["device_id"] for entry in site.dev(chf).device_log]

    delivery = await wan.dispatch_command(ccs01, site.tick())  # the DCC's retry of the same Command
    assert delivery.status == "responded" and delivery.response.success
    assert delivery.response.params == {"duplicate": True}
    assert [a.alert_code for a in dcc.alerts] == [0x8F12]  # CS14: the CHF's device log changed
    assert client.started == [t.workflow_id for t in first.effects.timers]  # the ESME's join is under way
    assert len(site.dev(chf).device_log) == len({e["device_id"] for e in site.dev(chf).device_log})  # once

    # carried now: a further retry is answered as a retransmission and carries nothing again
    again = await wan.dispatch_command(ccs01, site.tick())
    assert again.response.success and again.response.params == {"duplicate": True}
    assert len(dcc.alerts) == 1 and client.started == [t.workflow_id for t in first.effects.timers]


async def test_a_command_without_effects_records_none(tmp_path):
    site = Site(tmp_path, dual_fuel=False)
    site.commissioned_electricity()
    response, effects = site.signed("ECS70", site.ids.esme_id)
    assert response.success and not effects.alerts and not effects.timers
    assert all(len(record) == 3 for record in site.dev(site.ids.esme_id).counters.values())


async def test_a_timer_fired_again_returns_the_effects_it_had_without_running_again(tmp_path):
    """The HAN join's timer fired, committed and the worker died: the retried activity gets the join's alerts
    (CS14, 0x8183) to carry, and the join is not run again on the device that has already joined."""
    site = Site(tmp_path, dual_fuel=False)
    esme = site.ids.esme_id
    assert site.power_up()
    site.fleet.install_device(esme, site.tick())
    _, effects = site.whitelist(esme, "ESME")
    (join,) = effects.joins
    dcc, client = RecordingDcc(), RecordingClient()
    wan = SmWan(site.fleet, dcc, client=client)

    first = site.fleet.fire_timer(join, site.tick(join.delay_seconds))  # committed; not carried
    links = site.dev(esme).links
    assert site.dev(esme).han_joined and first.alerts

    await wan.fire_timer(join, site.tick())  # the retried activity
    assert [(a.device_id, a.alert_code) for a in dcc.alerts] == [(a.device_id, a.alert_code) for a in first.alerts]
    assert 0x8183 in [a.alert_code for a in dcc.alerts]  # the ESME's "joined the SM HAN"
    assert site.dev(esme).links == links  # no second CBKE
    await wan.fire_timer(join, site.tick())  # once more: carried already, nothing again
    assert len(dcc.alerts) == len(first.alerts)
