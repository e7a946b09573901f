"""The DCC keeps the latest CS14 'CHF Device Log Changed' of each CHF and discards older ones (BAD 7.2.1.6.7), also
over the SM WAN: a CS14 delivered again after a newer one (the fleet's retried delivery of a Command whose effects
were carried half-way when the worker died) does not take the DCC's record of the Device Log back."""

from __future__ import annotations

from datetime import timedelta

from dcc_support import CHF, ESME, now, premises

from dccflow.db import session_scope
from dccflow.domain.alerts import DeviceAlert
from dccflow.messages import DeviceAlertEvent, DeviceLogEntry
from dccsim.models import LatestCs14

IHD = "00-DB-12-05-00-00-09-01"


def _cs14(at, *joined: str) -> DeviceAlertEvent:
    return DeviceAlertEvent(device_id=CHF, alert_code=DeviceAlert.CHF_DEVICE_LOG_CHANGED, at=at,
                            device_log=[DeviceLogEntry(device_id=d, device_type="ESME" if d == ESME else "IHD",
                                                       joined=True) for d in joined])


def _recorded(rt) -> tuple:
    with session_scope(rt.engine) as s:
        row = s.get(LatestCs14, CHF)
        return row.at.replace(tzinfo=None), [e["device_id"] for e in row.device_log]


async def test_an_older_cs14_over_the_sm_wan_does_not_replace_the_latest(stack):
    rt = stack.runtime
    premises(rt)
    first = now()
    await rt.dcc.receive_device_alert(_cs14(first, ESME))
    await rt.dcc.receive_device_alert(_cs14(first + timedelta(minutes=5), ESME, IHD))  # the IHD joined since
    assert _recorded(rt) == ((first + timedelta(minutes=5)).replace(tzinfo=None), [ESME, IHD])
    await rt.dcc.receive_device_alert(_cs14(first, ESME))  # the first one, delivered again
    assert _recorded(rt) == ((first + timedelta(minutes=5)).replace(tzinfo=None), [ESME, IHD])
    await rt.dcc.receive_device_alert(_cs14(first + timedelta(minutes=9), IHD))  # a later one still replaces it
    assert _recorded(rt) == ((first + timedelta(minutes=9)).replace(tzinfo=None), [IHD])
