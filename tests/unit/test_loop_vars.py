# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Every loop names its variable (issue 14): no implicit `item`.

A task with `loop:` or `with_*:` sets `loop_control.loop_var`, never `item`; in a role the name starts
with the role's prefix (`_<role>_` for the role's internal names, or `<role>_`). An `include_tasks` in
a loop does not reuse its loop variable in the loops of the file it includes. No Jinja in task files
or role templates reads `item` (a registered loop's results carry the item under the loop variable's
name, so `results | map(attribute='item')` is a leftover too).
"""

from __future__ import annotations

import glob
import os
import re
import warnings

import jinja2
import pytest
import yaml
from jinja2 import nodes

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ROLES_DIR = os.path.join(REPO_ROOT, "roles")
# Keys that hold a bare Jinja expression (no braces).
BARE = ("when", "that", "until", "changed_when", "failed_when")
TASK_LISTS = ("tasks", "pre_tasks", "post_tasks", "handlers", "block", "rescue", "always")
INCLUDES = ("include_tasks", "import_tasks", "ansible.builtin.include_tasks", "ansible.builtin.import_tasks")
JINJA = jinja2.Environment()


def _is_playbook(data):
    return isinstance(data, list) and bool(data) and all(
        isinstance(play, dict) and ("hosts" in play or any(key.endswith("import_playbook") for key in play)) for play in data)


def task_files():
    """(relative path, role or None, parsed YAML) of every task and playbook file."""
    found = []
    for path in sorted(glob.glob(os.path.join(ROLES_DIR, "*", "tasks", "*.yml")) + glob.glob(os.path.join(ROLES_DIR, "*", "handlers", "*.yml"))):
        role = os.path.relpath(path, ROLES_DIR).split(os.sep)[0]
        found.append((os.path.relpath(path, REPO_ROOT), role, _load(path)))
    for path in sorted(glob.glob(os.path.join(REPO_ROOT, "playbooks", "*.yml")) + glob.glob(os.path.join(REPO_ROOT, "*.yml"))):
        data = _load(path)
        if os.path.dirname(path) != REPO_ROOT or _is_playbook(data):
            found.append((os.path.relpath(path, REPO_ROOT), None, data))
    return found


def _load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or []


def tasks(data):
    """Every task (and block) dict in a task file or playbook, depth first."""
    for entry in data if isinstance(data, list) else []:
        if not isinstance(entry, dict):
            continue
        is_play = "hosts" in entry
        if not is_play:
            yield entry
        for key in TASK_LISTS:
            yield from tasks(entry.get(key))


def loop_keys(task):
    return [key for key in task if key == "loop" or key.startswith("with_")]


def loop_var(task):
    return (task.get("loop_control") or {}).get("loop_var")


def loop_problems(path, role, data):
    """Sentences for the loops of one parsed file that do not name their variable as they must."""
    prefix = re.compile(r"^_?%s_[a-z0-9_]+$" % re.escape(role.lstrip("_"))) if role else None
    problems = []
    for task in tasks(data):
        keys = loop_keys(task)
        if not keys:
            continue
        name, var = task.get("name", "(unnamed task)"), loop_var(task)
        if not var:
            problems.append("%s: task %r loops (%s) without loop_control.loop_var" % (path, name, ", ".join(keys)))
        elif var == "item":
            problems.append("%s: task %r sets loop_var: item; name it after what it holds" % (path, name))
        elif prefix and not prefix.match(var):
            problems.append("%s: task %r: loop_var %s does not start with the role's prefix (_%s_)" % (path, name, var, role.lstrip("_")))
    return problems


def _strings(value, key=None):
    """(key, text) for every string in a task, bare expressions wrapped in braces."""
    if isinstance(value, dict):
        for child_key, child in value.items():
            if child_key in TASK_LISTS:
                continue  # nested tasks are visited on their own
            yield from _strings(child, child_key)
    elif isinstance(value, list):
        for child in value:
            yield from _strings(child, key)
    elif isinstance(value, str):
        yield key, ("{{ %s }}" % value if key in BARE else value)


def item_reads(text):
    """How ``text`` reads the implicit loop variable: the name `item`, or `attribute='item...'`."""
    found = []
    with warnings.catch_warnings():  # regexes in string literals: Jinja's lexer warns about their escapes
        warnings.simplefilter("ignore", DeprecationWarning)
        tree = JINJA.parse(text)
    for node in tree.find_all((nodes.Name, nodes.Keyword)):
        if isinstance(node, nodes.Name) and node.name == "item":
            found.append("item")
        elif (isinstance(node, nodes.Keyword) and node.key == "attribute" and isinstance(node.value, nodes.Const)
              and str(node.value.value).split(".", maxsplit=1)[0] == "item"):
            found.append("attribute=%r" % node.value.value)
    return found


def item_problems(path, data):
    problems = []
    for task in tasks(data):
        name = task.get("name", "(unnamed task)")
        reads = {}
        for key, text in _strings(task):
            reads.setdefault(key, set()).update(item_reads(text))
        problems += ["%s: task %r reads %s in %s" % (path, name, ", ".join(sorted(found)), key) for key, found in reads.items() if found]
    return problems


def _include_file(task):
    for key in INCLUDES:
        value = task.get(key)
        if isinstance(value, dict):
            value = value.get("file")
        if isinstance(value, str) and "{{" not in value:
            return value
    return None


def _loop_vars_through(roles_dir, role, filename, seen):
    """Loop variables of a role's task file and the files it includes (statically named)."""
    path = os.path.join(roles_dir, role, "tasks", filename)
    if path in seen or not os.path.isfile(path):
        return set()
    seen.add(path)
    names = set()
    for task in tasks(_load(path)):
        if loop_keys(task):
            names.add(loop_var(task) or "item")
        included = _include_file(task)
        if included:
            names |= _loop_vars_through(roles_dir, role, included, seen)
    return names


