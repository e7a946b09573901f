"""SMKI Recovery (BAD 7.7.3; SEC Appendix L as the BAD quotes it) as data: the recovery methods and how one is
chosen (digest 05 §D.0), the Incident's phases (§D.1), the Code's clocks and the simulator's settings where the
Code leaves a value to the SMKI PMA (§G).

One place for these facts: the recovery workflow (``workflows.smki_recovery``), the DCC's recovery activities
(``dccsim.smki_recovery``), the drill CLI and the scenario parameters read them from here.

Decisions where the Code is silent (digest 05 §D.11-§D.12):

1. **Choosing a method.** L leaves the choice to "the Compromised Party, the DCC and the SMKI PMA" (BAD 7.7.3.1,
   004 l.4323). For a Subscriber's Organisation Certificate the simulator asks two questions of the Subscriber:
   can it still sign with the compromised key (its key was copied, not lost)? Then Method 1 (it replaces its own
   certificates, no SMI status change: the least disruptive). If not: has it replacement certificates ready for
   the DCC to install? Then Method 3, else Method 2 (the DCC's ACB certificates, then the Responsible Supplier's
   handover). A WAN Provider (CSP) certificate is Method 3 (L 4.3.1.3). DCC keys have one method each. A Network
   Operator's Organisation Certificate is asked the same two questions: its cells are the Network Operator cells
   (``workflows.smki_recovery_no_key``; docs/smki-recovery.md).
2. **Method 1's revocation.** The Subscriber's Certificate Revocation Request is lodged in pre-recovery (L 4.1.1.1)
   but the OCA revokes the compromised certificate when the Subscriber reports its replacements done (L 4.1.2.4):
   revoked earlier, the DCC would refuse (AB 6.1(e), 7.3(b)) the very Service Requests and Signed Pre-Commands
   Method 1 needs, signed with the compromised key the cells still hold (digest 05 §D.2 notes). Methods 2 and 3
   revoke at once: the DCC signs their Commands with its Recovery key.
3. **The PMA's deadline.** L gives the PMA no time to decide; the simulator gives it ``PMA_DECISION_DUE`` (a
   setting) and records the decision late or on time (RCV-19). With no decision by ``PMA_DECISION_WAIT`` the DCC
   takes no step (L 3.1(b): it complies with decisions, and there is none) and the drill ends "not decided".
4. **The recovery deadline** (L 3.1(c)) is PMA-approved per case; the simulator's default is 30 days. The DCC retries
   a Device it could not reach (off the SM WAN) every ``RETRY_EVERY`` until then, and reports the rest (RCV-33).
5. **Key ceremonies.** The quorum of Key Custodians is not stated (§D.9.4): ``CUSTODIAN_QUORUM`` (a setting); the
   ceremony is held ``CEREMONY_AFTER`` the PMA's approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType

from dccflow.domain.alerts import DccAlert
from dccflow.domain.roles import RemotePartyRole
from dccflow.domain.smi import SmiStatus


class CompromisedKey(StrEnum):
    """Whose private key was (or may have been) Compromised (BAD 7.7.3.1; L 3.2 'Relevant Private Key')."""

    ORGANISATION = "organisation"  # a Subscriber's Organisation Certificate (Supplier or Network Operator)
    WAN_PROVIDER = "wan-provider"  # the CSP's WAN Provider certificate (L 4.3.1.3)
    ROOT_OCA = "root"  # the Root OCA Private Key (L 5)
    CONTINGENCY = "contingency-key"  # the Contingency Private Key or Contingency Symmetric Key (L 6.1)
    RECOVERY = "recovery-key"  # the DCC's Recovery Private Key (L 6.2)
    ISSUING_OCA = "issuing-oca"  # the Issuing OCA Private Key (L 6.3)


class RecoveryMethod(StrEnum):
    METHOD_1 = "method-1"
    METHOD_2 = "method-2"
    METHOD_3 = "method-3"
    CONTINGENCY = "contingency"
    CONTINGENCY_KEY_ROLLOVER = "contingency-key-rollover"
    RECOVERY_KEY_ROLLOVER = "recovery-key-rollover"
    ISSUING_OCA = "issuing-oca"


@dataclass(frozen=True)
class MethodRow:
    """One row of digest 05 §D.0's method selection table."""

    method: RecoveryMethod
    title: str
    bad: str
    appendix_l: str
    keys: tuple[CompromisedKey, ...]
    #: who replaces the certificates on Devices
    replaced_by: str
    #: the key signing the DCC's recovery Commands (None: the DCC sends none)
    dcc_signs_with: str | None
    #: the SMI statuses a Device goes through (empty: unchanged)
    smi_path: tuple[SmiStatus, ...]
    alert: DccAlert | None
    #: Service Requests Users send in the method
    user_srvs: tuple[str, ...]
    #: a PMA decision gates the recovery steps (Method 1 has none: L 4.1)
    pma_gate: bool = True
    #: dccflow runs it (the others are told so)
    built: bool = False


