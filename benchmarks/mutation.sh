#!/usr/bin/env bash
# Mutation testing of the statistics modules (not run in CI: minutes of CPU). Result: MUTATION.md.
#
#   benchmarks/mutation.sh [MODULE ...]        default MODULE: eventstudy
#
# Runs mutmut (3.x) in a scratch copy of lib/ and of the tests that check MODULE, so the worktree is never touched:
#   MUTMUT=/path/to/mutmut     mutmut executable (default: mutmut on PATH). `make mutation` sets it up in its own
#                              venv (.venv-mutation, mutmut 3.8.1, seeing the project's packages through a .pth
#                              file) so the project's pinned environment stays untouched.
#   MUTATION_DIR=DIR           scratch folder (default $TMPDIR/crackdown-mutation-$MODULE); deleted and re-created
#   MUTATION_CHILDREN=1        parallel mutant workers (default 1: the machine is shared)
#   MUTATION_FUNCTIONS="..."   mutmut name globs to run (default: the statistics functions listed in functions_for;
#                              "all" for every function of the module: ~2700 mutants for eventstudy, ~25 min)
#   MUTATION_KEEP=1            resume in an existing scratch folder: copy the current test files in, mark the
#                              survivors (and mutants no test reached) of the selection unchecked and run them (killed ones stay killed: adding
#                              tests cannot revive them; kept in killed_before.txt, since mutmut forgets them when
#                              the test selection grows). Use it after writing tests for survivors.
# Each module is mutated against its own test files only (TESTS below); the run is niced. Prints mutmut's
# per-mutant results (killed / survived / timeout) and the score; `mutmut show NAME` in the scratch folder
# shows a mutant's diff.
set -euo pipefail
set -f  # mutant name globs are for mutmut, never for the shell

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MUTMUT="${MUTMUT:-mutmut}"
CHILDREN="${MUTATION_CHILDREN:-1}"

tests_for() {
  case "$1" in
    eventstudy) echo "tests/test_eventstudy.py tests/test_statistics_independent.py" ;;
    outcomes) echo "tests/test_outcomes.py tests/test_answers_independent.py" ;;
    reaction) echo "tests/test_reaction.py tests/test_answers_independent.py tests/test_reaction_statistics.py" ;;
    inference) echo "tests/test_inference.py tests/test_answers_independent.py" ;;
    pairlevel) echo "tests/test_pairlevel.py" ;;
    cumulate) echo "tests/test_cumulate.py" ;;
    placebo) echo "tests/test_placebo.py" ;;
    returns) echo "tests/test_returns.py tests/test_cumulate.py" ;;
    *) echo "unknown module $1 (eventstudy, outcomes, reaction, inference, pairlevel, cumulate, placebo, returns)" >&2
       exit 2 ;;
  esac
}

# The statistics: test battery, standardisation, CARs, long-short, ranks (not panel building, pair mapping, error
# messages or the placebo's date sampling, which are tested by test_eventstudy.py but cost minutes to mutate).
functions_for() {
  case "$1" in
    eventstudy)
      for f in _group_tests _portfolio _avg_cross_correlation _block_stats _estimation_stats _rank_rows \
               _sar_matrix _car_arrays caar_tests long_short; do
        echo "crackdown.eventstudy.x_${f}__mutmut_*"
      done ;;
    outcomes)
      for f in fisher_aligned_listed _ranks _row_pearson spearman_permutation enforcement_verdict \
               _ipo_findings ipo_record ipo_narrative; do
        echo "crackdown.outcomes.x_${f}__mutmut_*"
      done ;;
    reaction)
      for f in long_short_pooled _ls_stat long_short_statistic leave_one_out headline answer; do
        echo "crackdown.reaction.x_${f}__mutmut_*"
      done ;;
    inference)  # every test and its inputs (not the column check _require or Inference.as_dict)
      for f in _from_estimate _one_sample _legs _group_cars pairs_test event_values events_test event_clusters \
               clusters_test newey_west_lags calendar_time_series calendar_time_test _unit_deviations \
               kolari_pynnonen inputs_from_event_study side_by_side most_conservative within_strata_inputs; do
        echo "crackdown.inference.x_${f}__mutmut_*"
      done ;;
    pairlevel)  # the pair frame, the sanctions 2x2 and the two-way clustered regression (not records or prose)
      for f in pair_frame sanctions_table design two_way_regression psd_truncate; do
        echo "crackdown.pairlevel.x_${f}__mutmut_*"
      done ;;
    cumulate)  # the whole module: CARs, compounded returns and BHARs with their missing-day rules
      for f in _check _available car compounded bhar log_car_to_simple; do
        echo "crackdown.cumulate.x_${f}__mutmut_*"
      done ;;
    placebo)  # the dates kept away from events and the placebo p-values (not the draws or panel helpers)
      for f in away_from_events with_avoided monte_carlo_p placebo_p_values; do
        echo "crackdown.placebo.x_${f}__mutmut_*"
      done ;;
    returns)  # returns across gaps and the benchmark / expected returns over the same spans (the whole module)
      for f in _check_choice _ratio_to_return _span_arrays gap_returns gap_returns_by_exchange benchmark_over_spans \
               compound_over_spans expected_over_spans; do
        echo "crackdown.returns.x_${f}__mutmut_*"
      done ;;
  esac
}

