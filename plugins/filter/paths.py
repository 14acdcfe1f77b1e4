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


class FilterModule:
    """boutique.ops path filters."""

    def filters(self):
        return {"cwd_path": cwd_path}
