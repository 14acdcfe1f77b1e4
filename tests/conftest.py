# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Shared pytest setup for tests/unit and tests/integration.

`make setup` links the checkout as collections/ansible_collections/boutique/ops; putting
collections/ on sys.path lets tests import plugins the way Ansible does.
"""

from __future__ import annotations

import os
import sys

import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
COLLECTIONS = os.path.join(REPO_ROOT, "collections")
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
# Plain assert in the shared helpers should explain itself like one in a test.
pytest.register_assert_rewrite("ansible_collections.boutique.ops.tests.helpers")
from ansible_collections.boutique.ops.tests.helpers import once_per_run, render_playbook, run_playbook  # noqa: E402 (needs collections/ on sys.path)

# Upstream reference data (see ../shared/reference/README.md); absent in a clone elsewhere.
REFERENCE_DIR = os.path.join(os.path.dirname(REPO_ROOT), "shared", "reference")
# Every render the tests run templates the Helm releases from the pinned charts there, offline
# (the monitoring and istio roles read BOUTIQUE_OPS_CHART_SOURCE as their chart source default).
# Elsewhere the charts come from their repositories.
if os.path.isdir(os.path.join(REFERENCE_DIR, "charts")):
    os.environ.setdefault("BOUTIQUE_OPS_CHART_SOURCE", os.path.join(REFERENCE_DIR, "charts"))


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


@pytest.fixture(name="run_playbook", scope="session")
def fixture_run_playbook():
    """Run an entry playbook from the repo root, the way a user would.

    ``run_playbook("site.yml", "-e", "ops_render_dir=/tmp/x", env={"KUBECONFIG": "/nope"})``
    returns a PlaybookRun. The venv's ansible-playbook and the repo's ansible.cfg are used.
    Session-scoped (it holds no state), so module-scoped fixtures can use it too.
    """
    return run_playbook


# Renders shared by every test of the run (every pytest-xdist worker: once_per_run, with xdist's
# worker_id fixture) that only reads them. A test that changes a render folder, or needs other variables, renders its own into tmp_path.
@pytest.fixture(name="site_render", scope="session")
def fixture_site_render(tmp_path_factory, worker_id):
    """``ansible-playbook site.yml -e ops_render_dir=DIR`` (local inventory), once per run; DIR. Read only."""
    return once_per_run(tmp_path_factory, worker_id, "site-render", lambda folder: render_playbook("site.yml", folder))


@pytest.fixture(name="monitoring_render", scope="session")
def fixture_monitoring_render(tmp_path_factory, worker_id):
    """``ansible-playbook playbooks/monitoring.yml -e ops_render_dir=DIR``, once per run; DIR. Read only."""
    return once_per_run(tmp_path_factory, worker_id, "monitoring-render", lambda folder: render_playbook("playbooks/monitoring.yml", folder))
