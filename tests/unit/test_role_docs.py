# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Every role documents every public variable: in its argument spec and in its README."""

from __future__ import annotations

import os

import pytest
import yaml

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ROLES_DIR = os.path.join(REPO_ROOT, "roles")
ROLES = sorted(name for name in os.listdir(ROLES_DIR) if os.path.isdir(os.path.join(ROLES_DIR, name)))


def load_yaml(*parts):
    with open(os.path.join(ROLES_DIR, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def public_defaults(role):
    return sorted(name for name in load_yaml(role, "defaults", "main.yml") if not name.startswith("_"))


def test_every_role_is_found():
    assert {"_common", "preflight", "boutique", "monitoring", "canary", "istio", "gke_cluster", "loadgen_vm", "locust", "loadtest"} <= set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_defaults_are_in_the_argument_spec(role):
    specs = load_yaml(role, "meta", "argument_specs.yml")["argument_specs"]
    documented = set()
    for entry_point in specs.values():
        documented.update((entry_point.get("options") or {}).keys())
    missing = [name for name in public_defaults(role) if name not in documented]
    assert not missing, "%s: defaults without an argument spec entry: %s" % (role, ", ".join(missing))


@pytest.mark.parametrize("role", ROLES)
def test_defaults_are_in_the_readme(role):
    with open(os.path.join(ROLES_DIR, role, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    missing = [name for name in public_defaults(role) if name not in readme]
    assert not missing, "%s: defaults the README does not mention: %s" % (role, ", ".join(missing))


@pytest.mark.parametrize("role", ROLES)
def test_defaults_are_prefixed_with_the_role_name(role):
    # ops_* (and the shared gcp_*) are the collection-wide settings, kept once in the internal role _common.
    allowed = ("ops_", "gcp_") if role == "_common" else ("%s_" % role,)
    wrong = [name for name in public_defaults(role) if not name.startswith(allowed)]
    assert not wrong, "%s: defaults without the role's prefix: %s" % (role, ", ".join(wrong))
