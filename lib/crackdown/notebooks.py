"""What the project's notebooks declare: their question, order, parameters, and the profiles that set them.

A notebook declares, in its metadata under ``crackdown``, the ``question`` it answers and the notebooks it must
run ``after`` (the summary reads the others' results). Its parameters are the plain literals of the one cell
tagged ``parameters`` (papermill's convention). Profiles are YAML files ``profiles/<profile>/<notebook>.yaml``.
"""

from __future__ import annotations

import ast
import datetime
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import yaml
from papermill.translators import PythonTranslator

from crackdown import params, paths
from crackdown.errors import CrackdownError, ParameterError, unknown_name_error

PROFILES = ("ci", "full")
REPORT_PROFILE = "full"  # the profile of the published report; runs with other values go to outputs/scratch/
MAX_VALUE_NODES = 10_000  # values a parameter may hold in all (lists and mappings included)
ALLOWED_VALUES = "text, numbers, true/false, null, lists and mappings with text keys"


@dataclass(frozen=True)
class RefusedYaml:
    """What the parameter loader builds for a YAML tag that parameters may not hold (``!!set``, ``!!binary``...)."""

    tag: str


class ParameterLoader(yaml.SafeLoader):
    """YAML for parameters: JSON-like values only.

    Unquoted dates stay text (date parameters are strings). Sets, ordered maps, pairs, binary, timestamps and
    unknown tags become :class:`RefusedYaml` markers, which :func:`check_safe_value` refuses naming the
    parameter, so no YAML tag ever builds an object papermill would write into the notebook's code.
    """


ParameterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag in ("set", "omap", "pairs", "binary", "timestamp"):
    ParameterLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", lambda loader, node: RefusedYaml(node.tag))
ParameterLoader.add_constructor(None, lambda loader, node: RefusedYaml(node.tag))


def load_yaml(text: str):
    """``text`` parsed with :class:`ParameterLoader` (raises ``yaml.YAMLError``)."""
    return yaml.load(text, Loader=ParameterLoader)  # noqa: S506 - a SafeLoader subclass with fewer types


def _describe(value) -> str:
    if isinstance(value, RefusedYaml):
        return f"a YAML {value.tag.replace('tag:yaml.org,2002:', '!!')} value"
    kind = type(value)
    module = "" if kind.__module__ == "builtins" else f"{kind.__module__}."
    return f"a value of type {module}{kind.__qualname__}"


def check_safe_value(name: str, value, origin: str) -> None:
    """Refuse anything but str, int, finite float, bool, None, lists and str-keyed dicts, at every depth.

    papermill writes parameter values into the notebook as Python source, and anything else (a set, a YAML tag,
    an object) would reach its translator unescaped: its text would run as code. Errors name the parameter,
    where inside the value, and the type.
    """
    stack: list[tuple[object, str, frozenset[int]]] = [(value, name, frozenset())]
    seen = 0
    while stack:
        item, where, parents = stack.pop()
        seen += 1
        if seen > MAX_VALUE_NODES:
            raise ParameterError(f"{origin}: parameter {name!r} holds more than {MAX_VALUE_NODES} values; too large")
        kind = type(item)
        if item is None or kind in (str, bool, int):
            continue
        if kind is float:
            if not math.isfinite(item):
                raise ParameterError(f"{origin}: parameter {name!r}: {where} is {item!r}, not a finite number")
            continue
        if kind in (list, dict):
            if id(item) in parents:
                raise ParameterError(f"{origin}: parameter {name!r}: {where} contains itself (a YAML alias loop)")
            inner = parents | {id(item)}
            if kind is list:
                stack.extend((v, f"{where}[{i}]", inner) for i, v in enumerate(item))
                continue
            for key, v in item.items():
                if type(key) is not str:
                    raise ParameterError(f"{origin}: parameter {name!r}: {where} has a key {key!r} that is not "
                                         f"text ({_describe(key)}); mappings need text keys")
                stack.append((v, f"{where}[{key!r}]", inner))
            continue
        raise ParameterError(f"{origin}: parameter {name!r}: {where} is {_describe(item)}, which parameters may "
                             f"not hold; allowed: {ALLOWED_VALUES}")


@dataclass(frozen=True)
class Parameter:
    """One notebook parameter: its name, default value and the type a new value must have."""

    name: str
    default: Any
    type_name: str
    help: str = ""


@dataclass(frozen=True)
class NotebookSpec:
    """A notebook of the report and what it declares."""

    name: str
    path: Path
    question: str
    after: tuple[str, ...]
    parameters: dict[str, Parameter] = field(default_factory=dict)


def _type_name(value: Any) -> str:
    return "any" if value is None else type(value).__name__


def _assigned_names(source: str) -> list[str]:
    """Names assigned at the top level of a parameters cell."""
    return [t.id for node in ast.parse(source).body if isinstance(node, (ast.Assign, ast.AnnAssign))
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)]


