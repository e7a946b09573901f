"""The obligation register's entries for BAD 7.7.2 Manage Security Credentials: the rows of the BAD's governance
table 7.7.2.7 (004 l.4190-4311: SEC L3, L11; Appendix M 2.3-2.6; Appendix B 3.4.1, 4.9; Appendix D 8; AD 3.8.65-73;
AB 15.3, 17.1) with digest 05's ids (§C.1-§C.4: SUB-*, OC-*, DC-*, REV-*), and the process text of 7.7.2.5.5-10
(MSC-*). Part of :data:`dccflow.domain.obligations.REGISTER`.

The SMKI Services (7.7.2.5.1-4) are judged from the SMKI's records (the SMKI Repository, its Device CSR log, the
OCA's Certificate Revocation Requests); the credential Service Requests (7.7.2.5.5-10) from the DCC's request log
and its DCC Alerts (``dccflow.audit_msc``, check ``msc`` with ``params["part"]``). What the simulation does not
model — the Portal, forms, officers, Organisation CSRs (Users' Organisation Certificates are issued when the SMKI
is set up), the content of a CSR beyond its key and Device ID — is "not assessed", with the reason.
"""

from __future__ import annotations

from dccflow.domain.obligation_model import Judged, Obligation, TimeRule

_P, _T, _N = Judged.PERFORMED, Judged.TIMED, Judged.NOT_ASSESSABLE
SEC, M, B, D = "SEC", "SEC Appendix M", "SEC Appendix B", "SEC Appendix D"
AB, AD = "SEC Appendix AB", "SEC Appendix AD"
_CSR = ("BAD 7.7.2.5.3", "BAD 7.7.2.5.7")  # a Device CSR: from a CS02c, submitted to the SMKI
_CELL_SRS = ("SRV 6.21", "SRV 6.15.1", "BAD 7.7.2.5.5", "BAD 7.7.2.5.6", "BAD 7.2.3.5.5", "BAD 7.2.3.5.6")
_NO_ORG_CSR = ("Users' Organisation Certificates are issued when the simulated SMKI is set up "
               "(SmkiRepository.issue_user_credentials), not through an Organisation CSR")
_NO_SUBSCRIBER = ("becoming an Authorised Subscriber (forms, officers, the RA's checks) is not simulated: every "
                  "Supplier of dccflow.parties is one from the start")
_NO_CONTENT = "the simulated Device CSR holds the Device ID and the Public Key only"
_NO_RAPP = "the SMKI RAPP's procedures (forms, requesters, channels, Authentication) are not simulated"


def _o(id_: str, step: str, actor: str, document: str, clause: str, summary: str, *, why: str = "",
       part: str | None = None, when: tuple[str, ...] = (), also: tuple[str, ...] = (), judged: Judged | None = None,
       timing: TimeRule | None = None, source: str = "table", **params) -> Obligation:
    """An entry: "not assessed" with ``why``, or judged by the ``msc`` check's ``part``."""
    return Obligation(id=id_, bad_step=step, actor=actor, document=document, clause=clause, summary=summary,
                      judged=judged or (_N if part is None else _P), applies_when=when, why=why,
                      check=None if part is None else "msc", params={"part": part, **params} if part else {},
                      also=also, timing=timing, source=source)


