"""The obligation register's entries for BAD 7.5.3 Manage Firmware: the rows of the BAD's governance table 7.5.3.8
(004 l.2739-2751: SEC Appendix AB 2.2 for 7.5.3.6.1; AB 5.1 and 5.2 for 7.5.3.6.5) and the other duties of digest 03
§F.13 (AB 2.1 and AC 7.3 cross-referenced; the DCC's SMI update and Panel notice, BAD 7.5.3.6.3 / 7.5.3.6.5) and the
BAD text's DCC Alerts for 11.1 (7.5.3.6.2: N18-N21, N22, N23) and its condition on 11.3 (7.5.3.6.3). Part of
:data:`dccflow.domain.obligations.AUDIT_REGISTER`.

Each entry is judged by the check ``firmware`` (``dccflow.audit_firmware``) with its part in ``params["part"]``, from
the Supplier's process events and the DCC's records (request log, DCC Alerts, ``dccsim.firmware_records``, the SMI);
the entries apply when a step cites BAD 7.5.3 (the Supplier's process, ``workflows.firmware_upgrade_steps``) - the
DCC's CH upgrade (AB 5.1, 5.2) when the DCC recorded one for the run's CHF.
"""

from __future__ import annotations

from dccflow.domain.obligation_model import Judged, Obligation, TimeRule

_P, _T, _N = Judged.PERFORMED, Judged.TIMED, Judged.NOT_ASSESSABLE
AB, AC = "SEC Appendix AB", "SEC Appendix AC"
_FIRMWARE = ("BAD 7.5.3",)


def _fw(id_: str, bad_step: str, actor: str, document: str, clause: str, part: str, summary: str, *,
        judged: Judged = _P, source: str = "table", timing: TimeRule | None = None, **params) -> Obligation:
    return Obligation(id=id_, bad_step=bad_step, actor=actor, document=document, clause=clause, summary=summary,
                      judged=judged, applies_when=_FIRMWARE, check="firmware", params={"part": part, **params},
                      timing=timing, source=source)


FIRMWARE_REGISTER: tuple[Obligation, ...] = (
    # ---- 7.5.3.8 governance table: 7.5.3.6.1 Check Firmware Image Hash (SEC AB 2.2) -------------------------------
    _fw("FW-01", "7.5.3.6.1", "User", AB, "2.2(a)", "ab_2_2",
        "Send 'Update Firmware' only having received the OTA Header and Manufacturer Image, the creator's Digital "
        "Signature across both and the Hash of the Manufacturer Image."),
    _fw("FW-02", "7.5.3.6.1", "User", AB, "2.2(b)", "ab_2_2",
        "... and having confirmed that the Digital Signature across them is the image creator's (Supplier check S1)."),
    _fw("FW-03", "7.5.3.6.1", "User", AB, "2.2(c)", "ab_2_2",
        "... and having generated its own Hash of the Manufacturer Image and found it equal to the one provided (S2)."),
    _fw("FW-04", "7.5.3.6.1", "User", AB, "2.2(d)", "ab_2_2",
        "... and having confirmed that a Device Model of the image (by its Hash and the OTA Header) is currently on "
        "the CPL (S3, S4)."),
    # ---- 7.5.3.8 governance table: 7.5.3.6.5 Update CH Firmware (SEC AB 5.1, 5.2) --------------------------------
    _fw("FW-05", "7.5.3.6.5", "DCC", AB, "5.1", "ab_5_1",
        "Distribute CH firmware only when it holds the image and its creator's signature, information enough to find "
        "the CPL entry, has verified the signature, and the image's Device Model is on the CPL by its own Hash."),
    _fw("FW-06", "7.5.3.6.5", "DCC", AB, "5.2", "ab_5_2", judged=_T, days=7,
        summary="Tell the relevant Users at least 7 days before activating CH firmware (unless for urgent security "
                "reasons: then notify as soon as reasonably practicable).",
        timing=TimeRule(amount=7, unit="days", start="the Users told of the CH firmware (AB 5.2)",
                        stop="the CS06 activating it (not before)")),
    # ---- digest 03 §F.13's other duties and the BAD text ---------------------------------------------------------
    _fw("FW-07", "7.5.3.6.2", "DCC", "BAD", "7.5.3.6.2", "refusal_alert", source="text",
        summary="When 11.1's checks stop it, send the Supplier the DCC Alert for the failed check (N18 Hash / version, "
                "N19 no Device Model, N20 too large, N21 unknown version)."),
    _fw("FW-08", "7.5.3.6.2", "DCC", "BAD", "7.5.3.6.2(N22)", "n22", source="text",
        summary="If the CH never acknowledges the Firmware Image, send the Supplier N22 (after the DCC's retries: "
                "DccConfig.firmware_redelivery_*)."),
    _fw("FW-09", "7.5.3.6.2", "DCC", "BAD", "7.5.3.6.2(N23)", "n23", source="text",
        summary="If the CH's Response that the download completed never comes, send the Supplier N23 "
                "(DccConfig.firmware_download_watch)."),
    _fw("FW-10", "7.5.3.6.3", "Supplier", "BAD", "7.5.3.6.3", "activation_after_receipt", source="text",
        summary="Send 'Activate Firmware' (11.3) only after a Firmware Distribution Receipt indicating success "
                "(0x8F72); never after 0x8F1C (digest 03 §F.12)."),
    _fw("FW-11", "7.5.3.6.3", "DCC", "BAD", "7.5.3.6.3(SMI)", "smi_version", source="text",
        summary="On a successful activation (CS06 Response or 0x00CA) record the new Firmware Version (and so Device "
                "Model) in the SMI; leave it unchanged on a failure and on 11.2 (BAD 7.5.3.6.6)."),
    _fw("FW-12", "7.5.3.6.3", "DCC", AC, "7.3", "restored", source="text",
        summary="A suspended Device whose activation puts its Device Model on the CPL returns to the SMI Status it "
                "held immediately before its suspension."),
    _fw("FW-13", "7.5.3.6.3", "User", AB, "2.1", "suspended_requests", source="text",
        summary="Send a suspended Device only Service Requests that would put its Device Model on the CPL "
                "(11.1, 11.3) or a CoS credentials update (6.23)."),
    Obligation(id="FW-14", bad_step="7.5.3.6.5", actor="DCC", document="BAD", clause="7.5.3.6.5(Panel)",
               judged=_N, source="text", applies_when=_FIRMWARE,
               summary="Notify the Panel where Assurance Certificates are reused for a CH firmware combination.",
               why="the Panel's assurance of firmware combinations is not simulated"),
)

BY_ID: dict[str, Obligation] = {o.id: o for o in FIRMWARE_REGISTER}
if len(BY_ID) != len(FIRMWARE_REGISTER):  # pragma: no cover - a data error
    raise AssertionError("duplicate obligation ids in FIRMWARE_REGISTER")
