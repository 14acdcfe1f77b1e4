# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Shared pytest setup for tests/unit and tests/integration.

`make setup` links the checkout as collections/ansible_collections/boutique/ops; putting
collections/ on sys.path lets tests import plugins the way Ansible does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
COLLECTIONS = os.path.join(REPO_ROOT, "collections")
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

# Upstream reference data (see ../shared/reference/README.md); absent in a clone elsewhere.
REFERENCE_DIR = os.path.join(os.path.dirname(REPO_ROOT), "shared", "reference")


@pytest.fixture(name="repo_root")
def fixture_repo_root():
    """The checkout's root folder."""
    return REPO_ROOT


@pytest.fixture(name="reference_dir")
def fixture_reference_dir():
    """The upstream reference folder; the test skips, saying why, when it is absent."""
    if not os.path.isdir(REFERENCE_DIR):
        pytest.skip("upstream reference data not found at %s (present in this workplace's CI)" % REFERENCE_DIR)
    return REFERENCE_DIR


class PlaybookRun:
    """The outcome of one ansible-playbook run: exit code, combined output, seconds taken."""

    def __init__(self, returncode, output, seconds):
        self.returncode = returncode
        self.output = output
        self.seconds = seconds

    def changed_count(self):
        """Sum of changed= over the PLAY RECAP lines (idempotence checks)."""
        return sum(int(m) for m in re.findall(r"\bchanged=(\d+)", self.output.split("PLAY RECAP")[-1]))


@pytest.fixture(name="run_playbook")
def fixture_run_playbook():
    """Run an entry playbook from the repo root, the way a user would.

    ``run_playbook("site.yml", "-e", "ops_render_dir=/tmp/x", env={"KUBECONFIG": "/nope"})``
    returns a PlaybookRun. The venv's ansible-playbook and the repo's ansible.cfg are used.
    """

    def run(playbook, *args, env=None, timeout=600):
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

    return run