MSC_REGISTER: tuple[Obligation, ...] = (
    # ---- 7.7.2.5.1 Become Authorised Subscriber (digest 05 §C.1) ----------------------------------------------------
    _o("SUB-00", "7.7.2.5.1", "Subscriber", SEC, "L3.2", "A Party that completed the SMKI and Repository Entry "
       "Process Tests (an RDP, SECCo) may apply to become an Authorised Subscriber.", why=_NO_SUBSCRIBER),
    _o("SUB-01", "7.7.2.5.1", "DCC", SEC, "L3.3", "Authorise a Party to submit CSRs once it has completed the "
       "procedures and met the criteria of the Certificate Policy and the SMKI RAPP.", why=_NO_SUBSCRIBER),
    _o("SUB-02", "7.7.2.5.1", "DCC", SEC, "L3.4", "Provide any SMKI Service an Authorised Subscriber requests in "
       "accordance with the SMKI SEC Documents (the table labels the row 'Subscriber').",
       why="a general duty: the services the simulation provides are judged one by one (DC-02..DC-06, REV-03, "
           "REV-10)"),
    _o("SUB-03", "7.7.2.5.1", "DCC", SEC, "L3.5", "Act in accordance with Good Industry Practice in providing the "
       "SMKI Services.", why="Good Industry Practice is not observable in a simulation"),
    _o("SUB-04", "7.7.2.5.1", "Party", "BAD", "7.7.2.5.1", "Only a Director or Company Secretary (or the DCC, for DCC "
       "Service Provider personnel) nominates a Senior Responsible Officer.", why=_NO_SUBSCRIBER, source="text"),
    # ---- 7.7.2.5.2 Obtain Organisation Certificate (§C.2) -------------------------------------------------------
    _o("OC-01", "7.7.2.5.2", "Subscriber", SEC, "L11.1", "Every CSR true and accurate.", why=_NO_ORG_CSR),
    _o("OC-02", "7.7.2.5.2", "Subscriber", SEC, "L11.2", "No third party's trade mark and no confidential "
       "information in a CSR.", why=_NO_ORG_CSR),
    _o("OC-03", "7.7.2.5.2", "Subscriber", SEC, "L11.3", "The CSR's key pair generated with adequate randomness (an "
       "IKI CSR: with the DCC's Cryptographic Credential Token).", why=_NO_ORG_CSR),
    _o("OC-04", "7.7.2.5.2", "Subscriber", SEC, "L11.4", "No Public Key in two Organisation / OCA Certificates "
       "(except the Root OCA Certificate as the OCP permits).", part="key_reuse", kind="organisation"),
    _o("OC-05", "7.7.2.5.2", "DCC", M, "2.3.1.2", "Validate the format and verify the signature of each Organisation "
       "CSR (PKCS#10); accept or reject with a Portal notice; log errors.", also=(f"{M} 2.6.1.2",), why=_NO_ORG_CSR),
    _o("OC-06", "7.7.2.5.2", "DCC", M, "2.3.1.3", "Verify the CSR's content, including that its EUI-64 identifier is "
       "an Authorised Subscriber's the submitting ARO acts for; approve or reject with reasons.",
       also=(f"{M} 2.6.1.3",), why=_NO_ORG_CSR),
    _o("OC-07", "7.7.2.5.2", "DCC", M, "2.3.1.4", "Issue the Organisation Certificate, lodge it in the SMKI "
       "Repository, make it available via the Portal.", also=(f"{M} 2.6.1.4",), why=_NO_ORG_CSR),
    _o("OC-08", "7.7.2.5.2", "Subscriber", SEC, "L11.5", "Check the issued Organisation Certificate against the CSR; "
       "if inaccurate reject it and tell the DCC at once, with reasons; otherwise become its Subscriber.",
       also=(f"{M} 2.3.1.5", f"{M} 2.6.1.5"), why=_NO_ORG_CSR),
    _o("OC-09", "7.7.2.5.2", "DCC", M, "2.3.1.5", "On a Subscriber's rejection: log, investigate, revoke, put it on "
       "the Organisation CRL and lodge the CRL (2.3.1.5 xvi, 2.6.1.5 lii).", also=(f"{M} 2.6.1.5",), why=_NO_ORG_CSR),
    _o("OC-10", "7.7.2.5.2", "Subscriber", M, "2.3.1.1", "Generate the Organisation CSR per Appendix F and the OCP "
       "and submit it through the SMKI Portal.", also=(f"{M} 2.6.1.1",), why=_NO_ORG_CSR),
    # ---- 7.7.2.5.3 Obtain Device Certificate (§C.3) -------------------------------------------------------------
    _o("DC-01a", "7.7.2.5.3", "Subscriber", SEC, "L11.1", "Every Device CSR true and accurate.",
       why=_NO_CONTENT + "; the Device ID the SMKI certifies is checked under DC-07"),
    _o("DC-01b", "7.7.2.5.3", "Subscriber", SEC, "L11.2", "No third party's trade mark and no confidential "
       "information in a Device CSR.", why=_NO_CONTENT + ": no trade marks or confidential information to find"),
    _o("DC-01c", "7.7.2.5.3", "Subscriber", SEC, "L11.3", "The Device CSR's key pair generated with adequate "
       "randomness.", why="the quality of the Device's random numbers is not observable from its keys"),
    _o("DC-01d", "7.7.2.5.3", "Subscriber", SEC, "L11.4", "No Public Key in two Device / DCA Certificates "
       "(L11.4(a)).", part="key_reuse", kind="device", when=_CSR),
    _o("DC-02", "7.7.2.5.3", "DCC", M, "2.3.1.7(a)", "Validate the format and verify the signature of each Device "
       "CSR (PKCS#10; M 2.4.1.2); accept or reject with a notice, logging the error.",
       also=(f"{M} 2.6.1.7(a)", f"{M} 2.4.1.2"), part="csr_checks", when=_CSR),
    _o("DC-03", "7.7.2.5.3", "DCC", M, "2.3.1.7(b)", "Reject a whole batch of more than 50,000 Device CSRs.",
       also=(f"{M} 2.6.1.7(b)", f"{M} 2.5.1.2"),
       why="Device CSRs are submitted one at a time (Ad Hoc); no batch is submitted in the simulation"),
    _o("DC-04", "7.7.2.5.3", "DCC", M, "2.3.1.8(a)", "Issue a Device Certificate only while fewer than 100 have been "
       "Issued for the Device ID (M 2.3.1.8(a)(ii), (b)(iv); 2.4.1.3(b); 2.5.1.3(d)).",
       also=(f"{M} 2.6.1.8", f"{M} 2.3.1.8(b)", f"{M} 2.6.1.8(b)", f"{M} 2.4.1.3", f"{M} 2.5.1.3"),
       part="device_limit", when=_CSR),
    _o("DC-05", "7.7.2.5.3", "DCC", M, "2.4.1.3(a)", "Ad Hoc Web Service: check a Key Agreement or Digital Signing "
       "Certificate was Issued before for the Device ID.",
       also=(f"{M} 2.4.1.3",),
       why="the Ad Hoc Device CSR Web Service is not simulated (the Subscriber submits to the SMKI directly)"),
    _o("DC-06", "7.7.2.5.3", "DCC", M, "2.3.1.9", "Issue the approved Device Certificate and lodge it in the SMKI "
       "Repository; keep it available for pickup for up to 30 days.",
       also=(f"{M} 2.6.1.9", f"{M} 2.4.1.4", f"{M} 2.5.1.4"), part="issued_lodged", when=_CSR),
    _o("DC-07", "7.7.2.5.3", "Subscriber", SEC, "L11.6", "Take reasonable steps to check the Device Certificate "
       "against the CSR; if inaccurate reject it and tell the DCC at once, with reasons.",
       also=(f"{M} 2.3.1.10", f"{M} 2.6.1.10", f"{M} 2.4.1.5", f"{M} 2.5.1.5"), part="subscriber_check", when=_CSR),
    _o("DC-08", "7.7.2.5.3", "DCC", M, "2.3.1.10", "Log and investigate a Device Certificate inconsistency a "
       "Subscriber reports.", also=(f"{M} 2.4.1.5", f"{M} 2.5.1.5"),
       why="the Service Desk is not simulated; a Subscriber's rejection ends its process (DeviceCsrRejected)"),
    _o("DC-09", "7.7.2.5.3", "Subscriber", M, "2.3.1.6", "Generate Device CSRs per Appendix F and the Device "
       "Certificate Policy and submit them Ad Hoc or Batched through the Portal (or the Web Services).",
       also=(f"{M} 2.6.1.6", f"{M} 2.4.1.1", f"{M} 2.5.1.1"),
       why="the Portal and Web Service formats are not simulated: the CSR from the CS02c is handed to the SMKI"),
    # ---- 7.7.2.5.4 Revoke Organisation Certificate (§C.4) ---------------------------------------------------------
    _o("REV-01", "7.7.2.5.4", "Subscriber", B, "4.9.1(A)(i)", "Submit a CRR immediately on a (suspected) compromise "
       "of the certificate's Private Key, subject to the SMKI Recovery Procedure.", also=(f"{B} 4.9.1",),
       why="a scenario's key_compromise is the Subscriber's CRR: its awareness and its request are one event"),
    _o("REV-02", "7.7.2.5.4", "Subscriber", B, "4.9.1(A)(ii)", "Submit a CRR immediately on ceasing to be an "
       "Eligible Subscriber for the certificate.", also=(f"{B} 4.9.1", f"{B} 4.9.2"),
       why="Eligible Subscriber status does not change in the simulation"),
    _o("REV-03", "7.7.2.5.4", "OCA", B, "4.9.1(B)", "Revoke the certificate on an Authenticated CRR (or an SMKI PMA "
       "direction, 4.9.2(B)).", also=(f"{B} 4.9.1", f"{B} 4.9.2"), part="crr_revoked"),
    _o("REV-04", "7.7.2.5.4", "OCA", B, "4.9.1(C)", "Revoke without a CRR on compromise or loss of eligibility, "
       "first using best endeavours to confirm it with the Subscriber (4.9.3(C)).", also=(f"{B} 4.9.1", f"{B} 4.9.3"),
       why="the OCA learns of a compromise only through a CRR in the simulation"),
    _o("REV-05", "7.7.2.5.4", "OCA", B, "4.9.1(D)", "After an extreme-case revocation on an un-Authenticated CRR, "
       "notify the SMKI PMA with reasons (4.9.1(E)).", also=(f"{B} 4.9.1",), why=_NO_RAPP),
    _o("REV-06", "7.7.2.5.4", "OCA", B, "4.9.3(B)", "Authenticate the requester and the certificate and confirm the "
       "reason given (3.4.1).", also=(f"{B} 4.9.3", f"{B} 3.4.1"), why=_NO_RAPP),
    _o("REV-07", "7.7.2.5.4", "DCC", B, "4.9.3(D)", "Tell the SRO whether the CRR is accepted and, in writing, that "
       "the certificate is revoked (BAD 7.7.2.5.4).", also=(f"{B} 4.9.3",),
       why="the OCA's notices to the SRO are not simulated; the User learns of it from E1 refusals"),
    _o("REV-08", "7.7.2.5.4", "OCA", B, "4.9.5(A)", "Process every CRR promptly, within the SMKI RAPP's time.",
       also=(f"{B} 4.9.5",), judged=_T, part="crr_prompt", hours=24,
       timing=TimeRule(amount=86400, unit="seconds", start="the CRR received", stop="the certificates revoked "
                       "(DECISION: 'promptly' judged as within 24 hours; the RAPP's time is not in the material)")),
    _o("REV-09", "7.7.2.5.4", "DCC", D, "8.2.1", "Accept CRRs only by registered post, secured electronic means or in "
       "person, and only from an SMKI PMA member, the Subscriber's SRO or RA personnel.", why=_NO_RAPP),
    _o("REV-10", "7.7.2.5.4", "DCC", D, "8.2.1 (permanent)", "Never reinstate a revoked Organisation Certificate: "
       "it stays revoked from its first revocation, and the DCC refuses what is signed with it (AB 6.1(e)).",
       also=(f"{D} 8.2.1",), part="never_reinstated"),
    _o("REV-11", "7.7.2.5.4", "DCC", D, "8.2.1 (report)", "Report monthly to the SMKI PMA the number and nature of "
       "Organisation Certificate revocations.", also=(f"{D} 8.2.1",),
       why="the SMKI PMA and its reports are not simulated"),
    _o("REV-12", "7.7.2.5.4", "all", D, "8.1", "No CRR for a Device Certificate (Device Certificates cannot be "
       "revoked).", part="no_device_crr"),
    _o("REV-13", "7.7.2.5.4", "DCC", D, "8.3.1", "Make an ARO's or RA member's Cryptographic Credential Token "
       "inoperative after 15 consecutive wrong PINs; revoke access credentials on the SRO's form A7 (8.3.3).",
       also=(f"{D} 8.3.3",), why="AROs, RA personnel and their tokens are not simulated"),
    # ---- 7.7.2.5.5-10 the credential Service Requests ---------------------------------------------------------------
    _o("MSC-01", "7.7.2.5.5", "DCC", AD, "3.8.73.4", "On a successful 6.21 placing another User's certificate than "
       "the sender's, send that User DCC Alert N42 (AD v1.1 3.8.72.4).", part="n42", srvs=["6.21"], when=_CELL_SRS,
       # the table prints the v1.1 row's document across two lines ("SEC Appendix" / "AD - ..."): as printed
       also=(f"{AD} 3.8.72.4", "SEC Appendix 3.8.72.4")),
    _o("MSC-02", "7.7.2.5.5", "DCC", AB, "15.3", "When a 6.21 places a User's Security Credentials on a Device, tell "
       "that User by a DCC Alert unless a Service Response tells it.", part="n42", srvs=["6.21"], when=_CELL_SRS),
    _o("MSC-03", "7.7.2.5.6", "DCC", AD, "3.8.66.4", "On a successful 6.15.1 placing another User's certificate than "
       "the sender's (not the Root), send that User DCC Alert N42 (AD v1.1 3.8.65.4).", part="n42",
       srvs=["6.15.1"], when=_CELL_SRS, also=(f"{AD} 3.8.65.4",)),
    _o("MSC-04", "7.7.2.5.6", "DCC", AB, "15.3", "When a 6.15.1 places a User's Security Credentials on a Device, "
       "tell that User by a DCC Alert unless a Service Response tells it.", part="n42", srvs=["6.15.1"],
       when=_CELL_SRS),
    _o("MSC-05", "7.7.2.5.8", "DCC", AD, "3.8.67.4", "On a successful 6.15.2, record which Device Certificates the "
       "Device uses (AD v1.1 3.8.66.4).", also=(f"{AD} 3.8.66.4",), part="dcs_in_use",
       when=("BAD 7.7.2.5.8", "SRV 6.15.2")),
    _o("MSC-06", "7.7.2.5.8", "User", AB, "17.1", "Where a Device's credentials erroneously hold a Party's "
       "Organisation Certificate data, that Party cooperates to put it right.",
       why="no erroneous credentials are placed on a Device in the simulation"),
    _o("MSC-07", "7.7.2.5.5", "Supplier", "BAD", "7.7.2.5.5 (order)", "With separate requests per certificate "
       "type, replace the Key Agreement certificate before the Digital Signing one (also 7.7.2.5.6).",
       why="only the Digital Signing cells are simulated", source="text"),
    _o("MSC-08", "7.7.2.5.5", "DCC", "BAD", "7.7.2.5.5", "Answer each 6.21 and 6.15.1 with its Service Response "
       "(also 7.7.2.5.6 step 5).", part="responded", srvs=["6.21", "6.15.1"], when=_CELL_SRS, source="text"),
    _o("MSC-09", "7.7.2.5.7", "DCC", "BAD", "7.7.2.5.7", "Answer each 6.17 with its Service Response carrying the "
       "Device CSR.", part="responded", srvs=["6.17"], when=("BAD 7.7.2.5.7", "SRV 6.17"), source="text"),
    _o("MSC-10", "7.7.2.5.8", "DCC", "BAD", "7.7.2.5.8", "Answer each 6.15.2 with its Service Response, on success "
       "and on failure.", part="responded", srvs=["6.15.2"], when=("BAD 7.7.2.5.8", "SRV 6.15.2"), source="text"),
    _o("MSC-11", "7.7.2.5.10", "DCC", "BAD", "7.7.2.5.10", "Answer each 6.24.1 / 6.24.2 with the Device's "
       "certificates (BAD 7.4.1.6.2).", part="responded", srvs=["6.24.1", "6.24.2"],
       when=("SRV 6.24.1", "SRV 6.24.2", "BAD 7.7.2.5.10"), source="text"),
)
