# -*- coding: utf-8 -*-
# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Action plugin behind boutique.ops.render_files (documented in plugins/modules/render_files.py).

It runs on the controller only: render mode writes where ansible-playbook runs, so no module is
shipped anywhere, and a role's whole render folder costs one task.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase

MANIFEST = ".boutique-ops-render"
MANIFEST_HEADER = (
    "# Written by boutique.ops.render_files: the files its last run wrote in this folder, one per line.\n"
    "# The next render removes those it no longer writes; every other file here is left alone.\n"
)
FILE_MODE = 0o644
DIR_MODE = 0o755

ARGUMENT_SPEC = {
    "dest": {"type": "path", "required": True},
    "files": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {
            "path": {"type": "str", "required": True},
            "content": {"type": "str"},
            "src": {"type": "str"},
        },
        "mutually_exclusive": [["content", "src"]],
        "required_one_of": [["content", "src"]],
    },
}


def clean_relative_path(path):
    """``path`` normalised if it is a plain relative path inside a folder, else None."""
    if not path or "\x00" in path or os.path.isabs(path):
        return None
    norm = os.path.normpath(path)
    if norm in (".", "..") or norm.startswith(".." + os.sep) or norm == MANIFEST:
        return None
    return norm


def read_manifest(dest):
    """The relative paths the last run wrote in ``dest`` (entries that are not plain relative paths are dropped)."""
    try:
        with open(os.path.join(dest, MANIFEST), "rb") as handle:
            lines = to_text(handle.read(), errors="surrogate_or_strict").splitlines()
    except FileNotFoundError:
        return []
    entries = []
    for line in lines:
        if line and not line.startswith("#"):
            clean = clean_relative_path(line)
            if clean is not None and clean not in entries:
                entries.append(clean)
    return entries


def manifest_bytes(paths):
    return to_bytes(MANIFEST_HEADER + "".join(path + "\n" for path in sorted(paths)))


def parent_inside(dest, rel_path):
    """True when the folder holding ``rel_path`` is ``dest`` or below it, symlinks resolved (never prune elsewhere)."""
    real_dest = os.path.realpath(dest)
    real_parent = os.path.realpath(os.path.dirname(os.path.join(dest, rel_path)))
    return real_parent == real_dest or real_parent.startswith(real_dest + os.sep)


def needs_write(path, data):
    """Why ``path`` must be (re)written to hold ``data`` at mode 0644, or None when it already does."""
    if os.path.islink(path) or not os.path.isfile(path):
        return "new" if not os.path.lexists(path) else "replaced"
    with open(path, "rb") as handle:
        if handle.read() != data:
            return "content"
    if os.stat(path).st_mode & 0o7777 != FILE_MODE:
        return "mode"
    return None


def write_file(path, data):
    """Write ``data`` to ``path`` atomically (a temporary file in the same folder, then rename), mode 0644."""
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=DIR_MODE, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=".render-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def remove_empty_parents(dest, rel_path):
    """Remove the folders above ``rel_path`` that are now empty, up to but not including ``dest``."""
    parent = os.path.dirname(rel_path)
    while parent:
        folder = os.path.join(dest, parent)
        try:
            os.rmdir(folder)
        except OSError:
            return
        parent = os.path.dirname(parent)


def sync(dest, files, check_mode=False):
    """Make ``dest`` hold ``files`` (relative path -> bytes) and drop what the last run wrote but this one does not.

    Returns a result dict: changed, written (path -> reason), removed, unchanged (count), files.
    Files the manifest does not list are never touched.
    """
    dest = os.path.abspath(dest)
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise AnsibleActionFail("dest=%s exists and is not a folder: render into a folder (e.g. -e ops_render_dir=/tmp/boutique-render)." % dest)
    previous = read_manifest(dest)
    written = {}
    for rel_path in sorted(files):
        full = os.path.join(dest, rel_path)
        if os.path.isdir(full) and not os.path.islink(full):
            raise AnsibleActionFail("%s is a folder, so the rendered file %s cannot be written there: move it away and render again." % (full, rel_path))
        reason = needs_write(full, files[rel_path])
        if reason:
            written[rel_path] = reason
    stale = [rel for rel in previous if rel not in files]
    removed = [rel for rel in stale if parent_inside(dest, rel) and os.path.lexists(os.path.join(dest, rel))
               and (os.path.islink(os.path.join(dest, rel)) or not os.path.isdir(os.path.join(dest, rel)))]
    new_manifest = manifest_bytes(files)
    manifest_path = os.path.join(dest, MANIFEST)
    manifest_changed = needs_write(manifest_path, new_manifest) is not None
    if not check_mode:
        for rel_path in written:
            write_file(os.path.join(dest, rel_path), files[rel_path])
        for rel_path in removed:
            os.unlink(os.path.join(dest, rel_path))
            remove_empty_parents(dest, rel_path)
        if manifest_changed:
            write_file(manifest_path, new_manifest)
    return {
        "changed": bool(written or removed or manifest_changed),
        "dest": dest,
        "manifest": manifest_path,
        "written": written,
        "removed": removed,
        "unchanged": len(files) - len(written),
        "files": sorted(files),
    }


class ActionModule(ActionBase):
    """Write a role's render folder in one task; prune only what the previous run wrote."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        dest = args["dest"]
        if not dest or not dest.strip():
            raise AnsibleActionFail("dest is empty: give the role's render folder, e.g. dest: \"{{ ops_render_dir }}/boutique\".")
        files = {}
        for index, entry in enumerate(args["files"]):
            rel_path = clean_relative_path(entry["path"])
            if rel_path is None:
                raise AnsibleActionFail(
                    "files[%d].path=%r is not a relative path inside dest (no leading /, no .., not %s): "
                    "give a path such as frontend.yml or dashboards/pods.json." % (index, entry["path"], MANIFEST))
            if rel_path in files:
                raise AnsibleActionFail("files[%d].path=%s is listed twice: each rendered file has one entry." % (index, rel_path))
            if entry.get("src") is not None:
                try:
                    source = self._find_needle("files", entry["src"])
                except Exception as exc:  # AnsibleError with the search path in its message
                    raise AnsibleActionFail("files[%d].src=%s was not found: %s" % (index, entry["src"], to_text(exc)))
                with open(source, "rb") as handle:
                    files[rel_path] = handle.read()
            else:
                files[rel_path] = to_bytes(entry["content"], errors="surrogate_or_strict")
        # A relative dest is relative to where ansible-playbook runs, not to the playbook's folder.
        dest = os.path.join(os.getcwd(), os.path.expanduser(dest))
        try:
            outcome = sync(dest, files, check_mode=bool(self._task.check_mode))
        except OSError as exc:
            raise AnsibleActionFail("cannot write the render folder %s: %s" % (dest, to_text(exc)))
        result.update(outcome)
        if self._task.check_mode and outcome["changed"]:
            result["msg"] = "check mode: would write %d and remove %d file(s) in %s" % (
                len(outcome["written"]), len(outcome["removed"]), outcome["dest"])
        return result
