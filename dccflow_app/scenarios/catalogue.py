"""The scenarios ``dccflow run`` knows: the files of ``dccflow_app/scenarios/library`` (one a scenario, its file
name its name), read once. Each has one line of description, the faults it accepts, and what it expects (its BPMN end
event, completed or a failure branch, and what else it demonstrates; judged by ``dccflow_app.scenarios.expectations``:
exit code 0 when the run meets all of it). A user's file runs the same way (:func:`scenario_from_file`)."""

from __future__ import annotations

from pathlib import Path

from dccflow_app.scenarios.scenario import Scenario

__all__ = ["SCENARIOS", "Scenario", "UnknownScenario", "get_scenario", "scenario_from_file"]


def _built_in() -> dict[str, Scenario]:
    from dccflow_app.scenarios.loader import library
    from dccflow_app.scenarios.to_catalogue import to_catalogue_scenario

    # fleet scenarios run apart (``dccflow_app.scenarios.fleet_run``)
    return {name: to_catalogue_scenario(spec) for name, spec in library().items() if spec.fleet is None}


SCENARIOS: dict[str, Scenario] = _built_in()


class UnknownScenario(LookupError):
    pass


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise UnknownScenario(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}") from None


def scenario_from_file(path: str | Path) -> Scenario:
    """The scenario in a user's file. Raises ``ScenarioFileError`` (each problem with its file, line and column)
    or ``NotACatalogueScenario`` (a valid file that needs the lifecycle runner: events, fleets, other Parties)."""
    from dccflow_app.scenarios.loader import load_file
    from dccflow_app.scenarios.to_catalogue import to_catalogue_scenario

    return to_catalogue_scenario(load_file(path))
