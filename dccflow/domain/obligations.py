"""The obligation register for BAD 7.2 (Install and Commission): one entry per row of the BAD's governance
tables — 7.2.1.8 (Install and Commission), 7.2.2.9 (Install and Leave), 7.2.3.7 (Post Commissioning
Obligations) — plus the timed duty the BAD states in its process text (SRV 8.14.1 within 5 Working Days, BAD
7.2.1.6.6) and the DCC's Target Response Times for the requests and alerts of the process (SEC H3.14). BAD
7.2.3.5.7's restriction is AC 5.13's, a Supplier's duty (``supplier-restriction``): the DCC does not refuse
(``dccsim.post_commissioning``).

Each entry says how a run is judged against it (:class:`Judged`):

* ``timed``: a deadline (N Working Days / days / seconds from one event to another). A workflow's own
  ``Deadline`` outcome is used when one carries any of ``timing.deadline_refs``; otherwise the DCC's records
  (``check``) or the process events (``timing.from_refs`` → ``timing.to_refs``).
* ``performed``: the step happened with the outcome the clause requires, judged by ``check`` (see
  ``dccflow.audit``) on the process events and the DCC's own records.
* ``not assessable``: the simulation has nothing to observe; ``why`` says why.

An entry applies to a run when some process event cites one of ``applies_when`` (BAD sections or SEC clauses,
matched as a prefix at a section boundary: "BAD 7.2.2" covers "BAD 7.2.2.6.1"); otherwise its verdict is "not
applicable". Steps cite BAD sections already, so steps other processes add are covered without code here.

The summaries are ours; the Code's own words are in the BAD (../shared/reference/004_*.txt, lines 1251-1713).
"""

from __future__ import annotations

from dccflow.domain.obligation_model import Judged, Obligation, TimeRule
from dccflow.domain.obligations_cos import COS_REGISTER
from dccflow.domain.obligations_firmware import FIRMWARE_REGISTER
from dccflow.domain.obligations_life import LIFE_REGISTER
from dccflow.domain.obligations_msc import MSC_REGISTER
from dccflow.domain.recovery_obligations import RECOVERY_REGISTER

_P, _T, _N = Judged.PERFORMED, Judged.TIMED, Judged.NOT_ASSESSABLE
AC, AD, AI = "SEC Appendix AC", "SEC Appendix AD", "SEC Appendix I"
METERS = ("ESME", "GSME")
HAS_SMI_STATUS = ("CHF", "GPF", "ESME", "GSME", "PPMID", "HCALCS")
JOINABLE = ("pending", "installed not commissioned", "commissioned")
_PHYSICAL = "physical work at the premises; the simulated installer reports only the CH's SM WAN indicator"
_PC_REPORTING = "neither the Panel nor the Authority asks the simulated DCC for copies of the daily reports"

_O = Obligation
#: steps that commission a CHF (AC 4.1), a Meter (8.1.1) or a GPF (AC 4.10; 8.4 after Install and Leave)
COMMISSIONING = ("SEC Appendix AC 4.1", "BAD 7.2.1.6.10", "SEC Appendix AC 4.10", "BAD 7.2.2.6.7", "BAD 7.2.2.6.8")