_K, _M, _S = CompromisedKey, RecoveryMethod, SmiStatus
METHODS = MappingProxyType({row.method: row for row in (
    MethodRow(_M.METHOD_1, "Recovery by affected Subscribers", "BAD 7.7.3.4.2", "L 4.1", (_K.ORGANISATION,),
              "the Subscriber", None, (), None, ("6.15.1",), pma_gate=False, built=True),
    MethodRow(_M.METHOD_2, "DCC installs ACB Certificates", "BAD 7.7.3.4.3", "L 4.2", (_K.ORGANISATION,),
              "the DCC, then the Responsible Supplier", "Recovery Private Key",
              (_S.RECOVERY, _S.RECOVERED), DccAlert.N44, ("6.21",), built=True),
    MethodRow(_M.METHOD_3, "DCC installs the Subscriber's new Organisation Certificates", "BAD 7.7.3.4.4", "L 4.3",
              (_K.ORGANISATION, _K.WAN_PROVIDER), "the DCC", "Recovery Private Key", (_S.RECOVERY,), DccAlert.N45,
              (), built=True),
    MethodRow(_M.CONTINGENCY, "Recovery using the Contingency Private Key", "BAD 7.7.3.4.5", "L 5", (_K.ROOT_OCA,),
              "the DCC, then the Responsible Supplier", "Contingency Private Key",
              (_S.RECOVERY, _S.RECOVERED), DccAlert.N44, ("6.21",), built=True),
    MethodRow(_M.CONTINGENCY_KEY_ROLLOVER, "Recovery of the Contingency Private Key or Contingency Symmetric Key",
              "BAD 7.7.3.4.6", "L 6.1", (_K.CONTINGENCY,), "the Responsible Supplier (the DCC for CHFs)",
              "the existing Root OCA Private Key (the replacement Root's second signature)", (), None, ("6.15.1",),
              built=True),
    MethodRow(_M.RECOVERY_KEY_ROLLOVER, "Recovery of the Recovery Private Key", "BAD 7.7.3.4.7", "L 6.2",
              (_K.RECOVERY,), "the DCC", "the replaced Recovery Private Key", (), None, (), built=True),
    MethodRow(_M.ISSUING_OCA, "Recovery of the Issuing OCA Private Key", "BAD 7.7.3.4.8", "L 6.3", (_K.ISSUING_OCA,),
              "the DCC (Recovery cell), then the Subscribers", "the replaced Recovery Private Key", (), None,
              ("6.15.1",), built=True),
)})


class MethodNotAvailable(ValueError):
    """A method that does not fit the compromised key, or that dccflow does not run yet."""


def choose_method(key: CompromisedKey, *, subscriber_can_sign: bool = True, replacement_certificates: bool = False,
                  forced: RecoveryMethod | None = None) -> MethodRow:
    """The method for a compromise (decision 1 of the module doc), or ``forced`` if it fits the key. Raises
    :class:`MethodNotAvailable` for a method that does not fit or is not built yet."""
    if forced is not None:
        row = METHODS[forced]
        if key not in row.keys:
            raise MethodNotAvailable(f"{row.method.value} ({row.bad}) recovers a compromised "
                                     f"{' or '.join(k.value for k in row.keys)} key, not a {key.value} key")
    elif key == _K.ORGANISATION:
        row = METHODS[_M.METHOD_1 if subscriber_can_sign else _M.METHOD_3 if replacement_certificates
                      else _M.METHOD_2]
    else:
        row = next(r for r in METHODS.values() if key in r.keys)
    if not row.built:
        raise MethodNotAvailable(f"{row.method.value}: {row.title} ({row.bad}, {row.appendix_l}) is not built yet "
                                 "(dccflow runs Methods 1-3, the Contingency method, the Contingency, Recovery key "
                                 "and Issuing OCA recoveries)")
    return row


class IncidentPhase(StrEnum):
    """The compromise case's state machine (digest 05 §D.1) and the three stages of BAD 7.7.3 (004 l.4325)."""

    NOTIFIED = "notified"
    INCIDENT_RAISED = "incident raised"
    AWAITING_CONFIRMATION = "awaiting the Subscriber's confirmation"
    NO_COMPROMISE = "no compromise: Incident closed"
    NOT_CONFIRMED = "not confirmed"
    CONFIRMED = "confirmed"
    PMA_DECISION_PENDING = "awaiting the SMKI PMA's decision"
    PMA_DECLINED = "the SMKI PMA declined the recovery"
    PMA_NOT_DECIDED = "the SMKI PMA did not decide"
    PRE_RECOVERY = "pre-recovery"
    RECOVERY = "recovery"
    POST_RECOVERY = "post-recovery"
    COMPLETE = "complete"
    REPORTED = "reported"
    #: a second compromise for Devices an open Incident covers: joined to it (L 3.2; ``workflows.smki_recovery_joins``)
    JOINED = "joined another Incident"


# ---- the Code's clocks (digest 05 §G) and the settings it leaves open ---------------------------------------

