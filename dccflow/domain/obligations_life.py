"""The obligation register for BAD 7.6 (Replace Communications Hub, Remove and Decommission Device) and SEC H6
(Decommissioning and Suspension), as data: one entry per obligation of digest 04 (§B.8, §C.5, §D.5, §E.9, §G.8,
§H.3; ../shared/spec/04-replace-and-decommission.md), with the clause the BAD's governance tables 7.6.1.9 and
7.6.2.7 quote (004 l.3385-3428, 3678-3726) or the SEC H6 text (000 l.1016-1108).

Same model as ``dccflow.domain.obligations`` (``Obligation``, judged ``performed`` / ``timed`` / ``not assessable``,
``applies_when`` BAD / SEC prefixes, an audit ``check`` of ``dccflow.audit.CHECKS`` with its parameters), kept apart
from the 7.2 register (whose rows that module's test matches against the 7.2 governance tables). The ordering rules
of AB 10.1 (a) → (b) → (c) → (d) are steps an audit alone can judge (the DCC refuses none of them, digest 04 §B.4).
"""

from __future__ import annotations

from dccflow.domain.obligation_model import Judged, Obligation

_P, _N = Judged.PERFORMED, Judged.NOT_ASSESSABLE
AB, AC, AD, SEC = "SEC Appendix AB", "SEC Appendix AC", "SEC Appendix AD", "SEC"
#: a CH replacement under way: the steps of Replace Communications Hub but 7.6.1.6.8, which the DCC's H6.6 step of a
#: CHF decommissioned without a replacement cites too (``decommission-chf-orphans`` replaces nothing)
_REPLACE = ("BAD 7.6.1.1", "BAD 7.6.1.5", "BAD 7.6.1.6.4", "BAD 7.6.1.6.5", "BAD 7.6.1.6.6", "BAD 7.6.1.6.7",
            "BAD 7.6.1.6.9", "BAD 7.6.1.6.10")
#: the CH replaced: the replacement CHF Commissioned (AC 8.3, BAD 7.6.1.6.4) and the steps after it. AB 10.1's duties
#: arise "after the replacement"; a new CH that never reached the SM WAN (``ch-replace-new-ch-no-wan``) replaced
#: nothing — the old CH stays, its log is not restored, it is not returned
_REPLACED = ("SEC Appendix AC 8.3", "BAD 7.6.1.6.5", "BAD 7.6.1.6.6", "BAD 7.6.1.6.7", "BAD 7.6.1.6.9",
             "BAD 7.6.1.6.10")
_DECOM = ("BAD 7.6.2.5.5", "SEC H6")
#: a successful 8.3: the DCC's own duties arise "on successful processing" (H6.4) / "upon successful execution" (AD
#: 3.8.100.5) of it, for the Device it named. Cited by the DCC's steps after the Service Response
#: (``device_decommissioned_by_dcc``, ``gpf_decommissioned_with_chf``), never by a refused 8.3
#: (``decommission-by-non-rs-rejected``) nor by another Device's step in the same process (the new meter of a
#: meter exchange, whose end cites BAD 7.6.2.5.5)
_DECOMMISSIONED = ("SEC H6.4",)
_UNJOIN = ("BAD 7.6.2.5.3",)
_REMOVE = ("BAD 7.6.2.5.4",)
_SUSPEND = ("BAD 7.1.2.4.3", "SEC H6.10", "SEC H6.11")
_HAS_STATUS = ["CHF", "GPF", "ESME", "GSME", "PPMID", "HCALCS"]
_UNQUANTIFIED = ("\"as soon as reasonably practicable\" is not quantified (digest 04 §0.2): the order is judged, "
                 "not a time")
_PHYSICAL = "physical work at the premises the simulation does not observe"
_O = Obligation