def read_parameters(path: Path, cell: nbformat.NotebookNode) -> dict[str, Parameter]:
    """Parameters of the notebook at ``path`` from its ``parameters`` cell (literal defaults only).

    Read with papermill's Python translator directly, so a notebook whose metadata names no kernel still
    works (the runner always uses the project's own kernel). Every name the cell assigns must be readable by
    papermill (which, for example, cannot read a line whose comment holds an ``=``); otherwise the parameter
    would silently be impossible to set.
    """
    try:
        assigned = _assigned_names(cell.source)
    except SyntaxError as exc:
        raise CrackdownError(f"{path.name}: the parameters cell is not valid Python: {exc}") from exc
    inspected = {p.name: p._asdict() for p in PythonTranslator.inspect(cell)}
    unreadable = [n for n in assigned if n not in inspected]
    if unreadable:
        raise CrackdownError(
            f"{path.name}: papermill cannot read the parameter line(s) for {', '.join(unreadable)} "
            "(keep one plain literal per line; a comment must not contain '=')"
        )
    parameters = {}
    for name, info in inspected.items():
        try:
            default = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError) as exc:
            raise CrackdownError(
                f"{path.name}: parameter {name!r} must default to a plain literal, got {info['default']!r}"
            ) from exc
        parameters[name] = Parameter(name, default, _type_name(default), info.get("help") or "")
    return parameters


def read_spec(path: Path) -> NotebookSpec:
    """The declared question, order and parameters of one notebook."""
    nb = nbformat.read(path, as_version=4)
    meta = nb.metadata.get("crackdown", {})
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise CrackdownError(f"{path.name}: expected exactly one cell tagged 'parameters', found {len(tagged)}")
    return NotebookSpec(
        name=path.stem,
        path=path,
        question=str(meta.get("question", "")),
        after=tuple(meta.get("after", ())),
        parameters=read_parameters(path, tagged[0]),
    )


def discover(directory: Path | None = None) -> dict[str, NotebookSpec]:
    """Every notebook of the report, by name, in file-name order."""
    directory = directory or paths.notebooks_dir()
    specs = {p.stem: read_spec(p) for p in sorted(directory.glob("*.ipynb"))}
    for spec in specs.values():
        for dependency in spec.after:
            if dependency not in specs:
                raise unknown_name_error("notebook", dependency, specs, parameter=f"{spec.name} metadata 'after'")
    return specs


def select(specs: dict[str, NotebookSpec], names: list[str] | None) -> list[NotebookSpec]:
    """The notebooks named (by stem or file name), or all of them."""
    if not names:
        return list(specs.values())
    chosen = []
    for name in names:
        stem = Path(name).stem
        if stem not in specs:
            raise unknown_name_error("notebook", name, specs, parameter="NOTEBOOK")
        chosen.append(specs[stem])
    return chosen


def check_value(spec: NotebookSpec, name: str, value: Any, origin: str) -> Any:
    """``value`` if it is valid for parameter ``name`` of ``spec``; a clear error otherwise.

    Unknown names are errors listing the valid ones (papermill itself only warns); values must be safe to inject
    (:func:`check_safe_value`) and have the type of the default (an int is accepted where the default is a float;
    None as a default accepts any safe value).
    """
    if name not in spec.parameters:
        valid = ", ".join(spec.parameters) or "(none)"
        raise CrackdownError(f"{origin}: unknown parameter {name!r} for {spec.name}; valid parameters: {valid}")
    expected = spec.parameters[name].default
    if isinstance(expected, str) and type(value) in (datetime.date, datetime.datetime):
        value = value.isoformat()  # a date read by another YAML loader; date parameters are strings
    check_safe_value(name, value, origin)
    if expected is None:
        return value
    ok = isinstance(value, type(expected)) and not (isinstance(value, bool) and not isinstance(expected, bool))
    if isinstance(expected, float) and params.is_integer(value):
        ok, value = True, float(value)
    if not ok:
        raise CrackdownError(
            f"{origin}: parameter {name!r} of {spec.name} must be {type(expected).__name__} "
            f"(default {expected!r}), got {type(value).__name__} {value!r}"
        )
    problem = _element_problem(expected, value, name)
    if problem:
        raise ParameterError(f"{origin}: parameter {name!r} of {spec.name}: {problem} (default {expected!r})")
    return value


def _element_problem(expected: Any, value: Any, where: str) -> str:
    """Why ``value``'s elements do not match those of the default ``expected`` ('' when they do).

    Where every element of a default list (or every value of a default mapping) has one type, a new value's
    elements must have it too (an int where a float is expected is fine), and nested lists the same length: a
    window ``[0.5, 1]`` or ``[-250, -11, 3]`` is refused here, before a notebook could truncate it.
    """
    if isinstance(expected, list) and expected and isinstance(value, list):
        items, protos = list(enumerate(value)), expected
    elif isinstance(expected, dict) and expected and isinstance(value, dict):
        items, protos = list(value.items()), list(expected.values())
    else:
        return ""
    kinds = {type(p) for p in protos}
    if len(kinds) != 1:
        return ""
    proto = protos[0]
    lengths = {len(p) for p in protos} if isinstance(proto, list) else set()
    for key, item in items:
        here = f"{where}[{key!r}]"
        if type(proto) is float:
            ok = params.is_number(item)
        elif type(proto) is int:
            ok = params.is_integer(item)
        else:
            ok = type(item) is type(proto)
        if not ok:
            return f"{here} must be {type(proto).__name__} like the default's, got {type(item).__name__} {item!r}"
        if len(lengths) == 1 and len(item) not in lengths:
            return f"{here} must hold {next(iter(lengths))} values like the default's, got {item!r}"
        problem = _element_problem(proto, item, here)
        if problem:
            return problem
    return ""


