# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""A URL-only loadtest.yml under a HOME that is not the account's home (an execution environment's
container, or HOME set for one run).

ansible's async jobs write their status under ``async_dir`` (``~/.ansible_async`` by default) as the
job's Python expands it, from $HOME; async_status on a local connection expands ``~`` to the account's
home from the password database. With the two apart, the play lost the locust master's job ("could
not find job") and then crashed templating a message. The collection gives its async jobs one
explicit folder on the control node, ``ops_async_dir`` (under ``ops_state_dir``), so both sides agree.
"""

from __future__ import annotations

import glob
import json
import os
import pwd

from ansible_collections.boutique.ops.tests.helpers import free_port, run_playbook, start_standin_shop, stop_process


def _run_under_another_home(tmp_path, **extra_vars):
    """loadtest.yml against a stand-in shop, a short endurance run, HOME set to a folder of its own; (run, state folder)."""
    home = tmp_path / "home"
    home.mkdir()
    account_home = pwd.getpwuid(os.getuid()).pw_dir
    assert os.path.realpath(str(home)) != os.path.realpath(account_home)
    state = tmp_path / "state"
    shop, url = start_standin_shop(tmp_path, max_seconds=120)
    try:
        extra = {
            "target_url": url, "profile": "endurance", "duration": 4, "users": 4,
            "loadtest_wait_min": 0.05, "loadtest_wait_max": 0.2, "loadtest_poll_s": 1, "loadtest_stop_timeout_s": 2,
            "loadtest_analysis": False, "ops_state_dir": str(state), "locust_dir": str(tmp_path / "locust"),
            "locust_workers_per_host": 1, "locust_master_on": "control", "locust_master_port": free_port(),
            "locust_expect_workers_max_wait": 20,
        }
        extra.update(extra_vars)
        run = run_playbook("loadtest.yml", "-e", json.dumps(extra), env={"HOME": str(home)}, timeout=300)
    finally:
        stop_process(shop)
    return run, state


def test_a_url_only_load_test_runs_under_another_home(tmp_path):
    run, state = _run_under_another_home(tmp_path)
    assert run.returncode == 0, run.output[-4000:]
    assert "could not find job" not in run.output
    summaries = glob.glob(str(state / "results" / "*-endurance" / "summary.json"))
    assert len(summaries) == 1, run.output[-2000:]
    with open(summaries[0], encoding="utf-8") as handle:
        assert json.load(handle)["requests"] > 0
    # The jobs' status files are in the explicit folder, not under either home.
    jobs = [job for job in os.listdir(str(state / "async")) if not job.startswith(".")]
    assert len(jobs) >= 2, jobs  # the worker's and the master's
    assert not os.path.exists(str(tmp_path / "home" / ".ansible_async"))


def test_a_lost_job_is_a_failure_that_says_so(tmp_path):
    # ansible's default folder again: the jobs write under HOME, async_status looks under the account's home.
    run, state = _run_under_another_home(tmp_path, ops_async_dir="~/.ansible_async")
    text = " ".join(run.output.split())
    assert run.returncode != 0, run.output[-3000:]
    assert "ansible lost track of 2 locust job(s)" in text, run.output[-3000:]
    assert "Error while resolving value for" not in text
    # The results were collected before the refusal.
    assert glob.glob(str(state / "results" / "*-endurance" / "summary.json")), run.output[-2000:]
