# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filters that shape data into the ``files`` list of boutique.ops.render_files, and check a render folder."""

from __future__ import annotations

import os

from ansible.errors import AnsibleFilterError


def render_file_list(mapping, path="{}", key=None, newline=False):
    """``{name: value}`` as ``[{"path": path.format(name), "content": text}]``, sorted by path.

    ``text`` is ``value[key]`` when ``key`` is given, else ``value``; ``newline`` appends one line end.
    """
    if not isinstance(mapping, dict):
        raise AnsibleFilterError("render_file_list expects a dict of name to content, got %s" % type(mapping).__name__)
    files = []
    for name in sorted(mapping):
        value = mapping[name]
        if key is not None:
            if not isinstance(value, dict) or key not in value:
                raise AnsibleFilterError("render_file_list: %s has no %r" % (name, key))
            value = value[key]
        if not isinstance(value, str):
            raise AnsibleFilterError("render_file_list: the content of %s is a %s, not text" % (name, type(value).__name__))
        files.append({"path": path.format(name), "content": value + "\n" if newline else value})
    return files


def _same(left, right):
    return os.path.normcase(os.path.normpath(left)) == os.path.normcase(os.path.normpath(right))


def render_dir_problem(render_dir, project_root, home=None, cwd=None):
    """Why ``render_dir`` must not be a render folder, or an empty string when it is acceptable.

    A relative folder is taken relative to ``cwd`` (default: the current directory, where
    ansible-playbook runs), as boutique.ops.render_files does. Refused: the file system root, the
    home folder and the project (the collection's own folder).
    """
    if not isinstance(render_dir, str) or not render_dir.strip():
        return ""
    home = home if home is not None else os.path.expanduser("~")
    cwd = cwd if cwd is not None else os.getcwd()
    folder = os.path.realpath(os.path.join(cwd, os.path.expanduser(render_dir)))
    example = "choose a folder of its own, e.g. -e ops_render_dir=/tmp/boutique-render"
    if _same(folder, os.path.dirname(folder)):
        return "ops_render_dir=%s is the file system's root (/): %s." % (render_dir, example)
    if home and _same(folder, os.path.realpath(home)):
        return "ops_render_dir=%s is the home folder (%s): %s." % (render_dir, home, example)
    if project_root and _same(folder, os.path.realpath(project_root)):
        return "ops_render_dir=%s is the project's own folder (%s): %s." % (render_dir, project_root, example)
    return ""


def _absolute(render_dir, cwd=None):
    """``render_dir`` as an absolute path, a relative one taken from ``cwd`` (default: the current directory, like cwd_path)."""
    if not isinstance(render_dir, str) or not render_dir:
        return render_dir
    return os.path.normpath(os.path.join(cwd if cwd is not None else os.getcwd(), os.path.expanduser(render_dir)))


def render_dir_writable(render_dir, cwd=None):
    """True when ``render_dir`` (a relative one taken from ``cwd``) is a folder this process can write into."""
    folder = _absolute(render_dir, cwd=cwd)
    return bool(folder) and os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK)


def rendered_folders(render_dir, cwd=None):
    """The names of the folders in ``render_dir`` (a relative one taken from ``cwd``), sorted.

    What the closing summary lists: the render folder's own subfolders, as ansible.builtin.find with
    file_type directory, recurse and hidden false and follow false found them (no hidden folder, no link
    to a folder), sorted as Jinja's sort did (ignoring case), read on the controller where boutique.ops.render_files writes. Nothing for a path
    that is not a folder.
    """
    folder = _absolute(render_dir, cwd=cwd)
    if not folder or not os.path.isdir(folder):
        return []
    names = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False):
                names.append(entry.name)
    # Jinja's sort, which the summary used, ignores case.
    return sorted(names, key=lambda name: (name.lower(), name))


class FilterModule:
    """boutique.ops render filters."""

    def filters(self):
        return {
            "render_file_list": render_file_list,
            "render_dir_problem": render_dir_problem,
            "render_dir_writable": render_dir_writable,
            "rendered_folders": rendered_folders,
        }
