# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filters that turn the objects a role builds into the files render mode writes."""

from __future__ import annotations

import yaml

from ansible.errors import AnsibleFilterError
from ansible.parsing.yaml.dumper import AnsibleDumper


def to_manifests(objects):
    """Return ``objects`` as multi-document YAML, one object per document."""
    if isinstance(objects, dict):
        objects = [objects]
    if not isinstance(objects, (list, tuple)):
        raise AnsibleFilterError(
            "to_manifests expects a list of Kubernetes objects, got %s" % type(objects).__name__
        )
    for index, obj in enumerate(objects):
        if not isinstance(obj, dict) or "kind" not in obj or "apiVersion" not in obj:
            raise AnsibleFilterError(
                "to_manifests: item %d is not a Kubernetes object (needs apiVersion and kind)" % index
            )
    return yaml.dump_all(
        objects,
        Dumper=AnsibleDumper,
        explicit_start=True,
        default_flow_style=False,
        sort_keys=False,
        width=120,
    )


class FilterModule:
    """boutique.ops manifest filters."""

    def filters(self):
        return {"to_manifests": to_manifests}