def nested_problems(path, role, data, roles_dir=ROLES_DIR):
    problems = []
    if not role:
        return problems
    for task in tasks(data):
        included = _include_file(task)
        if not (loop_keys(task) and included):
            continue
        outer = loop_var(task) or "item"
        if outer in _loop_vars_through(roles_dir, role, included, set()):
            problems.append("%s: task %r loops over %s with loop_var %s, which a loop inside reuses"
                            % (path, task.get("name", "(unnamed task)"), included, outer))
    return problems


def test_every_loop_names_its_variable():
    problems = []
    for path, role, data in task_files():
        problems += loop_problems(path, role, data) + nested_problems(path, role, data)
    assert not problems, "set loop_control.loop_var (issue 14):\n" + "\n".join(problems)


def test_no_task_or_template_reads_item():
    problems = []
    for path, _role, data in task_files():
        problems += item_problems(path, data)
    for template in sorted(glob.glob(os.path.join(ROLES_DIR, "*", "templates", "**", "*.j2"), recursive=True)):
        with open(template, encoding="utf-8") as handle:
            reads = item_reads(handle.read())
        if reads:
            problems.append("%s reads %s" % (os.path.relpath(template, REPO_ROOT), ", ".join(sorted(set(reads)))))
    assert not problems, "read the loop's named variable instead (issue 14):\n" + "\n".join(problems)


def test_the_files_are_found():
    paths = [path for path, _role, _data in task_files()]
    assert "roles/loadtest/tasks/run.yml" in paths and "playbooks/teardown_cluster.yml" in paths
    assert "site.yml" in paths and "galaxy.yml" not in paths


# The checks themselves can fail.
BAD = yaml.safe_load("""
- name: Implicit item
  ansible.builtin.debug:
    msg: "{{ item }}"
  loop: [a]
- name: Old style
  ansible.builtin.debug:
    msg: "{{ item }}"
  with_items: [a]
- name: Named item
  ansible.builtin.debug:
    msg: "{{ item }}"
  loop: [a]
  loop_control:
    loop_var: item
- name: A block
  block:
    - name: Someone else's prefix
      ansible.builtin.debug:
        msg: "{{ _other_x }}"
      loop: [a]
      loop_control:
        loop_var: _other_x
    - name: Fine
      ansible.builtin.debug:
        msg: "{{ _demo_x }}"
      loop: [a]
      loop_control:
        loop_var: _demo_x
- name: A leftover read
  ansible.builtin.assert:
    that: _demo_results.results | map(attribute='item.name') | list
  when: item is defined
""")


def test_the_loop_check_can_fail():
    problems = loop_problems("roles/demo/tasks/x.yml", "demo", BAD)
    assert len(problems) == 4, problems
    assert problems[0] == "roles/demo/tasks/x.yml: task 'Implicit item' loops (loop) without loop_control.loop_var"
    assert "(with_items)" in problems[1] and "loop_var: item" in problems[2] and "_other_x" in problems[3]
    assert len(loop_problems("playbooks/x.yml", None, BAD)) == 3  # playbooks: any name but item


def test_the_item_check_can_fail():
    problems = item_problems("roles/demo/tasks/x.yml", BAD)
    assert [p.split(" reads ")[0] for p in problems] == ["roles/demo/tasks/x.yml: task %r" % name for name in (
        "Implicit item", "Old style", "Named item", "A leftover read", "A leftover read")], problems
    assert "attribute='item.name' in that" in problems[3] and "item in when" in problems[4]


@pytest.mark.parametrize("text, reads", [
    ("{{ _x.item }}", []),
    ("{{ x['item'] }}", []),
    ("Plan each item", []),
    ("{{ item.key }}={{ item.value }}", ["item", "item"]),
    ("{% for item in xs %}{{ item }}{% endfor %}", ["item", "item"]),
])
def test_item_reads(text, reads):
    assert item_reads(text) == reads


def test_the_nested_check_can_fail(tmp_path):
    tasks_dir = tmp_path / "demo" / "tasks"
    tasks_dir.mkdir(parents=True)
    (tasks_dir / "inner.yml").write_text("- name: Inner\n  ansible.builtin.debug:\n    msg: x\n  loop: [1]\n  loop_control:\n    loop_var: _demo_x\n")
    outer = yaml.safe_load("- name: Outer\n  ansible.builtin.include_tasks:\n    file: inner.yml\n  loop: [1]\n  loop_control:\n    loop_var: _demo_x\n")
    assert nested_problems("roles/demo/tasks/main.yml", "demo", outer, str(tmp_path)) == [
        "roles/demo/tasks/main.yml: task 'Outer' loops over inner.yml with loop_var _demo_x, which a loop inside reuses"]
    outer[0]["loop_control"]["loop_var"] = "_demo_y"
    assert nested_problems("roles/demo/tasks/main.yml", "demo", outer, str(tmp_path)) == []
