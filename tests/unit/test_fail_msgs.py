# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Every assert's message templates when its check passes.

ansible-core 2.19 templates an assert's ``fail_msg`` (``msg``) before it evaluates ``that``, so a message
that reads a key a result lacks fails the task even when the check passes ("object of type 'dict' has no
attribute 'rc'"): the load test died so after async_status lost a job. The results whose keys depend on
the outcome (async_status, command, shell, uri, and facts copied from them) may be read in a message
only through ``| default(...)``. boutique.ops.check_inputs templates a message only when its check
fails, and ansible.builtin.fail only when its ``when`` holds, so they are left out.
"""

from __future__ import annotations

import glob
import os
import re

import yaml

from ansible_collections.boutique.ops.tests.helpers import REPO_ROOT

# Modules whose results have rc, stdout, status ... only for some outcomes (skipped, failed, lost job).
VOLATILE_MODULES = {"async_status", "command", "shell", "uri", "script", "raw"}
_BLOCK_KEYS = ("block", "rescue", "always", "tasks", "pre_tasks", "post_tasks", "handlers")
_ALIAS_RE = re.compile(r"^\s*\{\{\s*([A-Za-z_]\w*)\s*\}\}\s*$")


def _tasks(node):
    if isinstance(node, list):
        for item in node:
            yield from _tasks(item)
    elif isinstance(node, dict):
        yield node
        for key in _BLOCK_KEYS:
            if key in node:
                yield from _tasks(node[key])


def _module(task):
    for key in task:
        short = str(key).rsplit(".", 1)[-1]
        if short in VOLATILE_MODULES or short in ("assert", "set_fact"):
            return short
    return None


def _task_files():
    files = glob.glob(os.path.join(REPO_ROOT, "roles", "*", "tasks", "*.yml")) + glob.glob(os.path.join(REPO_ROOT, "playbooks", "*.yml"))
    loaded = {}
    for path in sorted(files):
        with open(path, encoding="utf-8") as handle:
            loaded[os.path.relpath(path, REPO_ROOT)] = list(_tasks(yaml.safe_load(handle)))
    return loaded


def _volatile_names(files):
    names = set()
    for tasks in files.values():
        names.update(task["register"] for task in tasks if "register" in task and _module(task) in VOLATILE_MODULES)
    # Facts that copy one of them ("_loadtest_master_status: '{{ _loadtest_master_poll }}'"), to a fixed point.
    while True:
        more = set()
        for tasks in files.values():
            for task in tasks:
                facts = task.get("ansible.builtin.set_fact") or task.get("set_fact") or {}
                for fact, value in (facts.items() if isinstance(facts, dict) else []):
                    match = _ALIAS_RE.match(str(value))
                    if match and match.group(1) in names and fact not in names:
                        more.add(fact)
        if not more:
            return names
        names |= more


def unguarded_reads(message, names):
    """The reads of ``names``' keys in the Jinja of ``message`` that no ``| default(...)`` follows."""
    found = []
    for expression in re.findall(r"\{\{.*?\}\}|\{%.*?%\}", message, re.S):
        for match in re.finditer(r"(?<![\w.])([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*|\[[^\]]*\])+)", expression):
            if match.group(1) in names and not re.match(r"\s*\|\s*default\(", expression[match.end():]):
                found.append(match.group(0))
    return found


def test_the_rule_sees_the_crash_of_issue_26():
    names = {"_loadtest_master_status"}
    assert unguarded_reads("locust ended with exit code {{ _loadtest_master_status.rc }}", names) == ["_loadtest_master_status.rc"]
    assert unguarded_reads("code {{ _loadtest_master_status.rc | default('none') }}", names) == []
    assert unguarded_reads("{{ other.rc }} {% if _loadtest_master_status['rc'] %}", names) == ["_loadtest_master_status['rc']"]


def test_assert_messages_read_outcome_dependent_results_only_with_a_default():
    files = _task_files()
    names = _volatile_names(files)
    assert "_loadtest_master_status" in names and "_loadtest_master_poll" in names
    offenders = []
    for path, tasks in files.items():
        for task in tasks:
            if _module(task) != "assert":
                continue
            args = task.get("ansible.builtin.assert") or task.get("assert") or {}
            for key in ("fail_msg", "msg"):
                reads = unguarded_reads(str(args.get(key) or ""), names)
                if reads:
                    offenders.append("%s: %s: %s" % (path, task.get("name"), ", ".join(reads)))
    assert not offenders, "\n".join(offenders)
