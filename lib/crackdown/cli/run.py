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
        "notebooks to outputs/notebooks/, results to outputs/results/ and the report's site to outputs/html/ "
        "(entry point outputs/html/index.html). A notebook whose notebook file, parameters, data, library code "
        "and upstream results are unchanged is not executed again: its last outputs are kept (--force executes "
        "everything). A run whose parameters differ from the report's profile (full) writes under "
        "outputs/scratch/<notebook>-<hash>/ and leaves the report alone (--publish puts it in the report).",
    )
    runner.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="notebook names (default: all)")
    runner.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="set a parameter (value read as YAML: 3, 0.5, true, [a, b]); repeatable")
    runner.add_argument("-f", "--parameters-file", type=Path, metavar="PARAMS.yaml",
                        help="YAML mapping of parameters, or of notebook name to parameters")
    runner.add_argument("--profile", default=notebooks.REPORT_PROFILE,
                        help=f"parameter profile: ci (small, fast) or {notebooks.REPORT_PROFILE} (the report's, default)")
    runner.add_argument("--force", action="store_true",
                        help="execute every selected notebook, even those whose outputs are up to date")
    runner.add_argument("--publish", action="store_true",
                        help="publish to the report even when the parameters differ from the report's profile "
                        "(default: such runs go to outputs/scratch/)")
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
    from crackdown.runner.pool import SiteBuildError

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
    scratch = set() if args.publish else {
        spec.name for spec in selected
        if not notebooks.same_values(spec, resolved[spec.name], notebooks.resolve_parameters(spec, notebooks.REPORT_PROFILE))
    }
    site_error = ""
    try:
        results = run_notebooks(selected, resolved, list(specs.values()), jobs=args.jobs, timeout=timeout,
                                progress=not args.no_progress, scratch=scratch, force=args.force)
    except SiteBuildError as exc:
        results, site_error = exc.results, str(exc)
    failed = [r for r in results if r.status != "ok"]
    for r in results:
        if r.reused:
            print(f"reused  {r.name}  (unchanged; outputs of a {r.duration_s:.1f} s run kept)")
        else:
            where = f"  -> {r.scratch}/" if r.scratch else ""
            print(f"{r.status:>6}  {r.name}  ({r.duration_s:.1f} s){where}")
    for r in failed:
        print(f"crackdown: error: {r.error}", file=sys.stderr)
        kept = f"{r.scratch}/{r.name}.failed.ipynb" if r.scratch else f"outputs/failed/{r.name}.ipynb"
        print(f"    partially executed notebook kept at {kept}", file=sys.stderr)
    if site_error:
        print(f"crackdown: error: {site_error}", file=sys.stderr)
    print(summary_line(results))
    return 1 if failed or site_error else 0


def summary_line(results: list) -> str:
    """The run in one line: where the report is, what was executed, reused, sent to scratch, failed."""
    reused = [r.name for r in results if r.reused]
    scratch = [r.name for r in results if r.scratch]
    failed = [r.name for r in results if r.status != "ok"]
    executed = len(results) - len(reused)
    parts = [f"{executed} executed"]
    parts.append(f"{len(reused)} reused ({', '.join(reused)})" if reused else "0 reused")
    if scratch:
        parts.append(f"{len(scratch)} one-off in outputs/scratch/ ({', '.join(scratch)}; the report is unchanged)")
    if failed:
        parts.append(f"{len(failed)} of {len(results)} failed ({', '.join(failed)})")
    if len(scratch) == len(results):
        return "one-off run: " + "; ".join(parts)
    index = paths.relative_to_root(paths.outputs_dir() / "html" / "index.html")
    return f"report: {index}: " + "; ".join(parts)


def whole_seconds(name: str, value: float) -> int:
    """A positive, finite, whole number of seconds (papermill's cell timeout is an integer)."""
    seconds = params.number(name, value)
    if seconds <= 0:
        raise CrackdownError(f"{name}: must be positive seconds, got {value:g}")
    if not seconds.is_integer():
        raise CrackdownError(f"{name}: expected whole seconds, got {value:g}")
    return int(seconds)
