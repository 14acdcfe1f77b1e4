# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The locust command lines, built in one place.

locust_plan: where the master and the workers run and how locust is started (venv or docker).
locust_commands: the master's and each worker's argv for one run (or for a render, with
placeholders). The locust role renders them into commands.sh, the load-test role runs them:
render and apply share this output.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

# Environment the locustfile reads; docker passes each one through by name (--env=NAME).
ENV_NAMES = ("LOCUST_PROFILE", "BOUTIQUE_WAIT_MIN", "BOUTIQUE_WAIT_MAX", "BOUTIQUE_USERS", "BOUTIQUE_BASE_USERS",
             "BOUTIQUE_DURATION_S", "BOUTIQUE_RAMP_RATE", "BOUTIQUE_STEP_S", "BOUTIQUE_MAX_USERS", "BOUTIQUE_FAIL_RATIO",
             "BOUTIQUE_WINDOW_S", "BOUTIQUE_SPIKE_AT_S", "BOUTIQUE_HOLD_S", "BOUTIQUE_OVERSHOOT", "BOUTIQUE_HOST_HEADER")
SETTINGS = ("runtime", "version", "venv", "image", "dir", "workers_per_host", "master_on", "master_port",
            "master_bind_host", "expect_workers_max_wait")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _text(name, value):
    value = "" if value is None else str(value)
    if _CONTROL.search(value):
        raise AnsibleFilterError("locust setting %s=%r holds a control character (a newline?): remove it" % (name, value))
    return value


def locust_plan(settings, control_hosts, loadgen_hosts, hostvars=None, planned_hosts=None):
    """Where master and workers run, the master's address and how locust starts.

    ``settings``: {runtime, version, venv, image, dir, workers_per_host, master_on, master_port,
    master_bind_host, expect_workers_max_wait} (the locust role's variables without the prefix).
    ``loadgen_hosts``: the loadgen group; when empty, ``planned_hosts`` (e.g. the VM names a gcp
    render will create) stand in for it. ``hostvars``: internal_ip or ansible_host per host.
    """
    if not isinstance(settings, dict):
        raise AnsibleFilterError("locust_plan expects a dict of the locust settings, got %r" % (settings,))
    missing = [key for key in SETTINGS if key not in settings]
    if missing:
        raise AnsibleFilterError("locust_plan: settings %s are missing" % ", ".join(missing))
    s = {key: _text(key, settings[key]) for key in SETTINGS}
    if s["runtime"] not in ("venv", "docker"):
        raise AnsibleFilterError("locust_runtime=%s is unknown: use venv or docker" % s["runtime"])
    hostvars = hostvars or {}
    control = list(control_hosts or []) or ["localhost"]
    workers = [_text("loadgen host", host) for host in (loadgen_hosts or planned_hosts or [])]
    master = control[0] if s["master_on"] == "control" or not workers else workers[0]
    all_local = not [host for host in workers if host != master]
    try:
        host_vars = hostvars[master] if master in hostvars else {}
    except (KeyError, TypeError):
        host_vars = {}
    # Workers dial the master's internal address when the inventory knows it (gcp_compute's
    # internal_ip): the firewall opens the master port between VMs on the internal network only.
    # Before the VMs exist, the inventory name says which host it will be.
    known = [host_vars[key] for key in ("internal_ip", "ansible_host") if key in host_vars and host_vars[key]]
    address = "127.0.0.1" if all_local else str((known or [master])[0])
    if s["runtime"] == "venv":
        base = [s["venv"] + "/bin/locust"]
        python = s["venv"] + "/bin/python"
    else:
        # The same paths inside and outside the container, host networking (the master's port and
        # the shop are reached as from the host), the image pinned to the version.
        base = ["docker", "run", "--rm", "--network", "host", "--volume", s["dir"] + ":" + s["dir"]]
        base += ["--env=" + name for name in ENV_NAMES] + [s["image"] + ":" + s["version"]]
        python = "/usr/bin/python3"
    return {
        "runtime": s["runtime"],
        "master_host": master,
        "worker_hosts": workers,
        "planned": not loadgen_hosts and bool(workers),
        "master_address": address,
        "bind_host": s["master_bind_host"] or ("127.0.0.1" if all_local else "*"),
        "master_port": int(s["master_port"]),
        "expect_workers_max_wait": int(s["expect_workers_max_wait"]),
        "workers_per_host": int(s["workers_per_host"]),
        "dir": s["dir"],
        "locustfile": s["dir"] + "/locustfile.py",
        "wrapper": s["dir"] + "/locust_run.py",
        "python": python,
        "exec": base,
        "env_names": list(ENV_NAMES),
    }


