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


def test_unreadable_input_is_named_with_its_file(tmp_path) -> None:
    """A missing path, a folder that is no saved run, JSON that does not parse or is no saved run's: one line,
    naming the file."""
    (tmp_path / "empty").mkdir()
    broken = tmp_path / "saved"
    broken.mkdir()
    (broken / "audit-input.json").write_text('{"units": [{"unit": 1')
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "audit-input.json").write_text('{"source": "x", "units": [{"cases": "no"}]}')
    for path, says in ((tmp_path / "nowhere", "no such saved run"),
                       (tmp_path / "empty", "a directory without audit-input.json"),
                       (broken, f"{broken / 'audit-input.json'}: not JSON"),
                       (wrong, f"{wrong / 'audit-input.json'}: not a saved run's audit-input.json: units.0")):
        result = runner.invoke(app, ["audit", str(path)])
        assert result.exit_code == 2, (path, result.output)
        assert says in result.output and len(result.output.strip().splitlines()) == 1, result.output
        assert "Traceback" not in result.output


def test_a_report_that_cannot_be_written_is_exit_2(tmp_path) -> None:
    saved = tmp_path / "run.json"
    saved.write_text('{"workflow_id": "install-commission-x", "events": []}')
    (tmp_path / "folder").mkdir()
    for out in (tmp_path / "folder", tmp_path / "no" / "such" / "dir" / "r.txt"):
        result = runner.invoke(app, ["audit", str(saved), "--out", str(out)])
        assert result.exit_code == 2, result.output
        assert f"--out {out}: cannot be written" in result.output and "Traceback" not in result.output
