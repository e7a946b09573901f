"""Why the DCC refuses a Service Request, and the DUIS Response Code it answers with.

The checks are those of SEC Appendix AB 6.1 (a)–(k) in that order, plus anti-replay. The sources give the
check list but not the reason → code mapping (digest 06 §E.0: "Reason → code mapping is not stated"), so the
codes below are this simulator's assignment, each a value of the DUIS 5.4 ResponseCode enumeration.
"""

from __future__ import annotations

from enum import StrEnum


class Check(StrEnum):
    VERIFY = "A: verify (schema, header)"  # AB 6.1(a)
    ELIGIBLE_USER_ROLE = "B: eligible User Role"  # AB 6.1(b)
    SMI_STATUS = "C: SMI status"  # AB 6.1(c); AC 4.6, 4.12
    SIGNATURE = "D: cryptographic protection"  # AB 6.1(d)
    CERTIFICATE_VALIDITY = "E: certificate validity"  # AB 6.1(e)
    ELIGIBLE_USER = "F: eligible User (registration data)"  # AB 6.1(f)
    METER_POINT_SUPPLIER = "K: Responsible Supplier for the MPxN"  # AB 6.1(k)
    REPLAY = "anti-replay (RequestID counter)"
    UNKNOWN_DEVICE = "device not on the SMI"
    NOT_SUPPORTED = "not supported by the simulated DCC"


#: DUIS ResponseCode per failed check (simulator's choice; all values of the DUIS ResponseCode enumeration).
REJECTION_CODES: dict[Check, str] = {
    Check.VERIFY: "E1",
    Check.ELIGIBLE_USER_ROLE: "E2",
    Check.SMI_STATUS: "E3",
    Check.SIGNATURE: "E4",  # never sent: AB 6.3 rejects silently
    Check.CERTIFICATE_VALIDITY: "E5",
    Check.ELIGIBLE_USER: "E11",
    Check.METER_POINT_SUPPLIER: "E12",
    Check.REPLAY: "E13",
    Check.UNKNOWN_DEVICE: "E17",
    Check.NOT_SUPPORTED: "E100",
}


class ServiceRequestRejected(Exception):
    """A check failed: the User is told why (AB 6.3) and nothing changes in the DCC's data."""

    def __init__(self, check: Check, reason: str, request_id: str | None = None):
        self.check = check
        self.code = REJECTION_CODES[check]
        self.reason = reason
        self.request_id = request_id
        super().__init__(f"{self.code} [{check.value}] {reason}")


class SilentlyRejected(Exception):
    """Check D failed: rejected with no response to the sender (SEC Appendix AB 6.3)."""