write_config() {  # module, test files: mutmut's configuration on stdout
  local module="$1" tests="$2"
  echo "[mutmut]"
  echo "source_paths = src"
  echo "only_mutate = src/crackdown/$module.py"
  echo "use_git_change_detection = false"
  echo "pytest_add_cli_args_test_selection ="
  for t in $tests; do echo "    $t"; done
  echo "pytest_add_cli_args ="
  echo "    -p no:cacheprovider"
  echo "    -q"
}

run_one() {
  local module="$1"
  local work="${MUTATION_DIR:-${TMPDIR:-/tmp}/crackdown-mutation-$module}"
  local tests
  tests="$(tests_for "$module")"
  local names
  if [ "${MUTATION_FUNCTIONS:-}" = "all" ]; then names=""; else names="${MUTATION_FUNCTIONS:-$(functions_for "$module")}"; fi
  if [ "${MUTATION_KEEP:-0}" = "1" ] && [ -d "$work/mutants" ]; then
    for t in $tests; do cp "$ROOT/$t" "$work/tests/"; cp "$ROOT/$t" "$work/mutants/tests/"; done
    # mutants killed so far stay killed (adding tests cannot revive them), even where mutmut forgets their result
    # because the test selection changed
    cat "$work/killed_before.txt" "$work/results.txt" 2>/dev/null | grep ": killed$" | sort -u > "$work/killed.tmp" || true
    mv "$work/killed.tmp" "$work/killed_before.txt"
    # the test selection may have grown (a new test file): mutmut collects coverage for tests it has not seen
    write_config "$module" "$tests" > "$work/setup.cfg"
    cp "$work/setup.cfg" "$work/mutants/setup.cfg"
    # reset the selection's survivors and name them explicitly: mutmut would otherwise re-run every mutant whose
    # tests changed, killed ones included
    local again
    again="$("$(dirname "$MUTMUT")/python" - "$work/mutants/src/crackdown/$module.py.meta" "$work/killed_before.txt" \
      $names <<'PY'
import fnmatch, json, sys
path, killed_file, patterns = sys.argv[1], sys.argv[2], sys.argv[3:] or ["*"]
killed = {line.split(": ")[0] for line in open(killed_file)}
meta = json.load(open(path))
codes = meta["exit_code_by_key"]
again = [k for k, v in codes.items() if v in (0, 33, None) and k not in killed  # survived, no tests, unchecked
         and any(fnmatch.fnmatch(k, p) for p in patterns)]
for k in again:
    codes[k] = None
json.dump(meta, open(path, "w"), indent=4)
print(" ".join(again))
PY
)"
    echo "re-checking $(echo "$again" | wc -w) survivors and unchecked mutants"
    if [ -n "$again" ]; then
      # shellcheck disable=SC2086
      (cd "$work" && unset PYTHONPATH && export CRACKDOWN_ROOT="$work" && nice -n 15 "$MUTMUT" run --max-children "$CHILDREN" $again > run.log 2>&1 || true)
    fi
    report "$module" "$work" "$names"
    return
  fi
  rm -rf "$work" && mkdir -p "$work/tests"
  mkdir -p "$work/src"  # mutmut imports mutated code from ./, src/ or source/ only
  cp -r "$ROOT/lib/crackdown" "$work/src/crackdown"
  find "$work/src" -name __pycache__ -prune -exec rm -rf {} +
  # every test module (some import helpers from others, e.g. test_reaction's synthetic market); only $tests run
  find "$ROOT/tests" -maxdepth 1 -name '*.py' -exec cp -t "$work/tests/" {} +
  cp -r "$ROOT/tests/fixtures" "$work/tests/"
  # tests that read the shipped data or profiles find them through CRACKDOWN_ROOT=$work (read-only links; the data
  # cache goes to $work/outputs)
  ln -s "$ROOT/data" "$work/data"
  ln -s "$ROOT/profiles" "$work/profiles"
  for t in $tests; do cp "$ROOT/$t" "$work/tests/"; done
  write_config "$module" "$tests" > "$work/setup.cfg"
  (
    cd "$work"
    unset PYTHONPATH  # the tests must import the mutated copy, never the worktree's lib/
    export CRACKDOWN_ROOT="$work"
    # shellcheck disable=SC2086  # names are globs for mutmut, not for the shell
    nice -n 15 "$MUTMUT" run --max-children "$CHILDREN" $names > run.log 2>&1 || true
  )
  report "$module" "$work" "$names"
}

report() {  # module, scratch folder, name globs: per-mutant results of the selection and the score
  local module="$1" work="$2" names="$3"
  (
    cd "$work"
    unset PYTHONPATH
    "$MUTMUT" results --all true 2>/dev/null | sed -E 's/^ +//' > all.txt || true
    if [ -n "$names" ]; then
      : > results.txt
      for n in $names; do
        pattern="^$(printf '%s' "${n%\*}" | sed 's/[.]/[.]/g')"
        grep -E "$pattern" all.txt >> results.txt || true
      done
    else
      cp all.txt results.txt
    fi
    if [ -s killed_before.txt ]; then  # a re-check: earlier kills that mutmut no longer lists as killed
      awk -F': ' 'NR == FNR { killed[$1] = 1; next } ($1 in killed) { print $1 ": killed"; next } { print }' \
        killed_before.txt results.txt > results.tmp && mv results.tmp results.txt
    fi
    killed=$(grep -c ": killed$" results.txt || true)
    survived=$(grep -c ": survived$" results.txt || true)
    other=$(grep -v -c -E ": (killed|survived)$" results.txt || true)
    echo "$module: killed $killed, survived $survived, other $other (scratch: $work, list: $work/results.txt)"
  )
}

for module in "${@:-eventstudy}"; do
  run_one "$module"
done
