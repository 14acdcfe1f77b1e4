# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The collection as a user outside this checkout meets it.

- Every role works alone in a user's playbook (it depends on the internal role _common).
- Built with ``ansible-galaxy collection build`` and installed into a temporary path,
  ``ansible-playbook boutique.ops.site`` run from an empty folder with no inventory renders the
  same files as the checkout's ``site.yml``, and writes nothing inside the installed collection.
- With no inventory the entry playbooks run on localhost like inventories/local; an inventory
  without a control host stops with a message instead of doing nothing.
"""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
import textwrap
import time

import pytest

from ansible_collections.boutique.ops.tests.helpers import REPO_ROOT, PlaybookRun

VENV_BIN = os.path.dirname(sys.executable)
# The locust venv's path is part of the rendered command lines. The checkout's render (the shared
# site_render, inventories/local) names the venv of the ansible-playbook that runs it; without an
# inventory the default follows the state folder instead. The run from an empty folder names the same.
CHECKOUT_LOCUST_VENV = os.path.dirname(VENV_BIN)
# role -> extra variables it needs alone (the inputs an inventory or the user would give).
ROLES_ALONE = {
    "preflight": {"ops_target": "local"},
    "boutique": {"ops_target": "local"},
    "monitoring": {"ops_target": "local"},
    "istio": {"ops_target": "local"},
    "canary": {"ops_target": "local", "weight": "25"},
    "locust": {"ops_target": "local"},
    "loadtest": {"ops_target": "local"},
    "gke_cluster": {"ops_target": "gcp", "gcp_project": "boutique-tests"},
    "loadgen_vm": {"ops_target": "gcp", "gcp_project": "boutique-tests"},
}
# Roles that only check: nothing of their own to render.
CHECK_ONLY = {"preflight"}


def run_outside(cwd, playbook, *args, collections_path, timeout=600):
    """ansible-playbook from ``cwd`` with no ansible.cfg and no inventory: as from a Galaxy install."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    home = os.path.join(str(cwd), ".home")
    os.makedirs(home, exist_ok=True)
    env.update({
        "PATH": VENV_BIN + os.pathsep + env.get("PATH", ""),
        "HOME": home,
        "ANSIBLE_COLLECTIONS_PATH": str(collections_path),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        # No bytecode caches: Python would write __pycache__ beside the installed collection's
        # plugins, and the checks below hold that a run writes nothing inside it, on any machine.
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    start = time.monotonic()
    proc = subprocess.run(
        [os.path.join(VENV_BIN, "ansible-playbook"), playbook] + list(args),
        cwd=str(cwd), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=timeout, check=False,
    )
    return PlaybookRun(proc.returncode, proc.stdout, time.monotonic() - start)


def tree(folder):
    """{relative path: (size, mtime_ns)} of every file and folder below ``folder``."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            stat = os.lstat(path)
            found[os.path.relpath(path, folder)] = (stat.st_size, stat.st_mtime_ns)
    return found


def same_files(left, right):
    """Relative paths that differ between two folders (missing on a side, or other bytes)."""
    left_files = {k for k in tree(left) if os.path.isfile(os.path.join(left, k))}
    right_files = {k for k in tree(right) if os.path.isfile(os.path.join(right, k))}
    differ = sorted(left_files ^ right_files)
    differ += sorted(k for k in left_files & right_files
                     if not filecmp.cmp(os.path.join(left, k), os.path.join(right, k), shallow=False))
    return differ


@pytest.fixture(name="installed", scope="module")
def fixture_installed(tmp_path_factory):
    """The collection built from this checkout and installed into a temporary collections path."""
    build = tmp_path_factory.mktemp("build")
    subprocess.run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(build), REPO_ROOT],
                   cwd=REPO_ROOT, check=True, capture_output=True, text=True, timeout=300)
    tarballs = [name for name in os.listdir(str(build)) if name.endswith(".tar.gz")]
    assert len(tarballs) == 1, tarballs
    path = tmp_path_factory.mktemp("installed")
    # Its dependencies are the ones the ansible package bundles (no network here).
    # From the build folder: the checkout's ansible.cfg would find the checkout's own link first.
    subprocess.run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "install", "--no-deps", "--force", "-p", str(path),
                    os.path.join(str(build), tarballs[0])], cwd=str(build), check=True, capture_output=True, text=True, timeout=300)
    collection = path / "ansible_collections" / "boutique" / "ops"
    assert (collection / "playbooks" / "site.yml").is_file()
    return path


@pytest.mark.parametrize("role", sorted(ROLES_ALONE))
def test_each_role_alone_renders(role, tmp_path):
    """A user's playbook that lists only this role: its ops_* defaults come with it (_common)."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "play.yml").write_text(textwrap.dedent("""\
        - name: Only boutique.ops.%s
          hosts: localhost
          gather_facts: false
          roles:
            - role: boutique.ops.%s
        """ % (role, role)))
    render = tmp_path / "render"
    extra = [arg for pair in (["-e", "%s=%s" % item] for item in ROLES_ALONE[role].items()) for arg in pair]
    run = run_outside(work, "play.yml", "-e", "ops_render_dir=%s" % render, *extra,
                      collections_path=os.path.join(REPO_ROOT, "collections"))
    assert run.returncode == 0, run.output[-3000:]
    assert "is undefined" not in run.output
    if role not in CHECK_ONLY:
        assert os.listdir(str(render / role)), "%s alone rendered nothing" % role
    assert sorted(os.listdir(str(work))) == [".home", "play.yml"], "render mode wrote into the current folder"


def test_galaxy_install_renders_what_the_checkout_renders(installed, site_render, tmp_path):
    """boutique.ops.site from an empty folder, no inventory, installed collection == the repo's site.yml."""
    before = tree(str(installed))
    ours = site_render
    with open(os.path.join(ours, "locust", "commands.sh"), encoding="utf-8") as handle:
        assert CHECKOUT_LOCUST_VENV + "/bin/locust " in handle.read()

    empty = tmp_path / "empty"
    empty.mkdir()
    theirs = tmp_path / "galaxy-render"
    run = run_outside(empty, "boutique.ops.site", "-e", "ops_render_dir=%s" % theirs, "-e", "locust_venv=%s" % CHECKOUT_LOCUST_VENV,
                      collections_path=installed)
    assert run.returncode == 0, run.output[-3000:]
    assert "No inventory was parsed" in run.output  # really no inventory
    assert "PLAY [Online Boutique]" in run.output
    assert os.listdir(str(theirs)), "nothing rendered"
    assert same_files(str(ours), str(theirs)) == []
    assert tree(str(installed)) == before, "the run wrote inside the installed collection"
    assert sorted(os.listdir(str(empty))) == [".home"]


def test_every_entry_playbook_resolves_from_the_installed_collection(installed, tmp_path):
    for name in ("site", "canary", "loadtest", "teardown"):
        run = run_outside(tmp_path, "boutique.ops.%s" % name, "--syntax-check", collections_path=installed, timeout=120)
        assert run.returncode == 0, "%s: %s" % (name, run.output[-2000:])


def test_no_inventory_runs_on_localhost_as_the_local_target(installed, tmp_path):
    """Without an inventory the run reaches the local target's preflight (here: no cluster)."""
    run = run_outside(tmp_path, "boutique.ops.site", "-e", "ops_kubeconfig=%s" % (tmp_path / "absent"),
                      collections_path=installed, timeout=120)
    assert run.returncode != 0
    assert "Preflight for ops_target=local found what is missing" in run.output
    assert "skipping: no hosts matched" not in run.output


def test_inventory_without_a_control_host_is_refused(installed, tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  children:\n    loadgen:\n      hosts:\n        10.0.0.5:\n")
    run = run_outside(tmp_path, "boutique.ops.site", "-i", str(inventory), "-e", "ops_render_dir=%s" % (tmp_path / "r"),
                      collections_path=installed, timeout=120)
    assert run.returncode != 0
    assert "The inventory has no host in the group control" in run.output
    assert not (tmp_path / "r").exists()
