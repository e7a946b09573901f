"""`dccflow audit` on a file that is no saved run: exit 2 with one line naming the file and what it lacks."""

from __future__ import annotations

from typer.testing import CliRunner

from dccflow_app.cli import app

runner = CliRunner()


def test_a_json_file_that_is_no_run_is_refused_with_exit_2(tmp_path) -> None:
    for content, says in (('{"x": 1}', "neither a saved run's audit-input.json"),
                          ('[1, 2]', "neither a saved run's audit-input.json"),
                          ('{"workflow_id": "w", "events": [{"at": 1}]}', "not `dccflow run --json` output"),
                          ('{"x": 1', "Expecting")):
        file = tmp_path / "input.json"
        file.write_text(content)
        result = runner.invoke(app, ["audit", str(file)])
        assert result.exit_code == 2, (content, result.output)
        assert says in result.output, (content, result.output)
        assert "Traceback" not in result.output
