# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Unit tests for plugins/filter/render_files.py and plugins/module_utils/plain_data.py."""

from __future__ import annotations

import os

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.boutique.ops.plugins.filter.render_files import (
    render_dir_problem, render_dir_writable, render_file_list, rendered_folders)
from ansible_collections.boutique.ops.plugins.module_utils.plain_data import plain_copy


def test_render_file_list_plain_and_keyed():
    assert render_file_list({"b.yml": "B", "a.yml": "A"}) == [{"path": "a.yml", "content": "A"}, {"path": "b.yml", "content": "B"}]
    assert render_file_list({"pods": {"json": "{}"}}, path="dashboards/{}.json", key="json", newline=True) == [
        {"path": "dashboards/pods.json", "content": "{}\n"}]


@pytest.mark.parametrize("value,options,says", [
    (["a"], {}, "expects a dict"),
    ({"a": {"other": "x"}}, {"key": "json"}, "a has no 'json'"),
    ({"a": 1}, {}, "is a int, not text"),
])
def test_render_file_list_refuses(value, options, says):
    with pytest.raises(AnsibleFilterError, match=says):
        render_file_list(value, **options)


@pytest.fixture(name="places")
def fixture_places(tmp_path):
    home, project, cwd = tmp_path / "home", tmp_path / "project", tmp_path / "cwd"
    for folder in (home, project, cwd):
        folder.mkdir()
    os.symlink(str(project), str(tmp_path / "link-to-project"))
    return {"home": str(home), "project_root": str(project), "cwd": str(cwd), "tmp": str(tmp_path)}


@pytest.mark.parametrize("render_dir,says", [
    ("/", "is the file system's root (/)"),
    ("/..", "is the file system's root (/)"),
    ("{home}", "is the home folder"),
    ("{home}/", "is the home folder"),
    ("../home", "is the home folder"),
    ("{project_root}", "is the project's own folder"),
    ("{tmp}/link-to-project", "is the project's own folder"),
    ("../project/.", "is the project's own folder"),
])
def test_dangerous_folders_are_refused(places, render_dir, says):
    problem = render_dir_problem(render_dir.format(**places), places["project_root"], home=places["home"], cwd=places["cwd"])
    assert says in problem
    assert problem.startswith("ops_render_dir=%s " % render_dir.format(**places))
    assert "-e ops_render_dir=/tmp/boutique-render" in problem


@pytest.mark.parametrize("render_dir", ["", "render", "{home}/render", "{project_root}/render", "{tmp}", "/tmp/boutique-render"])
def test_ordinary_folders_pass(places, render_dir):
    assert render_dir_problem(render_dir.format(**places), places["project_root"], home=places["home"], cwd=places["cwd"]) == ""


def test_plain_copy_is_deep_and_plain():
    source = {"a": [{"b": 1}, (2, 3)], "c": {"d": "e"}}
    copied = plain_copy(source)
    assert copied == {"a": [{"b": 1}, [2, 3]], "c": {"d": "e"}}
    copied["a"][0]["b"] = 9
    copied["c"]["d"] = "x"
    assert source == {"a": [{"b": 1}, (2, 3)], "c": {"d": "e"}}


def test_render_dir_writable(tmp_path):
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "ro").mkdir()
    assert render_dir_writable(str(tmp_path)) is True
    assert render_dir_writable("ro", cwd=str(tmp_path)) is True
    assert render_dir_writable(str(tmp_path / "a-file")) is False
    assert render_dir_writable(str(tmp_path / "missing")) is False
    assert render_dir_writable("") is False


def test_rendered_folders(tmp_path):
    for name in ("monitoring", "boutique", "Zeta", ".hidden"):
        (tmp_path / name).mkdir()
    (tmp_path / "a-file").write_text("x")
    os.symlink(str(tmp_path / "boutique"), str(tmp_path / "link"))
    assert rendered_folders(str(tmp_path)) == ["boutique", "monitoring", "Zeta"]
    assert rendered_folders(tmp_path.name, cwd=str(tmp_path.parent)) == ["boutique", "monitoring", "Zeta"]
    assert rendered_folders(str(tmp_path / "a-file")) == []
    assert rendered_folders(str(tmp_path / "missing")) == []
    assert rendered_folders("") == []
