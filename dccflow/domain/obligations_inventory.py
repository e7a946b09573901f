"""The obligation register for BAD 7.1 (Manage Inventory 7.1.1 and the CPL 7.1.2): one entry per row of the BAD's
governance tables 7.1.1.9 and 7.1.2.6 that :data:`dccflow.domain.obligations.AUDIT_REGISTER` does not already
judge (Suspend / Unsuspend Device, BAD 7.1.2.4.3-4, are in ``obligations_life``). None of them can be judged from
the processes dccflow runs, and each entry says why. Devices are pre-notified (SRV 12.2) by the fleet builder before
a run. No process workflow sends SRV 8.4 Update Inventory (the DCC's own checks on it are tested in ``tests/dcc``).
The Panel's CPL management is not simulated. The audit (``dccflow.audit_report``) reports them as "not assessed"
with that reason, never as met. The clauses are as the BAD prints them (DUIS v1.1 numbering for SRV 8.4, BAD
7.1.1.6.3), the BAD's "3.8.93.4.3.ci.2" included. The summaries are ours; the Code's words are in the BAD
(../shared/reference/004_*.txt, lines 629-905)."""

from __future__ import annotations

from dccflow.domain.obligation_model import Judged, Obligation

AC, AD, Z = "SEC Appendix AC", "SEC Appendix AD", "SEC Appendix Z"
_PRENOTIFIED = ("Devices are added to the SMI (SRV 12.2, CHF/GPF by the DCC) by the fleet builder before a run "
                "(BAD 7.1.1.5; devices.builder), not by a process workflow the audit reads")
_STANDING = "a standing duty over the whole SMI: the audit judges process instances, not the inventory as a whole"
_UPDATE = ("no process dccflow runs sends SRV 8.4 Update Inventory (BAD 7.1.1.6.3); the DCC's checks of it are "
           "tested in tests/dcc, not judged from process histories")
_CPL = "the Panel's management of the Certified Products List (BAD 7.1.2.4.1-3) is not simulated"


def _o(step: str, actor: str, document: str, clause: str, summary: str, why: str, suffix: str = "") -> Obligation:
    slug = f"{document.split()[-1]}-{clause}".lower().replace(".", "-").replace(" ", "")
    return Obligation(id=f"bad71-{slug}{suffix}", bad_step=step, actor=actor, document=document, clause=clause,
                      summary=summary, judged=Judged.NOT_ASSESSABLE, why=why)


