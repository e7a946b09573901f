"""The steps of SMKI Recovery (BAD 7.7.3; SEC Appendix L as the BAD quotes it) as data; ``bpmn/smki_recovery.bpmn``
holds the same ids. Each step's refs cite the BAD and Appendix L clauses it carries out, so the obligations audit and
the timeline show them (digest 05 §D.1-§D.4, §D.10 ids in brackets where one step fulfils an RCV row)."""

from __future__ import annotations

from dccflow.events import ProcessStep, StepRegistry

PROCESS = "smki_recovery"
_DCC, _SUB, _PMA, _RS, _ATT = "DCC", "Subscriber", "SMKI PMA", "Responsible Supplier", "Attacker (drill)"


def _s(bpmn_id: str, name: str, actor: str, *refs: str) -> ProcessStep:
    return ProcessStep(bpmn_id=bpmn_id, name=name, actor=actor, refs=refs)


SMKI_RECOVERY_STEPS = StepRegistry(PROCESS, [
    # -- BAD 7.7.3.4.1 Manage Incident ---------------------------------------------------------------------------
    _s("compromise_notified", "A Compromise of a Relevant Private Key is notified to the DCC", "Any person",
       "BAD 7.7.3.4.1", "SEC Appendix L 3.2"),
    _s("incident_raised", "The DCC raises an Incident and notifies the SMKI PMA (RCV-06)", _DCC,
       "BAD 7.7.3.4.1", "SEC Appendix L 3.2", "BAD 7.9.4.5.1"),
    _s("attacker_probe_before", "The attacker's Command signed with the compromised key, before recovery", _ATT,
       "BAD 7.7.3.1"),
    _s("confirmation_requested", "The DCC asks the Subscriber to confirm the Compromise within 24 hours", _DCC,
       "BAD 7.7.3.4.1", "SEC Appendix L 3.2"),
    _s("compromise_confirmed", "The Subscriber's SMKI SRO confirms the Compromise (RCV-07, RCV-08)", _SUB,
       "BAD 7.7.3.4.1", "SEC Appendix L 3.2", "SEC Appendix L 3.3"),
    _s("compromise_denied", "The Subscriber finds no Compromise", _SUB, "BAD 7.7.3.4.1", "SEC Appendix L 3.2"),
    _s("responsible_suppliers_informed", "The DCC identifies and informs the affected Responsible Suppliers "
       "(RCV-09)", _DCC, "BAD 7.7.3.4.1", "SEC Appendix L 3.2"),
    _s("method_chosen", "The recovery method is chosen", _DCC, "BAD 7.7.3.1", "BAD 7.7.3.2"),
    _s("ocnf_submitted", "CRRs, Organisation Compromise Notification Files and a temporary ADT File submitted "
       "(RCV-10, RCV-11, RCV-12)", _SUB, "BAD 7.7.3.4.2", "BAD 7.7.3.4.3", "BAD 7.7.3.4.4",
       "SEC Appendix L 4.1.1.1", "SEC Appendix L 4.1.1.2", "SEC Appendix L 4.2.1.2", "SEC Appendix L 4.3.1.2"),
    _s("compromised_certificate_revoked", "The OCA revokes the compromised Organisation Certificate", _DCC,
       "BAD 7.7.2.5.4", "SEC Appendix L 4.1.1.1", "SEC Appendix L 4.2.1.1", "SEC Appendix L 4.3.1.1"),
    _s("pma_notified", "The DCC notifies the SMKI PMA of the Compromise and the method (RCV-13)", _DCC,
       "SEC Appendix L 4.1.1.3", "SEC Appendix L 4.2.1.3", "SEC Appendix L 4.3.1.3"),
    _s("devices_to_recovery", "The affected Devices' SMI status set to 'recovery' (RCV-16)", _DCC,
       "BAD 7.7.3.4.3", "BAD 7.7.3.4.4", "BAD 7.7.3.4.5", "SEC Appendix L 4.2.1.3", "SEC Appendix L 4.3.1.3",
       "SEC Appendix L 5.2.1"),
    _s("pma_decision_requested", "The DCC requests the SMKI PMA's decision with its information pack (RCV-17)",
       _DCC, "SEC Appendix L 4.2.1.3", "SEC Appendix L 4.2.1.5", "SEC Appendix L 4.3.1.5"),
    _s("pma_approved", "The SMKI PMA decides the steps and approves the timescales (RCV-19)", _PMA,
       "BAD 7.7.3.4.3", "SEC Appendix L 4.2.1.7", "SEC Appendix L 4.3.1.7"),
    _s("pma_declined", "The SMKI PMA directs that the Recovery Private Key not be used (RCV-19)", _PMA,
       "SEC Appendix L 4.2.1.7", "SEC Appendix L 4.3.1.7"),
    _s("statuses_restored", "The Devices' statuses before 'recovery' restored (RCV-21)", _DCC,
       "SEC Appendix L 4.2.2.1", "SEC Appendix L 4.3.2.1"),
    _s("parties_told_of_decision", "All affected Parties told the outcome and the PMA's reasons (RCV-03, RCV-20)",
       _DCC, "SEC Appendix L 3.1(d)", "SEC Appendix L 4.2.1.8", "SEC Appendix L 4.3.1.8"),
    _s("replacement_certificates_obtained", "The Subscriber obtains replacement Organisation Certificates "
       "(RCV-31)", _SUB, "BAD 7.7.2.5.2", "SEC Appendix L 4.1.2.2", "SEC Appendix L 4.2.2.7",
       "SEC Appendix L 4.3.2.3"),
    _s("key_activation_ceremony", "Key Activation Ceremony: the Recovery (or Contingency) Private Key activated "
       "(RCV-18, RCV-25, RCV-36)", _DCC, "BAD 7.7.3.4.3", "BAD 7.7.3.4.5", "SEC Appendix L 4.2.1.6",
       "SEC Appendix L 4.2.2.3", "SEC Appendix L 4.3.2.4", "SEC Appendix L 5.2.7"),
    _s("recovery_commands_sent", "Recovery- (or Contingency-) signed Commands replace the compromised certificates "
       "(RCV-26, RCV-32, RCV-37, RCV-39)", _DCC, "BAD 7.7.3.4.3", "BAD 7.7.3.4.4", "BAD 7.7.3.4.5",
       "SEC Appendix L 4.2.2.4", "SEC Appendix L 4.3.2.5", "SEC Appendix L 5.2.8"),
    _s("device_unreachable", "A Device off the SM WAN: retried before the recovery deadline (RCV-02)", _DCC,
       "SEC Appendix L 3.1(c)"),
    _s("device_recovered", "A Device recovered: DCC Alert N44 / N45 (RCV-27, RCV-28, RCV-30)", _DCC,
       "BAD 7.7.3.4.3", "BAD 7.7.3.4.4", "BAD 7.7.3.4.5", "SEC Appendix L 4.2.2.5", "SEC Appendix L 4.2.2.6",
       "SEC Appendix L 4.3.2.6", "SEC Appendix L 4.3.2.7", "SEC Appendix L 5.2.9", "SEC Appendix L 5.2.11"),
    _s("handover_requested", "The Responsible Supplier replaces the DCC's ACB certificate (SRV 6.21) (RCV-29)", _RS,
       "BAD 7.7.3.4.3", "SEC Appendix L 4.2.2.8", "SRV 6.21"),
    _s("previous_status_restored", "The status before the Compromise restored (RCV-30)", _DCC,
       "BAD 7.7.3.4.3", "SEC Appendix L 4.2.2.8"),
    _s("subscriber_replaced_certificates", "The Subscriber replaces its certificates on every Device (SRV 6.15.1) "
       "and reports the Devices not recovered (RCV-23, RCV-46)", _SUB, "BAD 7.7.3.4.2", "BAD 7.7.3.4.8",
       "SEC Appendix L 4.1.2.3", "SEC Appendix L 4.1.2.4", "SEC Appendix L 6.3.2.8", "SRV 6.15.1"),
    _s("subscriber_certificate_revoked", "Its replacements done, the OCA revokes the compromised certificate "
       "(decision 2 of dccflow.domain.recovery)", _DCC, "BAD 7.7.2.5.4", "SEC Appendix L 4.1.1.1",
       "SEC Appendix L 4.1.2.4"),
    _s("devices_not_recovered_reported", "The Devices not recovered reported to each Responsible Supplier (RCV-24, "
       "RCV-33, RCV-40)", _DCC, "SEC Appendix L 4.1.2.5", "SEC Appendix L 4.3.2.8"),
    _s("attacker_probe_after", "The attacker's Command signed with the compromised key, after recovery", _ATT,
       "BAD 7.7.3.1"),
    _s("legitimate_command_accepted", "The Responsible Supplier's own Critical Command accepted (SRV 6.15.1)", _RS,
       "BAD 7.7.2.5.6", "SRV 6.15.1"),
    _s("recovery_complete", "The DCC notifies the SMKI PMA of completion and the Devices not recovered (RCV-50)",
       _DCC, "SEC Appendix L 4.1.3.2", "SEC Appendix L 4.2.3.2", "SEC Appendix L 4.3.3.2"),
    _s("recovery_report", "The recovery report to the SMKI PMA (RCV-05)", _DCC, "SEC Appendix L 3.1(f)"),
    # -- BAD 7.7.3.4.7 Recovery of the Recovery Private Key (workflows.smki_recovery_dcc_keys) --------------------
    _s("annex_d_sent", "The DCC gives each Subscriber to Organisation Certificates the affected Devices and "
       "Certificates (Annex D) (RCV-11)", _DCC, "BAD 7.7.3.4.5", "BAD 7.7.3.4.7", "SEC Appendix L 5.1.1",
       "SEC Appendix L 6.2.1.2"),
    _s("key_generation_ceremony", "Key Generation Ceremony: new DCC keys and certificates (RCV-35, RCV-38, RCV-42)",
       _DCC, "BAD 7.7.3.4.5", "BAD 7.7.3.4.6", "BAD 7.7.3.4.7", "SEC Appendix L 5.2.4", "SEC Appendix L 6.1.2.3",
       "SEC Appendix L 6.2.2.3"),
    _s("replaced_key_destroyed", "The replaced key destroyed (its certificate revoked; RCV-41, RCV-43)", _DCC,
       "BAD 7.7.3.4.6", "BAD 7.7.3.4.7", "SEC Appendix L 6.1.3.2", "SEC Appendix L 6.2.3.2"),
    _s("new_key_accepted", "The DCC's Command signed with its new key accepted", _DCC, "SEC Appendix L 6.2.2.4",
       "SEC Appendix L 6.1.2.7"),
    _s("root_and_issuing_oca_revoked", "The Root and Issuing OCA Certificates revoked (the ARL), the replaced keys "
       "destroyed; the SMKI on the new hierarchy (RCV-34)", _DCC, "BAD 7.7.3.4.5", "SEC Appendix L 5.1.6"),
    _s("issuing_oca_replaced", "The compromised Issuing OCA key destroyed; a new Issuing OCA (RCV-45)", _DCC,
       "BAD 7.7.3.4.8", "SEC Appendix L 6.3.1.7", "SEC Appendix L 6.3.2.3"),
    _s("issuing_oca_revoked", "The replaced Issuing OCA Certificate revoked: the Organisation ARL (RCV-44, RCV-47)",
       _DCC, "BAD 7.7.3.4.8", "SEC Appendix L 6.3.1.7", "SEC Appendix L 6.3.2.9"),
    _s("network_operators_handed_back", "Contingency post-recovery: the Network Operator cells handed back to the "
       "Network Operators (RCV-29)", _DCC, "BAD 7.7.3.4.5", "SEC Appendix L 5.3.1", "SEC Appendix L 5.3.2", "SRV 6.21"),
    # -- two compromises at once (workflows.smki_recovery_joins) ---------------------------------------------------
    _s("join_offered", "Another Incident over the same Devices offers its compromise", _DCC, "BAD 7.7.3.4.1",
       "SEC Appendix L 3.2"),
    _s("compromise_joined", "Another compromise for Devices this Incident covers joins its procedure", _DCC,
       "BAD 7.7.3.4.1", "SEC Appendix L 3.2", "SEC Appendix L 6.3.1.3"),
    _s("join_answered", "The offering Incident answered (signal join_answer)", _DCC, "BAD 7.7.3.4.1",
       "SEC Appendix L 3.2"),
    _s("joined_running_incident", "The compromise joins the Incident running over the same Devices", _DCC,
       "BAD 7.7.3.4.1", "SEC Appendix L 3.2"),
    _s("waits_for_running_incident", "The Incident running over the same Devices cannot take it in: its own "
       "procedure waits for that one's end", _DCC, "BAD 7.7.3.4.1", "SEC Appendix L 3.2"),
    _s("joined_compromise_closed", "The joined compromise: its certificate revoked, its key's Commands refused",
       _DCC, "BAD 7.7.2.5.4", "SEC Appendix L 3.2", "SEC Appendix L 4.1.1.1"),
    # -- ends ---------------------------------------------------------------------------------------------------
    _s("end_recovered", "Every affected Device recovered; the compromised key refused", _DCC, "BAD 7.7.3.1"),
    _s("end_recovered_partly", "Some Devices not recovered by the deadline (reported)", _DCC,
       "SEC Appendix L 3.1(c)"),
    _s("end_incident_closed", "No Compromise: the Incident closed", _DCC, "SEC Appendix L 3.2", "BAD 7.7.3.4.1"),
    _s("end_not_confirmed", "The Subscriber did not confirm within 24 hours", _DCC, "SEC Appendix L 3.2"),
    _s("end_pma_declined", "The SMKI PMA declined the recovery", _DCC, "SEC Appendix L 3.1(d)"),
    _s("end_pma_not_decided", "No decision of the SMKI PMA", _DCC, "SEC Appendix L 3.1(b)"),
    _s("end_joined_incident", "Joined a running Incident: one procedure", _DCC, "SEC Appendix L 3.2"),
])
