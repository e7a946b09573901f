"""Why the DCC refuses a Service Request (or a Signed Pre-Command), and the DUIS Response Code it answers with.

The checks are those of SEC Appendix AB 6.1 (a)–(k) for Service Requests and AB 7.1 (a)–(d) for Signed
Pre-Commands, plus the SEC H3 entitlement rules (digest 06 §E.0, S1–S5) and anti-replay. The sources give the
checks but not the reason → code mapping (digest 06 §E.0: "Reason → code mapping is not stated"), so this table
is the simulator's assignment, one row per reason, each a value of the DUIS 5.4 ResponseCode enumeration.
Where DUIS 3.5.10 (as paraphrased in ``dccflow.duis.response_codes``) describes a code that fits, it is used;
the rest are codes whose meaning the sources leave open, marked "simulator's choice".

Codes the DCC uses when processing an accepted request are in ``PROCESSING_CODES``.
"""

from __future__ import annotations

from enum import StrEnum

from dccflow.duis.response_codes import NOT_SUPPORTED_CODE


class Check(StrEnum):
    VERIFY = "A: verify (schema, header)"  # AB 6.1(a), 7.1(a)
    USER = "B: a DCC User acting in that User Role"  # AB 6.1(b); SEC H3.5
    ELIGIBLE_USER_ROLE = "B: eligible User Role"  # AB 6.1(b), 7.1(b)
    COMMAND_VARIANT = "A: Command Variant for the SRV"  # AB 6.1(a); DUIS CommandVariant table
    SMI_STATUS = "C: SMI status"  # AB 6.1(c); SEC H3.9 (S4)
    SIGNATURE = "D: cryptographic protection"  # AB 6.1(d) (silent), 7.1(c) (notified)
    CERTIFICATE_VALIDITY = "E: certificate validity"  # AB 6.1(e) (notified), 7.1(d) (silent)
    ELIGIBLE_USER = "F: eligible User (registration data)"  # AB 6.1(f)
    METER_POINT_SUPPLIER = "K: Responsible Supplier for the MPxN"  # AB 6.1(k)
    DEVICE_TYPE = "Service Request does not apply to the Device Type"  # SEC H3.16
    UNKNOWN_DEVICE = "device not on the SMI"
    NON_DEVICE_TARGET = "Non-Device request not targeted at the DCC"  # SEC H4.3; DUIS RequestID
    FUTURE_DATED = "S3: execution date-time"  # SEC H3.12
    REPLAY = "anti-replay (RequestID counter)"
    SIGNED_PRE_COMMAND = "Signed Pre-Command does not match its Pre-Command"  # AB 7.1(a), (c); AB 3.2
    COS_REQUEST = "G: CoS certificates are the sender's, MPxN Associated with the Device"  # AB 6.1(g)
    NOT_SUPPORTED = "not supported by the simulated DCC"
    REPLY_TOO_LARGE = "the reply would exceed the message size limit"  # dccflow.duis.schema.MAX_MESSAGE_BYTES
    INTERNAL = "DCC Systems failure while processing"


#: DUIS ResponseCode per failed check. A request that fails check A is not a readable DUIS request, so no
#: DUIS Response can be formed for it: the code goes back at transport level ("not accepted, User to fix",
#: BAD 7.8.5.4.1; the HTTP contract of ``dccsim.http_api``).
REJECTION_CODES: dict[Check, str | None] = {
    Check.VERIFY: "E1",  # no valid request from a User: the nearest DUIS meaning (kept from the first slice)
    Check.USER: "E1",  # DUIS: the User / User Role pair is not a valid SEC Party and role
    Check.ELIGIBLE_USER_ROLE: "E2",  # DUIS: the User Role may not send this Service Reference
    Check.COMMAND_VARIANT: "E12",  # DUIS: the Command Variant does not apply to this request
    Check.SMI_STATUS: "E5",  # DUIS: the Device's SMI status is incompatible with the Service Reference
    Check.SIGNATURE: "E41",  # simulator's choice (AB 7.3: a Signed Pre-Command failing 7.1(c) is notified)
    Check.CERTIFICATE_VALIDITY: "E1",  # the presented credential establishes no valid User / role pair
    Check.ELIGIBLE_USER: "E4",  # DUIS: not entitled for this Device at the time required
    Check.METER_POINT_SUPPLIER: "E4",
    Check.DEVICE_TYPE: "E11",  # DUIS: the Service Reference does not apply to the type of the Device
    Check.UNKNOWN_DEVICE: "E19",  # DUIS: the Device does not exist
    # DUIS: invalid Device ID; for a Non-Device request the only valid Business Target ID is the DCC's (SEC H4.3)
    Check.NON_DEVICE_TARGET: "E19",
    Check.FUTURE_DATED: "E31",  # simulator's choice
    Check.REPLAY: "E40",  # simulator's choice
    Check.SIGNED_PRE_COMMAND: "E41",  # simulator's choice
    Check.COS_REQUEST: "E062302",  # 6.23-specific error 02; meaning not stated, simulator's choice
    Check.NOT_SUPPORTED: NOT_SUPPORTED_CODE,  # E13, see dccflow.duis.response_codes
    Check.REPLY_TOO_LARGE: "E42",  # simulator's choice: the sources state no size limit; the User sends less
    Check.INTERNAL: "E1000",  # simulator's choice: the DCC could not finish; the User may raise an Incident
}

#: Codes of Service Responses for accepted requests (BAD 7.8.5.4.1: I0 success; E… error).
PROCESSING_CODES: dict[str, str] = {
    "success": "I0",
    "acknowledgement": "I99",
    "device_failure": "E100",  # simulator's choice: the Device answered with a failure Response
    "internal": "E1000",  # as Check.INTERNAL
    "inventory_not_found": "E080201",  # 8.2-specific error 01; meaning not stated, simulator's choice
    "wan_matrix_unknown_address": "E120101",  # 12.1-specific error 01; meaning not stated, simulator's choice
    # the DCC rejected the CoS Party's Signed Pre-Command (AB 8.4, 8.6(c)); 6.23-specific error 01, simulator's choice
    "cos_spc_rejected": "E062301",
    # 11.1 stopped by the DCC's image checks (N18-N21, BAD 7.5.3.6.2); 11.1-specific error 01, simulator's choice
    "firmware_rejected": "E110101",
}


class ServiceRequestRejected(Exception):
    """A check failed: the User is told why (AB 6.3, 7.3) and nothing changes in the DCC's data."""

    def __init__(self, check: Check, reason: str, request_id: str | None = None):
        self.check = check
        self.code = REJECTION_CODES[check]
        self.reason = reason
        self.request_id = request_id
        super().__init__(f"{self.code or 'not accepted'} [{check.value}] {reason}")


class SilentlyRejected(Exception):
    """Rejected with no response to the sender: a Service Request failing check D (AB 6.3), or a Signed
    Pre-Command failing check 7.1(d) (AB 7.3(b))."""

    def __init__(self, check: Check, reason: str):
        self.check = check
        self.reason = reason
        super().__init__(f"[{check.value}] {reason}")
