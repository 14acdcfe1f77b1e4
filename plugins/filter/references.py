# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The grammars of inputs that name something: image references, URLs and namespace/name references.

Each filter returns why a value does not follow its grammar, or '' when it does, so that a role's
check names the variable and the fix around that reason. They refuse what would otherwise reach a
manifest, a command line or a request unread: ``x;touch /tmp/p`` as an image, ``a/b/c`` as a
Service, ``http://127.0.0.1:9;touch /tmp/p`` as a load test's target.

- ``image_reference_problem``: the OCI distribution reference grammar (the one Docker, containerd
  and Kubernetes' kubelet parse: github.com/distribution/reference, regexp.go), by part: a whole
  reference, a repository without tag or digest, or a tag.
- ``url_problem``: an http(s) URL parsed strictly: a scheme, a host (DNS name, IPv4 address or
  [IPv6]), a numeric port from 1 to 65535, a path of URL characters; no whitespace, no control
  characters, no shell metacharacters, no credentials, query or fragment.
- ``namespaced_name_problem``: ``namespace/name`` (optionally ``:port``) of a Kubernetes Service:
  the namespace an RFC 1123 label, the name an RFC 1035 label, as the API server requires.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ansible.errors import AnsibleFilterError

# github.com/distribution/reference regexp.go, ASCII only (Go's \w is [0-9A-Za-z_]).
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = _ALNUM + r"(?:" + _SEPARATOR + _ALNUM + r")*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = (r"(?:" + _DOMAIN_COMPONENT + r"(?:\." + _DOMAIN_COMPONENT + r")*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?")
_REPOSITORY = r"(?:" + _DOMAIN + r"/)?" + _PATH_COMPONENT + r"(?:/" + _PATH_COMPONENT + r")*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_IMAGE_RE = {
    "reference": re.compile(r"^(" + _REPOSITORY + r")(?::" + _TAG + r")?(?:@" + _DIGEST + r")?$"),
    "repository": re.compile(r"^(" + _REPOSITORY + r")$"),
    "tag": re.compile(r"^" + _TAG + r"$"),
}
# The grammar caps a repository name (domain and path) at 255 characters.
_MAX_REPOSITORY = 255
_IMAGE_FORMS = {
    "reference": "[registry[:port]/]path[:tag][@digest], the path in lowercase letters, digits and . _ - separators",
    "repository": "[registry[:port]/]path without a tag, the path in lowercase letters, digits and . _ - separators",
    "tag": "1 to 128 letters, digits, _ . and -, not starting with . or -",
}

# What a URL may hold besides letters and digits: RFC 3986's unreserved and path characters,
# less those a shell treats specially ($ & ' ( ) * ; ! and the query's ?), so that a URL is safe in a command line.
_URL_SAFE = re.compile(r"^[A-Za-z0-9._~:/%@+,=\[\]-]*$")
_SHELL_METACHARACTERS = set(";|&$`<>(){}'\"\\*?!#")
_HOST_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$")

# Kubernetes names: a namespace is an RFC 1123 label, a Service name an RFC 1035 label.
_RFC1123_LABEL = re.compile(r"^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$")
_RFC1035_LABEL = re.compile(r"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$")


def _shown(value):
    """A value as a message quotes it: control characters escaped."""
    return str(value).encode("unicode_escape").decode("ascii")


def image_reference_problem(value, part="reference"):
    """Why ``value`` is not an image ``part`` (reference, repository or tag) in the OCI grammar; '' when it is."""
    if part not in _IMAGE_RE:
        raise AnsibleFilterError("image_reference_problem: unknown part %r (reference, repository, tag)" % (part,))
    if not isinstance(value, str):
        return "it is a %s, not a string" % type(value).__name__
    if value == "":
        return "it is empty"
    odd = sorted(set(char for char in value if char.isspace() or ord(char) < 32 or char in _SHELL_METACHARACTERS))
    if odd:
        return "it holds %s, which no image %s has (%s)" % (
            " and ".join(repr(char) for char in odd), part, _IMAGE_FORMS[part])
    match = _IMAGE_RE[part].match(value)
    if not match:
        return "it does not follow the image %s grammar: %s" % (part, _IMAGE_FORMS[part])
    if part != "tag" and len(match.group(1)) > _MAX_REPOSITORY:
        return "its repository name has %d characters, at most %d are allowed" % (len(match.group(1)), _MAX_REPOSITORY)
    return ""


def _host_problem(host):
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return "its host %s is not an IPv6 address" % host
        return ""
    if re.match(r"^[0-9.]+$", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return "its host %s is not an IPv4 address" % host
        return ""
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if len(host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        return "its host %s is not a DNS name (labels of letters, digits and -, dot-separated)" % host
    return ""


def url_problem(value, schemes=None):
    """Why ``value`` is not a strict URL with one of ``schemes`` (default http, https); '' when it is."""
    schemes = [str(scheme) for scheme in (schemes or ["http", "https"])]
    if not isinstance(value, str):
        return "it is a %s, not a string" % type(value).__name__
    if value == "":
        return "it is empty"
    odd = sorted(set(char for char in value if char.isspace() or ord(char) < 32 or ord(char) == 127 or char in _SHELL_METACHARACTERS))
    if odd:
        return ("it holds %s: whitespace, control characters and shell metacharacters (a query's ? and a fragment's # too) "
                "are refused in this URL" % " and ".join(repr(char) for char in odd))
    if not _URL_SAFE.match(value):
        strange = sorted(set(char for char in value if not _URL_SAFE.match(char)))
        return "it holds %s, which a URL does not (percent-encode it)" % " ".join(repr(char) for char in strange)
    try:
        parts = urlsplit(value)
    except ValueError as exc:  # e.g. an unbalanced [ in the host
        return "it cannot be parsed as a URL (%s)" % exc
    if parts.scheme not in schemes or not value.startswith(parts.scheme + "://"):
        return "it does not start with %s" % " or ".join(scheme + "://" for scheme in schemes)
    if "@" in parts.netloc:
        return "it holds credentials (user@): pass them another way"
    host = parts.netloc.rsplit(":", 1)[0] if re.search(r":[^\]]*$", parts.netloc) else parts.netloc
    if not host:
        return "it has no host"
    problem = _host_problem(host)
    if problem:
        return problem
    if host != parts.netloc:
        port = parts.netloc[len(host) + 1:]
        if not port.isdigit() or not 0 < int(port) < 65536:
            return "its port %r is not a number from 1 to 65535" % port
    if "//" in parts.path:
        return "its path holds an empty segment (//)"
    return ""


def namespaced_name_problem(value, port=False):
    """Why ``value`` is not ``namespace/name`` (``namespace/name:port`` with ``port``) of a Service; '' when it is."""
    form = "namespace/name:port" if port else "namespace/name"
    if not isinstance(value, str):
        return "it is a %s, not a string of the form %s" % (type(value).__name__, form)
    text = value
    if port:
        text, _sep, number = value.rpartition(":")
        if not _sep or not number.isdigit() or not 0 < int(number) < 65536:
            return "it does not end with :port, a number from 1 to 65535 (%s)" % form
    pieces = text.split("/")
    if len(pieces) != 2:
        return "it has %d part(s) separated by /, a Service is %s" % (len(pieces), form)
    namespace, name = pieces
    if not _RFC1123_LABEL.match(namespace):
        return "the namespace '%s' is not a namespace name (1 to 63 lowercase letters, digits and -)" % _shown(namespace)
    if not _RFC1035_LABEL.match(name):
        return "the name '%s' is not a Service name (1 to 63 lowercase letters, digits and -, starting with a letter)" % _shown(name)
    return ""


class FilterModule:
    """boutique.ops reference grammars."""

    def filters(self):
        return {
            "image_reference_problem": image_reference_problem,
            "namespaced_name_problem": namespaced_name_problem,
            "url_problem": url_problem,
        }
