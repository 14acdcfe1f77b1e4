# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Unit tests for plugins/filter/load_capacity.py: the planned workers and what they can drive."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.boutique.ops.plugins.filter import load_capacity as lc

LOCAL = {"worker_hosts": ["localhost"], "master_host": "localhost"}
VMS = {"worker_hosts": ["vm-1", "vm-2", "vm-3"], "master_host": "vm-1"}


def settings(**values):
    base = {"profile": "endurance", "users": 100, "base_users": 10, "max_users": 3000, "ramp_rate": 5, "step_s": 10,
            "workers": 2, "workers_how": "one per CPU: 2 on localhost", "users_per_worker": 5000, "spawn_rate_per_worker": 100}
    base.update(values)
    return base


def test_workers_per_host_times_hosts():
    assert lc.locust_plan_workers(VMS, 2) == {"workers": 6, "how": "locust_workers_per_host=2 on 3 load generator(s)"}
    assert lc.locust_plan_workers(LOCAL, "3")["workers"] == 3


def test_one_per_cpu_of_each_host(monkeypatch):
    monkeypatch.setattr(lc, "_this_machine_cpus", lambda: 8)
    hostvars = {"localhost": {"ansible_connection": "local"}, "vm-2": {"ansible_facts": {"processor_vcpus": 4}}}
    assert lc.locust_plan_workers(LOCAL, 0, hostvars) == {"workers": 8, "how": "one per CPU: 8 on localhost"}
    # Gathered facts first, then the planned machine type, else 1.
    assert lc.locust_plan_workers(VMS, 0, hostvars, "e2-standard-2") == {"workers": 8, "how": "one per CPU: 2 on vm-1, 4 on vm-2, 2 on vm-3"}
    assert lc.locust_plan_workers(VMS, 0, {})["workers"] == 3
    assert lc.locust_plan_workers(VMS, 0, {}, "no-such-type")["workers"] == 3
    assert lc.locust_plan_workers(VMS, 0, {}, "n2-custom-8-16384")["workers"] == 24
    assert lc.locust_plan_workers({"worker_hosts": []}, 0) == {"workers": 0, "how": "no load generator"}


def test_a_local_connection_counts_this_machine(monkeypatch):
    monkeypatch.setattr(lc, "_this_machine_cpus", lambda: 6)
    assert lc.locust_plan_workers({"worker_hosts": ["control"]}, 0, {"control": {"ansible_connection": "local"}})["workers"] == 6


def test_locust_plan_workers_refuses_what_is_not_a_plan():
    with pytest.raises(AnsibleFilterError, match="expects a locust_plan"):
        lc.locust_plan_workers(["localhost"], 0)
    with pytest.raises(AnsibleFilterError, match="not a number >= 0"):
        lc.locust_plan_workers(LOCAL, "abc")


@pytest.mark.parametrize("values", [
    {},
    {"users": 10000},
    {"profile": "spike", "users": 10000, "base_users": 10000},
    {"profile": "stress", "max_users": 10000, "ramp_rate": 20, "step_s": 10},
    {"profile": "recovery", "max_users": 10000, "base_users": 1, "ramp_rate": 200, "step_s": 1},
    # Inputs the profile does not use are left alone.
    {"profile": "stress", "users": 10 ** 8, "base_users": 10 ** 8},
    {"profile": "endurance", "max_users": 10 ** 8, "ramp_rate": 10 ** 6},
    # Not numbers: the load test's other checks name them.
    {"users": "many"},
    {"workers": 0},
])
def test_what_the_workers_can_drive_passes(values):
    assert lc.load_capacity_problems(settings(**values)) == []


def test_users_above_the_cap_are_refused_with_the_cap_and_the_workers():
    problems = lc.load_capacity_problems(settings(users=100000000))
    assert problems == [
        "loadtest_users (users)=100000000 is more users than the plan's 2 locust worker(s) (one per CPU: 2 on localhost) "
        "can drive: at most 10000 (loadtest_users_per_worker=5000 each). Lower it, e.g. -e users=10000, or add workers "
        "(-e locust_workers_per_host=N, or more load generators) or, if your load generators can take it, raise "
        "loadtest_users_per_worker."]


def test_every_user_count_of_the_profile_is_named():
    problems = lc.load_capacity_problems(settings(profile="recovery", max_users=30000, base_users=20000))
    assert [problem.split("=")[0] for problem in problems] == ["loadtest_max_users", "loadtest_base_users"]
    assert "-e loadtest_max_users=10000" in problems[0]
    problems = lc.load_capacity_problems(settings(profile="spike", users=10001, users_per_worker=5000))
    assert problems[0].startswith("loadtest_users (users)=10001 ")


def test_a_ramp_faster_than_the_workers_can_start_is_refused():
    problems = lc.load_capacity_problems(settings(profile="stress", ramp_rate=50, step_s=10))
    assert len(problems) == 1
    assert problems[0].startswith("loadtest_ramp_rate (ramp_rate)=50 with loadtest_step_s=10 starts 500 users per step")
    assert "at most 200 users/s (loadtest_spawn_rate_per_worker=100 each" in problems[0]
    assert "e.g. -e ramp_rate=20 -e loadtest_step_s=10" in problems[0]
    # A step shorter than a second: the ramp rate itself is the spawn rate.
    problems = lc.load_capacity_problems(settings(profile="recovery", ramp_rate=300, step_s=0.5))
    assert "-e ramp_rate=200 " in problems[0]


def test_load_capacity_problems_needs_its_settings():
    with pytest.raises(AnsibleFilterError, match="expects a dict"):
        lc.load_capacity_problems([1])
    with pytest.raises(AnsibleFilterError, match="workers, users_per_worker"):
        lc.load_capacity_problems({"profile": "stress"})
