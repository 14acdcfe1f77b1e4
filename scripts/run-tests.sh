#!/usr/bin/env bash
# The offline test suite, step by step, with a summary. `make test` runs it after setup.
# Usage: scripts/run-tests.sh [step ...]   steps: yamllint ansible-lint syntax sanity pytest molecule
#        MOLECULE_SCENARIOS="default boutique" scripts/run-tests.sh molecule
#
# The whole suite (no step named) runs in two lanes at once, because the molecule scenarios spend
# much of their time waiting (locust runs, heartbeats, rollouts against stand-ins: molecule loadtest
# used about half a core over its 5 minutes) while pytest keeps both cores busy:
#   lane 1 (this terminal): pytest, then steps from the queue
#   lane 2 (in the background): steps from the queue
# The queue holds every other step, the long ones first (lane_queue below): yamllint and ansible-lint,
# then the molecule scenarios longest first, sanity among them. Each lane takes the next step when it
# is free, so that the two lanes end close together. A queued step prints a line as it starts and
# ends; a failing one's log is printed in full, and every log is kept in tests/output/logs/.
# The full run leaves out the `syntax` step: ansible-lint's syntax-check rule (unskippable) runs
# `ansible-playbook --syntax-check` on every playbook, molecule's included. TEST_LANES=1 runs
# yamllint ansible-lint syntax sanity pytest molecule one after the other in this terminal, as
# naming steps does.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 ANSIBLE_NOCOLOR=1
# Python's bytecode caches on, as Python has them by default, even where the environment turns them
# off (PYTHONDONTWRITEBYTECODE, as in some CI sandboxes): ansible's task workers import the
# collection's plugins from this checkout, and without a cache every import compiles them again
# (a site.yml render: 12.96 -> 11.70 CPU s). The caches go to __pycache__ folders, ignored by git,
# lint and ansible-galaxy's build.
unset PYTHONDONTWRITEBYTECODE

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(yamllint ansible-lint syntax sanity pytest molecule)

playbooks() { ls ./*.yml playbooks/*.yml | grep -v -e requirements.yml -e galaxy.yml -e execution-environment.yml; }

run_yamllint() { yamllint --strict .; }
run_ansible_lint() { ansible-lint --profile production; }
run_syntax() {
  local rc=0
  for pb in $(playbooks); do
    ansible-playbook --syntax-check "$pb" >/dev/null || { echo "syntax error in $pb"; rc=1; }
  done
  return $rc
}
run_sanity() { scripts/sanity.sh; }
# Two workers (pytest-xdist): the tests use their own temporary folders and free ports. loadgroup
# keeps the tests that share one run (an xdist_group, e.g. a batch of the bad-input table) on one
# worker, so that the run is made once. --durations: the slowest tests, for the next look at the
# suite's time (issue 17).
run_pytest() { python -m pytest -n 2 --dist loadgroup --durations=20; }
run_molecule_scenario() { molecule test --scenario-name "$1"; }

LOG_DIR=tests/output/logs
# One line a step, "PASS|FAIL<TAB>name<TAB>seconds<TAB>exit<TAB>CPU seconds": both lanes append to it.
RESULTS=$(mktemp)
# Two lanes: the steps not yet started, one a line; next_step takes the first under a lock.
QUEUE=$(mktemp)
trap 'rm -f "$RESULTS" "$QUEUE" "$QUEUE.lock"' EXIT

record() {  # name rc seconds cpu-seconds
  printf '%s\t%s\t%s\t%s\t%s\n' "$([ "$2" -eq 0 ] && echo PASS || echo FAIL)" "$1" "$3" "$2" "$4" >> "$RESULTS"
}

# Run a command; set STEP_RC to its exit code and STEP_CPU to the CPU seconds (user + system) of the
# processes it waited for: on 2 cores the suite's time is bound by its CPU, so each step's share is
# the figure to look at first (issue 17). The command runs in a subshell, whose `times` counts only
# its own children; redirect the call to capture the command's output.
measure_step() {  # command...
  local times_file
  times_file=$(mktemp)
  (
    "$@"
    rc=$?
    times > "$times_file"  # a builtin, not in a pipeline: a pipeline's subshell would have no children
    exit $rc
  )
  STEP_RC=$?
  STEP_CPU=$(awk 'NR == 2 { split($0, t, /[ ms]+/); printf "%d\n", t[1] * 60 + t[2] + t[3] * 60 + t[4] + 0.5 }' "$times_file")
  rm -f "$times_file"
}

run_step() {  # name command...   (in this terminal)
  local name=$1 start
  shift
  printf '\n======== %s ========\n' "$name"
  start=$SECONDS
  measure_step "$@"
  record "$name" "$STEP_RC" $((SECONDS - start)) "$STEP_CPU"
}

run_logged_step() {  # lane name command...   (output to a log, a line at its start and end)
  local lane=$1 name=$2 start rc log
  shift 2
  log="$LOG_DIR/${name// /-}.log"
  printf '[lane %s] %s: started (log: %s)\n' "$lane" "$name" "$log"
  start=$SECONDS
  measure_step "$@" > "$log" 2>&1
  rc=$STEP_RC
  record "$name" "$rc" $((SECONDS - start)) "$STEP_CPU"
  if [ $rc -eq 0 ]; then
    printf '[lane %s] %s: passed in %ss (%s CPU s)\n' "$lane" "$name" $((SECONDS - start)) "$STEP_CPU"
  else
    printf '\n======== [lane %s] %s: FAILED (exit %s, %ss); its log: ========\n' "$lane" "$name" "$rc" $((SECONDS - start))
    cat "$log"
    printf '======== end of %s ========\n\n' "$log"
  fi
}

# The scenarios by their time on 2 cores, longest first (in the last full runs: cluster about 500 s
# alone with a warm build cache, loadtest 368-370 s, canary 188-195 s, lab 140-142 s, default 42-43 s,
# gcp 31 s, monitoring 22-23 s, boutique 18 s); a new one goes last until it is measured. cluster
# builds the control plane first on a cold machine (about 8 minutes, scripts/local-cluster.sh).
SCENARIOS_BY_TIME="cluster loadtest canary lab default gcp monitoring boutique"

scenarios() {
  local all known
  all=$(ls molecule/*/molecule.yml | xargs -n1 dirname | xargs -n1 basename)
  for known in $SCENARIOS_BY_TIME; do echo "$all" | grep -qx "$known" && echo "$known"; done
  for known in $all; do [[ " $SCENARIOS_BY_TIME " == *" $known "* ]] || echo "$known"; done
}