def parse_cli_value(text: str) -> Any:
    """A ``-p NAME VALUE`` value as YAML (so ``3`` is an int, ``[a, b]`` a list), like papermill's CLI."""
    try:
        return load_yaml(text)
    except yaml.YAMLError:
        return text


def load_profile(profile: str, notebook: str, directory: Path | None = None) -> dict[str, Any]:
    """Parameters a profile sets for one notebook (empty if the profile has no file for it)."""
    if profile not in PROFILES:
        raise CrackdownError(f"--profile: unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
    path = (directory or paths.profiles_dir()) / profile / f"{notebook}.yaml"
    if not path.exists():
        return {}
    return _read_yaml_mapping(path)


def read_yaml_file(path: Path, what: str = "parameter file"):
    """A YAML file read with :class:`ParameterLoader`; clear errors for a folder, unreadable or non-UTF-8 file."""
    shown = paths.relative_to_root(path) if path.is_absolute() else path.as_posix()
    if not path.exists():
        raise CrackdownError(f"{shown}: {what} does not exist")
    if not path.is_file():
        raise CrackdownError(f"{shown}: {what} is a folder, not a file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CrackdownError(f"{shown}: {what} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise CrackdownError(f"{shown}: cannot read the {what} ({exc.strerror})") from None
    try:
        return load_yaml(text)
    except yaml.YAMLError as exc:
        raise CrackdownError(f"{shown}: not valid YAML: {exc}") from None
    except RecursionError:
        raise CrackdownError(f"{shown}: not valid YAML: nested too deeply") from None


def _read_yaml_mapping(path: Path) -> dict[str, Any]:
    content = read_yaml_file(path) or {}
    if type(content) is not dict:
        raise CrackdownError(f"{paths.relative_to_root(path)}: expected a mapping of parameter names to values")
    return content


def load_params_file(path: Path, names: list[str]) -> dict[str, dict[str, Any]]:
    """A ``-f PARAMS.yaml`` file: either one mapping for every notebook, or a mapping per notebook name."""
    if not path.exists():
        raise CrackdownError(f"-f: parameter file {path} does not exist")
    if not path.is_file():
        raise CrackdownError(f"-f: {path} is a folder, not a parameter file")
    content = _read_yaml_mapping(path)
    if content and all(type(v) is dict for v in content.values()) and set(content) <= set(names) | {
        Path(n).stem for n in names
    }:
        return {Path(k).stem: v for k, v in content.items()}
    return {name: dict(content) for name in names}


def resolve_parameters(
    spec: NotebookSpec,
    profile: str,
    file_params: dict[str, Any] | None = None,
    cli_params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The parameters a run injects: profile, then ``-f`` file, then ``-p`` values, each checked."""
    resolved: dict[str, Any] = {}
    layers = [
        (load_profile(profile, spec.name), f"profiles/{profile}/{spec.name}.yaml"),
        (file_params or {}, "-f"),
        (cli_params or {}, "-p"),
    ]
    for layer, origin in layers:
        for name, value in layer.items():
            resolved[name] = check_value(spec, name, value, origin)
    return resolved


def effective_values(spec: NotebookSpec, parameters: dict[str, Any]) -> dict[str, Any]:
    """The values a run of ``spec`` uses: its defaults overlaid with the injected ``parameters``."""
    return {**{name: p.default for name, p in spec.parameters.items()}, **parameters}


def same_values(spec: NotebookSpec, a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether injecting ``a`` or ``b`` runs ``spec`` with the same values (``1`` and ``1.0`` are the same)."""
    return effective_values(spec, a) == effective_values(spec, b)


def run_order(specs: list[NotebookSpec]) -> list[NotebookSpec]:
    """``specs`` ordered so that each comes after those it declares (restricted to the selection)."""
    by_name = {s.name: s for s in specs}
    ordered: list[NotebookSpec] = []
    state: dict[str, str] = {}

    def visit(spec: NotebookSpec) -> None:
        if state.get(spec.name) == "done":
            return
        if state.get(spec.name) == "visiting":
            raise CrackdownError(f"{spec.name}: notebooks declare a cycle in their 'after' metadata")
        state[spec.name] = "visiting"
        for dependency in spec.after:
            if dependency in by_name:
                visit(by_name[dependency])
        state[spec.name] = "done"
        ordered.append(spec)

    for spec in specs:
        visit(spec)
    return ordered
