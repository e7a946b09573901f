"""``dccflow bpmn …``: the BPMN models of the BAD processes.

* ``models``: the models shipped in ``bpmn/`` (name, process, counts of steps), one a line.
* ``render MODEL [--out FILE.svg|FILE.png] [--highlight ID,ID…]``: draw a model from its diagram interchange
  (``bpmn.render``). MODEL is a model's name (``install_and_leave``) or a ``.bpmn`` file. Without ``--out`` the
  SVG goes to standard output. Highlighted elements (flow nodes, events, gateways, sequence flows) are drawn in
  red; an id the model lacks is an error (exit 2) naming it, so a typo does not yield an unmarked diagram.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

import bpmn
from bpmn.render import RenderError, element_ids, render_png, render_svg

app = typer.Typer(help="The BPMN models of the BAD processes: list and draw them.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _model_names() -> list[str]:
    return sorted(p.stem for p in bpmn.MODEL_DIR.glob("*.bpmn"))


@app.command("models")
def models() -> None:
    """List the models: name, process name, number of steps a workflow records."""
    for name in _model_names():
        process = bpmn.load(name).getroot().find(f"{{{bpmn.BPMN_NS}}}process")
        label = process.get("name") if process is not None else ""
        out.print(f"{name}  {label}  ({len(bpmn.step_ids(name))} steps)", markup=False)


@app.command("render")
def render(
    model: Annotated[str, typer.Argument(help="a model's name (see `dccflow bpmn models`) or a .bpmn file")],
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="FILE.svg or FILE.png (default: SVG to "
                                                  "standard output)")] = None,
    highlight: Annotated[str, typer.Option(help="element ids to highlight, comma-separated")] = "",
) -> None:
    """Draw a model from its BPMN DI as SVG (or PNG), with the given elements highlighted."""
    source: str | Path = model
    if model.endswith(".bpmn") or "/" in model:
        source = Path(model)
        if not source.is_file():
            err.print(f"error: no such BPMN file: {model}", markup=False)
            raise typer.Exit(2)
    elif model not in _model_names():
        err.print(f"error: no model named {model!r}; the models are: {', '.join(_model_names())}", markup=False)
        raise typer.Exit(2)
    wanted = [i.strip() for i in highlight.split(",") if i.strip()]
    suffix = out_path.suffix.lower() if out_path else ".svg"
    if suffix not in (".svg", ".png"):
        err.print(f"error: --out must end in .svg or .png, not {out_path.name!r}", markup=False)
        raise typer.Exit(2)
    try:
        unknown = sorted(set(wanted) - element_ids(source))
        if unknown:
            err.print(f"error: the model has no element {', '.join(unknown)} to highlight", markup=False)
            raise typer.Exit(2)
        if suffix == ".png":
            data = render_png(source, wanted)
        else:
            data = ('<?xml version="1.0" encoding="UTF-8"?>\n' + render_svg(source, wanted) + "\n").encode()
    except RenderError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc
    if out_path is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(data)
    err.print(f"{out_path}: {len(data)} bytes ({', '.join(wanted) or 'nothing'} highlighted)", markup=False)
