"""Read a scenario file: YAML to :class:`dccflow_app.scenarios.spec.ScenarioFile`, or every problem in it, one line
each, naming the file, the line and column, and the field path::

    my.yaml:14:9: timeline[3].at: "3 wrking days" is not a duration (write 0 or N minutes|hours|days|...)

Lines and columns count from 1; list positions in a path from 0 (``timeline[0]`` is the first step). The YAML is
composed into nodes first, so every value keeps its position; it is then checked by the pydantic models (shapes
and types) and by ``dccflow_app.scenarios.spec_checks`` (what needs the whole file). A file with a problem gives no
model: :class:`ScenarioFileError` carries the problems, sorted by position.
"""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from dccflow_app.scenarios.spec import EVENTS, PLANNED, PROCESSES, STEP_MODELS, ScenarioFile
from dccflow_app.scenarios.spec_checks import check

Path_ = tuple[str | int, ...]


class Problem(BaseModel, frozen=True):
    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file  # line 0: the whole file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioFileError(ValueError):
    """A file that is not a valid scenario; ``str()`` is its problems, one a line."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.line, p.column))
        super().__init__("\n".join(str(p) for p in self.problems))


def format_path(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _Positions:
    """Where each value (and each mapping key) of the composed YAML is: 1-based (line, column)."""

    def __init__(self) -> None:
        self.values: dict[Path_, tuple[int, int]] = {}
        self.keys: dict[Path_, tuple[int, int]] = {}

    def of(self, path: Path_, key: bool = False) -> tuple[int, int]:
        """The position of ``path``; of the nearest enclosing value that has one when it is absent (a missing
        field: the mapping that lacks it)."""
        for end in range(len(path), -1, -1):
            table = self.keys if key and end == len(path) else self.values
            if path[:end] in table:
                return table[path[:end]]
        return 1, 1


class _Syntax(Exception):
    def __init__(self, line: int, column: int, message: str, path: Path_ = ()):
        self.line, self.column, self.message, self.path = line, column, message, path


def _position(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


#: more values than any scenario needs: YAML aliases that expand without end ("billion laughs") stop here
MAX_VALUES = 100_000


def _build(node: yaml.Node, path: Path_, positions: _Positions, constructor: yaml.SafeLoader,
           within: frozenset[int] = frozenset()) -> Any:
    if len(positions.values) >= MAX_VALUES:
        raise _Syntax(*_position(node), f"more than {MAX_VALUES} values (aliases expanding without end?)")
    if id(node) in within:
        raise _Syntax(*_position(node), "an alias refers to a value it is part of", path)
    positions.values[path] = _position(node)
    within = within | {id(node)}
    if isinstance(node, yaml.MappingNode):
        data: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Syntax(*_position(key_node), "a key must be a plain word, not a list or mapping")
            key = constructor.construct_object(key_node)
            key = key if isinstance(key, str | int) else str(key)
            if key in data:
                raise _Syntax(*_position(key_node), "duplicate key (given twice in this mapping)", (*path, key))
            positions.keys[(*path, key)] = _position(key_node)
            data[key] = _build(value_node, (*path, key), positions, constructor, within)
        return data
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), positions, constructor, within) for i, item in enumerate(node.value)]
    return constructor.construct_object(node)


def parse_yaml(text: str, file: str) -> tuple[Any, _Positions]:
    """The YAML's data and the position of each value; YAML syntax errors as a :class:`ScenarioFileError`."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        positions = _Positions()
        data = None if node is None else _build(node, (), positions, yaml.SafeLoader(""))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        context = f" ({exc.context} at line {exc.context_mark.line + 1})" if exc.context and exc.context_mark else ""
        raise ScenarioFileError([Problem(file=file, line=line, column=column, path="",
                                         message=f"YAML syntax error: {exc.problem}{context}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioFileError([Problem(file=file, line=1, column=1, path="",
                                         message=f"YAML syntax error: {exc}")]) from None
    except _Syntax as exc:
        raise ScenarioFileError([Problem(file=file, line=exc.line, column=exc.column, path=format_path(exc.path),
                                         message=exc.message)]) from None
    return data, positions


def _shown(value: Any) -> str:
    """A value as the user wrote it: text in double quotes, YAML words for the rest."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


#: the tags of the timeline's step union (``spec.Step``): never keys of the data
_TAGS = ("process step", "event step")


def _data_path(data: Any, loc: tuple) -> tuple[Path_, bool]:
    """A pydantic error location as a path in the data: union tags dropped (they are not keys of the data), and
    whether the error is about a mapping key (``[key]``)."""
    path: list[str | int] = []
    node = data
    is_key = False
    for i, part in enumerate(loc):
        if part in _TAGS:
            continue
        if part == "[key]":
            is_key = True
            continue
        if isinstance(node, dict) and part in node or (
                isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)):
            path.append(part)
            node = node[part]
        elif i == len(loc) - 1:
            path.append(part)
            node = None
    return tuple(path), is_key


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model whose field ``loc`` ends in (``loc`` as pydantic gives it, union tags included)."""
    current: Any = ScenarioFile
    after_tag = False
    for part in loc[:-1]:
        if after_tag and part in STEP_MODELS:  # the tag of a process or an event: the step's model
            current, after_tag = STEP_MODELS[part], False
            continue
        if part in _TAGS:
            after_tag = True
            continue
        while True:  # unwrap Annotated, Optional, list, dict
            origin = get_origin(current)
            if origin is Annotated:
                current = get_args(current)[0]
            elif origin in (Union, types.UnionType):
                current = next((a for a in get_args(current) if a is not type(None)), None)
            else:
                break
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for n, f in current.model_fields.items() if part in (n, f.alias)), None)
            current = field.annotation if field else None
        elif get_origin(current) is list and isinstance(part, int):
            current = get_args(current)[0]
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            return None
        while get_origin(current) in (Annotated, Union, types.UnionType):
            args = [a for a in get_args(current) if a is not type(None)]
            current = args[0]
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _fields_here(loc: tuple) -> str:
    model = _model_at(loc)
    if model is None:
        return ""
    names = [f.alias or n for n, f in model.model_fields.items()]
    return f" (fields here: {', '.join(names)})" if names else " (this takes no fields)"


