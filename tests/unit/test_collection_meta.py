# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The collection's metadata says what is true: modules in the action group, the tested ansible-core,
the runtime requirements split from the test tooling, the execution environment's inputs."""

from __future__ import annotations

import os
import re

import yaml
from ansible.module_utils.compat.version import LooseVersion
from ansible.release import __version__ as ansible_core_version

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def load(*parts):
    with open(os.path.join(REPO_ROOT, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def lines(*parts):
    with open(os.path.join(REPO_ROOT, *parts), encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip() and not line.startswith("#")]


def test_action_group_lists_every_module():
    modules = sorted(name[:-3] for name in os.listdir(os.path.join(REPO_ROOT, "plugins", "modules"))
                     if name.endswith(".py") and not name.startswith("_"))
    assert sorted(load("meta", "runtime.yml")["action_groups"]["ops"]) == modules


def test_requires_ansible_is_what_is_tested():
    claimed = load("meta", "runtime.yml")["requires_ansible"]
    assert claimed.startswith(">=")
    minimum = claimed[2:]
    # The oldest claimed ansible-core is the one the tests run (2.19): 2.18 renders other bytes.
    assert LooseVersion(ansible_core_version) >= LooseVersion(minimum)
    assert LooseVersion(minimum).version[:2] == LooseVersion(ansible_core_version).version[:2]


def test_requirements_split_runtime_from_tests():
    runtime = lines("requirements-runtime.txt")
    everything = lines("requirements.txt")
    assert "-r requirements-runtime.txt" in everything, "requirements.txt must still install what the tests need"
    names = {line.split("==")[0] for line in runtime}
    assert {"ansible", "kubernetes", "locust"} <= names
    assert not names & {"pytest", "molecule", "ansible-lint", "yamllint"}, "test tooling in the runtime list"
    assert all("==" in line for line in runtime + everything if not line.startswith("-r")), "unpinned requirement"


def test_execution_environment_uses_the_runtime_lists():
    ee = load("execution-environment.yml")
    assert ee["version"] == 3
    deps = ee["dependencies"]
    assert deps["python"] == "requirements-runtime.txt"
    assert deps["system"] == "bindep.txt"
    assert deps["galaxy"] == "requirements.yml"
    for name in (deps["python"], deps["system"], deps["galaxy"]):
        assert os.path.isfile(os.path.join(REPO_ROOT, name))
    tools = " ".join(lines("bindep.txt"))
    for tool in ("kubectl", "helm", "google-cloud-cli-gke-gcloud-auth-plugin"):
        assert tool in tools


def test_galaxy_requirements_cover_the_dependencies():
    galaxy = load("galaxy.yml")
    wanted = {item["name"]: item["version"] for item in load("requirements.yml")["collections"]}
    for name, version in galaxy["dependencies"].items():
        assert wanted.get(name) == version, "%s: requirements.yml and galaxy.yml disagree" % name


def test_gcp_action_group_lists_every_google_cloud_module_the_collection_calls():
    """A google.cloud module missing from group/boutique.ops.gcp would run without the plays' auth defaults."""
    called = set()
    for folder in ("roles", "playbooks"):
        for root, _dirs, files in os.walk(os.path.join(REPO_ROOT, folder)):
            for name in files:
                if name.endswith(".yml"):
                    with open(os.path.join(root, name), encoding="utf-8") as handle:
                        called.update(re.findall(r"^\s*-?\s*(google\.cloud\.gcp_\w+):", handle.read(), re.MULTILINE))
    assert called, "no google.cloud module found: the search is broken"
    assert sorted(called) == sorted(load("meta", "runtime.yml")["action_groups"]["gcp"])
    # Every play that calls them sets their defaults through the collection's group, not google.cloud's.
    for playbook in ("gke_cluster.yml", "loadgen_vm.yml", "teardown_gcp.yml"):
        for play in load("playbooks", playbook):
            assert "group/google.cloud.gcp" not in play.get("module_defaults", {}), playbook
