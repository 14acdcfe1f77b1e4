# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The one source-range policy for every service this collection exposes.

The shop's frontend-external, the Istio ingress gateway, Grafana, the locust web UI and SSH to the
load-generator VMs all take their source ranges through ``cidr_policy``, so they accept and refuse
the same values with the same message.

The policy: a list (a string is refused) of IPv4/IPv6 networks in CIDR notation (address/prefix,
no host bits) whose union covers at most 1/256 of the public IPv4 space (2**24 addresses, one /8)
and at most 1/65536 of the public IPv6 space (2**112 addresses, one /16). Private and special
ranges (RFC 1918, CGNAT, loopback, link-local, IPv6 ULA) do not count: they are not reachable
from the internet. Overlapping entries count once, so ["0.0.0.0/1", "128.0.0.0/1"] is the whole
IPv4 internet and is refused like "0.0.0.0/0".
"""

from __future__ import annotations

import ipaddress

# Most public addresses one allow-list may cover, per IP version (documented in README.md).
MAX_PUBLIC = {4: 2 ** 24, 6: 2 ** 112}
MAX_SHARE = {4: "1/256 of the IPv4 internet (one /8)", 6: "1/65536 of the IPv6 internet (one /16)"}

# Ranges no internet client comes from; they do not count against the share.
_NOT_PUBLIC = [ipaddress.ip_network(net) for net in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "fc00::/7", "fe80::/10", "::1/128",
)]

EXAMPLE = "203.0.113.7/32"


def _kind(value):
    """A plain name for the type of ``value`` (Ansible wraps strings in subclasses)."""
    for kind, name in ((bool, "bool"), (str, "string"), (bytes, "string"), (int, "number"), (float, "number"),
                       (dict, "dict"), (list, "list")):
        if isinstance(value, kind):
            return name
    return "null" if value is None else type(value).__name__


def _public_count(networks, version):
    """Public addresses covered by ``networks`` (all of one IP version)."""
    total = 0
    for net in ipaddress.collapse_addresses(networks):
        size = net.num_addresses
        for private in _NOT_PUBLIC:
            if private.version != version:
                continue
            # Two CIDRs either nest or are disjoint.
            if private.subnet_of(net):
                size -= private.num_addresses
            elif net.subnet_of(private):
                size = 0
                break
        total += size
    return total


def cidr_policy_problems(value):
    """Return the reasons ``value`` breaks the policy (an empty list when it is acceptable)."""
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        return ["it must be a list of CIDRs, not a %s (%r)" % (_kind(value), value if not isinstance(value, str) else str(value))]
    problems = []
    networks = {4: [], 6: []}
    for entry in value:
        if not isinstance(entry, str):
            problems.append("%r is a %s, not a CIDR string" % (entry, _kind(entry)))
            continue
        entry = str(entry)
        if "/" not in entry:
            problems.append("%r has no /prefix (write %s/32 for one IPv4 address, /128 for IPv6)" % (entry, entry))
            continue
        try:
            network = ipaddress.ip_network(entry.strip(), strict=True)
        except ValueError as exc:
            problems.append("%r is not a network in CIDR notation (%s)" % (entry, exc))
            continue
        networks[network.version].append(network)
    for version in (4, 6):
        covered = _public_count(networks[version], version)
        if covered > MAX_PUBLIC[version]:
            problems.append(
                "together the IPv%d entries cover %d public addresses, more than %s"
                % (version, covered, MAX_SHARE[version])
            )
    return problems


def cidr_policy(value, variable):
    """Return '' when ``value`` meets the policy, else the one message every exposed service uses."""
    problems = cidr_policy_problems(value)
    if not problems:
        return ""
    return (
        "%s is refused: %s. Source ranges are a list of IPv4/IPv6 networks in CIDR notation "
        "(address/prefix, no host bits) that together cover at most %s and %s; private ranges do "
        "not count. List only the addresses that need in, e.g. -e '{\"%s\": [\"%s\"]}'; "
        "ops_allowed_cidrs sets the same list for every service people use."
        % (variable, "; ".join(problems), MAX_SHARE[4], MAX_SHARE[6], variable, EXAMPLE)
    )


class FilterModule:
    """boutique.ops source-range policy."""

    def filters(self):
        return {"cidr_policy": cidr_policy}
