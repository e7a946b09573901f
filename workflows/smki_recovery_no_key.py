"""A Network Operator's own Organisation Certificate key compromised (BAD 7.7.3.4.2-4; SEC Appendix L 4.1-4.3 as the
BAD quotes it; digest 05 §D.2-§D.4) as workflow code run by the recovery methods (``workflows.smki_recovery_methods``)
when the Subscriber is an Electricity Distributor or a Gas Transporter. The Devices affected are those whose
**Network Operator** cell holds the compromised certificate (``dccflow.domain.recovery.AFFECTED_CELLS``; the OCNF
names the cell "Network Operator", the DUIS RemotePartyRole "NetworkOperator"). It reuses the Network Operators'
machinery of the Root / Issuing OCA recoveries (``workflows.smki_recovery_network``,
``activities.smki_recovery_network``), not the Supplier's Org Cert rollover campaign (which knows Supplier cells only):

* **Method 1** (L 4.1.2.2-4.1.2.4): the Network Operator obtains a replacement certificate
  (``recovery_network_operator_certificate``), replaces its own certificate in its cells by SRV 6.15.1 (it is the
  Subscriber; ``UpdateSecurityCredentialsKrpWorkflow``, signed with the compromised key the cells still hold, as after
  an Issuing OCA compromise, L 6.3.2.8), then signs with the new key; the OCA then revokes the compromised certificate
  (``dccflow.domain.recovery`` decision 2).
* **Method 2** (L 4.2.2.4-4.2.2.8): the DCC's Recovery-signed Commands put its ACB certificate in the Network
  Operator cells (BAD Table 4: the cell may hold the ACB certificate), 'recovered' + N44; the Network Operator's
  replacement certificate (the same activity) goes into the cell by the **Responsible Supplier's** SRV 6.21, as after
  a Root recovery (L 5.3.2(b); ``workflows.smki_recovery_handback`` with ``certificate_of`` the Network Operator).
* **Method 3** (L 4.3.2.3-4.3.2.7): the DCC installs the Network Operator's replacement certificate (N45 "to Suppliers
  and Network Operator", BAD 7.7.3.4.4). No SMI status change: L 4.3.1.3 sets 'recovery' only "where the Compromise
  affects Supplier or CSP Certificates" (digest 05 §D.11 item 4).

Post-recovery, per Device recovered, the check ``workflows.smki_recovery_network`` makes: a Command signed with the
Network Operator's previous (compromised) key is refused, one signed with its new key accepted (the drill's
``network_operators`` report). Decisions where the sources are silent: docs/smki-recovery.md.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.smki_recovery import Ocnf
    from activities.smki_recovery_network import NoCell, NoCertificate, NoIssued, RecoveryNetworkActivities
    from dccflow.domain.recovery import CompromisedKey
    from dccflow.domain.roles import RemotePartyRole
    from dccflow.parties import USERS
    from workflows.smki_recovery_model import ACT, SmkiRecoveryInput
    from workflows.smki_recovery_network import NetworkOperatorReport, finish_report, krp_updates, probe_keys

#: ``workflow.patched`` id of a Network Operator's own key compromise (drills started before it: no NO branch)
NO_KEY_PATCH = "smki-recovery-network-operator-key"
#: the cell as the OCNF (and the Device's anchors) name it
OCNF_CELL = RemotePartyRole.NETWORK_OPERATOR.value


def is_network_operator(user_id: str) -> bool:
    user = USERS.get(user_id)
    return user is not None and user.role.is_network_operator


def network_operator_key(inp: SmkiRecoveryInput) -> bool:
    """The compromised key is a Network Operator's Organisation Certificate key (patched: see ``NO_KEY_PATCH``)."""
    return (inp.compromised == CompromisedKey.ORGANISATION and is_network_operator(inp.subscriber_id)
            and workflow.patched(NO_KEY_PATCH))


def _cells(inp: SmkiRecoveryInput, ocnf: Ocnf) -> list[NoCell]:
    """The OCNF's Network Operator cells, as ``workflows.smki_recovery_network`` handles them."""
    return [NoCell(device_id=e.device_id, device_type=e.device_type, network_operator_id=inp.subscriber_id,
                   holder=inp.subscriber_id) for e in ocnf.entries if e.cell == OCNF_CELL]


def _request(inp: SmkiRecoveryInput) -> NoCertificate:
    return NoCertificate(incident_id=inp.incident_id, user_id=inp.subscriber_id)


async def issue(inp: SmkiRecoveryInput) -> NoIssued:
    """L 4.2.2.7 / 4.3.2.3: the Network Operator's replacement certificate, for a new key pair, not signed by the
    compromised key (BAD 7.7.2.5.2). Idempotent."""
    return await workflow.execute_activity_method(
        RecoveryNetworkActivities.recovery_network_operator_certificate, _request(inp), **ACT)


async def activate(inp: SmkiRecoveryInput) -> None:
    """From now on the Network Operator signs with its new key (the compromised one kept as 'previous')."""
    await workflow.execute_activity_method(RecoveryNetworkActivities.recovery_network_operator_activate,
                                           _request(inp), **ACT)


async def method1(wf, inp: SmkiRecoveryInput, ocnf: Ocnf) -> None:
    """L 4.1.2.2-4.1.2.4: the Network Operator's replacement certificate, its own 6.15.1 on each notified Network
    Operator cell, then its new key in use; the Devices done and not (its Annex C progress file)."""
    report = wf.network_operators = NetworkOperatorReport()
    cells = _cells(inp, ocnf)
    if not cells:
        return
    operator = inp.subscriber_id
    issued = await issue(inp)
    report.certificates[operator] = issued.serial
    wf.record("replacement_certificates_obtained", detail=f"Network Operator {operator}: serial {issued.serial} "
                                                          f"(replaces {issued.previous_serial})")
    await krp_updates(wf, inp, cells, report)
    await activate(inp)
    wf.recovered.extend(c.device_id for c in cells if c.device_id in report.done)
    wf.not_recovered.update(report.not_done)
    wf.record("subscriber_replaced_certificates",
              detail=f"Network Operator {operator}: {len(report.done)} Network Operator cell(s) replaced, "
                     f"{len(report.not_done)} not (SRV 6.15.1; Annex C progress file)")


async def check_keys(wf, inp: SmkiRecoveryInput, ocnf: Ocnf, issued: NoIssued | None = None) -> None:
    """Post-recovery, per Device recovered: the Network Operator's previous (compromised) key refused on its cell, its
    new key accepted (``workflows.smki_recovery_network.probe_keys``); a Device still taking the previous key is not
    recovered."""
    report = wf.network_operators = wf.network_operators or NetworkOperatorReport()
    if issued is not None:
        report.certificates[inp.subscriber_id] = issued.serial
    cells = _cells(inp, ocnf)
    for cell in cells:
        if cell.device_id in wf.recovered and cell.device_id not in wf.not_recovered:
            report.done.setdefault(cell.device_id, inp.subscriber_id)
        elif cell.device_id not in report.not_done:
            report.not_done[cell.device_id] = wf.not_recovered.get(cell.device_id, "not recovered")
    await probe_keys(wf, inp, cells, report)
    finish_report(wf, report)


__all__ = ["NO_KEY_PATCH", "activate", "check_keys", "is_network_operator", "issue", "method1",
           "network_operator_key"]
