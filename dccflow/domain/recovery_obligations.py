"""The SMKI Recovery governance rows (BAD 7.7.3 governance table; SEC Appendix L; digest 05 §D.10) as a register:
one entry per RCV row — who, the deadline or trigger, the Appendix L clauses — and how dccflow shows it today:

* ``deadline`` — a durable timer of the recovery workflow (``workflows.smki_recovery``): its outcome (met / breached
  with the due and actual times) is in the process's ``obligations``;
* ``step`` — a step the workflow records when it is done (``workflows.smki_recovery_steps`` names the RCV id);
* ``not built`` — a method or duty dccflow does not run yet (the Contingency, key rollovers, Issuing OCA);
* ``not simulated`` — nothing in the simulation to judge by (ADT files, telephone calls, key destruction …).

The obligations audit judges them (``RECOVERY_REGISTER``, part of ``dccflow.domain.obligations.AUDIT_REGISTER``):
a ``deadline`` row is ``timed`` (the workflow's ``Deadline`` outcome carrying its refs); a ``step`` or ``not built``
row is ``performed``, judged by the ``recovery`` check (``recovery_records`` when it reads the DCC's records;
``dccflow.audit_recovery``) from the process events and the DCC's records as ``JUDGE`` says — the methods it belongs
to (another method: not applicable), the stage of the drill that makes it due (the drill ended before: not
applicable), and the evidence (steps; SMI changes, DCC Alerts or Service Requests per Device recovered); a ``not
simulated`` row is ``not assessed`` with ``WHY``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from dccflow.domain.obligation_model import Judged, Obligation, TimeRule


@dataclass(frozen=True)
class RecoveryObligation:
    id: str
    who: str
    summary: str
    when: str
    refs: tuple[str, ...]
    shown_by: str  # deadline / step / not built / not simulated


def _o(id_: str, who: str, summary: str, when: str, refs: str, shown_by: str) -> RecoveryObligation:
    return RecoveryObligation(id_, who, summary, when, tuple(f"SEC Appendix L {r.strip()}" for r in refs.split(",")),
                              shown_by)


_D, _S, _P, _RS = "DCC", "Subscriber", "SMKI PMA", "Responsible Supplier"
RECOVERY_OBLIGATIONS = MappingProxyType({o.id: o for o in sorted((
    _o("RCV-01", _D, "Conduct the procedures; comply with PMA decisions", "always", "3.1(a), 3.1(b)", "step"),
    _o("RCV-02", _D, "Retry failed replacements before the PMA-approved deadline", "recovery deadline", "3.1(c)",
       "step"),
    _o("RCV-03", _D, "Told not to use the Recovery key: inform all affected Parties and the reasons", "ASRP",
       "3.1(d)", "step"),
    _o("RCV-04", _D, "Keep auditable recovery records (Devices, Subscribers)", "always", "3.1(e)",
       "not simulated"),
    _o("RCV-05", _D, "The recovery report to the PMA", "3 Working Days after the recovery", "3.1(f)", "deadline"),
    _o("RCV-06", _D, "Raise an Incident; notify the PMA; contact the Subscriber; request confirmation",
       "on notification", "3.2", "step"),
    _o("RCV-07", _S, "Confirm or deny the Compromise through an SMKI SRO", "24 hours from the request", "3.2",
       "deadline"),
    _o("RCV-08", _D, "Accept confirmation only from the L 3.2 representatives", "on confirmation", "3.3",
       "not simulated"),
    _o("RCV-09", _D, "No Compromise: close the Incident; confirmed: inform the affected RSs", "on confirmation",
       "3.2", "step"),
    _o("RCV-10", _S, "Submit CRRs for the affected Organisation Certificates", "pre-recovery",
       "4.1.1.1, 4.2.1.1, 4.3.1.1", "step"),
    _o("RCV-11", _S, "Submit Organisation Compromise Notification Files", "pre-recovery",
       "4.1.1.2, 4.2.1.2, 4.3.1.2", "step"),
    _o("RCV-12", _S, "Submit a temporary ADT File", "ASRP", "4.1.1.2, 4.2.1.2", "not simulated"),
    _o("RCV-13", _D, "Notify the PMA of the Compromise, the method and the details", "ASRP",
       "4.1.1.3, 4.2.1.3, 4.3.1.3", "step"),
    _o("RCV-14", _D, "Notify the RS (if not the Subscriber) of the method and Device IDs", "pre-recovery",
       "4.1.1.4, 4.3.1.4", "step"),
    _o("RCV-15", _D, "Notify the relevant Network Parties (Method 2)", "pre-recovery", "4.2.1.5", "not simulated"),
    _o("RCV-16", _D, "Set the affected Devices to 'recovery'", "pre-recovery", "4.2.1.3, 4.3.1.3", "step"),
    _o("RCV-17", _D, "The PMA's information pack", "pre-recovery", "4.2.1.5, 4.3.1.5", "step"),
    _o("RCV-18", _D, "Prepare the Key Activation Ceremony", "pre-recovery", "4.2.1.6, 4.3.1.6", "step"),
    _o("RCV-19", _P, "Decide the steps and the timescales", "on request (a setting: the Code gives no time)",
       "4.2.1.7, 4.3.1.7", "deadline"),
    _o("RCV-20", _D, "Relay the PMA's decision to the Subscriber (and RS)", "after RCV-19", "4.2.1.8, 4.3.1.8",
       "step"),
    _o("RCV-21", _D, "PMA says do not disable communications: restore the statuses", "on decision",
       "4.2.2.1, 4.3.2.1", "step"),
    _o("RCV-22", _D, "Temporarily amend ADTs", "recovery", "4.1.2.1, 4.2.2.2, 4.3.2.2", "not simulated"),
    _o("RCV-23", _S, "Method 1: replace the certificates on all relevant Devices; report", "recovery",
       "4.1.2.2, 4.1.2.3, 4.1.2.4", "step"),
    _o("RCV-24", _D, "Notify the RS of the Devices not recovered (Method 1)", "after the Subscriber's report",
       "4.1.2.5", "step"),
    _o("RCV-25", _D, "Activate the Recovery Private Key with the Key Custodians", "recovery", "4.2.2.3, 4.3.2.4",
       "step"),
    _o("RCV-26", _D, "Method 2: Recovery-signed Commands placing the DCC ACB Certificate", "recovery", "4.2.2.4",
       "step"),
    _o("RCV-27", _D, "Per Device: 'recovered' (Method 2)", "per Device", "4.2.2.5", "step"),
    _o("RCV-28", _D, "Per-Device DCC Alert (N44 / N45); progress files", "per Device", "4.2.2.6, 4.3.2.6", "step"),
    _o("RCV-29", _RS, "Replace the DCC ACB Certificates with its own (SRV 6.21)", "after 'recovered'",
       "4.2.2.8, 4.2.2.9", "step"),
    _o("RCV-30", _D, "Restore the status before the Compromise", "per Device", "4.2.2.8, 4.3.2.7", "step"),
    _o("RCV-31", _S, "Method 3: replacements not signed by the compromised key", "recovery", "4.3.2.3", "step"),
    _o("RCV-32", _D, "Method 3: Recovery-signed Commands installing them", "recovery", "4.3.2.5", "step"),
    _o("RCV-33", _D, "Notify each RS of the Devices not recovered", "after attempts", "4.3.2.8", "step"),
    *(_o(f"RCV-{n}", _D, what, "per the method", refs, "step") for n, what, refs in (
        (38, "Contingency-key compromise: new keys, a dual-signed Root; the target deadline", "6.1.2.3, 6.1.2.6"),
        (39, "The responsible organisations replace the Root on their Devices", "6.1.2.7"),
        (40, "Monitor; list the unrecovered Devices after the deadline", "6.1.2.8"),
        (41, "Destroy the replaced Root, Issuing OCA and Contingency keys", "6.1.3.2"))),
    _o("RCV-44", _D, "Issuing-OCA compromise: revoke it; the ARL; destroy the key", "pre-recovery", "6.3.1.7", "step"),
    _o("RCV-45", _D, "Issuing-OCA compromise: new Issuing OCA and Recovery certificate rollover", "recovery",
       "6.3.2.3, 6.3.2.6", "step"),
    _o("RCV-46", _S, "Issuing-OCA compromise: each Subscriber replaces its Organisation Certificates", "recovery",
       "6.3.2.7, 6.3.2.8", "step"),
    _o("RCV-47", _D, "Monitor the replacements and revocations", "recovery", "6.3.2.9", "step"),
    _o("RCV-34", _D, "Contingency: revoke the Root and Issuing OCA Certificates; the ARL; destroy keys",
       "per the PMA's decision", "5.1.6", "step"),
    _o("RCV-35", _D, "Contingency: Key Generation Ceremonies; the new Root", "recovery", "5.2.4, 5.2.5, 5.2.6", "step"),
    _o("RCV-36", _D, "Contingency: activate the Contingency keys", "recovery", "5.2.7", "step"),
    _o("RCV-37", _D, "Contingency: Commands to all Devices resetting every cell", "recovery", "5.2.8", "step"),
    _o("RCV-42", _D, "Recovery-key compromise: the new Recovery certificate, Commands signed with the old key",
       "recovery", "6.2.2.3, 6.2.2.4", "step"),
    _o("RCV-43", _D, "Destroy the replaced Recovery key; revoke its certificate", "post-recovery", "6.2.3.2", "step"),
    _o("RCV-48", _S, "Submit enduring ADTs", "ASRP, post-recovery", "4.1.3.1, 4.2.3.1", "not simulated"),
    _o("RCV-49", _D, "Apply the enduring ADTs; reinstate the DCC's", "post-recovery", "4.2.3.1, 4.3.3.1",
       "not simulated"),
    _o("RCV-50", _D, "Notify the PMA of completion and the Devices not recovered", "post-recovery",
       "4.1.3.2, 4.2.3.2, 4.3.3.2", "step"),
), key=lambda o: int(o.id.removeprefix("RCV-")))})

# ---- how the audit judges each row (``dccflow.audit_recovery``) --------------------------------------------------
_M1, _M2, _M3, _RK, _C, _IO, _CR = ("method-1", "method-2", "method-3", "recovery-key-rollover", "contingency",
                                    "issuing-oca", "contingency-key-rollover")
_GATED = (_M2, _M3, _RK, _C, _IO, _CR)  # the methods with a PMA decision gate (L 4.1 has none)
#: id → kind (step / after / smi / alert / request / restored / reported / retry), evidence (step ids, or the SMI
#: statuses, alert codes, SRV), methods (None: every method), stage (the step that makes it due: incident,
#: confirmed, decided, declined, approved, ended), not_built_for (methods dccflow runs without this part: not assessed)
JUDGE = MappingProxyType({
    "RCV-01": dict(kind="after", evidence=("recovery_commands_sent", "key_generation_ceremony"), after="pma_approved",
                   methods=_GATED, stage="decided"),
    "RCV-02": dict(kind="retry", methods=(_M2, _M3, _RK, _C, _IO, _CR), stage="approved"),
    "RCV-03": dict(evidence=("parties_told_of_decision",), methods=_GATED, stage="declined"),
    "RCV-05": dict(evidence=("recovery_report",), stage="ended"),
    "RCV-06": dict(evidence=("incident_raised",), stage="incident"),
    "RCV-07": dict(evidence=("compromise_confirmed", "compromise_denied"), stage="incident"),
    "RCV-09": dict(evidence=("responsible_suppliers_informed",), stage="confirmed"),
    "RCV-10": dict(evidence=("compromised_certificate_revoked", "subscriber_certificate_revoked"),
                   methods=(_M1, _M2, _M3), stage="approved"),
    "RCV-11": dict(evidence=("ocnf_submitted", "annex_d_sent"), stage="confirmed"),
    "RCV-13": dict(evidence=("pma_notified",), stage="confirmed"),
    "RCV-14": dict(evidence=("responsible_suppliers_informed",), methods=(_M1, _M3), stage="confirmed"),
    "RCV-16": dict(kind="smi", evidence=("recovery",), methods=(_M2, _M3, _C), stage="confirmed"),
    "RCV-17": dict(evidence=("pma_decision_requested",), methods=_GATED, stage="confirmed"),
    "RCV-18": dict(evidence=("key_activation_ceremony",), methods=_GATED, stage="approved"),
    "RCV-19": dict(evidence=("pma_approved", "pma_declined"), methods=_GATED, stage="confirmed"),
    "RCV-20": dict(evidence=("parties_told_of_decision",), methods=_GATED, stage="decided"),
    "RCV-21": dict(evidence=("statuses_restored",), methods=(_M2, _M3), stage="declined"),
    "RCV-23": dict(evidence=("subscriber_replaced_certificates",), methods=(_M1,), stage="approved"),
    "RCV-24": dict(kind="reported", methods=(_M1,), stage="ended"),
    "RCV-25": dict(evidence=("key_activation_ceremony",), methods=(_M2, _M3, _RK, _IO), stage="approved"),
    "RCV-26": dict(evidence=("recovery_commands_sent", "device_unreachable"), methods=(_M2,), stage="approved"),
    "RCV-27": dict(kind="smi", evidence=("recovered",), methods=(_M2, _C), stage="approved"),
    "RCV-28": dict(kind="alert", evidence=("N44", "N45"), methods=(_M2, _M3, _C), stage="approved"),
    "RCV-29": dict(kind="request", evidence=("6.21",), methods=(_M2, _C), stage="approved"),
    "RCV-30": dict(kind="restored", methods=(_M2, _M3, _C), stage="ended"),
    "RCV-31": dict(evidence=("replacement_certificates_obtained",), methods=(_M3,), stage="approved"),
    "RCV-32": dict(evidence=("recovery_commands_sent", "device_unreachable"), methods=(_M3,), stage="approved"),
    "RCV-33": dict(kind="reported", methods=(_M2, _M3, _RK, _C, _IO, _CR), stage="ended"),
    "RCV-38": dict(evidence=("key_generation_ceremony",), methods=(_CR,), stage="approved"),
    "RCV-39": dict(evidence=("recovery_commands_sent", "device_unreachable"), methods=(_CR,), stage="approved"),
    "RCV-40": dict(kind="reported", methods=(_CR,), stage="ended"),
    "RCV-41": dict(evidence=("replaced_key_destroyed",), methods=(_CR,), stage="ended"),
    "RCV-44": dict(evidence=("issuing_oca_revoked",), methods=(_IO,), stage="ended"),
    "RCV-45": dict(evidence=("issuing_oca_replaced",), methods=(_IO,), stage="approved"),
    "RCV-46": dict(evidence=("subscriber_replaced_certificates",), methods=(_IO,), stage="ended"),
    "RCV-47": dict(evidence=("subscriber_replaced_certificates",), methods=(_IO,), stage="ended"),
    "RCV-34": dict(evidence=("root_and_issuing_oca_revoked",), methods=(_C,), stage="approved"),
    "RCV-35": dict(evidence=("key_generation_ceremony",), methods=(_C,), stage="approved"),
    "RCV-36": dict(evidence=("key_activation_ceremony",), methods=(_C,), stage="approved"),
    "RCV-37": dict(evidence=("recovery_commands_sent", "device_unreachable"), methods=(_C,), stage="approved"),
    "RCV-42": dict(evidence=("key_generation_ceremony",), methods=(_RK,), stage="approved"),
    "RCV-43": dict(evidence=("replaced_key_destroyed",), methods=(_RK,), stage="ended"),
    "RCV-50": dict(evidence=("recovery_complete",), stage="ended"),
})
_ADT = "temporary and enduring ADT Files and the TAD mechanism are not simulated"
#: why a ``not simulated`` row is not assessed
WHY = MappingProxyType({
    "RCV-04": "the drill's timeline and the workflow history are the records; their confidentiality and security "
              "are not modelled",
    "RCV-08": "the Subscriber's answer is a signal; who sent it (an SMKI SRO, L 3.3) is not modelled",
    "RCV-12": _ADT, "RCV-22": _ADT, "RCV-48": _ADT, "RCV-49": _ADT,
    "RCV-15": "the Network Parties other than the Responsible Suppliers are not told in the simulation",
})
#: the deadline rows: the workflow ``Deadline`` carrying these refs, and the Code's time (or the setting)
_TIMES = {
    "RCV-05": TimeRule(amount=3, unit="working days", start="recovery complete", stop="the report to the SMKI PMA",
                       deadline_refs=("SEC Appendix L 3.1(f)",)),
    "RCV-07": TimeRule(amount=24 * 3600, unit="seconds", start="the DCC's request for confirmation",
                       stop="the Subscriber confirms or denies", deadline_refs=("SEC Appendix L 3.2",)),
    "RCV-19": TimeRule(amount=2, unit="days", start="the DCC's request (a setting: the Code gives no time)",
                       stop="the SMKI PMA's decision", deadline_refs=(
                           "SEC Appendix L 4.2.1.7", "SEC Appendix L 4.3.1.7", "SEC Appendix L 5.1.4",
                           "SEC Appendix L 6.2.1.5", "SEC Appendix L 6.3.1.5", "SEC Appendix L 6.1.1.5")),
}


#: the kinds judged from the DCC's records (the SMI history, DCC Alerts, Service Requests), not the events alone
_READS_RECORDS = frozenset({"smi", "restored", "alert", "request"})


def _entry(o: RecoveryObligation) -> Obligation:
    clause, *also = (r.removeprefix("SEC Appendix L ") for r in o.refs)
    base = dict(id=o.id, bad_step="7.7.3", actor=o.who, document="SEC Appendix L", clause=clause,
                also=tuple(f"SEC Appendix L {a}" for a in also), summary=f"{o.summary} ({o.when}).",
                applies_when=("BAD 7.7.3",))
    if o.shown_by == "not simulated":
        return Obligation(**base, judged=Judged.NOT_ASSESSABLE, why=WHY[o.id])
    judged = Judged.TIMED if o.shown_by == "deadline" else Judged.PERFORMED
    how = JUDGE[o.id]
    check = "recovery_records" if how.get("kind") in _READS_RECORDS else "recovery"
    return Obligation(**base, judged=judged, timing=_TIMES.get(o.id), check=check, params=dict(how))


#: the rows as obligation register entries (``dccflow.domain.obligations.AUDIT_REGISTER``)
RECOVERY_REGISTER: tuple[Obligation, ...] = tuple(_entry(o) for o in RECOVERY_OBLIGATIONS.values())
