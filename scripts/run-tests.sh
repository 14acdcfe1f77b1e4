#!/usr/bin/env bash
# The offline test suite, step by step, with a summary. `make test` runs it after setup.
# Usage: scripts/run-tests.sh [step ...]   steps: yamllint ansible-lint syntax sanity pytest molecule
#        MOLECULE_SCENARIOS="default boutique" scripts/run-tests.sh molecule
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 ANSIBLE_NOCOLOR=1

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
# Two workers (pytest-xdist): the tests use their own temporary folders and free ports.
# --durations: the slowest tests, for the next look at the suite's time (issue 17).
run_pytest() { python -m pytest -n 2 --durations=20; }
run_molecule_scenario() { molecule test --scenario-name "$1"; }

results=()
passed=0
failed=0
record() {  # name rc seconds
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); results+=("PASS  $1 (${3}s)")
  else failed=$((failed + 1)); results+=("FAIL  $1 (${3}s, exit $2)"); fi
}
run_step() {  # name command...
  local name=$1 start rc
  shift
  printf '\n======== %s ========\n' "$name"
  start=$SECONDS
  "$@"
  rc=$?
  record "$name" "$rc" $((SECONDS - start))
}

for step in "${steps[@]}"; do
  case $step in
    molecule)
      scenarios=${MOLECULE_SCENARIOS:-$(ls molecule/*/molecule.yml | xargs -n1 dirname | xargs -n1 basename)}
      for scenario in $scenarios; do run_step "molecule $scenario" run_molecule_scenario "$scenario"; done ;;
    yamllint|ansible-lint|syntax|sanity|pytest)
      run_step "$step" "run_${step//-/_}" ;;
    *) echo "unknown step: $step (known: yamllint ansible-lint syntax sanity pytest molecule)" >&2; exit 2 ;;
  esac
done

printf '\n======== summary ========\n'
printf '%s\n' "${results[@]}"
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
