# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Roles talk through documented interfaces only: no role (or playbook) reads another role's `_private` facts.

A role's internal facts start with `_<role>_`. Another role that needs them calls a documented
entry point (`tasks_from` with an argument spec) or reads a documented output fact named in the
role's README (e.g. `boutique_objects`, `<role>_teardown_plan`, `gke_cluster_gcloud_env`).
"""

from __future__ import annotations

import os
import re

import yaml

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ROLES_DIR = os.path.join(REPO_ROOT, "roles")
ROLES = sorted(name for name in os.listdir(ROLES_DIR) if os.path.isdir(os.path.join(ROLES_DIR, name)))
# Longest first, so that `_loadgen_vm_x` is not taken for a role called `loadgen`.
_NAMES = sorted((name.lstrip("_") for name in ROLES), key=len, reverse=True)
PRIVATE = re.compile(r"(?<![A-Za-z0-9_.])_(%s)_[a-z0-9_]*[a-z0-9]" % "|".join(map(re.escape, _NAMES)))

# Reads other streams are replacing with documented interfaces right now. Each entry is
# (reading role, owner role, fact pattern); remove it when its fix lands.
# Reads allowed while a fix is in flight: (reader role, owner role, fact pattern). Empty: none.
ALLOWED = []


def private_reads(folder, owner):
    """(file, line number, fact) for every `_<other role>_...` name under ``folder``."""
    found = []
    for root, _dirs, files in os.walk(folder):
        for name in sorted(files):
            if not name.endswith((".yml", ".yaml", ".j2")):
                continue
            path = os.path.join(root, name)
            with open(path, encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    for match in PRIVATE.finditer(line):
                        if match.group(1) != owner.lstrip("_"):
                            found.append((os.path.relpath(path, REPO_ROOT), number, match.group(0), match.group(1)))
    return found


def allowed(reader, fact_owner, fact):
    return any(reader == who and fact_owner == whose and pattern.fullmatch(fact) for who, whose, pattern in ALLOWED)


def test_the_pattern_finds_a_private_read():
    """The check itself can fail: a made-up cross-role read is found."""
    line = "msg: \"{{ _boutique_objects | length }} and hostvars[h]['_locust_master_host'] but not boutique_objects\""
    assert [m.group(0) for m in PRIVATE.finditer(line)] == ["_boutique_objects", "_locust_master_host"]


def test_no_role_reads_another_roles_private_facts():
    reads = []
    for role in ROLES:
        for path, number, fact, owner in private_reads(os.path.join(ROLES_DIR, role), role):
            if not allowed(role, owner, fact):
                reads.append("%s:%d reads %s (private to %s)" % (path, number, fact, owner))
    assert not reads, "use a documented entry point or output fact instead:\n" + "\n".join(reads)


def test_playbooks_read_no_private_facts_of_roles():
    reads = ["%s:%d reads %s (private to %s)" % read for read in private_reads(os.path.join(REPO_ROOT, "playbooks"), "")]
    assert not reads, "use a documented entry point or output fact instead:\n" + "\n".join(reads)


def test_allow_list_has_no_stale_entries():
    """Each allowed read still exists; when a stream's fix lands, its entry must go."""
    for reader, owner, pattern in ALLOWED:
        reads = [fact for _p, _n, fact, whose in private_reads(os.path.join(ROLES_DIR, reader), reader)
                 if whose == owner and pattern.fullmatch(fact)]
        assert reads, "allow-list entry %s reads %s is no longer needed: remove it" % (reader, pattern.pattern)


# The tasks_from entry points other roles and playbooks call, each with its argument spec.
ENTRY_POINTS = {"boutique": ["objects", "teardown_plan"], "istio": ["teardown_plan"], "monitoring": ["teardown_plan"]}


def test_documented_output_facts_are_in_the_readmes():
    """Every output fact another role or playbook reads is named in its owner's README."""
    outputs = {
        "boutique": ["boutique_objects", "boutique_teardown_plan"],
        "istio": ["istio_teardown_plan"],
        "monitoring": ["monitoring_teardown_plan"],
        "gke_cluster": ["gke_cluster_gcloud_env"],
    }
    for role, facts in outputs.items():
        with open(os.path.join(ROLES_DIR, role, "README.md"), encoding="utf-8") as handle:
            readme = handle.read()
        with open(os.path.join(ROLES_DIR, role, "meta", "argument_specs.yml"), encoding="utf-8") as handle:
            specs = yaml.safe_load(handle)["argument_specs"]
        for fact in facts:
            assert fact in readme, "%s: output fact %s is not in the README" % (role, fact)
        for entry in ENTRY_POINTS.get(role, []):
            assert entry in specs, "%s: entry point %s has no argument spec" % (role, entry)
