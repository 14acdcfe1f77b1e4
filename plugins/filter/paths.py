# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filters about paths on the control node."""

from __future__ import annotations

import os

from ansible.errors import AnsibleFilterError


def cwd_path(path):
    """Return ``path`` as an absolute path: ``~`` expanded, a relative path taken from the current directory.

    The current directory is the one ansible-playbook was started in. Lookups and modules would
    otherwise resolve a relative path against the playbook's folder, which for an installed
    collection is the collection itself.
    """
    if not isinstance(path, str) or not path.strip():
        raise AnsibleFilterError("cwd_path expects a non-empty path, got %r" % (path,))
    return os.path.normpath(os.path.abspath(os.path.expanduser(path)))


def writable_dir_problem(path):
    """Return why ``path`` cannot be used as a folder to write into, or '' when it can.

    A folder that does not exist yet is fine when its nearest existing parent is a folder this
    user can write into (it can be created): check mode creates nothing, yet must not refuse it.
    """
    target = cwd_path(path)
    probe = target
    while not os.path.lexists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not os.path.isdir(probe):
        return "%s is not a folder" % probe
    if not os.access(probe, os.W_OK | os.X_OK):
        return "%s cannot be written" % probe
    return ""


class FilterModule:
    """boutique.ops path filters."""

    def filters(self):
        return {"cwd_path": cwd_path, "writable_dir_problem": writable_dir_problem}
