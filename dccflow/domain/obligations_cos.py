"""The obligation register's entries for BAD 7.7.1 Transitional Change of Supplier: the rows of the BAD's governance
table for 7.7.1.5.4 (004 l.3920-3942: SEC Appendix AB 8.1-8.6, 14.2; AD 3.8.74.4 / 3.8.75.4) and the process text
(digest 05 §B.8, COS-01..COS-13, COS-X1..X2). Part of :data:`dccflow.domain.obligations.REGISTER`.

Each SEC row is judged per SRV 6.23 from the DCC's and the CoS Party's record of it (``dccflow.audit_cos``, check
``cos`` with ``params["part"]``); the entries apply when a step cites BAD 7.7.1.5.4 or SRV 6.23.
"""

from __future__ import annotations

from dccflow.domain.obligation_model import Judged, Obligation, TimeRule

_P, _T, _N = Judged.PERFORMED, Judged.TIMED, Judged.NOT_ASSESSABLE
AB, AD = "SEC Appendix AB", "SEC Appendix AD"
_WHEN = ("BAD 7.7.1.5.4", "SRV 6.23")
_STEP = "7.7.1.5.4"


def _cos(id_: str, actor: str, document: str, clause: str, part: str, summary: str, *, also: tuple[str, ...] = (),
         judged: Judged = _P, timing: TimeRule | None = None, source: str = "table", **params) -> Obligation:
    return Obligation(id=id_, bad_step=_STEP, actor=actor, document=document, clause=clause, summary=summary,
                      judged=judged, applies_when=_WHEN, check="cos", params={"part": part, **params}, also=also,
                      timing=timing, source=source)


COS_REGISTER: tuple[Obligation, ...] = (
    _cos("COS-01", "DCC", AB, "8.1(a)", "forward",
         "Where a CoS Update Security Credentials request passes AB 6.1, send the CoS Party a Digitally Signed "
         "communication containing it."),
    _cos("COS-02", "CoS Party", AB, "8.1(b)", "cos_checks",
         "Immediately before creating the Signed Pre-Command, check (i) cryptographic protection and (ii) validity "
         "of the communication and the request, (iii) one User in the request and its certificates, (iv) that User "
         "the Responsible Supplier for the request's MPxN at the execution date."),
    _cos("COS-03", "CoS Party", AB, "8.2", "cos_signed",
         "If the checks pass, generate a GBCS Payload substantively identical to the request, sign it and send it "
         "to the DCC as a Signed Pre-Command."),
    _cos("COS-04", "CoS Party", AB, "8.3(a)", "cos_stopped",
         "If the checks fail, process the request no further and notify the DCC."),
    _cos("COS-05", "DCC", AB, "8.3(b)", "n26",
         "If the CoS Party's checks fail, tell the sender through the DCC User Interface (DCC Alert N26); process the "
         "request no further.",
         # the table prints the v2.0 row's document across two lines ("SEC Appendix" / "AD - ..."): as printed
         also=(f"{AD} 3.8.74.4", f"{AD} 3.8.75.4", "SEC Appendix 3.8.75.4")),
    _cos("COS-06", "DCC", AB, "8.4", "spc_checks",
         "Check every Signed Pre-Command from the CoS Party: (a) the certificates' User IDs are the request's, (b) "
         "the same Device, (c) it came from the CoS Party, (d), (e) certificates Valid, (f) the Responsible Supplier "
         "per the SMI's MPxN and Registration Data."),
    _cos("COS-07", "DCC", AB, "8.5", "command_sent",
         "If all AB 8.4 checks pass, send the Command (AB 13), subject to AB 14."),
    _cos("COS-08", "DCC", AB, "8.6", "spc_rejected",
         "If an AB 8.4 check fails, reject the Signed Pre-Command; tell the CoS Party why (unless 8.4(c) failed) and "
         "tell the sender."),
    _cos("COS-09", "DCC", AB, "14.2", "timing",
         "Send each CoS Update Security Credentials Command as close to the execution time as reasonably "
         "practicable, leaving time for it to be received and executed.", judged=_T, seconds=60,
         timing=TimeRule(amount=60, unit="seconds", start="the request's execution date-time",
                         stop="Command sent (DECISION: 'reasonably practicable' judged as within 60 seconds)")),
    _cos("COS-10", "DCC", AD, "3.8.75.4(a)", "n27",
         "On successful execution, send DCC Alert N27 to the old registered Import or Gas Supplier.",
         also=(f"{AD} 3.8.74.4(a)",)),
    _cos("COS-11", "DCC", AD, "3.8.75.4(b)", "n17",
         "On successful execution, delete the Losing Supplier's active DCC Schedules on the Device; N17 for each.",
         also=(f"{AD} 3.8.74.4(b)",)),
    _cos("COS-12", "DCC", AD, "3.8.75.4(c)", "n38",
         "On successful execution, cancel the Losing Supplier's Future Dated (DSP) requests for the Device not yet "
         "sent; N38 for each.", also=(f"{AD} 3.8.74.4(c)", f"{AD} 3.8.754.4(c)")),  # v2.0's number as printed
    _cos("COS-13", "DCC", "BAD", "7.7.1.5.4", "response",
         "Send the SRV 6.23 Service Response to the Gaining Supplier once the Device responds.", source="text"),
    Obligation(id="COS-X1", bad_step="7.7.1.5.2", actor="Losing Supplier", document="BAD", clause="7.7.1.5.2",
               judged=_N, source="text", applies_when=_WHEN,
               summary="(Expected practice) switch a Prepayment Meter to Credit immediately before the CoS date.",
               why="not an SEC obligation (BAD footnote 20); prepayment is not simulated"),
    Obligation(id="COS-X2", bad_step="7.7.1.5.5", actor="Gaining Supplier", document="BAD", clause="7.7.1.5.5-6",
               judged=_N, source="text", applies_when=_WHEN,
               summary="(Expected practice) update the Supplier Name (SRV 3.4) and the price and tariff after the CoS.",
               why="expected practice, not an SEC obligation: the Gaining Supplier's follow-up requests are steps of "
                   "its own process"),
)
