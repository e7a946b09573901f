"""What makes passing the workflow modules through Temporal's sandbox safe (``dccflow_app.workflow_sandbox``), checked
on the source: with the modules passed through, the sandbox's run-time proxies (``datetime``, ``random``…) no longer
wrap what they import, so a wall-clock read, randomness or I/O in workflow code would not be caught at run time.
This reads every passed-through module (AST) for those calls and for mutable module-level state."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from dccflow_app.runtime import WORKFLOWS
from dccflow_app.workflow_sandbox import passthrough_modules

#: calls a workflow must make through ``workflow.*`` instead (``workflow.now()``, ``workflow.random()``,
#: ``workflow.uuid4()``, ``workflow.sleep()``), or not at all
FORBIDDEN_CALLS = {
    "datetime.now", "datetime.utcnow", "datetime.today", "date.today", "time.time", "time.monotonic",
    "time.perf_counter", "time.sleep", "asyncio.sleep", "uuid.uuid1", "uuid.uuid4", "uuid4", "uuid1",
    "os.getenv", "os.urandom", "secrets.token_hex", "secrets.token_bytes", "open", "input",
}
FORBIDDEN_MODULES = {"random", "secrets", "socket", "subprocess", "requests", "httpx", "sqlite3", "sqlmodel",
                     "sqlalchemy"}
#: module-level values that can be changed in place (shared by every run once passed through)
MUTABLE = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _is_workflow_class(node: ast.AST) -> bool:
    return isinstance(node, ast.ClassDef) and any(
        _dotted(d.func if isinstance(d, ast.Call) else d) == "workflow.defn" for d in node.decorator_list)


def _problems(path: Path) -> list[str]:
    """In the workflow classes (``@workflow.defn``; a module may also hold activities, which may do I/O): calls
    and imports a workflow must not make; at module level: mutable values."""
    tree = ast.parse(path.read_text(), str(path))
    found: list[str] = []
    workflow_code = [n for c in ast.walk(tree) if _is_workflow_class(c) for n in ast.walk(c)]
    for node in workflow_code:
        where = f"{path.name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name in FORBIDDEN_CALLS or name.removeprefix("datetime.") in {"datetime.now", "datetime.utcnow"}:
                found.append(f"{where}: calls {name}()")
            if name.startswith("os.environ") or name.startswith("random."):
                found.append(f"{where}: calls {name}()")
        elif isinstance(node, ast.Attribute) and _dotted(node) == "os.environ":
            found.append(f"{where}: reads os.environ")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"{where}: imports {n}" for n in names if n.split(".")[0] in FORBIDDEN_MODULES]
    for node in tree.body:  # module level only
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        value = getattr(node, "value", None)
        if targets and isinstance(value, MUTABLE) and _dotted(targets[0]) != "__all__":
            names = ", ".join(_dotted(t) for t in targets)
            found.append(f"{path.name}:{node.lineno}: module-level mutable value {names} "
                         "(shared by every run once passed through: use a tuple, frozenset or MappingProxyType)")
    return found


MODULES = passthrough_modules(cls for classes in WORKFLOWS.values() for cls in classes)


def test_the_passed_through_modules_are_the_workflow_modules():
    # a guard for the check below: it passes vacuously on an empty list
    assert "workflows.install_commission" in MODULES and len(MODULES) >= 15


@pytest.mark.parametrize("module", MODULES)
def test_a_passed_through_workflow_module_has_no_clock_randomness_io_or_mutable_globals(module):
    path = Path(importlib.util.find_spec(module).origin)
    assert _problems(path) == []


def test_the_check_finds_what_it_looks_for(tmp_path):
    bad = tmp_path / "bad_workflow.py"
    bad.write_text("from datetime import datetime\nfrom temporalio import workflow\nSEEN = []\n"
                   "@workflow.defn\nclass W:\n    def f(self):\n        import random\n"
                   "        return datetime.now(), random.random(), os.environ['X']\n"
                   "def activity_side():\n    return datetime.now()\n")
    found = _problems(bad)
    assert any("imports random" in p for p in found)
    assert any("datetime.now" in p for p in found)
    assert any("os.environ" in p for p in found)
    assert any("mutable value SEEN" in p for p in found)
    assert len([p for p in found if "datetime.now" in p]) == 1  # the activity side may read the clock
