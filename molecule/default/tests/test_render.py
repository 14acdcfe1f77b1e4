# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""site.yml in render mode: every stage that site.yml imports has written what it would apply."""

from __future__ import annotations

import os
import re

import yaml

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
RENDER_DIR = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"), "render")

# Stages that only check or prepare (preflight) render nothing of their own.
STAGES_WITHOUT_OUTPUT = {"preflight"}


def site_stages():
    """The stage playbooks playbooks/site.yml imports, by name (playbooks/<stage>.yml)."""
    with open(os.path.join(REPO_ROOT, "playbooks", "site.yml"), encoding="utf-8") as handle:
        plays = yaml.safe_load(handle)
    stages = []
    for play in plays:
        target = play.get("ansible.builtin.import_playbook") or play.get("import_playbook")
        # The closing summary is a play of its own and the stage clock only notes times: neither is a stage.
        if target and not target.endswith("stage_clock.yml"):
            stages.append(re.sub(r"^playbooks/|\.yml$", "", target))
    return stages


def rendering_roles():
    """The roles the rendering stages run, read from each stage playbook."""
    roles = set()
    for stage in site_stages():
        with open(os.path.join(REPO_ROOT, "playbooks", stage + ".yml"), encoding="utf-8") as handle:
            for play in yaml.safe_load(handle):
                for role in play.get("roles", []):
                    name = role["role"] if isinstance(role, dict) else role
                    # The scenario's inventory is local: gcp-only stages skip, by design.
                    if isinstance(role, dict) and "ops_target == 'gcp'" in str(role.get("when", "")):
                        continue
                    roles.add(name.rsplit(".", 1)[-1])
    return sorted(roles - STAGES_WITHOUT_OUTPUT)


def test_render_folder_exists(host):
    assert host.file(RENDER_DIR).is_directory


def test_site_imports_preflight_first():
    assert site_stages()[0] == "preflight"


def test_every_rendering_role_wrote_files(host):
    for role in rendering_roles():
        folder = host.file(os.path.join(RENDER_DIR, role))
        assert folder.is_directory, "stage role %s rendered nothing under %s" % (role, RENDER_DIR)
        assert folder.listdir(), "stage role %s rendered an empty folder" % role


def test_rendered_yaml_parses_with_one_object_per_document():
    for dirpath, _dirs, files in os.walk(RENDER_DIR):
        for name in files:
            if not name.endswith((".yml", ".yaml")):
                continue
            with open(os.path.join(dirpath, name), encoding="utf-8") as handle:
                documents = [doc for doc in yaml.safe_load_all(handle) if doc is not None]
            assert documents, "%s is empty" % name
            for doc in documents:
                if isinstance(doc, dict) and "kind" in doc:
                    assert "apiVersion" in doc and "metadata" in doc, "%s: %s without apiVersion/metadata" % (name, doc["kind"])


def test_teardown_removes_every_stage_last_stage_first():
    with open(os.path.join(RENDER_DIR, "teardown", "cluster.yml"), encoding="utf-8") as handle:
        plan = yaml.safe_load(handle)
    assert [step["stage"] for step in plan] == ["istio", "monitoring", "boutique"]
    namespaces = [ns for step in plan for ns in step["namespaces"]]
    assert namespaces == ["istio-ingress", "istio-system", "monitoring", "boutique"]
    istio_releases = [release["name"] for release in plan[0]["helm_releases"]]
    assert istio_releases == ["istio-ingressgateway", "istiod", "istio-base"]
    assert any(path.endswith("/grafana-admin") for path in plan[1]["files"])
