# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""boutique.ops.render_files: one task writes a render folder and prunes only what it wrote.

The folder logic (``sync``) is tested here in-process on real temporary folders; the action as
Ansible runs it (argument checks, ``src`` lookup, relative dest, check mode) through ansible-playbook
in tests/integration/test_render_files.py.
"""

from __future__ import annotations

import os

import pytest

from ansible.errors import AnsibleActionFail
from ansible_collections.boutique.ops.plugins.action import render_files
from ansible_collections.boutique.ops.plugins.action.render_files import MANIFEST, clean_relative_path, read_manifest, sync

FILES = {"namespace.yml": b"kind: Namespace\n", "frontend.yml": b"kind: Deployment\n", "dashboards/pods.json": b"{}\n"}


def tree(folder):
    """Every file under ``folder`` (relative path -> bytes), the manifest included."""
    found = {}
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            found[os.path.relpath(path, folder)] = open(path, "rb").read()
    return found


def test_first_run_writes_every_file_and_the_manifest(tmp_path):
    dest = tmp_path / "render" / "boutique"
    result = sync(str(dest), FILES)
    assert result["changed"] is True
    assert result["written"] == {path: "new" for path in FILES}
    assert result["removed"] == []
    found = tree(dest)
    assert {k: v for k, v in found.items() if k != MANIFEST} == FILES
    assert read_manifest(str(dest)) == sorted(FILES)
    for path in FILES:
        assert os.stat(dest / path).st_mode & 0o777 == 0o644
    assert os.stat(dest / "dashboards").st_mode & 0o777 == 0o755


def test_second_run_is_unchanged_and_touches_nothing(tmp_path):
    dest = tmp_path / "boutique"
    sync(str(dest), FILES)
    mtimes = {path: os.stat(dest / path).st_mtime_ns for path in list(FILES) + [MANIFEST]}
    result = sync(str(dest), FILES)
    assert result["changed"] is False
    assert result["written"] == {} and result["removed"] == [] and result["unchanged"] == len(FILES)
    assert {path: os.stat(dest / path).st_mtime_ns for path in mtimes} == mtimes


def test_changed_bytes_and_mode_are_rewritten(tmp_path):
    dest = tmp_path / "boutique"
    sync(str(dest), FILES)
    os.chmod(dest / "namespace.yml", 0o600)
    result = sync(str(dest), dict(FILES, **{"frontend.yml": b"kind: Deployment\nreplicas: 2\n"}))
    assert result["changed"] is True
    assert result["written"] == {"frontend.yml": "content", "namespace.yml": "mode"}
    assert (dest / "frontend.yml").read_bytes() == b"kind: Deployment\nreplicas: 2\n"
    assert os.stat(dest / "namespace.yml").st_mode & 0o777 == 0o644


def test_prunes_only_what_the_last_run_wrote(tmp_path):
    dest = tmp_path / "boutique"
    sync(str(dest), FILES)
    # A user's files next to the render: a kustomization, notes, a file in the render's sub-folder.
    (dest / "kustomization.yml").write_text("resources: [namespace.yml]\n")
    (dest / "NOTES.md").write_text("reviewed\n")
    (dest / "dashboards" / "mine.json").write_text("{}\n")
    smaller = {"namespace.yml": FILES["namespace.yml"]}
    result = sync(str(dest), smaller)
    assert result["changed"] is True
    assert sorted(result["removed"]) == ["dashboards/pods.json", "frontend.yml"]
    found = tree(dest)
    assert found["kustomization.yml"] == b"resources: [namespace.yml]\n"
    assert found["NOTES.md"] == b"reviewed\n"
    assert found["dashboards/mine.json"] == b"{}\n"
    assert "frontend.yml" not in found and "dashboards/pods.json" not in found
    assert read_manifest(str(dest)) == ["namespace.yml"]
    # And a re-render keeps them still.
    assert sync(str(dest), smaller)["changed"] is False
    assert (dest / "kustomization.yml").exists() and (dest / "NOTES.md").exists()


def test_a_folder_left_empty_by_the_prune_is_removed_but_not_a_users(tmp_path):
    dest = tmp_path / "monitoring"
    sync(str(dest), FILES)
    (dest / "mine").mkdir()
    sync(str(dest), {"namespace.yml": b"x\n"})
    assert not (dest / "dashboards").exists()
    assert (dest / "mine").is_dir()


def test_without_a_manifest_nothing_is_pruned(tmp_path):
    dest = tmp_path / "boutique"
    dest.mkdir()
    (dest / "adservice.yml").write_text("from an older render\n")
    result = sync(str(dest), FILES)
    assert result["removed"] == []
    assert (dest / "adservice.yml").exists()


def test_check_mode_reports_and_changes_nothing(tmp_path):
    dest = tmp_path / "boutique"
    result = sync(str(dest), FILES, check_mode=True)
    assert result["changed"] is True and set(result["written"]) == set(FILES)
    assert not dest.exists()
    sync(str(dest), FILES)
    before = tree(dest)
    result = sync(str(dest), {"namespace.yml": b"changed\n"}, check_mode=True)
    assert result["changed"] is True
    assert result["written"] == {"namespace.yml": "content"}
    assert sorted(result["removed"]) == ["dashboards/pods.json", "frontend.yml"]
    assert tree(dest) == before
    assert sync(str(dest), FILES, check_mode=True)["changed"] is False


def test_a_tampered_manifest_cannot_remove_files_elsewhere(tmp_path):
    dest = tmp_path / "render" / "boutique"
    outside = tmp_path / "precious.txt"
    outside.write_text("keep\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "victim.yml").write_text("keep\n")
    sync(str(dest), FILES)
    os.symlink(str(elsewhere), str(dest / "link"))
    with open(dest / MANIFEST, "a", encoding="utf-8") as handle:
        handle.write("../../precious.txt\n%s\nlink/victim.yml\n" % outside)
    result = sync(str(dest), FILES)
    assert result["removed"] == []
    assert outside.read_text() == "keep\n"
    assert (elsewhere / "victim.yml").read_text() == "keep\n"


def test_a_symlink_in_place_of_a_file_is_replaced_not_followed(tmp_path):
    dest = tmp_path / "boutique"
    dest.mkdir()
    target = tmp_path / "target.yml"
    target.write_text("user data\n")
    os.symlink(str(target), str(dest / "namespace.yml"))
    result = sync(str(dest), {"namespace.yml": b"kind: Namespace\n"})
    assert result["written"] == {"namespace.yml": "replaced"}
    assert not os.path.islink(dest / "namespace.yml")
    assert target.read_text() == "user data\n"


def test_a_folder_where_a_file_goes_is_refused(tmp_path):
    dest = tmp_path / "boutique"
    (dest / "frontend.yml").mkdir(parents=True)
    with pytest.raises(AnsibleActionFail, match="is a folder"):
        sync(str(dest), FILES)


def test_dest_that_is_a_file_is_refused(tmp_path):
    dest = tmp_path / "boutique"
    dest.write_text("x")
    with pytest.raises(AnsibleActionFail, match="is not a folder"):
        sync(str(dest), FILES)


@pytest.mark.parametrize("path,expected", [
    ("a.yml", "a.yml"), ("sub/./a.yml", "sub/a.yml"), ("sub/../a.yml", "a.yml"),
    ("/etc/passwd", None), ("../a.yml", None), ("sub/../../a.yml", None), ("", None), (".", None),
    (MANIFEST, None), ("a\x00b", None),
])
def test_clean_relative_path(path, expected):
    assert clean_relative_path(path) == expected


def test_manifest_is_sorted_and_explains_itself(tmp_path):
    sync(str(tmp_path), FILES)
    text = (tmp_path / MANIFEST).read_text()
    assert text.startswith("# Written by boutique.ops.render_files")
    assert [line for line in text.splitlines() if not line.startswith("#")] == sorted(FILES)
    assert render_files.MANIFEST == ".boutique-ops-render"
