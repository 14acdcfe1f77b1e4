# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Unit tests for plugins/filter/cidr_policy.py: the one source-range policy."""

from __future__ import annotations

import pytest

from ansible_collections.boutique.ops.plugins.filter import cidr_policy as cp


@pytest.mark.parametrize("ranges", [
    None,
    [],
    ["203.0.113.7/32"],
    ["203.0.113.0/24", "2001:db8::/48"],
    ["10.128.0.0/9"],                       # private: the VPC, not the internet
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "203.0.113.7/32"],
    ["35.235.240.0/20"],                    # Google's IAP range
    ["11.0.0.0/8"],                         # exactly the documented share
    ["2600::/16"],
])
def test_acceptable(ranges):
    assert cp.cidr_policy(ranges, "x") == ""


@pytest.mark.parametrize("ranges,fragment", [
    ("203.0.113.7/32", "it must be a list of CIDRs, not a string"),
    ({"a": 1}, "not a dict"),
    (["0.0.0.0/0"], "IPv4 entries cover"),
    (["::/0"], "IPv6 entries cover"),
    # Two halves are the whole internet: the union counts, not each entry.
    (["0.0.0.0/1", "128.0.0.0/1"], "IPv4 entries cover"),
    (["11.0.0.0/8", "12.0.0.0/8"], "cover 33554432 public addresses"),
    (["12.0.0.0/7"], "more than 1/256 of the IPv4 internet (one /8)"),
    (["2000::/3"], "more than 1/65536 of the IPv6 internet (one /16)"),
    (["203.0.113.7/24"], "has host bits set"),
    (["203.0.113.7"], "has no /prefix"),
    (["10.0.0.0/33"], "is not a network in CIDR notation"),
    (["grafana.example.com/32"], "is not a network in CIDR notation"),
    ([32], "is a number, not a CIDR string"),
    ([None], "is a null, not a CIDR string"),
])
def test_refused(ranges, fragment):
    message = cp.cidr_policy(ranges, "istio_gateway_source_ranges")
    assert message.startswith("istio_gateway_source_ranges is refused: ")
    assert fragment in message
    assert "-e '{\"istio_gateway_source_ranges\": [\"203.0.113.7/32\"]}'" in message


def test_private_ranges_do_not_count_but_public_overlaps_count_once():
    # 0.0.0.0/1 holds 10/8 and 100.64/10 and 127/8; what remains public is still far above the share.
    assert "public addresses" in cp.cidr_policy(["0.0.0.0/1"], "v")
    assert cp.cidr_policy(["11.0.0.0/9", "11.0.0.0/8", "11.128.0.0/9"], "v") == ""


def test_same_message_for_every_variable():
    first = cp.cidr_policy(["0.0.0.0/0"], "a").replace('"a"', "").replace("a is", "")
    second = cp.cidr_policy(["0.0.0.0/0"], "b").replace('"b"', "").replace("b is", "")
    assert first == second


def test_filter_module():
    assert set(cp.FilterModule().filters()) == {"cidr_policy"}
