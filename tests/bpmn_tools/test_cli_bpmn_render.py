"""``dccflow bpmn models | render`` as a user runs them."""

from __future__ import annotations

from lxml import etree
from typer.testing import CliRunner

import bpmn
from dccflow_app.cli import app

runner = CliRunner()
S = {"s": "http://www.w3.org/2000/svg"}


def _highlighted(svg_bytes: bytes) -> set[str]:
    svg = etree.fromstring(svg_bytes)
    return {g.get("data-element-id") for g in svg.iterfind("s:g", S) if g.get("data-highlight") == "true"}


def test_models_lists_every_model():
    done = runner.invoke(app, ["bpmn", "models"])
    assert done.exit_code == 0, done.output
    names = [line.split()[0] for line in done.stdout.splitlines()]
    assert names == sorted(p.stem for p in bpmn.MODEL_DIR.glob("*.bpmn"))
    assert "install_and_leave  Install and Leave (BAD 7.2.2)" in done.stdout


def test_render_to_an_svg_file_with_highlights(tmp_path):
    out = tmp_path / "deviations" / "il.svg"
    done = runner.invoke(app, ["bpmn", "render", "install_and_leave", "--out", str(out),
                               "--highlight", "install_communications_hub, gw_fork,f03"])
    assert done.exit_code == 0, done.output
    data = out.read_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<svg')
    assert _highlighted(data) == {"install_communications_hub", "gw_fork", "f03"}


def test_render_a_file_to_standard_output_and_to_png(tmp_path):
    path = bpmn.MODEL_DIR / "decommission.bpmn"
    done = runner.invoke(app, ["bpmn", "render", str(path)])
    assert done.exit_code == 0, done.output
    assert _highlighted(done.stdout_bytes) == set()
    assert len(etree.fromstring(done.stdout_bytes).findall("s:g", S)) > 40
    png = tmp_path / "d.png"
    done = runner.invoke(app, ["bpmn", "render", "decommission", "-o", str(png), "--highlight", "b_remove"])
    assert done.exit_code == 0, done.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_errors_name_what_is_wrong(tmp_path):
    done = runner.invoke(app, ["bpmn", "render", "install_and_leav"])
    assert done.exit_code == 2
    assert "no model named 'install_and_leav'" in done.stderr and "install_and_leave" in done.stderr
    done = runner.invoke(app, ["bpmn", "render", "decommission", "--highlight", "b_remove,b_typo"])
    assert done.exit_code == 2
    assert "no element b_typo to highlight" in done.stderr
    done = runner.invoke(app, ["bpmn", "render", "decommission", "--out", str(tmp_path / "d.pdf")])
    assert done.exit_code == 2 and "must end in .svg or .png" in done.stderr
    assert not (tmp_path / "d.pdf").exists()
    done = runner.invoke(app, ["bpmn", "render", str(tmp_path / "missing.bpmn")])
    assert done.exit_code == 2 and "no such BPMN file" in done.stderr
