"""AD1 'Power Outage Event' (BAD 7.5.6.5.2): sent when a CH is without mains for 3 minutes or more, to the
Supplier and the Electricity Distributor of the ESME on that CH; a shorter outage raises nothing."""

from __future__ import annotations

from datetime import timedelta

from lxml import etree

from dccflow.duis.schema import duis_schema
from dccflow_app.scenarios.runner import run_scenario
from dccsim.power import power_outage_workflow_id


async def _outage(stack, minutes: int):
    report = await run_scenario(stack.client, "install-commission-electricity")
    chf = report.devices[0].device_id
    started = await stack.env.get_current_time()  # the server clock may have moved on since the last event
    # virtual time moves only as this test says: just past the first thing that decides the outcome (the
    # restoration, or the 3-minute threshold), so the two timers never fall in one automatic skip
    with stack.env.auto_time_skipping_disabled():
        await stack.runtime.wan.set_fault(chf, "power-loss", minutes, at=started)
        await stack.env.sleep(timedelta(minutes=min(minutes, 3), seconds=10))
        outcome = await stack.client.get_workflow_handle(power_outage_workflow_id(chf, started)).result()
    ad1 = [m for m in stack.runtime.outbound.sent() if m.dcc_alert_code == "AD1"]
    return report, outcome, ad1


async def test_five_minute_outage_raises_ad1_to_supplier_and_distributor(stack):
    report, outcome, ad1 = await _outage(stack, 5)
    assert outcome == "AD1"
    assert sorted(m.recipient for m in ad1) == ["90-B3-D5-1F-30-01-00-00", "90-B3-D5-1F-30-02-00-00"]
    schema = duis_schema()
    for m in ad1:
        doc = etree.fromstring(m.xml)
        assert schema.validate(doc), schema.error_log
        assert doc.find(".//{*}PowerOutageEvent/{*}CommsHubDeviceID").text == report.devices[0].device_id


async def test_two_minute_outage_raises_nothing(stack):
    _, outcome, ad1 = await _outage(stack, 2)
    assert outcome.startswith("restored")
    assert ad1 == []
