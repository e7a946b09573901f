"""DUIS bodies of the SMKI Recovery DCC Alerts (BAD 7.7.3.4.3-5; SEC Appendix L 4.2.2.6(a), 4.3.2.6(a)), registered in
``dccsim.alert_bodies.ALERT_BUILDERS``: both are a ``DeviceStatusChangeEvent`` for the Device recovered —

* N44 'Recovery complete (ACB Credentials)': ``RecoveryCompleteACBCredentials`` naming the Supplier certificate
  types now held by the DCC's ACB certificate (the simulator models the Digital Signing cell only, so
  ``DigitalSigning``; ``devices.catalogue`` decision 1);
* N45 'Recovery Complete': the empty ``RecoveryComplete``.
"""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from dccflow.duis.responses import build_dcc_alert


def _status_change(code: str, device_id: str, at: datetime, request_id: str | None, change: tuple[str, dict]):
    return build_dcc_alert(alert_code=code, at=at, request_id=request_id, alert=(
        "DeviceStatusChangeEvent", {"DeviceID": device_id, "DeviceStatusChange": {change[0]: change[1]}}))


def _recovered_acb(code: str, device_id: str, at: datetime, request_id: str | None, data: dict) -> etree._Element:
    return _status_change(code, device_id, at, request_id, ("RecoveryCompleteACBCredentials", {
        "SupplierCertificateType": ["DigitalSigning"]}))


def _recovered(code: str, device_id: str, at: datetime, request_id: str | None, data: dict) -> etree._Element:
    return _status_change(code, device_id, at, request_id, ("RecoveryComplete", {}))


RECOVERY_ALERT_BUILDERS = {"N44": _recovered_acb, "N45": _recovered}
