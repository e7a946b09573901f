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
    )
}


class UnknownScenario(LookupError):
    pass


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise UnknownScenario(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}") from None
