import pytest
from dccflow.scenarios.runner import run_scenario

@pytest.mark.parametrize("name", ["install-and-leave-wan-after-3-days", "install-and-leave-no-wan", "install-commission-ppmid-ihd", "install-commission-join-timeout-one-device", "install-commission-handover"])
async def test_peek(stack, name):
    report = await run_scenario(stack.client, name)
    print("\n==", name, report.end, report.reason[:100])
    for v in report.regulation:
        if v.verdict in ("breached",) or v.due or v.obligation.startswith(("no-wan", "return", "join", "type")):
            print(f"{v.verdict:15} {v.obligation:32} {v.ref:28} {v.device_id or '':24} due={v.due} act={v.actual} {v.detail[:90]}")