LIFE_REGISTER: tuple[Obligation, ...] = (
    # ---- 7.6.1.9 Replace Communications Hub (AB 10.1-10.5, AC 8.1-8.3, SEC F8, H6.6) ------------------------------
    _O(id="ch-replace-restore-chf-log", bad_step="7.6.1.6.5", actor="Supplier", document=AB, clause="10.1(a)",
       judged=_P, applies_when=_REPLACED, check="step", params={"evidence": ["BAD 7.6.1.6.5"]},
       summary="After replacing a CH, send 8.12.1 so the new CHF's Device Log replicates the old one's.",
       why=_UNQUANTIFIED),
    _O(id="ch-replace-restore-gpf-log", bad_step="7.6.1.6.6", actor="Supplier", document=AB, clause="10.1(b)",
       judged=_P, applies_when=_REPLACED, check="step", params={"evidence": ["BAD 7.6.1.6.6"]},
       summary="Send 8.12.2 so the new GPF's Device Log replicates the old one's (even on an electricity-only CH).",
       why=_UNQUANTIFIED),
    _O(id="ch-replace-gsme-to-new-gpf", bad_step="7.6.1.6.7", actor="Supplier", document=AB, clause="10.1(c)",
       judged=_P, applies_when=_REPLACED, check="step", params={"evidence": ["BAD 7.6.1.6.7"], "types": ["GSME"]},
       summary="After (a) and (b): unjoin the GSME from the old GPF (8.8.2), join it to the new one (8.7.2). The "
               "table tags it 'DCC'; the duty is the Supplier's (digest 04 §K 8)."),
    _O(id="ch-replace-decommission-old", bad_step="7.6.1.6.8", actor="Supplier", document=AB, clause="10.1(d)",
       judged=_P, applies_when=(f"{AB} 10.1(d)",), check="smi_status", params={"to": ["decommissioned"],
                                                                               "types": ["CHF"]},
       summary="After (c): decommission the old CHF and GPF with 8.3 (ordering judged by the audit, §B.4)."),
    # the order of AB 10.1 (a)-(d), which only an audit can judge (digest 04 §B.4 rows 2-4; dccflow.audit_life)
    _O(id="ch-replace-order-c", bad_step="7.6.1.6.7", actor="Supplier", document=AB, clause="10.1(c)", judged=_P,
       applies_when=_REPLACED, check="order",
       params={"step": [f"{AB} 10.1(c)"], "after": [[f"{AB} 10.1(a)"], [f"{AB} 10.1(b)"], ["SRV 8.8.2"]]},
       summary="The GSME joins the new GPF only after both Device Logs are restored (and, BAD 7.6.1.6.7, after its "
               "unjoin from the old GPF)."),
    _O(id="ch-replace-order-d", bad_step="7.6.1.6.8", actor="Supplier", document=AB, clause="10.1(d)", judged=_P,
       applies_when=_REPLACED, check="order",
       params={"step": [f"{AB} 10.1(d)"], "after": [[f"{AB} 10.1(a)"], [f"{AB} 10.1(b)"]],
               "after_if_present": [[f"{AB} 10.1(c)"]]},
       summary="The old CHF is decommissioned only after (a), (b) and, for a gas SMS, (c)."),
    _O(id="ch-replace-is-gpf-log-changes", bad_step="7.6.1.6.7", actor="Import Supplier", document=AB, clause="10.2",
       judged=_N, applies_when=_REPLACE,
       summary="An Import Supplier adds or removes a GPF in a GSME's Device Log only within a CH replacement.",
       why="the DCC accepts it (AB 6.2(a)); whether a replacement was under way is the Supplier's context"),
    _O(id="ch-replace-n9", bad_step="7.6.1.6.8", actor="DCC", document=AB, clause="10.3", judged=_P,
       applies_when=(f"{AB} 10.1(d)",), check="dcc_alert", params={"code": "N9", "types": ["CHF"]},
       summary="After an 8.3 of the CHF and GPF, N9 to every RS and Network Party of their SMSs but the sender."),
    _O(id="ch-replace-n30", bad_step="7.6.1.6.5", actor="DCC", document=AB, clause="10.4", judged=_P,
       applies_when=("SRV 8.12.1",), check="restore_alert", params={"code": "N30", "srv": "8.12.1"},
       summary="On a successful 8.12.1, N30 to every Responsible Supplier for the CHF but the sender."),
    _O(id="ch-replace-n31", bad_step="7.6.1.6.6", actor="DCC", document=AB, clause="10.5", judged=_P,
       applies_when=("SRV 8.12.2",), check="restore_alert", params={"code": "N31", "srv": "8.12.2"},
       also=(f"{AD} 3.6.3.4",),
       summary="On a successful 8.12.2 not sent by the Gas Supplier, N31 to it (AD 3.6.3.4: to every other RS)."),
    _O(id="ch-replace-record-used", bad_step="7.6.1.6.5", actor="DCC", document=AC, clause="8.2", judged=_P,
       applies_when=_REPLACED, check="step", params={"evidence": ["SEC Appendix AC 8.2"]},
       summary="Restore from the DCC's up-to-date record of the Device Logs (AC 8.1), never from the old CH."),
    _O(id="ch-replace-record-kept", bad_step="7.6.1.6.5", actor="DCC", document=AC, clause="8.1", judged=_P,
       applies_when=_REPLACED, check="step", params={"evidence": ["BAD 7.2.1.6.7", "SEC Appendix AC 8.1"]},
       summary="Keep an up-to-date record of each CHF's and GPF's Device Log (latest CS14, latest GCS62)."),
    _O(id="ch-replace-newly-commissioned", bad_step="7.6.1.6.10", actor="DCC, Supplier", document=AC, clause="8.3",
       judged=_P, applies_when=_REPLACED, check="smi_status", params={"to": ["commissioned"], "types": ["CHF"]},
       summary="The replacement CHF and GPF are newly Commissioned: the post-commissioning duties apply (AC 5)."),
    _O(id="ch-replace-tom-resend", bad_step="7.6.1.6.7", actor="Supplier", document="BAD", clause="7.6.1.6.7",
       judged=_N, applies_when=_REPLACE, source="text",
       summary="Re-send the TOM commands (GBCS 10.3.4) and, if sent before, SRV 3.2 once the GSME is on the new GPF.",
       why="the TOM Service Requests are not named in the sources and are not simulated (digest 04 §K 19)"),
    _O(id="ch-remove-replace", bad_step="7.6.1.6.8", actor="Responsible Supplier", document=SEC, clause="F8.3(a)",
       judged=_N, applies_when=_REPLACE,
       summary="A Supplier that removes a CH installs a replacement unless the CHF is Withdrawn.", why=_PHYSICAL),
    _O(id="ch-decommissioned-removed", bad_step="7.6.1.6.8", actor="Supplier", document=SEC, clause="F8.3(b)",
       judged=_N, applies_when=_REPLACE,
       summary="A Supplier that Decommissions a CHF removes the CH.", why=_PHYSICAL),
    _O(id="ch-remove-other-provisions", bad_step="7.6.1.6.8", actor="Responsible Supplier", document=SEC,
       clause="F8.3(c)", judged=_N, applies_when=_REPLACE, why=_PHYSICAL,
       summary="Remove a CH where another SEC provision requires it."),
    _O(id="ch-remove-support-materials", bad_step="7.6.1.6.8", actor="Supplier", document=SEC, clause="F8.4",
       judged=_N, applies_when=_REPLACE, why=_PHYSICAL,
       summary="Remove the CH as the CH Installation and Maintenance Support Materials say."),
    _O(id="ch-removed-risk", bad_step="7.6.1.6.8", actor="Supplier", document=SEC, clause="F8.5", judged=_N,
       applies_when=_REPLACE, why="liability, not an act", summary="The risk in a removed CH passes to the Supplier."),
    _O(id="ch-returned", bad_step="7.6.1.6.9", actor="Supplier", document="BAD", clause="7.6.1.6.9", judged=_P,
       applies_when=_REPLACED, check="step", params={"evidence": ["BAD 7.9.1.6.2"]}, source="text",
       summary="Return the replaced CH to the DCC (8.14.3 / 8.14.4)."),
    # ---- 7.6.2.7 Remove and Decommission Device --------------------------------------------------------------------
    _O(id="unjoin-association-ended", bad_step="7.6.2.5.3", actor="DCC", document=AC, clause="6.1", judged=_P,
       applies_when=_UNJOIN, check="step", params={"evidence": ["SEC Appendix AC 6.1"]},
       summary="On a successful unjoin from a Smart Meter's or GPF's Device Log, end the Association on the SMI."),
    _O(id="unjoin-ppmid-response", bad_step="7.6.2.5.3", actor="DCC", document=AB, clause="11.2", judged=_P,
       applies_when=_UNJOIN, check="step", params={"evidence": ["BAD 7.6.2.5.3"]},
       summary="The Response to a PPMID join / unjoin goes to the sender as a Service Response."),
    # the table prints "SEC Appendix AB ... 3.8.101.4", a DUIS-style number (digest 04 §K 8)
    _O(id="remove-whitelisted-pending", bad_step="7.6.2.5.4", actor="DCC", document=AB, clause="3.8.101.4",
       also=(f"{AD} 3.8.109.4",), judged=_P, applies_when=_REMOVE, check="removed_to_pending",
       params={"removed": ["SRV 8.11"], "types": _HAS_STATUS},
       summary="On a successful 8.11 Remove, a 'whitelisted' Device goes back to 'pending'."),
    _O(id="remove-ppmid-n43", bad_step="7.6.2.5.4", actor="DCC", document="BAD", clause="7.6.2.5.4", judged=_P,
       applies_when=_REMOVE, check="dcc_alert", params={"code": "N43", "types": ["PPMID"]}, source="text",
       summary="A PPMID joined to an ESME and a GSME removed: N43 to every RS for the CHF but the sender."),
    _O(id="remove-personal-data", bad_step="7.6.2.5.4", actor="Supplier", document="BAD", clause="7.6.2.1",
       judged=_N, applies_when=_REMOVE, source="text",
       summary="Safeguard customers' Personal Data (Data Protection Act), e.g. remove the GSME from the CHF log.",
       why="a practice under general law, not a SEC clause (digest 04 §D.5)"),
    _O(id="decommission-on-awareness", bad_step="7.6.2.5.5", actor="Responsible Supplier", document=SEC,
       clause="H6.3", judged=_N, applies_when=_DECOM,
       summary="On becoming aware a Device is uninstalled or not operating, request its Decommissioning (8.3).",
       why="the Supplier's awareness is not an event the simulation records"),
    _O(id="decommission-smi", bad_step="7.6.2.5.5", actor="DCC", document=SEC, clause="H6.4(a)", judged=_P,
       applies_when=_DECOMMISSIONED, check="smi_guard",
       params={"to": ["decommissioned"], "types": _HAS_STATUS,
               "forbidden_from": ["pending", "decommissioned", "withdrawn"]}, also=(f"{AD} 3.8.100.5(a)",),
       summary="Set the Device 'decommissioned' (never from 'pending', 'decommissioned', 'withdrawn')."),
    _O(id="decommission-associations", bad_step="7.6.2.5.5", actor="DCC", document=SEC, clause="H6.4(b)",
       judged=_P, applies_when=_DECOMMISSIONED, check="step", params={"evidence": ["SEC H6.4(b)"]},
       summary="End the decommissioned Device's Associations with the other Devices of its SMS."),
    _O(id="decommission-chf-notice", bad_step="7.6.2.5.5", actor="DCC", document=SEC, clause="H6.4(c)", judged=_P,
       applies_when=_DECOMMISSIONED, check="dcc_alert", params={"code": "N9", "types": ["CHF"]},
       summary="A CHF decommissioned: notify every other Responsible Supplier for it (N9)."),
    _O(id="decommission-should", bad_step="7.6.2.5.5", actor="Responsible Supplier", document=SEC, clause="H6.1",
       judged=_N, applies_when=_DECOM, why="a 'should' about Devices no longer part of an SMS: a judgement",
       summary="A Device (not Type 2) that no longer forms part of an SMS should be Decommissioned."),
    # met by an 8.3 the DCC carried out for the Responsible Supplier (H6.2) or by one it refused to anyone else (H6.5):
    # either way no other User decommissioned the Device
    _O(id="decommission-who", bad_step="7.6.2.5.5", actor="Responsible Supplier", document=SEC, clause="H6.2",
       judged=_P, applies_when=_DECOM, check="step", params={"evidence": ["SEC H6.2", "SEC H6.5"]},
       summary="Only a Responsible Supplier (the Lead Supplier for a SMETS1 CHF) may Decommission a Device."),
    _O(id="decommission-reject", bad_step="7.6.2.5.5", actor="DCC", document=SEC, clause="H6.5", judged=_P,
       applies_when=_DECOM, check="step", params={"evidence": ["SEC H6.5"]},
       summary="Reject an 8.3 from a User that is not entitled by H6.2 (nothing changes)."),
    _O(id="decommission-orphans", bad_step="7.6.1.6.8", actor="DCC (BAD) / RS (H6.2)", document=SEC, clause="H6.6",
       judged=_P, applies_when=("SEC H6.6",), check="step", params={"evidence": ["SEC H6.6"]},
       summary="A CHF decommissioned: the other SMS Devices too, unless (not the GPF) a replacement CHF is "
               "Commissioned within a reasonable period (dccsim.config.reasonable_period_chf_replacement)."),
    _O(id="decommission-iedp", bad_step="7.6.2.5.5", actor="Users, DCC", document=SEC, clause="H6.12", judged=_N,
       applies_when=_DECOM, why="a general undertaking; its parts are the rows of this register",
       summary="Comply with the IEDP on Decommissioning and Suspension, notifying other Users where applicable."),
    _O(id="decommission-mpxn", bad_step="7.6.2.5.5", actor="DCC", document=AD, clause="3.8.100.5(b)", judged=_P,
       applies_when=_DECOMMISSIONED, check="step",
       params={"evidence": ["SEC Appendix AD 3.8.100.5(b)"], "types": ["ESME", "GSME"]},
       also=(f"{AB} 16.1(d)(vii)(B)",),
       summary="A Smart Meter decommissioned: disassociate it from every MPAN / MPRN on the SMI."),
    _O(id="decommission-gpf-with-chf", bad_step="7.6.2.5.5", actor="DCC", document=AD, clause="3.8.100.5(c)",
       judged=_P, applies_when=_DECOMMISSIONED, check="decommissioned", params={"types": ["GPF"]},
       summary="A CHF decommissioned: its GPF 'decommissioned' too."),
    _O(id="decommission-n1-n2", bad_step="7.6.2.5.5", actor="DCC", document=AD, clause="3.8.100.5(d)", judged=_P,
       applies_when=_DECOMMISSIONED, check="dcc_alert", params={"code": "N1", "types": ["ESME"]}, also=(f"{AC} 9.1",),
       summary="N1 (ESME → ED, and the ES if applicable), N2 (GSME → GT), N9 (CH)."),
    _O(id="decommission-schedules", bad_step="7.6.2.5.5", actor="DCC", document=AD, clause="3.8.100.5(e)",
       judged=_P, applies_when=_DECOMMISSIONED, also=(f"{AD} 3.8.100.5(f)",), check="step",
       params={"evidence": ["SEC Appendix AD 3.8.100.5(e)", "SEC Appendix AD 3.8.100.5(f)"]},
       summary="Delete the DCC Schedules for the Device (a CHF: its GPF's); N6 to each owner."),
    _O(id="decommission-future-dated", bad_step="7.6.2.5.5", actor="DCC", document=AD, clause="3.8.100.5(g)",
       judged=_P, applies_when=_DECOMMISSIONED, check="step",
       params={"evidence": ["SEC Appendix AD 3.8.100.5(g)", "SEC Appendix AD 3.8.100.5(h)"]},
       also=(f"{AD} 3.8.100.5(h)", f"{SEC} H3.20"),
       summary="Cancel the unsent future-dated requests for the Device (N33) or, for a CHF, its GPF (N34)."),
    _O(id="decommission-nd-update", bad_step="7.6.2.5.5", actor="DCC", document=AB, clause="16.1(d)(i)", judged=_P,
       applies_when=_DECOMMISSIONED, check="decommissioned", params={"types": _HAS_STATUS},
       summary="A Non-Device request that changes the DCC's information: update it accordingly."),
    _O(id="decommission-reuse", bad_step="7.6.2.5.5", actor="User", document=AD, clause="3.8.101.5", judged=_P,
       applies_when=_DECOM, check="smi_guard",
       params={"to": ["pending"], "types": _HAS_STATUS, "ignore_from": [None],
               "allowed_from": ["whitelisted", "decommissioned", "withdrawn"]},
       summary="Re-use a decommissioned Device by 8.3 then 12.2 ('pending'), never by 8.4."),
    _O(id="type2-unjoin-consent", bad_step="7.6.2.5.7", actor="User", document=SEC, clause="I1.3", judged=_N,
       applies_when=("BAD 7.6.2.5.7",),
       summary="Join / unjoin a Type 2 Device only as the RS for a licence duty or with Unambiguous Consent.",
       why="consent is between the User and the Consumer; the DCC cannot see it (digest 04 §H.4)"),
    # ---- Suspension (H6.10-H6.11; BAD 7.1.2.4.3-4; AC 7.3, 9.1, 9.2; AB 2.1) ---------------------------------------
    _O(id="suspend-model", bad_step="7.1.2.4.3", actor="DCC", document=SEC, clause="H6.10", judged=_P,
       applies_when=_SUSPEND, check="smi_status", params={"to": ["suspended"], "types": _HAS_STATUS},
       also=(f"{SEC} H6.11",),
       summary="A Device Model removed from the CPL: every Device of it 'suspended' (a CH Model: CHF and GPF)."),
    _O(id="suspend-within-24h", bad_step="7.1.2.4.3", actor="DCC", document="BAD", clause="7.1.2.4.3", judged=_P,
       applies_when=_SUSPEND, check="dcc_alert", params={"code": "N28"}, source="text",
       summary="Within 24 hours of the CPL extract: the SMI updated and N28 to the Supplier and Network Operator "
               "(the deadline is a durable timer of the DCC's workflow, dccsim.suspension)."),
    _O(id="suspend-cancel", bad_step="7.1.2.4.3", actor="DCC", document=SEC, clause="H3.20", judged=_P,
       applies_when=_SUSPEND, check="step", params={"evidence": ["BAD 7.1.2.4.3"]},
       summary="Cancel the suspended Device's Schedules (N40) and future-dated requests (N41)."),
    _O(id="suspend-notify-no", bad_step="7.1.2.4.3", actor="DCC", document=AC, clause="9.1", judged=_P,
       applies_when=_SUSPEND, check="dcc_alert", params={"code": "N28"},
       summary="Notify the ED / GT of a Smart Meter's Suspension (N28)."),
    _O(id="suspend-notify-rs", bad_step="7.1.2.4.3", actor="DCC", document=AC, clause="9.2", judged=_P,
       applies_when=_SUSPEND, check="dcc_alert", params={"code": "N28"},
       summary="Notify the Responsible Supplier(s) of any Device's Suspension (N28)."),
    _O(id="suspend-user-conduct", bad_step="7.1.2.4.3", actor="User", document=AB, clause="2.1", judged=_N,
       applies_when=_SUSPEND, why="'reasonable steps' by the User; the DCC refuses the requests anyway (AB 6.1(c))",
       summary="Send no request about a suspended Device except one restoring its Model or a post-CoS 6.23."),
    _O(id="suspend-restore", bad_step="7.1.2.4.4", actor="DCC", document=AC, clause="7.3", judged=_P,
       applies_when=("BAD 7.1.2.4.4", "SEC Appendix AC 7.3"), check="dcc_alert", params={"code": "N29"},
       summary="No longer Suspended: the status held immediately before, and N29."),
    _O(id="cpa-replace", bad_step="7.1.2.4.3", actor="DCC, Supplier", document=SEC, clause="F2.6", judged=_N,
       applies_when=_SUSPEND, why="the CPA certification process is not simulated",
       summary="Replace CPA Certificates before they expire."),
)

BY_ID: dict[str, Obligation] = {o.id: o for o in LIFE_REGISTER}
if len(BY_ID) != len(LIFE_REGISTER):  # pragma: no cover - a data error
    raise AssertionError("duplicate obligation ids in LIFE_REGISTER")
