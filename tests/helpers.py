# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Plain helpers shared by tests/conftest.py and the integration tests.

Import them the way Ansible imports collection code, which works under any pytest import mode
once tests/conftest.py has put collections/ on sys.path (`make setup` creates the link):
``from ansible_collections.boutique.ops.tests.helpers import run_playbook``. They are plain
functions, not fixtures, so fixtures of any scope can call them.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import filelock

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


# profile_tasks' line after each task: "(0:00:01.234)       0:00:05.678 ***": the task's own time,
# then the play's running total from its first task.
_PLAY_CLOCK_RE = re.compile(r"\(\d+:\d+:[\d.]+\)\s+(\d+):(\d+):([\d.]+)")


def play_seconds(output):
    """Seconds from the first task to the last one on profile_tasks' clock (ansible.cfg enables it), or None.

    Unlike the wall clock it leaves out Python's and ansible's start-up, which a busy test machine
    stretches several-fold; waits on the network (timeouts, retries) are inside it.
    """
    clocks = _PLAY_CLOCK_RE.findall(output)
    if not clocks:
        return None
    hours, minutes, seconds = clocks[-1]
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


class PlaybookRun:
    """The outcome of one ansible-playbook run: exit code, combined output, seconds taken."""

    def __init__(self, returncode, output, seconds):
        self.returncode = returncode
        self.output = output
        self.seconds = seconds

    def changed_count(self):
        """Sum of changed= over the PLAY RECAP lines (idempotence checks)."""
        return sum(int(m) for m in re.findall(r"\bchanged=(\d+)", self.output.split("PLAY RECAP")[-1]))

    @property
    def play_seconds(self):
        """The play's own clock (see play_seconds())."""
        return play_seconds(self.output)


def run_playbook(playbook, *args, env=None, timeout=600):
    """Run an entry playbook from the repo root, the way a user would; returns a PlaybookRun.

    ``run_playbook("site.yml", "-e", "ops_render_dir=/tmp/x", env={"KUBECONFIG": "/nope"})``.
    The venv's ansible-playbook and the repo's ansible.cfg are used.
    """
    environ = dict(os.environ)
    environ["PATH"] = os.path.join(REPO_ROOT, ".venv", "bin") + os.pathsep + environ.get("PATH", "")
    environ.update({"ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_CONFIG": os.path.join(REPO_ROOT, "ansible.cfg")})
    environ.update(env or {})
    start = time.monotonic()
    proc = subprocess.run(
        ["ansible-playbook", playbook] + list(args),
        cwd=REPO_ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=timeout, check=False,
    )
    return PlaybookRun(proc.returncode, proc.stdout, time.monotonic() - start)


def once_per_run(tmp_path_factory, worker_id, name, make):
    """``make(folder)``, made once for the whole test run and shared by every pytest-xdist worker; its result.

    ``make`` gets an empty folder of its own and returns a JSON value (e.g. the folder as a string).
    A session fixture is otherwise made once per worker: with ``-n 2`` each render twice. The first
    worker to get here makes it under a file lock; the others wait and read its recorded result. A
    failed attempt leaves no record, so the next one starts over in an empty folder. Callers only
    read what was made.
    """
    if worker_id == "master":  # not under xdist
        return make(tmp_path_factory.mktemp(name))
    root = tmp_path_factory.getbasetemp().parent  # the run's folder, above each worker's own
    folder, record = root / ("once-" + name), root / ("once-" + name + ".json")
    with filelock.FileLock(str(root / ("once-" + name + ".lock")), timeout=1800):
        if not record.exists():
            if folder.exists():
                shutil.rmtree(str(folder))
            folder.mkdir()
            record.write_text(json.dumps(make(folder)))
        return json.loads(record.read_text())


def batch_rows(rows):
    """Refusal rows that can share one run: [(key, merged variables, [row ids])], in row order.

    ``rows`` are (row id, key, variables). A row joins the first batch of its key where none of its
    variables is set to another value; the key says which check refuses it (a role's argument spec
    or its check_inputs task name every violation at once), so that one refusal names every row of
    the batch. A row its batch's refusal does not name runs alone (the callers' fallback).
    """
    batches = []
    for row_id, key, variables in rows:
        for batch_key, merged, ids in batches:
            if batch_key == key and all(merged.get(name, value) == value for name, value in variables.items()):
                merged.update(variables)
                ids.append(row_id)
                break
        else:
            batches.append((key, dict(variables), [row_id]))
    return batches