def _with_user(plan, user):
    """docker: run as the connecting user, so the run folder's files are that user's."""
    if plan["runtime"] != "docker" or not user:
        return list(plan["exec"])
    return plan["exec"][:2] + ["--user", str(user)] + plan["exec"][2:]


def locust_commands(plan, run):
    """The argv of the master and of each worker for one run.

    ``run``: {run_dirs: {host: folder}, target_url, workers: {host: processes}, expected_workers,
    expects_failures, stop_timeout_s, heartbeat_timeout_s (0: none), summary_args (path or ''),
    user (docker uid:gid or ''), ui (bool), ui_port, ui_host}. Strings like $RUN_DIR are kept as
    they are, which is how the render shows a plan.
    """
    if not isinstance(plan, dict) or "exec" not in plan:
        raise AnsibleFilterError("locust_commands expects the output of locust_plan, got %r" % (plan,))
    if not isinstance(run, dict):
        raise AnsibleFilterError("locust_commands expects a dict of the run's values, got %r" % (run,))
    run_dirs = run.get("run_dirs") or {}
    workers = run.get("workers") or {}
    base = _with_user(plan, run.get("user", ""))
    commands = {"master": None, "workers": []}
    for host in plan["worker_hosts"]:
        folder = _text("run dir", run_dirs.get(host, "$RUN_DIR"))
        commands["workers"].append({"host": host, "argv": base + [
            "-f", plan["locustfile"], "--worker", "--master-host", plan["master_address"],
            "--master-port", str(plan["master_port"]), "--processes", str(workers.get(host, -1)),
            "--logfile", folder + "/worker-" + host + ".log"]})
    folder = _text("run dir", run_dirs.get(plan["master_host"], "$RUN_DIR"))
    wrapper = [plan["python"], plan["wrapper"], "--run-dir", folder]
    heartbeat = str(run.get("heartbeat_timeout_s") or "0")
    if heartbeat not in ("0", "0.0"):
        wrapper += ["--heartbeat", folder + "/.heartbeat", "--heartbeat-timeout", _text("heartbeat timeout", heartbeat)]
    if run.get("summary_args"):
        wrapper += ["--summary", _text("summary args", run["summary_args"])]
    master = wrapper + ["--"] + base + [
        "-f", plan["locustfile"], "--master", "--master-bind-host", plan["bind_host"],
        "--master-bind-port", str(plan["master_port"]), "--expect-workers", str(run.get("expected_workers", "$WORKERS")),
        "--expect-workers-max-wait", str(plan["expect_workers_max_wait"])]
    if run.get("ui"):
        # The web UI instead of a headless run: the user starts and stops the load there.
        master += ["--web-host", _text("ui host", run.get("ui_host") or "127.0.0.1"), "--web-port", str(int(run.get("ui_port", 8089)))]
    else:
        master += ["--headless"]
    master += ["--host", _text("target url", run.get("target_url", "$TARGET_URL")), "--enable-rebalancing",
               "--stop-timeout", str(run.get("stop_timeout_s", 10)),
               "--csv", folder + "/locust", "--csv-full-history", "--html", folder + "/locust.html",
               "--logfile", folder + "/master.log", "--loglevel", "INFO"]
    if run.get("expects_failures"):
        # locust exits 1 when any request failed; stress, spike and recovery look for failures.
        master += ["--exit-code-on-error", "0"]
    commands["master"] = {"host": plan["master_host"], "argv": master}
    return commands


class FilterModule:
    """boutique.ops locust command-line filters."""

    def filters(self):
        return {"locust_plan": locust_plan, "locust_commands": locust_commands}