# Two lanes: what the queue holds, in order. Lint first, then the scenarios, with sanity (52-53 s)
# after the three long ones, so that the short steps come last and neither lane is left with a
# long one at the end (pytest takes 759-786 s in lane 1 meanwhile).
lane_queue() {
  local scenario sanity_queued=false
  echo yamllint
  echo ansible-lint
  for scenario in ${MOLECULE_SCENARIOS:-$(scenarios)}; do
    echo "molecule $scenario"
    if [ "$scenario" = lab ]; then echo sanity; sanity_queued=true; fi
  done
  if [ "$sanity_queued" = false ]; then echo sanity; fi
}

run_steps() {  # runner step...
  local runner=$1 step scenario
  shift
  for step in "$@"; do
    case $step in
      molecule)
        for scenario in ${MOLECULE_SCENARIOS:-$(scenarios)}; do "$runner" "molecule $scenario" run_molecule_scenario "$scenario"; done ;;
      *) "$runner" "$step" "run_${step//-/_}" ;;
    esac
  done
}

for step in "${steps[@]}"; do
  case $step in
    yamllint|ansible-lint|syntax|sanity|pytest|molecule) ;;
    *) echo "unknown step: $step (known: yamllint ansible-lint syntax sanity pytest molecule)" >&2; exit 2 ;;
  esac
done

next_step() {
  flock "$QUEUE.lock" sh -c 'head -n 1 "$1"; sed -i 1d "$1"' next_step "$QUEUE"
}

run_queued_steps() {  # lane
  local step
  while step=$(next_step) && [ -n "$step" ]; do
    case $step in
      "molecule "*) run_logged_step "$1" "$step" run_molecule_scenario "${step#molecule }" ;;
      *) run_logged_step "$1" "$step" "run_${step//-/_}" ;;
    esac
  done
}

if [ $# -eq 0 ] && [ "${TEST_LANES:-2}" != 1 ]; then
  mkdir -p "$LOG_DIR"
  lane_queue > "$QUEUE"
  suite_start=$SECONDS
  run_queued_steps 2 &
  lane2=$!
  run_step pytest run_pytest
  printf '\n[lane 1] done with pytest; taking steps from the queue\n'
  run_queued_steps 1
  wait "$lane2"
  printf 'the suite took %ss in two lanes\n' $((SECONDS - suite_start))
else
  run_steps run_step "${steps[@]}"
fi

printf '\n======== summary ========\n'
awk -F '\t' '{ cpu += $5; if ($1 == "PASS") printf "PASS  %s (%ss, %s CPU s)\n", $2, $3, $5; else printf "FAIL  %s (%ss, %s CPU s, exit %s)\n", $2, $3, $5, $4 }
             END { printf "CPU seconds of the steps: %d\n", cpu }' "$RESULTS"
passed=$(grep -c '^PASS' "$RESULTS")
failed=$(grep -c '^FAIL' "$RESULTS")
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