def render_playbook(playbook, folder, *args, timeout=300):
    """Run ``playbook`` in render mode into ``folder`` and assert it succeeded; returns the folder as a string."""
    run = run_playbook(playbook, "-e", "ops_render_dir=%s" % folder, *args, timeout=timeout)
    assert run.returncode == 0, run.output[-3000:]
    return str(folder)


def write_kubeconfig(folder, server):
    """Write ``folder``/kubeconfig whose only cluster is ``server`` (a stand-in or a dead address); returns its path.

    https servers skip TLS verification: the stand-ins have no certificate to verify.
    """
    insecure = ", insecure-skip-tls-verify: true" if server.startswith("https:") else ""
    path = os.path.join(str(folder), "kubeconfig")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(
            "apiVersion: v1\n"
            "kind: Config\n"
            'clusters: [{name: standin, cluster: {server: "%s"%s}}]\n'
            "users: [{name: standin, user: {token: standin-token}}]\n"
            "contexts: [{name: standin, context: {cluster: standin, user: standin}}]\n"
            "current-context: standin\n" % (server, insecure)
        )
    return path


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on (free when this returns)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(proc, timeout=15):
    """Stop a background process: SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


KUBERNETES_VERSION = "1.34.0"


def load_documents(path):
    """The YAML documents of a file (a render's manifests, helm template's output), empty ones dropped."""
    import yaml  # pylint: disable=import-outside-toplevel  # only the tests that read manifests need it

    with open(path, encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def kubernetes_schema_errors(objects, version=KUBERNETES_VERSION):
    """``["Kind/name: error", ...]`` for the objects that do not validate strictly (unknown fields refused)
    against the Kubernetes ``version`` OpenAPI schemas of the kubernetes-validate package; empty when all do."""
    import kubernetes_validate  # pylint: disable=import-outside-toplevel  # requirements.txt; only these tests need it

    errors = []
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except Exception as error:  # pylint: disable=broad-exception-caught  # every kind of refusal is a finding
            errors.append("%s/%s: %s" % (obj.get("kind"), (obj.get("metadata") or {}).get("name"), str(error).splitlines()[0]))
    return errors


def start_standin_shop(folder, *args, max_seconds=60):
    """Start molecule/loadtest/standin_shop.py on a free loopback port; returns (process, URL).

    ``args`` are the stand-in's own options (``--stats-file``, ``--fail-above``, ``--versions`` ...).
    The stand-in exits by itself after ``max_seconds``; stop it sooner with stop_process.
    """
    port_file = os.path.join(str(folder), "standin.port")
    shop = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, os.path.join(REPO_ROOT, "molecule", "loadtest", "standin_shop.py"),
         "--port-file", port_file, "--max-seconds", str(max_seconds)] + [str(arg) for arg in args])
    deadline = time.time() + 10
    while not os.path.exists(port_file):
        if time.time() > deadline or shop.poll() is not None:
            stop_process(shop)
            raise RuntimeError("the stand-in shop did not start within 10 s")
        time.sleep(0.1)
    with open(port_file, encoding="utf-8") as handle:
        return shop, "http://127.0.0.1:%s" % handle.read().strip()


def run_locustfile(url, *args, env=None, timeout=60, locustfile=None, user_classes=()):
    """Run the project's locustfile (or ``locustfile``) headless against ``url`` with locust's own CLI; a CompletedProcess.

    ``user_classes``: run only these User classes of the file (locust's positional arguments).
    """
    locust = os.path.join(os.path.dirname(sys.executable), "locust")
    return subprocess.run(
        [locust, "-f", str(locustfile or os.path.join(REPO_ROOT, "roles", "locust", "files", "locustfile.py")), "--headless", "-H", url]
        + [str(arg) for arg in args] + list(user_classes),
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )


def without_key_path(node, path):
    """A deep copy of the nested dict ``node`` with the key at ``path`` (a tuple of keys) removed."""
    result = copy.deepcopy(node)
    parent = result
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return result
