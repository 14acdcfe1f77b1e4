# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The execution environment for AWX / Automation Platform, as far as it can be checked without a container engine.

`ansible-builder create` is what `ansible-builder build` runs before it hands the context to
podman or docker: it validates execution-environment.yml against ansible-builder's schema and
writes the build context (the Containerfile and the files it copies). The image build itself
(dnf, pip, galaxy, Google's package repository) needs a container engine and the internet.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import yaml
from bindep.depends import Depends
from packaging.requirements import Requirement

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILDER = os.path.join(os.path.dirname(sys.executable), "ansible-builder")


def _create(definition, context):
    return subprocess.run([BUILDER, "create", "--file", definition, "--context", str(context)], cwd=os.path.dirname(definition),
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(name="context", scope="module")
def fixture_context(tmp_path_factory):
    context = tmp_path_factory.mktemp("ee") / "context"
    run = _create(os.path.join(REPO, "execution-environment.yml"), context)
    assert run.returncode == 0, run.stdout + run.stderr
    return context


def _read(*parts):
    with open(os.path.join(*parts), encoding="utf-8") as handle:
        return handle.read()


def _containerfile(context):
    name = next(name for name in ("Containerfile", "Dockerfile") if os.path.exists(os.path.join(str(context), name)))
    return _read(str(context), name)


def test_the_build_context_carries_the_projects_requirement_files(context):
    build = os.path.join(str(context), "_build")
    assert _read(build, "requirements.txt") == _read(REPO, "requirements-runtime.txt")
    assert _read(build, "bindep.txt") == _read(REPO, "bindep.txt")
    assert yaml.safe_load(_read(build, "requirements.yml")) == yaml.safe_load(_read(REPO, "requirements.yml"))


def test_the_image_installs_the_tested_ansible_core_and_the_gke_auth_plugin(context):
    text = _containerfile(context)
    core = next(line for line in text.splitlines() if line.startswith('ARG ANSIBLE_INSTALL_REFS='))
    assert "ansible-core>=2.19,<2.20" in core  # meta/runtime.yml's requires_ansible, the version CI tests
    assert "packages.cloud.google.com" in text  # google-cloud-cli comes from Google's repository
    assert "ENV USE_GKE_GCLOUD_AUTH_PLUGIN=True" in text
    assert "introspect" in text  # the collections' own requirements are added at build time


def test_runtime_requirements_are_pinned_and_leave_the_test_tooling_out():
    names = {}
    for line in _read(REPO, "requirements-runtime.txt").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            requirement = Requirement(line)
            names[requirement.name.lower()] = str(requirement.specifier)
    assert all(spec.startswith("==") for spec in names.values()), names
    assert {"ansible", "kubernetes", "locust"} <= set(names)
    assert not {"pytest", "molecule", "ansible-lint", "yamllint", "ansible-builder"} & set(names)


def test_bindep_lists_kubectl_helm_and_gcloud_for_both_package_families():
    depends = Depends(_read(REPO, "bindep.txt"))
    for family in (["platform:rpm", "platform:redhat"], ["platform:dpkg", "platform:debian"]):
        wanted = {rule[0] for rule in depends.active_rules(family)}
        assert "helm" in wanted and "google-cloud-cli-gke-gcloud-auth-plugin" in wanted, (family, wanted)
        assert wanted & {"kubectl", "kubernetes-client"}, (family, wanted)


def test_a_broken_definition_is_refused(tmp_path):
    """The check bites: ansible-builder refuses a definition its schema does not allow."""
    for name in ("requirements-runtime.txt", "bindep.txt", "requirements.yml"):
        shutil.copy(os.path.join(REPO, name), str(tmp_path))
    definition = yaml.safe_load(_read(REPO, "execution-environment.yml"))
    definition["images"]["base_imag"] = definition["images"].pop("base_image")
    broken = tmp_path / "execution-environment.yml"
    broken.write_text(yaml.safe_dump(definition))
    run = _create(str(broken), tmp_path / "context")
    assert run.returncode != 0
    assert "base_imag" in run.stdout + run.stderr
