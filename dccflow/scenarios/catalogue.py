"""The scenarios ``dccflow run`` knows: one line of description, the faults they accept, and what each expects
(its BPMN end event, completed or a failure branch, and what else it demonstrates; judged by
``dccflow.scenarios.expectations``: exit code 0 when the run meets all of it)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Scenario(BaseModel, frozen=True):
    name: str
    description: str
    process: str
    faults: tuple[str, ...]
    #: the BPMN end event the scenario is for, and whether reaching it is the process completing or one of its
    #: failure branches (a scenario may exist to show a failure branch: it then succeeds by reaching it)
    expected_end: str
    expected_statuses: dict[str, str]
    expected_result: Literal["completed", "failed"] = "completed"
    #: verdicts of the obligations audit the scenario demonstrates, as (obligation id of the register, verdict)
    expected_verdicts: tuple[tuple[str, str], ...] = ()
    dual_fuel: bool = False
    #: Post Commissioning Obligations (BAD 7.2.3): days after commissioning the Supplier starts the steps
    #: (None: never); a routine request on some day; the outcome expected
    post_commissioning_start_day: float | None = None
    post_commissioning_never: bool = False
    routine_request_day: int | None = None
    expected_post_commissioning: str | None = None
    expected_events: tuple[str, ...] = ()
    #: Install and Commission (BAD 7.2.1): a single-fuel gas install, the CH on a hot-shoe (no ESME)
    gas_only: bool = False
    #: PPMID, IHD, HCALCS, CAD fitted besides the meters (BAD 7.2.1.6.5), joined in child workflows
    han_devices: tuple[str, ...] = ()
    #: faults the scenario always sets, as (Device Type, fault)
    device_faults: tuple[tuple[str, str], ...] = ()
    #: what the procurer put in the meters' Supplier cells, as (Device Type, holder): "DCC" (a DCC ACB
    #: certificate, BAD Table 4 (b)) or "other-mpid" (the Supplier's other MPID's certificate, BAD 7.2.1.6.9)
    supplier_cells: tuple[tuple[str, str], ...] = ()
    #: HAN devices whose join the scenario expects to fail (reported, the SMS stays Enrolled)
    expected_not_joined: tuple[str, ...] = ()


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            name="install-commission-electricity",
            description="Single-fuel electricity Install and Commission (BAD 7.2.1): CH on the SM WAN, 8.14.1, "
                        "8.11 + HAN join (N24), 8.1.1; CHF and ESME end 'commissioned'.",
            process="install_commission",
            faults=("join-timeout", "no-wan", "wan-after", "join-delay", "slow-wan"),
            expected_end="end_sms_enrolled",
            expected_statuses={"CHF": "commissioned", "ESME": "commissioned"},
        ),
        Scenario(
            name="install-commission-dual-fuel",
            description="Dual-fuel Install and Commission (BAD 7.2.1): electricity as above, then the GSME "
                        "(8.11, N24, 8.1.1 GCS28) and its join to the GPF (8.7.2); all four devices 'commissioned'.",
            process="install_commission",
            faults=("join-timeout", "no-wan", "wan-after", "join-delay", "slow-wan"),
            expected_end="end_sms_enrolled",
            expected_statuses={"CHF": "commissioned", "GPF": "commissioned", "ESME": "commissioned",
                               "GSME": "commissioned"},
            dual_fuel=True,
        ),
        Scenario(
            name="post-commissioning-met",
            description="Electricity install, then Post Commissioning Obligations (BAD 7.2.3) done on day 2: "
                        "6.17, device certificate from the SMKI, 6.15.2, NO cell and Org Certificate (6.15.1).",
            process="install_commission",
            faults=(),
            expected_end="end_sms_enrolled",
            expected_statuses={"CHF": "commissioned", "ESME": "commissioned"},
            post_commissioning_start_day=2,
            expected_post_commissioning="met",
            expected_verdicts=(("device-post-commissioning", "met"),),
        ),
        Scenario(
            name="post-commissioning-missed",
            description="Electricity install; the Supplier never does the Post Commissioning steps: AC 5.2 breached "
                        "after day 7; on day 15 it sends a routine request anyway, which the DCC carries out (AC "
                        "5.13 binds the Supplier) and the audit finds in breach of AC 5.13.",
            process="install_commission",
            faults=(),
            expected_end="end_sms_enrolled",
            expected_statuses={"CHF": "commissioned", "ESME": "commissioned"},
            post_commissioning_never=True,
            routine_request_day=15,
            expected_post_commissioning="not met",
            expected_verdicts=(("device-post-commissioning", "breached"), ("supplier-restriction", "breached"),
                               ("pc-daily-supplier-report", "met")),
            expected_events=("post_commissioning_overdue", "restricted_after_14_days", "routine_request_accepted"),
        ),
        Scenario(
            name="post-commissioning-dual-fuel",
            description="Dual-fuel install, then Post Commissioning Obligations (BAD 7.2.3) on day 2 for the ESME, "
                        "the GSME and the GPF: 6.17, SMKI certificate, 6.15.2 on each; 6.15.1 Org Certificate on the "
                        "meters; the GPF's Supplier cell handed from the DCC to the Gas Supplier and its Network "
                        "Operator cell to the Gas Transporter (6.21).",
            process="install_commission",
            faults=(),
            expected_end="end_sms_enrolled",
            expected_statuses={"CHF": "commissioned", "GPF": "commissioned", "ESME": "commissioned",
                               "GSME": "commissioned"},
            dual_fuel=True,
            post_commissioning_start_day=2,
            expected_post_commissioning="met",
            expected_verdicts=(("device-post-commissioning", "met"), ("pc-information", "met"),
                               ("supplier-restriction", "not applicable"), ("chf-post-commissioning", "met"),
                               ("recovery-cell-interrogation", "met")),
            expected_events=("request_handover_supplier_cell", "update_network_operator_certificate",
                             "end_post_commissioning_met"),
        ),
        Scenario(
            name="post-commissioning-late",
            description="Electricity install; the Supplier does the Post Commissioning steps on day 9: AC 5.2 "
                        "breached (7 days), the steps completed late; AC 5.13(a) restricted its requests from day 7 "
                        "until then, and it sent none but the steps (met).",
            process="install_commission",
            faults=(),
            expected_end="end_sms_enrolled",
            expected_statuses={"CHF": "commissioned", "ESME": "commissioned"},
            post_commissioning_start_day=9,
            expected_post_commissioning="not met",
            expected_verdicts=(("device-post-commissioning", "breached"), ("supplier-restriction", "met"),
                               ("pc-information", "met")),
            expected_events=("post_commissioning_overdue", "replace_organisation_certificate"),
        ),
        Scenario(
            name="install-commission-gas-hot-shoe",
            description="Single-fuel gas Install and Commission (BAD 7.2.1.6.4): the CH on a hot-shoe, no ESME; the "
                        "Gas Supplier reports it (8.14.1), adds the GSME (8.11, N24), commissions it (8.1.1), sets "
                        "the MPRN (6.20.1) and joins it to the GPF (8.7.2): CHF, GSME and GPF 'commissioned'.",
            process="install_commission",
            faults=("no-wan",),
            expected_end="end_sms_enrolled",
            expected_statuses={"CHF": "commissioned", "GPF": "commissioned", "GSME": "commissioned"},
            gas_only=True,
            expected_events=("join_gsme_to_gpf", "set_import_mpxn_gsme"),
        ),
        Scenario(
            name="install-commission-ppmid-ihd",
            description="Dual-fuel Install and Commission with a PPMID and an IHD (BAD 7.2.1.6.12): each added to the "
                        "CHF Device Log (8.11, N24) and joined to the ESME (PPMID 8.7.2 + 8.7.1; IHD 8.7.2) and to "
                        "the GPF and GSME; the PPMID 'commissioned' like the ESME, the IHD Associated.",
            process="install_commission",
            faults=(),
            expected_end="end_sms_enrolled",
            expected_statuses={"CHF": "commissioned", "GPF": "commissioned", "ESME": "commissioned",
                               "GSME": "commissioned", "PPMID": "commissioned"},
            dual_fuel=True,
            han_devices=("PPMID", "IHD"),
            expected_events=("han_device_joined", "join_service_critical", "join_service_non_critical"),
        ),
        Scenario(
            name="install-commission-join-timeout-one-device",
            description="Electricity Install and Commission with a PPMID, an IHD, an HCALCS and a CAD, each joined in "
                        "its own child workflow; the IHD never joins: N25 for it, the others joined, the "
                        "electricity SMS Enrolled and the IHD reported not joined.",
            process="install_commission",
            faults=(),
            expected_end="end_sms_enrolled",
            expected_statuses={"CHF": "commissioned", "ESME": "commissioned", "PPMID": "commissioned",
                               "HCALCS": "commissioned"},
            han_devices=("PPMID", "IHD", "HCALCS", "CAD"),
            device_faults=(("IHD", "join-timeout"),),
            expected_not_joined=("IHD",),
            expected_events=("n25_whitelist_update_unsuccessful_han", "han_device_not_joined"),
        ),
        Scenario(
            name="install-commission-handover",
            description="Dual-fuel Install and Commission where the ESME's Supplier cell holds a DCC certificate "
                        "(Request Handover, SRV 6.21, BAD 7.2.1.6.8) and the GSME's the Supplier's other MPID's "
                        "(Update Security Credentials (KRP), SRV 6.15.1, BAD 7.2.1.6.9), both before 8.1.1.",
            process="install_commission",
            faults=(),
            expected_end="end_sms_enrolled",
            expected_statuses={"CHF": "commissioned", "GPF": "commissioned", "ESME": "commissioned",
                               "GSME": "commissioned"},
            dual_fuel=True,
            supplier_cells=(("ESME", "DCC"), ("GSME", "other-mpid")),
            expected_events=("request_handover", "update_security_credentials_krp_gsme"),
        ),
        Scenario(
            name="install-and-leave-wan-after-3-days",
            description="Install and Leave (BAD 7.2.2): the CH finds no SM WAN; 8.14.2 within 3 Working Days; Commands "
                        "for local delivery (8.11 x3, 8.7.2, 8.7.1) carried by the HHT, returned with 8.13; 8.4; the "
                        "SM WAN comes 3 days later: CHF 'commissioned', then 8.1.1 and 6.20.1 for the ESME.",
            process="install_and_leave",
            faults=("join-timeout", "wan-after"),
            expected_end="end_sms_enrolled",
            expected_statuses={"CHF": "commissioned", "ESME": "commissioned", "GPF": "installed not commissioned",
                               "PPMID": "installed not commissioned"},
            device_faults=(("CHF", "wan-after:3"),),
            expected_events=("ch_status_update_install_no_sm_wan", "return_local_command_response",
                             "sm_wan_connected"),
        ),
        Scenario(
            name="install-and-leave-dual-fuel",
            description="Dual-fuel Install and Leave (BAD 7.2.2): as install-and-leave-wan-after-3-days, plus the Gas "
                        "Supplier's GSME added to the CHF Device Log (8.11) and joined to the GPF (8.7.2) by local "
                        "Commands, returned with 8.13; SM WAN on day 3: 8.1.1 for ESME and GSME, 8.4 sets the GPF "
                        "'commissioned', 6.20.1; CHF, ESME, GSME and GPF 'commissioned'.",
            process="install_and_leave",
            faults=("join-timeout",),
            expected_end="end_sms_enrolled",
            expected_statuses={"CHF": "commissioned", "ESME": "commissioned", "GSME": "commissioned",
                               "GPF": "commissioned", "PPMID": "installed not commissioned"},
            dual_fuel=True,
            device_faults=(("CHF", "wan-after:3"),),
            expected_events=("return_local_command_response", "sm_wan_connected", "commission_device_gsme",
                             "update_inventory_gpf_commissioned"),
        ),
        Scenario(
            name="install-and-leave-handover",
            description="Dual-fuel Install and Leave where the ESME's Supplier cell holds a DCC certificate and the "
                        "GSME's the Supplier's other MPID's: 6.21 and 6.15.1 obtained for local delivery (CS02b by "
                        "the HHT before the joins); the meters then commissioned over the SM WAN on day 3.",
            process="install_and_leave",
            faults=(),
            expected_end="end_sms_enrolled",
            expected_statuses={"CHF": "commissioned", "ESME": "commissioned", "GSME": "commissioned",
                               "GPF": "commissioned"},
            dual_fuel=True,
            device_faults=(("CHF", "wan-after:3"),),
            supplier_cells=(("ESME", "DCC"), ("GSME", "other-mpid")),
            expected_events=("request_handover_local", "update_security_credentials_krp_local",
                             "send_credential_commands_locally", "update_inventory_gpf_commissioned"),
        ),
        Scenario(
            name="install-and-leave-no-wan",
            description="Install and Leave (BAD 7.2.2) where the SM WAN never comes: the Supplier waits 90 days "
                        "(8.2 checks weekly), then ends the process at its failure branch with the devices "
                        "'installed not commissioned' and no SMS Enrolled.",
            process="install_and_leave",
            faults=(),
            expected_end="end_no_sm_wan",
            expected_result="failed",
            expected_statuses={"CHF": "installed not commissioned", "ESME": "installed not commissioned"},
            device_faults=(("CHF", "no-wan"),),
            expected_verdicts=(("no-wan-report", "met"), ("enrolment", "not applicable")),
        ),
    )
}


class UnknownScenario(LookupError):
    pass


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise UnknownScenario(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}") from None