def _known(names) -> str:
    return ", ".join(names)


def _message(error: dict[str, Any], path: Path_) -> tuple[Path_, str, bool]:
    """(path, message, about the key) for one pydantic error."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "union_tag_invalid" and ctx.get("discriminator") == "'process'":
        name = ctx.get("tag")
        if name in PLANNED:
            info = PLANNED[name]
            return (*path, "process"), (f'"{name}" ({info.title}, {info.bad}) is not available yet (processes: '
                                        f'{_known(PROCESSES)})'), False
        return (*path, "process"), f'"{name}" is not a process (processes: {_known(PROCESSES)})', False
    if kind == "union_tag_invalid" and ctx.get("discriminator") == "'event'":
        return (*path, "event"), f'"{ctx.get("tag")}" is not an event (events: {_known(EVENTS)})', False
    if kind == "step_kind":
        if not isinstance(value, dict):
            return path, f"{_shown(value)} is not a step (a mapping with at:, and process: or event:)", False
        return path, str(error["msg"]), False
    if kind == "missing":
        return path, "missing (required)", False
    if kind == "extra_forbidden":
        return path, f"unknown field{_fields_here(error['loc'])}", True
    if kind == "value_error":
        return path, str(ctx.get("error", error["msg"])), False
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return path, f"{_shown(value)} is not a whole number", False
    if kind in ("float_type", "float_parsing"):
        return path, f"{_shown(value)} is not a number", False
    if kind == "string_type":
        return path, f"{_shown(value)} is not text", False
    if kind in ("bool_type", "bool_parsing"):
        return path, f"{_shown(value)} is not true or false", False
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return path, f"{_shown(value)} is not a mapping (write key: value lines)", False
    if kind == "list_type":
        return path, f"{_shown(value)} is not a list (write '- item' lines)", False
    if kind == "literal_error":
        return path, f"{_shown(value)} is not one of: {ctx.get('expected', '')}", False
    if kind == "string_pattern_mismatch":
        return path, f"{_shown(value)} is not written as expected ({ctx.get('pattern')})", False
    if kind == "less_than_equal":
        return path, f"{_shown(value)} is more than {_shown(ctx.get('le'))}", False
    if kind == "greater_than_equal":
        return path, f"{_shown(value)} is less than {_shown(ctx.get('ge'))}", False
    if kind == "too_short" and isinstance(value, list | dict):
        return path, "is empty", False
    return path, f"{_shown(value)}: {error['msg']}", False


def load_text(text: str, file: str = "<scenario>") -> ScenarioFile:
    """The scenario in ``text`` (YAML), or :class:`ScenarioFileError` with every problem found."""
    data, positions = parse_yaml(text, file)

    def problem(path: Path_, message: str, key: bool = False) -> Problem:
        line, column = positions.of(path, key=key)
        return Problem(file=file, line=line, column=column, path=format_path(path), message=message)

    if not isinstance(data, dict):
        raise ScenarioFileError([problem((), "a scenario file is a mapping (name:, description:, premises:, "
                                              "timeline:, expect:)")])
    try:
        model = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            path, is_key = _data_path(data, error["loc"])
            path, message, key = _message(error, path)
            problems.append(problem(path, message, key or is_key))
        raise ScenarioFileError(problems) from None
    problems = [problem(path, message, key) for path, message, key in check(model, data)]
    if problems:
        raise ScenarioFileError(problems)
    return model


def load_file(path: str | Path) -> ScenarioFile:
    """The scenario in the file ``path``; its problems name the file as given."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ScenarioFileError([Problem(file=str(path), line=0, column=0, path="",
                                         message=f"cannot read the file: {reason}")]) from None
    return load_text(text, str(path))


#: the built-in scenarios, one file each (``dccflow run NAME`` finds ``NAME.yaml`` here)
LIBRARY = Path(__file__).with_name("library")


def library() -> dict[str, ScenarioFile]:
    """Every built-in scenario by name (its file's stem is its name; a file that disagrees is a problem)."""
    scenarios: dict[str, ScenarioFile] = {}
    for path in sorted(LIBRARY.glob("*.yaml"), key=lambda p: p.stem):  # by name ("a-b" after "a")
        spec = load_file(path)
        if spec.name != path.stem:
            raise ScenarioFileError([Problem(file=str(path), line=0, column=0, path="",
                                             message=f"name {spec.name!r} differs from the file's name")])
        scenarios[spec.name] = spec
    return scenarios