_PRE, _UPD = "7.1.1.6.2", "7.1.1.6.3"
INVENTORY_REGISTER: tuple[Obligation, ...] = (
    # ---- 7.1.1.6.2 Device Pre-notification -------------------------------------------------------------------
    _o(_PRE, "DCC", "SEC", "H5.5", "Establish and maintain the SMI under the Inventory, Enrolment and Withdrawal "
                                   "Procedures.", _STANDING),
    _o(_PRE, "DCC", AC, "2.1", "Establish and maintain the SMI.", _STANDING),
    _o(_PRE, "DCC", AC, "2.2", "Keep the SMI up to date with the information provided under the Code.", _STANDING),
    _o(_PRE, "DCC, User", AC, "2.3", "Add Devices to the SMI only as the Appendix allows.", _PRENOTIFIED),
    _o(_PRE, "DCC", AC, "2.4", "Before delivering a CH, add its CHF and GPF as 'pending' (CH Device Model on the CPL).",
       _PRENOTIFIED),
    _o(_PRE, "DCC", AC, "2.5", "Never add a CHF without its GPF, or a GPF without its CHF.", _PRENOTIFIED),
    _o(_PRE, "User", AC, "2.6", "A Device is added on a User's request only if its Device Model is on the CPL.",
       _PRENOTIFIED),
    _o(_PRE, "DCC", AC, "2.7", "Send no communication to a Device that is not on the SMI.",
       "the simulated DCC refuses requests for Devices not on the SMI (tests/dcc); no process history shows a "
       "communication the DCC sent"),
    _o(_PRE, "DCC", AC, "2.8", "Add only the CHFs and GPFs of CHs the DCC provided.", _PRENOTIFIED),
    _o(_PRE, "DCC", AC, "2.9", "Type 2 Devices are added without a Device Model check and have no SMI Status.",
       _PRENOTIFIED),
    _o(_PRE, "DCC", AC, "7.2", "Remove a Device that has been 'pending' for 12 months.",
       "no run keeps a Device 'pending' for 12 months"),
    _o(_PRE, "User", AD, "3.8.113.1", "Pre-notify every Device that must be on the SMI or join the HAN.", _PRENOTIFIED,
       "-user"),
    _o(_PRE, "DCC", AD, "3.8.113.1", "Pre-notify the CHF and GPF on the Users' behalf.", _PRENOTIFIED, "-dcc"),
    _o(_PRE, "DCC", AD, "3.8.113.2", "On a successful SRV 12.2, set the Device 'pending' (where it has an SMI Status).",
       _PRENOTIFIED),
    # ---- 7.1.1.6.3 Update Inventory --------------------------------------------------------------------------
    _o(_UPD, "User", AC, "2.10", "The Responsible Supplier keeps the SMI's information under review and corrects it.",
       _UPDATE),
    _o(_UPD, "Supplier", AC, "7.1", "Return a Device to 'pending' from decommissioned / whitelisted / withdrawn by "
                                    "request, if its Device Model is on the CPL.",
       "judged where a process does it: device_reuse (SEC AD 3.8.101.5, AC 7.1 in obligations_life)"),
    *(_o(_UPD, "User" if not c.startswith("3.8.93.4.4") else "DCC", AD, c, s, _UPDATE) for c, s in (
        ("3.8.93.4", "SRV 8.4 for a CH names the CHF's Device ID."),
        ("3.8.93.4.1", "Update Device details provided via Pre-Notification."),
        ("3.8.93.4.1a", "Detail updates are open to the Eligible User Roles of SRV 8.4."),
        ("3.8.93.4.1b", "Only the User that added the Device may update its details."),
        ("3.8.93.4.1c", "Only 'pending' Devices (with an SMI Status) may be updated."),
        ("3.8.93.4.1d", "Type 2 Devices may be updated at any time."),
        ("3.8.93.4.1e", "Most details given in SRV 12.2 may be updated."),
        ("3.8.93.4.1f", "A Device ID cannot be updated; delete and re-add instead."),
        ("3.8.93.4.1g", "A Device Type cannot be updated; delete and re-add instead."),
        ("3.8.93.4.1h", "Updates to details a CHF and GPF share apply to both."),
        ("3.8.93.4.2", "Delete pre-notified Device details of Devices not installed."),
        ("3.8.93.4.2a", "Deletion is open to the Eligible User Roles of SRV 8.4."),
        ("3.8.93.4.2b", "Only the User that added the Device may delete it."),
        ("3.8.93.4.2c", "Only 'pending' Devices (with an SMI Status) may be deleted."),
        ("3.8.93.4.2d", "Type 2 Devices may be deleted at any time."),
        ("3.8.93.4.2e", "Deleting a CHF deletes its GPF."),
        ("3.8.93.4.3", "Update a Device's SMI Status."),
        ("3.8.93.4.3a", "SMI Status updates only by an Import or Gas Supplier that is the Responsible Supplier."),
        ("3.8.93.4.3b", "Which SMI Status changes are allowed depends on the Device Type."),
        ("3.8.93.4.3bi", "Devices other than CHF/GPF: only the listed transitions."),
        ("3.8.93.4.3bi.1", "From 'pending' to 'installed not commissioned'."),
        ("3.8.93.4.3bi.2", "From 'whitelisted' to 'pending'."),
        ("3.8.93.4.3c", "A CHF's SMI Status (and its GPF's)."),
        ("3.8.93.4.3ci", "For Install and Leave, or Install and Commission after Decommissioning or Withdrawal:"),
        ("3.8.93.4.3ci.1", "CHF 'pending' to 'installed not commissioned' (GPF likewise)."),
        ("3.8.93.4.3.ci.2", "CHF 'installed not commissioned' to 'commissioned' (GPF unchanged)."),
        ("3.8.93.4.3ci.3", "CHF 'pending' to 'commissioned' (GPF to 'installed not commissioned')."),
        ("3.8.93.4.3cii", "CHF 'commissioned' to 'withdrawn' (as SRV 8.5 Service Opt Out)."),
        ("3.8.93.4.3cii.1", "On withdrawal, delete the DSP Schedules of the CHF's Whitelist Devices."),
        ("3.8.93.4.3cii.2", "On withdrawal, cancel the Future Dated requests not yet sent to them."),
        ("3.8.93.4.4", "Update or add a Device's MPxN association."),
        ("3.8.93.4.4a", "MPxN updates only by an Import or Gas Supplier that is the Responsible Supplier."),
        ("3.8.93.4.4b", "The new MPxN must be one the sender is also Responsible Supplier for."),
        ("3.8.93.4.4c", "The new MPxN must suit the Device (e.g. a Secondary MPAN on a twin-element ESME)."),
        ("3.8.93.4.4d", "One MPxN association change per request."),
        ("3.8.93.4.4e", "On a successful MPxN update, send DCC Alert N16 to the Network Operator."),
    )),
    # ---- 7.1.2.4.1-2 CPL Submission, Certificate Expiry --------------------------------------------------------
    *(_o(step, actor, doc, c, s, _CPL) for step, actor, doc, c, s in (
        ("7.1.2.4.1", "Panel", "SEC", "F2.1", "Keep the list of Device Models with all their Assurance Certificates."),
        ("7.1.2.4.1", "Panel", "SEC", "F2.2", "The CPL identifies the data the CPL Requirements Document requires."),
        ("7.1.2.4.1", "Panel", "SEC", "F2.3", "The Technical Specifications say which Device Types need which "
                                              "certificates."),
        ("7.1.2.4.1", "Panel", "SEC", "F2.4", "Which Assurance Certification Bodies issue which certificates."),
        ("7.1.2.4.1", "Panel", Z, "2.1", "The CPL identifies each Device Model by Physical Device Type and version."),
        ("7.1.2.4.1", "Panel", Z, "3.1", "Add a Device Model only with all its Assurance Certificates."),
        ("7.1.2.4.1", "Supplier, DCC, Panel", Z, "5.1", "An existing CPA Certificate may cover additional Device "
                                                        "Models."),
        ("7.1.2.4.1", "Supplier, DCC", Z, "5.2", "The Panel adds a notified additional Device Model."),
        ("7.1.2.4.1", "Panel", Z, "5.3", "The Panel need not check entitlement to add such a Device Model."),
        ("7.1.2.4.2", "Panel", "SEC", "F2.5", "An Assurance Certificate is valid only if it names the Device Models."),
        ("7.1.2.4.2", "Panel", "SEC", "F2.6", "Obtain a replacement CPA Certificate before one expires (the same "
                                              "duty as cpa-replace, BAD 7.1.2.4.3)."),
        ("7.1.2.4.2", "Panel", "SEC", "F2.7", "Notify the Parties 12 and 6 months before a CPA Certificate expires."),
        ("7.1.2.4.3", "Panel", Z, "6.1", "Mark a Device Model removed when its Assurance Certificate is withdrawn."),
        ("7.1.2.4.3", "DCC, Supplier, Panel", Z, "6.2", "Notify the Panel of a withdrawn, expired or cancelled "
                                                        "certificate."),
        ("7.1.2.4.3", "Panel", Z, "6.3", "A CHF or GPF counts as removed when its CH Device Model is."),
        ("7.1.2.4.3", "Panel", Z, "6.4", "The Panel may remove a Device Model from the CPL."),
    )),
    # ---- 7.1.2.4.3 Suspend Device: the rows judged elsewhere --------------------------------------------------
    _o("7.1.2.4.3", "DCC, User", "SEC", "H6.12", "Comply with the Inventory, Enrolment and Withdrawal Procedures on "
                                                 "Decommissioning and Suspension.",
       "an umbrella clause: its parts are judged as suspend-* (H6.10-H6.11, AC 9.1-9.2, H3.20) and decommission-* "
       "entries"),
    _o("7.1.2.4.3", "DCC", AC, "4.12", "Send no commissioning Command to a Meter that is suspended (among others).",
       "judged as commission-guard (BAD 7.2.1.6.10), the same clause where a commissioning is sent"),
)
