"""``crackdown list`` and ``crackdown run``: the report's notebooks, their parameters, and running them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crackdown import notebooks, params, paths
from crackdown.errors import CrackdownError


def register(subparsers: argparse._SubParsersAction) -> None:
    lister = subparsers.add_parser("list", help="list the notebooks with their parameters, types and defaults")
    lister.set_defaults(func=list_command)

    runner = subparsers.add_parser(
        "run",
        help="run notebooks headlessly and export the HTML report",
        description="Execute notebooks with papermill (each in its own kernel, in parallel), write executed "
        "notebooks to outputs/notebooks/, HTML to outputs/html/ and the index outputs/html/index.html.",
    )
    runner.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="notebook names (default: all)")
    runner.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="set a parameter (value read as YAML: 3, 0.5, true, [a, b]); repeatable")
    runner.add_argument("-f", "--parameters-file", type=Path, metavar="PARAMS.yaml",
                        help="YAML mapping of parameters, or of notebook name to parameters")
    runner.add_argument("--profile", default="full", help="parameter profile: ci (small, fast) or full (default)")
    runner.add_argument("--jobs", type=int, default=None, help="notebooks run at once (default: number of CPUs)")
    runner.add_argument("--timeout", type=float, default=None,
                        help="whole seconds a single cell may run (default: no limit)")
    runner.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
    runner.set_defaults(func=run_command)


def list_command(args: argparse.Namespace) -> int:
    for spec in notebooks.discover().values():
        print(f"{spec.name}: {spec.question}")
        if spec.after:
            print(f"    runs after: {', '.join(spec.after)}")
        for p in spec.parameters.values():
            print(f"    {p.name}: {p.type_name} = {p.default!r}" + (f"  # {p.help}" if p.help else ""))
    return 0


def run_command(args: argparse.Namespace) -> int:
    from crackdown.runner import run_notebooks

    if args.jobs is not None and args.jobs < 1:
        raise CrackdownError(f"--jobs: must be at least 1, got {args.jobs}")
    timeout = None if args.timeout is None else whole_seconds("--timeout", args.timeout)
    if args.profile not in notebooks.PROFILES:
        raise CrackdownError(f"--profile: unknown profile {args.profile!r}; expected one of {', '.join(notebooks.PROFILES)}")
    specs = notebooks.discover()
    selected = notebooks.select(specs, args.notebooks)
    names = [s.name for s in selected]
    file_params = notebooks.load_params_file(args.parameters_file, names) if args.parameters_file else {}
    cli_params = {name: notebooks.parse_cli_value(value) for name, value in args.parameter}
    resolved = {
        spec.name: notebooks.resolve_parameters(spec, args.profile, file_params.get(spec.name), cli_params)
        for spec in selected
    }
    results = run_notebooks(selected, resolved, list(specs.values()), jobs=args.jobs, timeout=timeout,
                            progress=not args.no_progress)
    failed = [r for r in results if r.status != "ok"]
    for r in results:
        print(f"{r.status:>6}  {r.name}  ({r.duration_s:.1f} s)")
    for r in failed:
        print(f"crackdown: error: {r.error}", file=sys.stderr)
        print(f"    partially executed notebook kept at outputs/failed/{r.name}.ipynb", file=sys.stderr)
    index = paths.relative_to_root(paths.outputs_dir() / "html" / "index.html")
    print(f"report: {index}" + (f" ({len(failed)} of {len(results)} notebooks failed)" if failed else ""))
    return 1 if failed else 0


def whole_seconds(name: str, value: float) -> int:
    """A positive, finite, whole number of seconds (papermill's cell timeout is an integer)."""
    seconds = params.number(name, value)
    if seconds <= 0:
        raise CrackdownError(f"{name}: must be positive seconds, got {value:g}")
    if not seconds.is_integer():
        raise CrackdownError(f"{name}: expected whole seconds, got {value:g}")
    return int(seconds)
