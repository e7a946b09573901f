"""The scenarios ``dccflow run`` knows: one line of description, the faults they accept, and the end state
that counts as success (exit code 0)."""

from __future__ import annotations

from pydantic import BaseModel


class Scenario(BaseModel, frozen=True):
    name: str
    description: str
    process: str
    faults: tuple[str, ...]
    expected_end: str
    expected_statuses: dict[str, str]
    dual_fuel: bool = False
    #: Post Commissioning Obligations (BAD 7.2.3): days after commissioning the Supplier starts the steps
    #: (None: never); a routine request on some day; the outcome expected
    post_commissioning_start_day: float | None = None
    post_commissioning_never: bool = False
    routine_request_day: int | None = None
    expected_post_commissioning: str | None = None
    expected_events: tuple[str, ...] = ()


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            name="install-commission-electricity",
            description="Single-fuel electricity Install and Commission (BAD 7.2.1): CH on the SM WAN, 8.14.1, "
                        "8.11 + HAN join (N24), 8.1.1; CHF and ESME end 'commissioned'.",
            process="install_commission",
            faults=("join-timeout", "no-wan"),
            expected_end="end_sms_enrolled",
            expected_statuses={"CHF": "commissioned", "ESME": "commissioned"},
        ),
        Scenario(
            name="install-commission-dual-fuel",
            description="Dual-fuel Install and Commission (BAD 7.2.1): electricity as above, then the GSME "
                        "(8.11, N24, 8.1.1 GCS28) and its join to the GPF (8.7.2); all four devices 'commissioned'.",
            process="install_commission",
            faults=("join-timeout", "no-wan"),
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
        ),
        Scenario(
            name="post-commissioning-missed",
            description="Electricity install; the Supplier never does the Post Commissioning steps: breach found "
                        "after day 7, and on day 15 the DCC refuses a routine request (BAD 7.2.3.5.7).",
            process="install_commission",
            faults=(),
            expected_end="end_sms_enrolled",
            expected_statuses={"CHF": "commissioned", "ESME": "commissioned"},
            post_commissioning_never=True,
            routine_request_day=15,
            expected_post_commissioning="not met",
            expected_events=("post_commissioning_overdue", "restricted_after_14_days", "routine_request_refused"),
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
