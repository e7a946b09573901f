"""The GPF's 'Backup GPF Device Log' Alert (GCS62) kept by the DCC for Replace Communications Hub (BAD 7.2.1.6.12,
7.2.2.6.3-4; SEC Appendix AC 8.1), whether returned by SRV 8.13 or received over the SM WAN."""

from __future__ import annotations

from datetime import timedelta

from dcc_support import CHF, GPF, SUPPLIER_A, now, premises, signed_request

from dccflow.db import session_scope
from dccflow.domain.alerts import DeviceAlert
from dccflow.gbcs import alert_payload
from dccflow.messages import DeviceAlertEvent, DeviceLogEntry
from dccflow.parties import DCC_ID
from dccsim.gpf_device_log import gpf_device_log_to_restore
from dccsim.models import GpfDeviceLogBackup

IHD, PPMID = "00-DB-12-05-00-00-09-01", "00-DB-12-06-00-00-09-01"


def _gcs62(at, *joined: str) -> DeviceAlertEvent:
    return DeviceAlertEvent(device_id=GPF, alert_code=DeviceAlert.GPF_DEVICE_LOG_CHANGED, at=at,
                            device_log=[DeviceLogEntry(device_id=d, device_type="IHD", joined=True) for d in joined])


async def test_gcs62_returned_by_8_13_and_over_the_wan_keeps_the_latest_per_gpf(stack):
    rt = stack.runtime
    premises(rt)
    with session_scope(rt.engine) as s:
        assert gpf_device_log_to_restore(s, GPF) is None  # nothing received yet
    first = now()
    back = await rt.dcc.submit(signed_request(rt, SUPPLIER_A, "8.13", DCC_ID, 1,
                                              device_gbcs_response=alert_payload(_gcs62(first, IHD))), now())
    assert back.code == "I0", back.reason
    with session_scope(rt.engine) as s:
        row = s.get(GpfDeviceLogBackup, GPF)
        assert (row.chf_id, row.received_via) == (CHF, f"{SUPPLIER_A}:{DCC_ID}:1")
        assert [e["device_id"] for e in gpf_device_log_to_restore(s, GPF)] == [IHD]
    # a later one over the SM WAN replaces it; an older one does not
    await rt.dcc.receive_device_alert(_gcs62(first + timedelta(minutes=5), IHD, PPMID))
    await rt.dcc.receive_device_alert(_gcs62(first - timedelta(minutes=5)))
    with session_scope(rt.engine) as s:
        row = s.get(GpfDeviceLogBackup, GPF)
        assert row.received_via == "sm-wan"
        assert [e["device_id"] for e in gpf_device_log_to_restore(s, GPF)] == [IHD, PPMID]
