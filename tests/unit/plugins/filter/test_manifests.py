# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Tests for the to_manifests filter that render mode writes with."""

from __future__ import annotations

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.boutique.ops.plugins.filter.manifests import to_manifests

SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "frontend", "namespace": "boutique"},
    "spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": "frontend"}},
}
DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "frontend"},
    "spec": {"replicas": 1},
}


def test_one_object_per_document_round_trips():
    text = to_manifests([SERVICE, DEPLOYMENT])
    assert text.count("---\n") == 2
    assert list(yaml.safe_load_all(text)) == [SERVICE, DEPLOYMENT]


def test_keeps_the_key_order_the_role_built():
    first_lines = to_manifests([SERVICE]).splitlines()[1:4]
    assert first_lines == ["apiVersion: v1", "kind: Service", "metadata:"]


def test_a_single_object_is_a_list_of_one():
    assert list(yaml.safe_load_all(to_manifests(DEPLOYMENT))) == [DEPLOYMENT]


def test_output_is_stable_between_calls():
    assert to_manifests([SERVICE, DEPLOYMENT]) == to_manifests([SERVICE, DEPLOYMENT])


@pytest.mark.parametrize("bad, message", [
    ("kind: Service", "expects a list of Kubernetes objects"),
    ([{"kind": "Service"}], "item 0 is not a Kubernetes object"),
    ([SERVICE, "text"], "item 1 is not a Kubernetes object"),
])
def test_rejects_what_is_not_a_list_of_objects(bad, message):
    with pytest.raises(AnsibleFilterError, match=message):
        to_manifests(bad)
