# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What a load test's planned locust workers can drive: the users and the spawn rate it may ask for.

``locust_plan_workers`` counts the workers of a locust plan before anything runs: the load-test
role starts ``locust_workers_per_host`` workers on every load generator, or one per CPU (0). The
CPUs are the host's gathered ``processor_vcpus`` when known, this machine's for a host reached
through a local connection (the control node, the local target's load generator), the planned
machine type's vCPUs for the gcp VMs, else 1 (the run itself counts them again).

``load_capacity_problems`` compares a profile's user counts and ramp with what those workers can
drive: ``users_per_worker`` users each (the role's ``loadtest_users_per_worker``) and
``spawn_rate_per_worker`` new users per second each (``loadtest_spawn_rate_per_worker``; 100 is
where locust itself warns that a spawn rate per worker is "known to sometimes cause issues"). A
run above that would start, ask locust for what its workers cannot give, and measure the load
generators instead of the shop.
"""

from __future__ import annotations

import math
import os

from ansible.errors import AnsibleFilterError
from ansible_collections.boutique.ops.plugins.filter.gcp_checks import gcp_machine_cpus

# The user counts each profile uses, named as the user sets them.
_USER_INPUTS = {
    "endurance": ("users", ),
    "spike": ("users", "base_users"),
    "stress": ("max_users", ),
    "recovery": ("max_users", "base_users"),
}
_LABELS = {
    "users": ("loadtest_users (users)", "users"),
    "base_users": ("loadtest_base_users", "loadtest_base_users"),
    "max_users": ("loadtest_max_users", "loadtest_max_users"),
}


def _this_machine_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _number(value):
    """``value`` as a float, or None when it is not a number (other checks name those)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def locust_plan_workers(plan, workers_per_host, hostvars=None, machine_type=None):
    """``{'workers': N, 'how': 'sentence'}``: the workers ``plan`` (a locust_plan) will start.

    ``workers_per_host``: locust_workers_per_host (0: one per CPU). ``hostvars``: per host, its
    variables (``ansible_connection``, ``ansible_facts``). ``machine_type``: the Compute Engine machine
    type of a load generator that is neither gathered nor local (the gcp plan's VMs), or None.
    """
    if not isinstance(plan, dict) or "worker_hosts" not in plan:
        raise AnsibleFilterError("locust_plan_workers expects a locust_plan, got %r" % (plan,))
    hosts = [str(host) for host in plan["worker_hosts"]]
    per_host = _number(workers_per_host)
    if per_host is None or per_host < 0:
        raise AnsibleFilterError("locust_plan_workers: locust_workers_per_host=%r is not a number >= 0" % (workers_per_host,))
    if not hosts:
        return {"workers": 0, "how": "no load generator"}
    if per_host > 0:
        return {"workers": int(per_host) * len(hosts),
                "how": "locust_workers_per_host=%d on %d load generator(s)" % (int(per_host), len(hosts))}
    try:
        machine_cpus = gcp_machine_cpus(machine_type) if machine_type else None
    except AnsibleFilterError:  # a type loadgen_vm's own checks refuse
        machine_cpus = None
    counts = []
    for host in hosts:
        try:
            variables = hostvars[host] if hostvars is not None and host in hostvars else {}
        except (KeyError, TypeError):
            variables = {}
        facts = variables.get("ansible_facts") or {}
        gathered = _number(facts.get("processor_vcpus"))
        if gathered:
            cpus = int(gathered)
        elif variables.get("ansible_connection") == "local" or host in ("localhost", "127.0.0.1"):
            cpus = _this_machine_cpus()
        elif machine_cpus:
            cpus = machine_cpus
        else:
            cpus = 1
        counts.append((host, cpus))
    return {"workers": sum(cpus for _host, cpus in counts),
            "how": "one per CPU: %s" % ", ".join("%d on %s" % (cpus, host) for host, cpus in counts)}


def load_capacity_problems(settings):
    """One sentence per input of ``settings``' profile that asks for more than its workers can drive.

    ``settings``: profile, users, base_users, max_users, ramp_rate, step_s (the load test's inputs),
    workers and workers_how (from locust_plan_workers), users_per_worker, spawn_rate_per_worker.
    Values that are not numbers are skipped: the load test's other checks name them.
    """
    if not isinstance(settings, dict):
        raise AnsibleFilterError("load_capacity_problems expects a dict of settings, got %s" % type(settings).__name__)
    missing = [key for key in ("profile", "workers", "users_per_worker", "spawn_rate_per_worker") if key not in settings]
    if missing:
        raise AnsibleFilterError("load_capacity_problems: settings %s are missing" % ", ".join(missing))
    workers = _number(settings["workers"])
    per_worker = _number(settings["users_per_worker"])
    spawn_per_worker = _number(settings["spawn_rate_per_worker"])
    if workers is None or workers < 1 or per_worker is None or spawn_per_worker is None:
        return []
    workers = int(workers)
    how = settings.get("workers_how") or ""
    plan = "the plan's %d locust worker(s)%s" % (workers, " (%s)" % how if how else "")
    more = ("add workers (-e locust_workers_per_host=N, or more load generators) or, if your load generators can take it, "
            "raise %s")
    problems = []
    users_cap = int(workers * per_worker)
    for key in _USER_INPUTS.get(str(settings["profile"]), ()):
        value = _number(settings.get(key))
        if value is None or value <= users_cap:
            continue
        label, short = _LABELS[key]
        problems.append(
            "%s=%s is more users than %s can drive: at most %d (loadtest_users_per_worker=%s each). Lower it, e.g. -e %s=%d, "
            "or %s." % (label, settings.get(key), plan, users_cap, settings["users_per_worker"], short, users_cap,
                        more % "loadtest_users_per_worker"))
    if settings["profile"] in ("stress", "recovery"):
        ramp_rate, step_s = _number(settings.get("ramp_rate")), _number(settings.get("step_s"))
        if ramp_rate is not None and step_s is not None and ramp_rate > 0 and step_s > 0:
            # The locustfile starts each step's users within about a second.
            step_users = max(1, int(math.ceil(ramp_rate * step_s)))
            spawn_rate = max(step_users, ramp_rate)
            spawn_cap = workers * spawn_per_worker
            if spawn_rate > spawn_cap:
                problems.append(
                    "loadtest_ramp_rate (ramp_rate)=%s with loadtest_step_s=%s starts %d users per step within a second, a "
                    "spawn rate above what %s can start: at most %d users/s (loadtest_spawn_rate_per_worker=%s each; above "
                    "100 per worker locust itself warns). Lower them, e.g. -e ramp_rate=%s -e loadtest_step_s=%s, or %s." % (
                        settings.get("ramp_rate"), settings.get("step_s"), step_users, plan, int(spawn_cap),
                        settings["spawn_rate_per_worker"], _plain(min(ramp_rate, spawn_cap / max(step_s, 1))), _plain(step_s),
                        more % "loadtest_spawn_rate_per_worker"))
    return problems


def _plain(number):
    """A number as a user would type it: 5 rather than 5.0, at most 2 decimals."""
    number = math.floor(number * 100) / 100
    return str(int(number)) if number == int(number) else str(number)


class FilterModule:
    """boutique.ops load-test capacity."""

    def filters(self):
        return {
            "load_capacity_problems": load_capacity_problems,
            "locust_plan_workers": locust_plan_workers,
        }
