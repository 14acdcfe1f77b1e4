# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""boutique.ops.check_inputs as ansible-playbook runs it: every failing check reported at once.

One playbook runs the action in each situation (ignore_errors, registered) and writes the results
to a JSON file, so that one ansible run covers them all. The roles' own uses are covered by the
bad-input tests (test_bad_inputs_table.py, test_gcp_inputs.py, molecule loadtest).
"""

from __future__ import annotations

import json

import pytest

PLAYBOOK = """
- name: check_inputs in each situation
  hosts: localhost
  gather_facts: false
  vars:
    users: 0
    ramp_rate: 5
    host_header: "a b"
  tasks:
    - name: Three checks, two fail
      boutique.ops.check_inputs:
        checks:
          - that: users | int > 0
            msg: users={{ users }} must be > 0, e.g. -e users=50.
          - that: ramp_rate | float > 0
            msg: "{{ not_defined_anywhere }} is never read: this check passes"
          - that:
              - host_header is string
              - host_header is match('^\\\\S+$')
            msg: >-
              host_header={{ host_header | to_json }} has a space,
              e.g. -e host_header=boutique.local.
      register: two_fail
      ignore_errors: true

    - name: One fails
      boutique.ops.check_inputs:
        checks:
          - that: ramp_rate | float > 0
            msg: never
          - that: users | int > 0
            msg: users={{ users }} must be > 0.
      register: one_fails
      ignore_errors: true

    - name: A check that cannot be evaluated for this input
      boutique.ops.check_inputs:
        checks:
          - that: no_such_variable | int > 0
            msg: no_such_variable must be set.
      register: cannot_evaluate
      ignore_errors: true

    - name: All pass
      boutique.ops.check_inputs:
        checks:
          - that: ramp_rate | float > 0
            msg: never
          - that: [true, "ramp_rate == 5"]
            msg: never
      register: all_pass

    - name: Not a check
      boutique.ops.check_inputs:
        checks:
          - that: {users: 0}
            msg: never
      register: not_a_check
      ignore_errors: true

    - name: Write what each run returned
      ansible.builtin.copy:
        content: "{{ {'two_fail': two_fail, 'one_fails': one_fails, 'cannot_evaluate': cannot_evaluate,
                      'all_pass': all_pass, 'not_a_check': not_a_check} | to_json }}"
        dest: "{{ results_file }}"
        mode: "0644"
"""


@pytest.fixture(name="results", scope="module")
def fixture_results(run_playbook, tmp_path_factory):
    folder = tmp_path_factory.mktemp("check_inputs")
    playbook = folder / "play.yml"
    playbook.write_text(PLAYBOOK)
    run = run_playbook(str(playbook), "-e", "results_file=%s" % (folder / "results.json"), timeout=120)
    assert run.returncode == 0, run.output[-3000:]
    return json.loads((folder / "results.json").read_text())


def test_every_failing_check_is_reported_in_order(results):
    result = results["two_fail"]
    assert result["failed"] is True and result["changed"] is False and result["checked"] == 3
    assert result["msg"] == ("2 checks refused the inputs:\n"
                             "- users=0 must be > 0, e.g. -e users=50.\n"
                             '- host_header="a b" has a space, e.g. -e host_header=boutique.local.')


def test_a_single_failure_is_its_message_alone(results):
    assert results["one_fails"]["failed"] is True
    assert results["one_fails"]["msg"] == "users=0 must be > 0."


def test_a_check_that_cannot_be_evaluated_is_a_refusal_that_says_why(results):
    result = results["cannot_evaluate"]
    assert result["failed"] is True
    assert result["msg"].startswith("no_such_variable must be set. (the check itself could not be evaluated:")
    assert "no_such_variable" in result["msg"].split("could not be evaluated:")[1]


def test_passing_checks_pass(results):
    assert not results["all_pass"].get("failed")
    assert results["all_pass"]["msg"] == "All 2 checks passed" and results["all_pass"]["changed"] is False


def test_a_check_that_is_not_an_expression_is_an_error(results):
    assert results["not_a_check"]["failed"] is True
    assert "check_inputs: a check's `that` is an expression or a list of them" in results["not_a_check"]["msg"]