#: L 3.2: the Subscriber takes reasonable steps to confirm within 24 hours of the DCC's request (RCV-07)
CONFIRMATION_PERIOD = timedelta(hours=24)
#: L 3.1(f): the recovery report to the SMKI PMA within three Working Days of the recovery (RCV-05)
REPORT_WORKING_DAYS = 3
#: decision 3: the PMA's decision is due this long after the DCC's request (not in the Code)
PMA_DECISION_DUE = timedelta(days=2)
#: RCV-19: the clause of each method under which the PMA decides (L's numbering slips read by content, §D.11 item 6)
PMA_DECISION_REFS = MappingProxyType({
    _M.METHOD_2.value: ("SEC Appendix L 4.2.1.7",), _M.METHOD_3.value: ("SEC Appendix L 4.3.1.7",),
    _M.RECOVERY_KEY_ROLLOVER.value: ("SEC Appendix L 6.2.1.5",), _M.CONTINGENCY.value: ("SEC Appendix L 5.1.4",),
    _M.ISSUING_OCA.value: ("SEC Appendix L 6.3.1.5",), _M.CONTINGENCY_KEY_ROLLOVER.value: ("SEC Appendix L 6.1.1.5",),
})
#: decision 3: how long the DCC waits for a decision before it gives up the drill
PMA_DECISION_WAIT = timedelta(days=14)
#: decision 4: the PMA-approved recovery deadline when the decision names none
RECOVERY_DEADLINE = timedelta(days=30)
#: decision 4: how often the DCC retries a Device it could not reach (L 3.1(c))
RETRY_EVERY = timedelta(days=1)
#: decision 5: Key Custodians at a ceremony (the minimum to activate is not stated, §D.9.4)
CUSTODIAN_QUORUM = 3
CEREMONY_AFTER = timedelta(hours=4)
#: the trust anchor cells a compromised key's certificate may sit in, whose Devices are affected (Table 11; the
#: simulator models Digital Signing cells only, ``devices.catalogue`` decision 1)
AFFECTED_CELLS = MappingProxyType({
    _K.ORGANISATION: (RemotePartyRole.SUPPLIER, RemotePartyRole.NETWORK_OPERATOR),
    _K.WAN_PROVIDER: (RemotePartyRole.WAN_PROVIDER,),
    _K.RECOVERY: (RemotePartyRole.RECOVERY,),  # every Device holding the Recovery Certificate (L 6.2.2.4: "all")
    _K.ROOT_OCA: (RemotePartyRole.ROOT,),  # every Device with a Root cell: all its cells reset (L 5.2.8: "all")
    _K.CONTINGENCY: (RemotePartyRole.ROOT,),  # every Device with a Root cell: its Root replaced (L 6.1.2.7)
    # the certificates the Issuing OCA issued: the DCC's Recovery Certificate (L 6.3.2.6) and the Subscribers' (6.3.2.8:
    # the Suppliers' and the Network Operators', ``workflows.smki_recovery_network``)
    _K.ISSUING_OCA: (RemotePartyRole.RECOVERY, RemotePartyRole.SUPPLIER, RemotePartyRole.NETWORK_OPERATOR),
})
#: Method 3 for a Network Operator's own certificates: L 4.3.1.3 sets 'recovery' only "where the Compromise affects
#: Supplier or CSP Certificates" (digest 05 §D.11 item 4); the ``pma_notified`` step says so and the audit reads it
METHOD3_NO_STATUS_CHANGE = "Network Operator certificates: no SMI status change (L 4.3.1.3)"
#: compromises whose notification files list every holder's certificates in the cells, not the Subscriber's only
ANY_SUBSCRIBER = frozenset({_K.ISSUING_OCA})
#: compromises whose attacker the drill does not simulate: the Root OCA key alone signs no Command a Device accepts
#: (every cell holds a specific certificate); what it breaks is Certification Path Validation, closed by the new Root
NO_ATTACKER_PROBE = frozenset({_K.ROOT_OCA, _K.ISSUING_OCA})
#: the DCC's own keys: the authority key (``dccsim.smki.SmkiAuthorityKey`` name) an attacker copies; the DCC is the
#: Subscriber for their certificates (L 3.2 "the DCC" confirms through its SRO / RA Manager)
DCC_KEYS = MappingProxyType({_K.RECOVERY: "dcc-recovery", _K.ROOT_OCA: "root", _K.ISSUING_OCA: "ca",
                             _K.CONTINGENCY: "contingency"})
#: the methods that replace a DCC key rather than a Subscriber's certificates (``workflows.smki_recovery_dcc_keys``)
DCC_KEY_METHODS = frozenset({_M.RECOVERY_KEY_ROLLOVER, _M.CONTINGENCY, _M.ISSUING_OCA, _M.CONTINGENCY_KEY_ROLLOVER})
#: compromises whose attacker probes with a Contingency-signed Command (``activities.smki_recovery_root``)
CONTINGENCY_PROBE = frozenset({_K.CONTINGENCY})
