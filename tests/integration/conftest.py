# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Renders shared by the integration tests, beside tests/conftest.py's site_render and monitoring_render:
each is made once per test run, shared by the pytest-xdist workers (helpers.once_per_run).

Every render templates its Helm releases with the real helm and the pinned charts of the reference
data (tests/conftest.py sets BOUTIQUE_OPS_CHART_SOURCE), so each chart is templated once per
variant for the whole session, and every test reads the same output.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.boutique.ops.tests.helpers import once_per_run, render_playbook


def _needs_charts():
    source = os.environ.get("BOUTIQUE_OPS_CHART_SOURCE", "")
    if not os.path.isdir(source):
        pytest.skip("the pinned Helm charts are not at ../shared/reference/charts (present in this workplace's CI)")


@pytest.fixture(scope="session", name="monitoring_autopilot_render")
def fixture_monitoring_autopilot_render(tmp_path_factory, worker_id):
    """playbooks/monitoring.yml rendered for GKE Autopilot (-e gke_cluster_autopilot=true), once per run; DIR.
    (monitoring_render, the default variant, is in tests/conftest.py.)"""
    _needs_charts()
    return once_per_run(tmp_path_factory, worker_id, "render-monitoring-autopilot",
                        lambda folder: render_playbook("playbooks/monitoring.yml", folder, "-e", "gke_cluster_autopilot=true"))


def _render_canary(folder):
    render_playbook("playbooks/boutique.yml", folder)
    return render_playbook("canary.yml", folder, "-e", "weight=25")


@pytest.fixture(scope="session", name="canary_render")
def fixture_canary_render(tmp_path_factory, worker_id):
    """The shop (playbooks/boutique.yml) and canary.yml at weight 25 rendered into one folder (istio/, canary/, boutique/), once per run."""
    _needs_charts()
    return once_per_run(tmp_path_factory, worker_id, "render-canary", _render_canary)
