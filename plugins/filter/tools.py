# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filters about the control node's tools."""

from __future__ import annotations

import os
import shutil

from ansible.errors import AnsibleFilterError


def missing_tools(names, path=None):
    """Return the names from ``names`` that are not executables on ``path`` (default: $PATH).

    Only looks at the file system: running a tool to ask for its version can contact a
    cluster (the gcloud kubectl dispatcher reads the kubeconfig), which preflight must not wait on.
    """
    if isinstance(names, str) or not isinstance(names, (list, tuple)):
        raise AnsibleFilterError("missing_tools expects a list of program names, got %r" % (names,))
    search_path = os.environ.get("PATH", "") if path is None else path
    return [name for name in names if shutil.which(str(name), path=search_path) is None]


class FilterModule:
    """boutique.ops tool filters."""

    def filters(self):
        return {"missing_tools": missing_tools}
