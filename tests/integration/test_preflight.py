# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Preflight as a user meets it: bad input and a missing cluster stop early, with the way forward."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from ansible_collections.boutique.ops.tests.helpers import play_seconds, write_kubeconfig

# `make deploy` promises a no-cluster failure within 15 s: on a quiet machine about 1 s of ansible
# start-up plus the play (the API probe's 8 s timeout and about 2 s of checks). The budget is held
# on the play's own clock (profile_tasks), which holds every network wait and timeout but not the
# start-up that other tests on the shared 2-core machine stretch several-fold; the wall clock gets
# a loose bound that only catches a hang.
NO_CLUSTER_BUDGET_S = 15
HANG_WALL_S = 60


def assert_fails_fast(output, wall_seconds):
    seconds = play_seconds(output)
    assert seconds is not None, output[-1500:]
    assert seconds < NO_CLUSTER_BUDGET_S, "preflight took %.1f s on the play's clock" % seconds
    assert wall_seconds < HANG_WALL_S, "the run took %.1f s" % wall_seconds


def write(path, text):
    path.write_text(textwrap.dedent(text))
    return str(path)


@pytest.fixture(name="no_target_inventory")
def fixture_no_target_inventory(tmp_path):
    """An inventory that names localhost but no ops_target."""
    return write(tmp_path / "hosts.yml", """\
        all:
          children:
            control:
              hosts:
                localhost:
          hosts:
            localhost:
              ansible_connection: local
              ansible_python_interpreter: "{{ ansible_playbook_python }}"
        """)


def test_inventory_without_target_is_rejected(run_playbook, no_target_inventory, tmp_path):
    run = run_playbook("site.yml", "-i", no_target_inventory, "-e", "ops_render_dir=%s" % tmp_path)
    assert run.returncode != 0
    assert "ops_target is not set" in run.output
    assert "local" in run.output and "gcp" in run.output
    assert "-i inventories/local" in run.output


def test_unknown_target_is_rejected(run_playbook, tmp_path):
    run = run_playbook("site.yml", "-e", "ops_target=aws", "-e", "ops_render_dir=%s" % tmp_path)
    assert run.returncode != 0
    assert "ops_target must be one of: local, gcp, got: aws" in run.output


@pytest.mark.parametrize("make_bad_dir", [
    pytest.param(lambda tmp: str(tmp / "a-file" / "render"), id="below-a-file"),
    pytest.param(lambda tmp: str(tmp / "a-file"), id="is-a-file"),
    pytest.param(lambda tmp: "/proc/boutique-render", id="read-only-filesystem"),
])
def test_unwritable_render_dir_is_rejected(run_playbook, tmp_path, make_bad_dir):
    (tmp_path / "a-file").write_text("not a folder\n")
    bad_dir = make_bad_dir(tmp_path)
    run = run_playbook("site.yml", "-e", "ops_render_dir=%s" % bad_dir)
    assert run.returncode != 0
    assert "ops_render_dir=%s is not a writable folder" % bad_dir in run.output
    assert "-e ops_render_dir=" in run.output
    assert not os.path.isdir(bad_dir)


def test_timeout_out_of_range_is_rejected(run_playbook, tmp_path):
    run = run_playbook("site.yml", "-e", "ops_kube_timeout=0", "-e", "ops_render_dir=%s" % tmp_path)
    assert run.returncode != 0
    assert "ops_kube_timeout=0 is out of range" in run.output


def assert_no_cluster_message(run):
    assert run.returncode != 0
    assert "Preflight for ops_target=local found what is missing" in run.output
    assert "kind create cluster" in run.output
    assert "-i inventories/gcp -e gcp_project=" in run.output
    assert_fails_fast(run.output, run.seconds)


def test_missing_kubeconfig_fails_fast_with_the_ways_forward(run_playbook, tmp_path):
    run = run_playbook("site.yml", env={"KUBECONFIG": str(tmp_path / "absent")})
    assert_no_cluster_message(run)
    assert "there is no kubeconfig at ops_kubeconfig=%s" % (tmp_path / "absent") in run.output
    assert "(no such file; it defaults to $KUBECONFIG" in " ".join(run.output.split())


def test_closed_api_port_fails_fast(run_playbook, tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = run_playbook("site.yml", env={"KUBECONFIG": write_kubeconfig(tmp_path, "https://127.0.0.1:%d" % port)})
    assert_no_cluster_message(run)
    assert "no Kubernetes cluster is reachable" in run.output


def test_silent_api_fails_within_the_budget(run_playbook, tmp_path):
    """An API address that accepts connections and never answers must not hang preflight."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []
    stop = threading.Event()

    def hold_connections():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    holder = threading.Thread(target=hold_connections, daemon=True)
    holder.start()
    try:
        kubeconfig = write_kubeconfig(tmp_path, "https://127.0.0.1:%d" % listener.getsockname()[1])
        run = run_playbook("site.yml", env={"KUBECONFIG": kubeconfig})  # default ops_kube_timeout
    finally:
        stop.set()
        holder.join()
        for conn in accepted:
            conn.close()
        listener.close()
    assert_no_cluster_message(run)
    assert "no Kubernetes cluster is reachable" in run.output


def test_make_deploy_without_a_cluster_fails_fast(repo_root, tmp_path):
    """`make deploy` as the README tells users to run it, on a machine with no cluster."""
    environ = dict(os.environ, KUBECONFIG=str(tmp_path / "absent"), ANSIBLE_NOCOLOR="1")
    start = time.monotonic()
    proc = subprocess.run(["make", "deploy"], cwd=repo_root, env=environ, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=120, check=False)
    seconds = time.monotonic() - start
    assert proc.returncode != 0
    assert "Preflight for ops_target=local found what is missing" in proc.stdout
    assert "kind create cluster" in proc.stdout and "-i inventories/gcp -e gcp_project=" in proc.stdout
    assert_fails_fast(proc.stdout, seconds)


@pytest.mark.parametrize("helm,refused", [("helm", True), ("helm3", False)])
def test_the_apply_path_refuses_a_helm_4(run_playbook, tmp_path, helm, refused):
    # kubernetes.core.helm runs `helm list --all` after every install, which Helm 4 removed: preflight
    # names ops_helm_binary and the way out. The venv holds both (scripts/install-helm.sh): helm is
    # 4.1.4 (renders), helm3 is 3.19.0 (the apply path).
    binary = os.path.join(os.path.dirname(sys.executable), helm)
    playbook = write(tmp_path / "helm.yml", """\
        - name: Ask preflight about the helm
          hosts: localhost
          gather_facts: false
          tasks:
            - name: Check the helm version
              ansible.builtin.include_role:
                name: boutique.ops.preflight
                tasks_from: helm.yml
            - name: Show the verdict
              ansible.builtin.debug:
                msg: "verdict=[{{ _preflight_helm_problem }}]"
        """)
    run = run_playbook(playbook, "-e", "ops_helm_binary=%s" % binary)
    assert run.returncode == 0, run.output[-2000:]
    verdict = " ".join(run.output.split("verdict=[", 1)[1].split("]", 1)[0].split())
    if refused:
        assert "is v4." in verdict and "kubernetes.core.helm needs Helm 3" in verdict and "ops_helm_binary" in verdict, verdict
    else:
        assert verdict == "", verdict
