# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Render mode keeps the user's files, prunes only what it wrote, and refuses dangerous folders.

Through ansible-playbook, as a user runs it: the stage playbooks in render mode, and
boutique.ops.render_files called from a small playbook (argument checks, src lookup, check mode).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ansible_collections.boutique.ops.plugins.action.render_files import MANIFEST
from ansible_collections.boutique.ops.tests.helpers import REPO_ROOT, run_playbook

VENV_BIN = os.path.dirname(sys.executable)
BOUTIQUE = "playbooks/boutique.yml"
MINIMAL_DROPS = {"adservice.yml", "recommendationservice.yml", "emailservice.yml"}


def files_of(folder):
    return sorted(name for name in os.listdir(folder) if not name.startswith("."))


def render(folder, *args):
    run = run_playbook(BOUTIQUE, "-e", "ops_render_dir=%s" % folder, *args)
    assert run.returncode == 0, run.output[-3000:]
    return run


def test_user_files_survive_a_re_render_and_a_profile_switch(tmp_path):
    render(tmp_path, "-e", "boutique_profile=full")
    shop = tmp_path / "boutique"
    assert MINIMAL_DROPS <= set(files_of(shop))
    assert (shop / MANIFEST).read_text().splitlines()[2:] == files_of(shop)
    # What a GitOps user adds next to the render.
    (shop / "kustomization.yml").write_text("resources: [namespace.yml, frontend.yml]\n")
    (shop / "NOTES.md").write_text("Reviewed by ops.\n")
    (shop / "overlays").mkdir()
    (shop / "overlays" / "prod.yml").write_text("replicas: 3\n")

    again = render(tmp_path, "-e", "boutique_profile=full")
    assert "Write the shop's manifests" in again.output
    assert again.changed_count() == 0, again.output[-3000:]

    render(tmp_path, "-e", "boutique_profile=minimal")
    left = set(files_of(shop))
    assert not MINIMAL_DROPS & left
    assert {"kustomization.yml", "NOTES.md", "overlays", "frontend.yml", "namespace.yml"} <= left
    assert (shop / "kustomization.yml").read_text() == "resources: [namespace.yml, frontend.yml]\n"
    assert (shop / "overlays" / "prod.yml").read_text() == "replicas: 3\n"


def test_check_mode_changes_nothing_in_the_folder(tmp_path):
    render(tmp_path, "-e", "boutique_profile=full")
    shop = tmp_path / "boutique"
    before = {name: (shop / name).read_bytes() for name in os.listdir(shop)}
    run = render(tmp_path, "-e", "boutique_profile=minimal", "--check")
    assert {name: (shop / name).read_bytes() for name in os.listdir(shop)} == before
    assert "changed: [localhost]" in run.output


def test_check_mode_on_a_new_folder_creates_nothing(tmp_path):
    run = render(tmp_path / "new", "--check")
    assert "Write the shop's manifests" in run.output
    assert not (tmp_path / "new").exists()


def test_a_relative_render_dir_is_taken_from_the_current_directory(tmp_path):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"))
    env["PATH"] = VENV_BIN + os.pathsep + env.get("PATH", "")
    proc = subprocess.run([os.path.join(VENV_BIN, "ansible-playbook"), os.path.join(REPO_ROOT, BOUTIQUE), "-e", "ops_render_dir=out/render"],
                          cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (tmp_path / "out" / "render" / "boutique" / "frontend.yml").is_file()
    assert not os.path.exists(os.path.join(REPO_ROOT, "playbooks", "out"))
    assert not os.path.exists(os.path.join(REPO_ROOT, "out"))


@pytest.mark.parametrize("folder,says", [
    ("/", "is the file system's root (/)"),
    ("HOME", "is the home folder"),
    ("HOME/.", "is the home folder"),
    (REPO_ROOT, "is the project's own folder"),
    ("REL_ROOT", "is the project's own folder"),
])
def test_dangerous_render_dirs_are_refused_before_anything_is_written(tmp_path, folder, says):
    home = tmp_path / "home"
    home.mkdir()
    folder = folder.replace("HOME", str(home)).replace("REL_ROOT", ".")
    target = folder if os.path.isabs(folder) else REPO_ROOT
    assert not os.path.exists(os.path.join(target, "boutique"))
    run = run_playbook(BOUTIQUE, "-e", "ops_render_dir=%s" % folder, env={"HOME": str(home)})
    assert run.returncode != 0
    assert says in run.output, run.output[-3000:]
    assert "e.g. -e ops_render_dir=/tmp/boutique-render" in run.output
    # Refused before anything was written (other tests may write elsewhere in the project meanwhile).
    assert not os.path.exists(os.path.join(target, "boutique"))


PLAYBOOK = """---
- name: Render files
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Write the files
      boutique.ops.render_files:
        dest: "{{ dest }}"
        files: "{{ files }}"
"""


def run_action(tmp_path, files, dest=None):
    playbook = tmp_path / "render.yml"
    playbook.write_text(PLAYBOOK)
    extra = {"dest": str(dest or tmp_path / "out"), "files": files}
    return run_playbook(str(playbook), "-i", "localhost,", "-e", __import__("json").dumps(extra))


@pytest.mark.parametrize("files,says", [
    ([{"path": "../escape.yml", "content": "x"}], "is not a relative path inside dest"),
    ([{"path": "/etc/x.yml", "content": "x"}], "is not a relative path inside dest"),
    ([{"path": MANIFEST, "content": "x"}], "is not a relative path inside dest"),
    ([{"path": "a.yml", "content": "x"}, {"path": "./a.yml", "content": "y"}], "is listed twice"),
    ([{"path": "a.yml"}], "one of the following is required: content, src"),
    ([{"path": "a.yml", "content": "x", "src": "y"}], "mutually exclusive"),
    ([{"path": "a.yml", "src": "no-such-file.txt"}], "files[0].src=no-such-file.txt was not found"),
])
def test_bad_arguments_are_refused_and_nothing_is_written(tmp_path, files, says):
    run = run_action(tmp_path, files)
    assert run.returncode != 0
    assert says in run.output, run.output[-3000:]
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "escape.yml").exists()


def test_src_is_copied_byte_for_byte(tmp_path):
    (tmp_path / "files").mkdir()
    data = bytes(range(256)) * 4
    (tmp_path / "files" / "blob.bin").write_bytes(data)
    run = run_action(tmp_path, [{"path": "sub/blob.bin", "src": "blob.bin"}, {"path": "text.txt", "content": "héllo\n"}])
    assert run.returncode == 0, run.output[-3000:]
    assert (tmp_path / "out" / "sub" / "blob.bin").read_bytes() == data
    assert (tmp_path / "out" / "text.txt").read_bytes() == "héllo\n".encode()
    assert run.changed_count() == 1
    again = run_action(tmp_path, [{"path": "sub/blob.bin", "src": "blob.bin"}, {"path": "text.txt", "content": "héllo\n"}])
    assert again.changed_count() == 0