REGISTER: tuple[Obligation, ...] = (
    # ---- 7.2.1.8: 7.2.1.6.4 Install Communications Hub ------------------------------------------------------
    _O(id="ch-wan-variant", bad_step="7.2.1.6.4", actor="Supplier", document=AI, clause="4.1", judged=_N,
      summary="Fit the CH WAN Variant the Coverage Database named for the location (checked within 30 days).",
      why="the simulated fleet has a single CH variant and no Coverage Database check is made at install"),
    _O(id="ch-tools", bad_step="7.2.1.6.4", actor="Supplier", document=AI, clause="4.3", judged=_N,
      summary="Use the proper tools and equipment when installing the CH and its auxiliary equipment.", why=_PHYSICAL),
    _O(id="ch-fitting", bad_step="7.2.1.6.4", actor="Supplier", document=AI, clause="4.4", judged=_N,
      summary="Fit the CH following the installation procedure (Appendix I Annex A).",
      why=_PHYSICAL + "; that the CH was fitted says nothing about the procedure followed"),
    _O(id="chf-commissioned-on-wan", bad_step="7.2.1.6.4", actor="DCC", document=AC, clause="4.1", judged=_P,
      summary="Set the CHF 'commissioned' once a communication from it shows it is on the SM WAN.",
      applies_when=("SEC Appendix AC 4.1",), check="smi_status",
      params={"to": ["commissioned"], "types": ["CHF"]}),
    _O(id="chf-commissioning-checks", bad_step="7.2.1.6.4", actor="DCC", document=AC, clause="4.2", judged=_P,
      summary="Commission a CHF only if it is on the SMI (4.2(a)) as 'pending' or 'installed not commissioned' "
              "(4.2(b)).",
      applies_when=("SEC Appendix AC 4.1",), check="smi_guard",
      params={"to": ["commissioned"], "types": ["CHF"], "allowed_from": ["pending", "installed not commissioned"]}),
    _O(id="chf-communication-authentic", bad_step="7.2.1.6.4", actor="DCC", document=AC, clause="4.2(c)",
      also=(f"{AC} 4.2",), judged=_N,
      summary="Commission a CHF only on a communication that is unaltered and originates from that CHF.",
      why="the simulated SM WAN hands the DCC the connecting CHF's Device ID (devices.wan.SmWan.power_up_ch → "
          "DccService.on_chf_connected) with no message or signature to authenticate; the DCC checks 4.2(a) and "
          "(b) only"),
    # ---- 7.2.1.6.5 Install Devices --------------------------------------------------------------------------
    _O(id="trust-anchor-cells", bad_step="7.2.1.6.5", actor="DCC, Supplier", document=AC, clause="3.1", judged=_N,
      summary="Before the first Command to a Device (or the CH's delivery), its required trust anchor cells hold "
              "credentials.",
      why="the cells are populated by the fleet builder before the run, as the prerequisites (BAD 7.2.1.5) say; "
          "no step of the run sets them"),
    _O(id="trust-anchor-credentials", bad_step="7.2.1.6.5", actor="DCC, Supplier", document=AC, clause="3.2",
      judged=_N, summary="Each trust anchor cell holds the certificate its Remote Party Role calls for, with the "
                         "matching keyUsage.",
      why="set up before the run (fleet builder, BAD Table 4); checked by the fleet's own tests"),
    _O(id="np-configurable-items", bad_step="7.2.1.6.5", actor="Supplier", document=AC, clause="3.3", judged=_N,
      summary="Configure at commissioning the data items the Network Operator asked for, where it did.",
      why="no Network Operator notification of configurable data items is modelled"),
    # ---- 7.2.1.6.6 Communications Hub Status Update - Install Success --------------------------------------
    _O(id="ch-fault-procedure", bad_step="7.2.1.6.6", actor="Supplier", document=AI, clause="4.6", judged=_N,
      summary="If a CH fault is suspected during installation, follow the CH fault procedures (Appendix I 8).",
      why="conditional on a suspected CH fault; the fault-handling procedure is not modelled"),
    _O(id="install-success-report", bad_step="7.2.1.6.6", actor="Supplier", document="BAD", clause="7.2.1.6.6",
      judged=_T, source="text",
      summary="Report the CH installed and on the SM WAN with SRV 8.14.1 within 5 Working Days.",
      applies_when=("SEC Appendix AC 4.1",),
      timing=TimeRule(amount=5, unit="working days", start="installer confirms the CH is on the SM WAN",
                      stop="SRV 8.14.1 sent", deadline_refs=("BAD 7.2.1.6.6",),
                      from_refs=("SEC Appendix AC 4.1",), to_refs=("SRV 8.14.1",))),
    # ---- 7.2.1.6.7 Update HAN Device Log - Add Device -------------------------------------------------------
    _O(id="chf-association", bad_step="7.2.1.6.7", actor="DCC", document=AC, clause="4.3(a)", judged=_P,
      summary="Associate the added Device with its CHF on the SMI.",
      applies_when=("SRV 8.11",), check="associated", params={"field": "chf_id"}),
    _O(id="mpxn-recorded-n16", bad_step="7.2.1.6.7", actor="DCC", document=AC, clause="4.3(b)", judged=_P,
      summary="For a Smart Meter, record its MPxN and tell the Network Operator (Device ID, type, MPxN).",
      applies_when=("SRV 8.11",), check="dcc_alert", params={"code": "N16", "types": list(METERS),
                                                               "mpxn_recorded": True}),
    _O(id="n16-to-network-operator", bad_step="7.2.1.6.7", actor="DCC", document=AD, clause="3.8.109.4(b)",
      also=(f"{AD} 3.8.101.4(b)",), judged=_P,
      summary="Send DCC Alert N16 to the Electricity Distributor or Gas Transporter when a Meter is added.",
      applies_when=("SRV 8.11",), check="dcc_alert", params={"code": "N16", "types": list(METERS)}),
    _O(id="whitelisted", bad_step="7.2.1.6.7", actor="DCC", document=AC, clause="4.3(c)", judged=_P,
      summary="Set the added Device 'whitelisted' (not for Type 2 Devices).",
      applies_when=("SRV 8.11",), check="smi_status",
      params={"to": ["whitelisted"], "types": ["GPF", "ESME", "GSME", "PPMID", "HCALCS"]}),
    _O(id="whitelisted-on-response", bad_step="7.2.1.6.7", actor="DCC", document=AD, clause="3.8.109.4(a)",
      also=(f"{AD} 3.8.101.4(a)",), judged=_P,
      summary="On the successful 'add' Response, set the Device 'whitelisted' on the SMI.",
      applies_when=("SRV 8.11",), check="smi_status",
      params={"to": ["whitelisted"], "types": ["GPF", "ESME", "GSME", "PPMID", "HCALCS"]}),
    _O(id="device-log-record", bad_step="7.2.1.6.7", actor="DCC", document=AC, clause="8.1", judged=_P,
      summary="Keep an up-to-date record of each CHF's and GPF's Device Log from their Alerts and Responses.",
      applies_when=("SRV 8.11",), check="device_log"),
    _O(id="join-watch", bad_step="7.2.1.6.7", actor="DCC", document=AD, clause="3.8.109.4",
      also=(f"{AD} 3.8.101.4",), judged=_T,
      summary="Wait for the CHF's updated Device Log for the Join Time Period plus a network allowance, then "
              "answer N24 or N25.",
      applies_when=("SRV 8.11",), check="join_watch",
      timing=TimeRule(amount=0, unit="seconds", start="Service Response to SRV 8.11 (add)",
                      stop="N24 or N25 sent; due after the Join Time Period plus the DCC's network allowance")),
    _O(id="n24-installed-not-commissioned", bad_step="7.2.1.6.7", actor="DCC", document=AD, clause="3.8.109.4(a)",
      also=(f"{AD} 3.8.101.4",), judged=_P,
      summary="If the join is confirmed in time, alert the Supplier with N24 (Meters, PPMID, HCALCS then "
              "'installed not commissioned').",
      applies_when=("SEC Appendix AC 4.4",), check="dcc_alert", params={"code": "N24"}),
    _O(id="installed-not-commissioned", bad_step="7.2.1.6.7", actor="DCC", document=AC, clause="4.4", judged=_P,
      summary="When the CHF reports it can talk to the Device over the HAN, set it 'installed not commissioned' "
              "(unless Type 2 or already commissioned).",
      applies_when=("SEC Appendix AC 4.4",), check="smi_status",
      params={"to": ["installed not commissioned", "commissioned"], "types": list(HAS_SMI_STATUS)}),
    _O(id="n25-not-joined", bad_step="7.2.1.6.7", actor="DCC", document=AD, clause="3.8.109.4(b)",
      also=(f"{AD} 3.8.101.4",), judged=_P,
      summary="If no confirming Device Log arrives within the timeout, tell the User with N25.",
      applies_when=("SEC Appendix AD 3.8.109.4(b)",), check="dcc_alert", params={"code": "N25"}),
    # ---- 7.2.1.6.10 Commission Device -----------------------------------------------------------------------
    _O(id="enrolment", bad_step="7.2.1.6.10", actor="Supplier", document="SEC", clause="H5.1", judged=_P,
      summary="An SMS is Enrolled when its ESME is Commissioned (electricity), or its GSME and GPF both are (gas).",
      applies_when=("SEC H5.1",), check="enrolment"),
    _O(id="chf-first", bad_step="7.2.1.6.10", actor="DCC, Supplier", document="SEC", clause="H5.2", judged=_P,
      summary="No Device of the SMS is Commissioned before its CHF.",
      applies_when=("BAD 7.2.1.6.10", "BAD 7.2.1.6.12", "BAD 7.2.2.6.7", "BAD 7.2.2.6.8"), check="smi_guard",
      params={"to": ["commissioned"], "types": ["GPF", "ESME", "GSME", "PPMID", "HCALCS"], "chf_first": True}),
    _O(id="commission-listed", bad_step="7.2.1.6.10", actor="DCC, Supplier", document="SEC", clause="H5.3",
      judged=_P, summary="Commission only Devices on the SMI that are not 'withdrawn' or 'decommissioned'.",
      applies_when=("BAD 7.2.1.6.10", "BAD 7.2.1.6.12", "BAD 7.2.2.6.7", "BAD 7.2.2.6.8"), check="smi_guard",
      params={"to": ["commissioned"], "types": list(HAS_SMI_STATUS), "forbidden_from": ["withdrawn", "decommissioned"],
              "listed": True}),
    _O(id="commission-request", bad_step="7.2.1.6.10", actor="Supplier", document=AC, clause="4.11", judged=_P,
      summary="Commission a Smart Meter by sending 'Commission Device' (SRV 8.1.1).",
      applies_when=("BAD 7.2.1.6.10", "BAD 7.2.2.6.7"), check="step",
      params={"evidence": ["SRV 8.1.1"], "types": list(METERS)}),
    _O(id="commission-guard", bad_step="7.2.1.6.10", actor="DCC", document=AC, clause="4.12", judged=_P,
      summary="Send no commissioning Command to a Meter that is unlisted, already commissioned, decommissioned, "
              "withdrawn or suspended, or whose CHF is not commissioned.",
      applies_when=("BAD 7.2.1.6.10", "BAD 7.2.2.6.7"), check="smi_guard",
      params={"to": ["commissioned"], "types": list(METERS), "chf_first": True, "listed": True,
              "forbidden_from": ["commissioned", "decommissioned", "withdrawn", "suspended"]}),
    _O(id="meter-commissioned", bad_step="7.2.1.6.10", actor="DCC", document=AC, clause="4.13", judged=_P,
      summary="On the Meter's successful Response to 'Commission Device', set it 'commissioned'.",
      applies_when=("BAD 7.2.1.6.10", "BAD 7.2.2.6.7"), check="smi_status",
      params={"to": ["commissioned"], "types": list(METERS)}),
    # ---- 7.2.1.6.11 Set Device Configuration (Import MPxN) -------------------------------------------------
    _O(id="import-mpxn", bad_step="7.2.1.6.11", actor="Supplier", document=AC, clause="4.14", judged=_P,
      summary="Soon after commissioning a Meter, set its Import MPxN (SRV 6.20.1) so the Meter can display it.",
      applies_when=("BAD 7.2.1.6.10", "BAD 7.2.2.6.7"), check="step",
      params={"evidence": ["BAD 7.2.1.6.11", "BAD 7.2.2.6.9", "SRV 6.20.1"], "types": list(METERS)}),
    # ---- 7.2.1.6.12 Join Service ----------------------------------------------------------------------------
    _O(id="join-request", bad_step="7.2.1.6.12", actor="Supplier", document=AC, clause="4.5", judged=_P,
      summary="Join a Device to a Meter or GPF by sending a 'Join Service' request.",
      applies_when=("SRV 8.7.1", "SRV 8.7.2"), check="step", params={"evidence": ["SRV 8.7.1", "SRV 8.7.2"]}),
    _O(id="join-guard", bad_step="7.2.1.6.12", actor="DCC", document=AC, clause="4.6", judged=_P,
      summary="Send no join Command unless the Device, the CHF and the Meter/GPF are 'pending', 'installed not "
              "commissioned' or 'commissioned'.",
      applies_when=("SRV 8.7.1", "SRV 8.7.2"), check="join_guard", params={"types": list(HAS_SMI_STATUS)}),
    _O(id="type2-join-guard", bad_step="7.2.1.6.12", actor="DCC", document=AC, clause="4.8(b)", judged=_P,
      summary="Send no Type 2 join Command unless the ESME or GPF is 'pending', 'installed not commissioned' or "
              "'commissioned'.",
      applies_when=("SRV 8.7.2",), check="join_guard", params={"types": ["IHD", "CAD"]}),
    _O(id="join-sets-status", bad_step="7.2.1.6.12", actor="DCC", document=AC, clause="4.7", judged=_P,
      summary="After a successful join, Associate the Device and give it the Meter's/GPF's state ('installed not "
              "commissioned' or 'commissioned').",
      applies_when=("SRV 8.7.1", "SRV 8.7.2"), check="smi_status",
      params={"to": ["installed not commissioned", "commissioned"], "types": ["GPF", "PPMID", "HCALCS"]}),
    _O(id="type2-association", bad_step="7.2.1.6.12", actor="DCC", document=AC, clause="4.8(c)", judged=_P,
      summary="After a successful Type 2 join, Associate the Device with the Meter or GPF.",
      applies_when=("SRV 8.7.2",), check="associated", params={"field": "associated_with",
                                                                    "types": ["IHD", "CAD"]}),
    _O(id="type1-commissioning", bad_step="7.2.1.6.12", actor="Supplier", document=AC, clause="4.9", judged=_P,
      summary="Commission a Type 1 Device by joining it to a commissioned ESME or GPF.",
      applies_when=("SRV 8.7.1", "SRV 8.7.2"), check="smi_status",
      params={"to": ["commissioned"], "types": ["PPMID", "HCALCS"], "needs_commissioned": ["ESME", "GPF"]}),
    _O(id="gpf-commissioning", bad_step="7.2.1.6.12", actor="Supplier", document=AC, clause="4.10", judged=_P,
      summary="Commission the GPF by joining it to a commissioned GSME.",
      applies_when=("SRV 8.7.2", "BAD 7.2.2.6.8"), check="smi_status",
      params={"to": ["commissioned"], "types": ["GPF"]}),
    # ---- 7.2.1.6.14 Remote CAD Pairing ----------------------------------------------------------------------
    _O(id="type2-join-request", bad_step="7.2.1.6.14", actor="Other User", document=AC, clause="4.8(a)", judged=_P,
      summary="Add a Type 2 Device to an ESME's or GPF's Device Log with a 'Join Service' request.",
      applies_when=("SRV 8.7.2",), check="step", params={"evidence": ["SRV 8.7.2"], "types": ["IHD", "CAD"]}),
    _O(id="type2-consent", bad_step="7.2.1.6.14", actor="Other User", document="SEC", clause="I1.3",
      also=("SEC 11.3",), judged=_N,
      summary="Join or unjoin a Type 2 Device only as Responsible Supplier under licence, or with the consumer's "
              "unambiguous consent.",
      why="the consumer and their consent are not modelled"),
    # ---- 7.2.2.9: 7.2.2.6.1 Communications Hub Status Update - Install No SM WAN ----------------------------
    _O(id="no-wan-installation", bad_step="7.2.2.6.1", actor="Supplier", document=AI, clause="4.8(a)-(c)",
      also=(f"{AI} 4.8",), judged=_N,
      summary="Leaving a CH without SM WAN: keep its power, check it shows no other fault, fit a security seal.",
      why=_PHYSICAL),
    _O(id="no-wan-report", bad_step="7.2.2.6.1", actor="Supplier", document=AI, clause="4.8(d)",
      also=(f"{AI} 4.8",), judged=_T,
      summary="Tell the DCC with SRV 8.14.2 within 3 Working Days that the CH was left without SM WAN.",
      applies_when=("BAD 7.2.2",),
      timing=TimeRule(amount=3, unit="working days", start="CH installed without SM WAN", stop="SRV 8.14.2 sent",
                      deadline_refs=("SEC Appendix I 4.8(d)", "BAD 7.2.2.6.1"),
                      from_refs=("BAD 7.2.1.6.4", "SEC Appendix I 4.4"), to_refs=("SRV 8.14.2",))),
    _O(id="no-wan-conditions", bad_step="7.2.2.6.1", actor="Supplier", document=AI, clause="4.9", judged=_P,
      summary="In SRV 8.14.2, state whether metal obstructions, thick stone walls or a communal location apply.",
      applies_when=("SRV 8.14.2",), check="ch_asset", params={"srv": "8.14.2", "need": "details"}),
    _O(id="no-wan-incident", bad_step="7.2.2.6.1", actor="DCC", document=AI, clause="4.10", judged=_P,
      summary="On SRV 8.14.2, raise an Incident including any Network Enhancement Plan for the location.",
      applies_when=("SRV 8.14.2",), check="ch_asset", params={"srv": "8.14.2", "need": "incident"}),
    # ---- 7.2.2.6.4 Return Local Command Response ------------------------------------------------------------
    _O(id="return-local-responses", bad_step="7.2.2.6.4", actor="Supplier", document=AC, clause="2.11", judged=_P,
      summary="Return to the DCC (SRV 8.13) the Responses and Alerts received locally that DUIS says must be "
              "returned.",
      applies_when=("BAD 7.2.2.6.3",), check="step", params={"evidence": ["BAD 7.2.2.6.4", "SRV 8.13"]}),
    # ---- 7.2.3.7 Post Commissioning Obligations -------------------------------------------------------------
    _O(id="chf-post-commissioning", bad_step="7.2.3", actor="DCC", document=AC, clause="5.1", judged=_T,
      summary="Within 7 days of commissioning a CHF, have it regenerate its keys (new certificates stored) and "
              "replace one Organisation Certificate.",
      applies_when=("SEC Appendix AC 4.1",), check="dcc_duty",
      params={"duty": "chf-credentials", "types": ["CHF"]},
      timing=TimeRule(amount=7, unit="days", start="CHF commissioned",
                      stop="CS02c, CS02d (both key usages) and CS02b executed on the CHF")),
    _O(id="device-post-commissioning", bad_step="7.2.3", actor="Supplier", document=AC, clause="5.2", judged=_T,
      summary="Within 7 days of commissioning a Meter or GPF, the Supplier's steps (BAD 7.2.3.5): new device keys "
              "with certificates stored, (Meters) one Organisation Certificate replaced, (GPF) the Network Operator "
              "cell handed over; 5.2(a) itself is judged on the DCC's records (network-operator-credentials).",
      applies_when=("BAD 7.2.3", "BAD 7.2.1.6.10", "SEC Appendix AC 4.10", "BAD 7.2.2.6.7"),
      # each Device against its own commissioning, with or without a Post Commissioning process's Deadline
      # (``dccflow.audit_post_commissioning.devices_without_deadline``)
      params={"each_device": True},
      timing=TimeRule(amount=7, unit="days", start="Meter or GPF commissioned", stop="last post-commissioning step",
                      deadline_refs=("SEC Appendix AC 5.2",),
                      from_refs=("BAD 7.2.1.6.10", "SEC Appendix AC 4.10", "BAD 7.2.2.6.7"),
                      to_refs=("SEC Appendix AC 5.2(c)",))),
    _O(id="network-operator-credentials", bad_step="7.2.3", actor="Supplier", document=AC, clause="5.2(a)",
      also=(f"{AC} 5.2",), judged=_T,
      summary="Within 7 days of commissioning an ESME or GPF, its Network Operator cell holds the registered "
              "Electricity Distributor's or Gas Transporter's certificate.",
      applies_when=COMMISSIONING, check="pc_step", params={"field": "network_operator_cell_at",
                                                            "types": ["ESME", "GPF"]},
      timing=TimeRule(amount=7, unit="days", start="ESME or GPF commissioned",
                      stop="the DCC sees the registered Network Operator's certificate in the cell (a CS02b it "
                           "carried, or its AC 5.3 interrogation)")),
    _O(id="recovery-cell-interrogation", bad_step="7.2.3.5.7", actor="DCC", document=AC, clause="5.3", judged=_T,
      summary="Within 7 days of commissioning a CHF, GPF or Meter, check its recovery trust anchor cell holds a "
              "DCC Recovery Certificate.",
      applies_when=COMMISSIONING, check="dcc_duty",
      params={"duty": "recovery-interrogation", "types": ["CHF", "GPF", "ESME", "GSME"]},
      timing=TimeRule(amount=7, unit="days", start="Device commissioned", stop="CS02e answered by the Device")),
    _O(id="pc-information", bad_step="7.2.3.5.7", actor="DCC", document=AC, clause="5.4", judged=_P,
      summary="Watch Commands and Responses and record each Device's Post Commissioning Information.",
      applies_when=("BAD 7.2.3.5.2", "BAD 7.2.3.5.4", "BAD 7.2.3.5.5", "BAD 7.2.3.5.6"), check="pc_info"),
    _O(id="pc-daily-update", bad_step="7.2.3.5.7", actor="DCC", document=AC, clause="5.5", judged=_P,
      summary="Bring the Post Commissioning Information up to date every day.",
      applies_when=COMMISSIONING, check="pc_daily", params={"kind": "daily-information"}),
    _O(id="pc-relevant-devices", bad_step="7.2.3.5.7", actor="DCC", document=AC, clause="5.6", judged=_N,
      summary="Which Devices the information covers: commissioned 7 days or more with an interrogation failure, "
              "no recovery certificate, or missing credential updates.",
      why="a definition: the listing it defines is judged day by day under AC 5.5 (pc-daily-update)"),
    _O(id="pc-information-content", bad_step="7.2.3.5.7", actor="DCC", document=AC, clause="5.7", judged=_N,
      summary="What the information holds per Device (ids, commissioning date, which 5.6 limbs, Suppliers, date).",
      why="a definition (the fields of each listing, dccsim.post_commissioning_reports.Listing); the listing is "
          "judged under AC 5.5 (pc-daily-update), its fields are not"),
    _O(id="pc-monthly-report", bad_step="7.2.3.5.7", actor="DCC", document=AC, clause="5.8", judged=_P,
      summary="Report monthly to the Panel, the Security Sub-Committee and the Authority on the listed Devices.",
      applies_when=COMMISSIONING, check="pc_monthly"),
    _O(id="pc-daily-supplier-report", bad_step="7.2.3.5.7", actor="DCC", document=AC, clause="5.9", judged=_P,
      summary="Give each Supplier a daily report of its listed Devices, available for 30 days.",
      applies_when=COMMISSIONING, check="pc_daily", params={"kind": "daily-supplier"}),
    _O(id="pc-reports-on-request", bad_step="7.2.3.5.7", actor="DCC", document=AC, clause="5.10", judged=_N,
      summary="Give the Panel or the Authority copies of the daily reports when asked.", why=_PC_REPORTING),
    _O(id="pc-reports-confidential", bad_step="7.2.3.5.7", actor="DCC", document=AC, clause="5.11", judged=_P,
      summary="Mark these reports confidential.", applies_when=COMMISSIONING, check="pc_confidential"),
    _O(id="chf-incident", bad_step="7.2.3.5.7", actor="DCC", document=AC, clause="5.12", judged=_P,
      summary="Raise an Incident when a CHF's post-commissioning steps or interrogation are not done in time, or "
              "its Recovery cell lacks the DCC Recovery Certificate.",
      applies_when=("SEC Appendix AC 4.1",), check="dcc_incident"),
    _O(id="supplier-restriction", bad_step="7.2.3.5.7", actor="Supplier", document=AC, clause="5.13", judged=_P,
      also=("BAD 7.2.3.5.7",),
      summary="While the 5.2(b) / 5.2(c) steps are not done 7 days after commissioning, send the Device only "
              "requests that complete them, replace credentials on change of supplier, or keep the supply on.",
      applies_when=("BAD 7.2.3",), check="supplier_restriction"),
    _O(id="replace-without-recovery-cell", bad_step="7.2.3.5.7", actor="Supplier", document=AC, clause="5.14",
      judged=_N, summary="Replace a Meter (or the CH, for a GPF) whose recovery cell lacks the DCC Recovery "
                         "Certificate.",
      why="replacing a Meter or CH (BAD 7.5.5, 7.6.1) is outside the 7.2 processes run here; the DCC's 5.3 "
          "findings are in its records (see recovery-cell-interrogation)"),
    _O(id="ch-return-defect", bad_step="7.2.3.5.7", actor="DCC", document=AC, clause="5.15", judged=_N,
      summary="A CH returned after a replacement under 5.12-5.14 may be returned as a CH Defect.",
      why="CH returns (BAD 7.9.1) are outside the 7.2 processes run here"),
    _O(id="no-replacement-for-wan-outage", bad_step="7.2.3.5.7", actor="Supplier", document=AC, clause="5.16",
      judged=_N, summary="Do not replace under 5.14 when the only obstacle is the SM WAN being unavailable.",
      why="replacement under 5.14 is not simulated"),
    # ---- SEC H3.14 Target Response Times for this process's traffic ----------------------------------------
    _O(id="pre-command-time", bad_step="7.2", actor="DCC", document="SEC", clause="H3.14(a)", judged=_T,
      source="service level", summary="Send the Pre-Command for a Critical request within 3 seconds.",
      check="service_level", params={"measure": "Pre-Command (Critical Service Request)"},
      timing=TimeRule(amount=3, unit="seconds", start="Critical Service Request received", stop="Pre-Command sent")),
    _O(id="on-demand-response-time", bad_step="7.2", actor="DCC", document="SEC", clause="H3.14(b)", judged=_T,
      source="service level", summary="Answer an on-demand Device request within its Target Response Time.",
      check="service_level", params={"measure": "On-Demand Service Response (CPM 1)"},
      timing=TimeRule(amount=30, unit="seconds", start="request (or Signed Pre-Command) received",
                      stop="Service Response sent")),
    _O(id="non-device-response-time", bad_step="7.2", actor="DCC", document="SEC", clause="Appendix E",
      judged=_T, source="service level", summary="Answer a Non-Device request within its Target Response Time.",
      check="service_level", params={"measure": "Non-Device Service Response"},
      timing=TimeRule(amount=30, unit="seconds", start="request received", stop="Service Response sent")),
    _O(id="alert-time", bad_step="7.2", actor="DCC", document="SEC", clause="H3.14(g)", judged=_T,
      source="service level", summary="Deliver Alerts within 60 seconds.",
      check="service_level", params={"measure": "Alerts (CPM 3)"},
      timing=TimeRule(amount=60, unit="seconds", start="event raising the Alert", stop="Alert delivered")),
)

