# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Unit tests for plugins/filter/references.py: image references, URLs and namespace/name references."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.boutique.ops.plugins.filter import references as refs

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize("value", [
    "nginx",
    "frontend:v2",
    "us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/frontend:v0.10.6",
    "registry.example.com/frontend:v2",
    "localhost:5000/shop/frontend:latest",
    "Registry.Example.COM:443/a/b_c/d__e/f-g---h.i:TAG_1.0-rc",
    "[::1]:5000/frontend:v2",
    "frontend@" + DIGEST,
    "registry.example.com/frontend:v2@" + DIGEST,
    "a" * 255,
    "frontend:" + "t" * 128,
])
def test_image_references_that_follow_the_grammar(value):
    assert refs.image_reference_problem(value) == ""


@pytest.mark.parametrize("value, fragment", [
    ("x;touch /tmp/p", "' ' and ';'"),
    ("frontend:v2$(id)", "'$'"),
    ("frontend:v2 ", "' '"),
    ("frontend\n", "'\\n'"),
    ("Frontend:v2", "grammar"),
    ("registry.example.com/Shop/frontend", "grammar"),
    ("frontend:", "grammar"),
    ("frontend:.v2", "grammar"),
    ("frontend:" + "t" * 129, "grammar"),
    ("a//b", "grammar"),
    ("-frontend", "grammar"),
    ("frontend@sha256:abc", "grammar"),
    ("https://registry.example.com/frontend", "grammar"),
    ("a" * 256, "at most 255"),
    ("", "empty"),
    (42, "not a string"),
    (None, "not a string"),
])
def test_image_references_that_do_not(value, fragment):
    assert fragment in refs.image_reference_problem(value)


def test_image_parts():
    assert refs.image_reference_problem("us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo", "repository") == ""
    assert "repository grammar" in refs.image_reference_problem("gcr.io/shop:v1", "repository")
    assert refs.image_reference_problem("v0.10.6", "tag") == ""
    assert "tag grammar" in refs.image_reference_problem("v0.10.6/x", "tag")
    assert "';'" in refs.image_reference_problem("v1;id", "tag")
    with pytest.raises(AnsibleFilterError, match="unknown part"):
        refs.image_reference_problem("x", "digest")


@pytest.mark.parametrize("value", [
    "http://127.0.0.1:8080/",
    "http://127.0.0.1:8080",
    "https://shop.example.com",
    "http://frontend.boutique.svc.cluster.local/",
    "http://[::1]:8089/path/to/x",
    "http://203.0.113.7/a%20b/~user/",
    "http://shop.example.com.:443/",
    "http://host_1/",
])
def test_urls_that_pass(value):
    assert refs.url_problem(value) == ""


@pytest.mark.parametrize("value, fragment", [
    ("http://127.0.0.1:9;touch /tmp/p", "' ' and ';'"),
    ("http://127.0.0.1:8080/$(id)", "'$' and '(' and ')'"),
    ("http://127.0.0.1:8080/`id`", "'`'"),
    ("http://127.0.0.1:8080/ ", "' '"),
    ("http://127.0.0.1:8080/\tx", "'\\t'"),
    ("http://shop/?a=b&c=d", "'&' and '?'"),
    ("http://shop/#top", "'#'"),
    ("http://shop/é", "which a URL does not"),
    ("ftp://127.0.0.1/", "does not start with http:// or https://"),
    ("127.0.0.1:8080", "does not start with"),
    ("http:/shop", "does not start with"),
    ("http://", "no host"),
    ("http://user:secret@shop/", "credentials"),
    ("http://shop:abc/", "port 'abc'"),
    ("http://shop:0/", "port '0'"),
    ("http://shop:65536/", "port '65536'"),
    ("http://shop:/", "port ''"),
    ("http://999.0.0.1/", "not an IPv4 address"),
    ("http://[::g]/", "IPv6"),
    ("http://[::1/", "cannot be parsed"),
    ("http://-shop/", "not a DNS name"),
    ("http://a..b/", "not a DNS name"),
    ("http://shop//x", "empty segment"),
    ("", "empty"),
    (["http://shop/"], "not a string"),
])
def test_urls_that_are_refused(value, fragment):
    assert fragment in refs.url_problem(value)


def test_url_schemes():
    assert refs.url_problem("grpc://shop:50051", ["grpc"]) == ""
    assert "does not start with grpc://" in refs.url_problem("http://shop/", ["grpc"])


@pytest.mark.parametrize("value, port", [
    ("istio-ingress/istio-ingressgateway", False),
    ("monitoring/prometheus-server", False),
    ("0ns/a1", False),
    ("monitoring/prometheus-server:80", True),
    ("monitoring/prometheus-server:65535", True),
])
def test_namespaced_names_that_pass(value, port):
    assert refs.namespaced_name_problem(value, port=port) == ""


@pytest.mark.parametrize("value, port, fragment", [
    ("a/b/c", False, "3 part(s)"),
    ("istio-ingressgateway", False, "1 part(s)"),
    ("/name", False, "namespace ''"),
    ("Istio/gw", False, "namespace 'Istio'"),
    ("istio-ingress/1gw", False, "name '1gw'"),
    ("istio-ingress/gw;id", False, "name 'gw;id'"),
    ("istio-ingress/gw\x7f", False, "name 'gw\\x7f'"),
    ("monitoring/prometheus-server", True, ":port"),
    ("monitoring/prometheus-server:http", True, ":port"),
    ("monitoring/prometheus-server:0", True, ":port"),
    (["a", "b"], False, "not a string"),
])
def test_namespaced_names_that_are_refused(value, port, fragment):
    assert fragment in refs.namespaced_name_problem(value, port=port)