REGISTER = (*REGISTER, *COS_REGISTER)  # BAD 7.7.1 Transitional Change of Supplier
REGISTER = (*REGISTER, *MSC_REGISTER)  # BAD 7.7.2 Manage Security Credentials
BY_ID: dict[str, Obligation] = {o.id: o for o in REGISTER}
if len(BY_ID) != len(REGISTER):  # pragma: no cover - a data error
    raise ValueError("duplicate obligation ids")
#: what the scenario audit judges: this register and BAD 7.6 / SEC H6's (``obligations_life``, digest 04's rows, kept
#: apart from the governance-table rows above)
AUDIT_REGISTER = (*REGISTER, *LIFE_REGISTER)
AUDIT_REGISTER = (*AUDIT_REGISTER, *FIRMWARE_REGISTER)  # BAD 7.5.3 Manage Firmware (digest 03 §F.13)
AUDIT_REGISTER = (*AUDIT_REGISTER, *RECOVERY_REGISTER)  # BAD 7.7.3 SMKI Recovery (digest 05 §D.10)
AUDIT_BY_ID: dict[str, Obligation] = {o.id: o for o in AUDIT_REGISTER}
if len(AUDIT_BY_ID) != len(AUDIT_REGISTER):  # pragma: no cover - a data error
    raise ValueError("duplicate obligation ids")
