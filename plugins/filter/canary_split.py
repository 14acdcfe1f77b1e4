# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Weight arithmetic and input checks for the canary role, kept out of Jinja.

canary_plan      checks weight / steps / expected / promote and returns the weights to walk.
canary_routes    the VirtualService destinations for a weight (or the promoted single route).
canary_queries / canary_metrics  the PromQL of the analysis and its answers as metrics.
canary_analysis  compares v2's Prometheus metrics with v1's against thresholds.
canary_frontend_v2  the frontend-v2 Deployment derived from the shop's frontend Deployment.
canary_mesh_status  which Deployments still need a restart to get their Istio sidecar.
"""

from __future__ import annotations

import math
import re

from ansible.errors import AnsibleFilterError
from ansible_collections.boutique.ops.plugins.module_utils.plain_data import plain_copy

VERSIONS = ("v1", "v2")
_INT = re.compile(r"^\s*\d+\s*$")


def _as_weight(value):
    """The integer 0..100 in ``value`` (int or digit string from -e), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INT.match(value):
        number = int(value)
    else:
        return None
    return number if 0 <= number <= 100 else None


def _as_steps(value):
    """A list from a list or from -e's text form ('[10,25,50,100]' or '10,25,50,100')."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        text = value.strip().strip("[]").strip()
        return [item.strip().strip("'\"") for item in text.split(",")] if text else []
    return None


def canary_plan(weight=None, steps=None, expected=None, promote=False):
    """Check the canary's inputs before anything changes.

    Returns ``{'problems': [...], 'weights': [...], 'targets': [{'weight', 'promoted'}], 'expected': {...} or None,
    'promote': bool}``;
    each problem names the variable, what is allowed and an example.
    """
    problems = []
    weights = []
    unset_weight = weight is None or (isinstance(weight, str) and weight.strip() == "")
    step_list = _as_steps(steps) if steps not in (None, "") else []
    if step_list is None:
        problems.append("canary_steps=%r is not a list: give increasing integer weights from 0 to 100, "
                        "e.g. -e canary_steps=[10,25,50,100]" % (steps,))
        step_list = []
    if step_list and not unset_weight:
        problems.append("weight=%s and canary_steps=%s both set: give one of them, e.g. -e weight=25 or "
                        "-e canary_steps=[10,25,50,100]" % (weight, steps))
    elif step_list:
        parsed = [_as_weight(step) for step in step_list]
        bad = [str(step) for step, number in zip(step_list, parsed) if number is None]
        if bad:
            problems.append("canary_steps holds %s: every step must be an integer weight from 0 to 100, "
                            "e.g. -e canary_steps=[10,25,50,100]" % ", ".join(bad))
        elif any(later <= earlier for earlier, later in zip(parsed, parsed[1:])):
            problems.append("canary_steps=%s does not increase: each step must send more traffic to v2 than the "
                            "one before, e.g. -e canary_steps=[10,25,50,100]" % parsed)
        else:
            weights = parsed
    elif unset_weight:
        problems.append("weight is not set: give v2's share of the traffic, an integer from 0 to 100 "
                        "(0 rolls back), e.g. -e weight=25, or steps, e.g. -e canary_steps=[10,25,50,100]")
    else:
        number = _as_weight(weight)
        if number is None:
            problems.append("weight=%s is not allowed: give v2's share of the traffic as an integer from 0 to "
                            "100 (0 rolls back, 100 sends everything to v2), e.g. -e weight=25" % (weight,))
        else:
            weights = [number]

    checked_expected = None
    if expected not in (None, "", {}):
        checked_expected = _check_expected(expected, problems)

    if promote and weights and weights[-1] != 100:
        problems.append("canary_promote=true needs the final weight to be 100 (v2 takes all traffic before v1 is "
                        "removed), got %s: e.g. -e weight=100 -e canary_promote=true" % weights[-1])
    targets = [{"weight": number, "promoted": False} for number in weights]
    if promote and weights and not problems:
        # The last stage: everything to v2 without weights, checked like any other.
        targets.append({"weight": 100, "promoted": True})
    return {"problems": problems, "weights": weights, "targets": targets, "expected": checked_expected,
            "promote": bool(promote)}


def _check_expected(expected, problems):
    if not isinstance(expected, dict):
        problems.append("canary_expected=%r is not a mapping of version to percent, e.g. "
                        "-e '{\"canary_expected\": {\"v1\": 75, \"v2\": 25}}'" % (expected,))
        return None
    checked = {}
    unknown = sorted(str(version) for version in expected if version not in VERSIONS)
    if unknown:
        problems.append("canary_expected names unknown version(s) %s: the versions are %s, e.g. "
                        "-e '{\"canary_expected\": {\"v1\": 75, \"v2\": 25}}'" % (", ".join(unknown), " and ".join(VERSIONS)))
    for version, share in expected.items():
        try:
            number = float(share)
        except (TypeError, ValueError):
            number = float("nan")
        if isinstance(share, bool) or math.isnan(number) or not 0 <= number <= 100:
            problems.append("canary_expected[%s]=%r is not a percent from 0 to 100" % (version, share))
        else:
            checked[str(version)] = number
    if len(checked) == len(expected) and abs(sum(checked.values()) - 100) > 1e-6:
        problems.append("canary_expected shares add up to %g, not 100: e.g. -e '{\"canary_expected\": "
                        "{\"v1\": 75, \"v2\": 25}}'" % sum(checked.values()))
    return checked


def canary_expected(weight):
    """The split a weight promises: {'v1': 100 - weight, 'v2': weight}."""
    number = _as_weight(weight)
    if number is None:
        raise AnsibleFilterError("canary_expected: weight must be an integer from 0 to 100, got %r" % (weight,))
    return {"v1": 100 - number, "v2": number}


def canary_routes(weight, host="frontend", port=80, header="x-boutique-version", promoted=False):
    """Destinations for the VirtualService's HTTP route at ``weight`` percent for v2.

    Each destination sets ``header`` on the response to its version, so every answer says who
    served it. Promoted, the single route goes to v2 without a weight.
    """
    def destination(version):
        return {"destination": {"host": host, "subset": version, "port": {"number": int(port)}},
                "headers": {"response": {"set": {header: version}}}}

    if promoted:
        return [destination("v2")]
    split = canary_expected(weight)
    routes = []
    for version in VERSIONS:
        route = destination(version)
        route["weight"] = split[version]
        routes.append(route)
    return routes


def canary_frontend_v2(frontend, image="", message="Online Boutique v2", replicas=None, name="frontend-v2",
                       managed_by="boutique.ops.canary"):
    """The canary Deployment, derived from the shop's ``frontend`` Deployment (v1).

    Same pod spec, so v2 differs only by what is asked: ``image`` (empty keeps v1's) and the
    FRONTEND_MESSAGE banner. Labels and selector are ``app: frontend, version: v2``, so the
    ``frontend`` Service and the DestinationRule's v2 subset see it. managed-by differs from the
    shop's, so the boutique role's prune leaves it alone.
    """
    if not isinstance(frontend, dict) or frontend.get("kind") != "Deployment":
        raise AnsibleFilterError("canary_frontend_v2 expects the frontend Deployment, got %r" % (type(frontend).__name__,))
    v2 = plain_copy(frontend)
    meta = v2.setdefault("metadata", {})
    meta["name"] = name
    meta.pop("resourceVersion", None)
    meta.pop("uid", None)
    labels = dict(meta.get("labels") or {})
    labels.update({"app": "frontend", "version": "v2", "app.kubernetes.io/managed-by": managed_by})
    meta["labels"] = labels
    spec = v2.setdefault("spec", {})
    spec.pop("status", None)
    v2.pop("status", None)
    if replicas not in (None, ""):
        spec["replicas"] = int(replicas)
    spec["selector"] = {"matchLabels": {"app": "frontend", "version": "v2"}}
    template_meta = spec.setdefault("template", {}).setdefault("metadata", {})
    template_meta["labels"] = dict(template_meta.get("labels") or {}, app="frontend", version="v2")
    annotations = dict(template_meta.get("annotations") or {})
    annotations.pop("kubectl.kubernetes.io/restartedAt", None)
    if annotations:
        template_meta["annotations"] = annotations
    containers = spec["template"].setdefault("spec", {}).get("containers") or []
    if not containers:
        raise AnsibleFilterError("canary_frontend_v2: the frontend Deployment has no containers")
    server = containers[0]
    if image:
        server["image"] = image
    env = [item for item in server.get("env") or [] if item.get("name") != "FRONTEND_MESSAGE"]
    if message:
        env.append({"name": "FRONTEND_MESSAGE", "value": str(message)})
    server["env"] = env
    return v2


METRICS = ("requests", "error_ratio", "p95_ms")


def canary_queries(namespace, window="5m", app="frontend", versions=VERSIONS):
    """PromQL instant queries for each version's requests, 5xx ratio and p95 latency (ms) over
    ``window``, from Istio's standard metrics as the destination sidecar reports them.

    Returns [{'version', 'metric', 'query'}], versions in order, metrics in METRICS order.
    """
    queries = []
    for version in versions:
        selector = ('reporter="destination",destination_workload_namespace="%s",destination_app="%s",'
                    'destination_version="%s"' % (namespace, app, version))
        total = "sum(increase(istio_requests_total{%s}[%s]))" % (selector, window)
        errors = 'sum(increase(istio_requests_total{%s,response_code=~"5.."}[%s]))' % (selector, window)
        queries.extend([
            {"version": version, "metric": "requests", "query": total},
            # No 5xx series at all means a ratio of 0, not "no data".
            {"version": version, "metric": "error_ratio", "query": "(%s or vector(0)) / %s" % (errors, total)},
            {"version": version, "metric": "p95_ms", "query": "histogram_quantile(0.95, sum by (le) "
             "(rate(istio_request_duration_milliseconds_bucket{%s}[%s])))" % (selector, window)},
        ])
    return queries


def canary_metrics(results):
    """{'v1': {'requests': vector, ...}, 'v2': {...}} from the registered results of the uri loop
    over canary_queries (each result carries its loop item, under ``ansible_loop_var``, and the answer's ``json``)."""
    metrics = {}
    for result in results or []:
        item = result.get(result.get("ansible_loop_var") or "item") or {}
        data = (result.get("json") or {}).get("data") or {}
        metrics.setdefault(item.get("version"), {})[item.get("metric")] = data.get("result", [])
    return metrics


def _number(value):
    """A float from a Prometheus answer value, None for no data / NaN.

    Accepts a plain number or string, or an instant-query result vector
    (``[{'metric': {...}, 'value': [ts, '0.5']}]``, empty when there is no data).
    """
    if isinstance(value, list):
        value = value[0].get("value", [None, None])[1] if value and isinstance(value[0], dict) else None
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def canary_analysis(metrics, max_error_ratio_increase=0.01, max_p95_increase=0.2, max_p95_ms=2000, min_requests=20):
    """Judge v2 against v1 from metrics over one window.

    ``metrics``: {'v1': {'requests': n, 'error_ratio': r, 'p95_ms': ms}, 'v2': {...}}; values may be
    None when Prometheus had no data. v2 fails when it served fewer than ``min_requests`` requests
    (nothing to judge), when its 5xx ratio exceeds v1's by more than ``max_error_ratio_increase``,
    or when its p95 exceeds v1's by more than ``max_p95_increase`` (a fraction), or
    ``max_p95_ms`` when v1 has no data (weight 100).
    """
    v1 = dict((key, _number(value)) for key, value in (metrics.get("v1") or {}).items())
    v2 = dict((key, _number(value)) for key, value in (metrics.get("v2") or {}).items())
    checks = []
    requests = v2.get("requests") or 0.0
    checks.append({
        "name": "v2 traffic", "passed": requests >= min_requests, "v1": v1.get("requests"), "v2": requests,
        "limit": "at least %g requests in the window" % min_requests,
    })
    base_errors = v1.get("error_ratio") or 0.0
    errors = v2.get("error_ratio") or 0.0
    checks.append({
        "name": "5xx ratio", "passed": errors <= base_errors + max_error_ratio_increase + 1e-12,
        "v1": v1.get("error_ratio"), "v2": v2.get("error_ratio"),
        "limit": "v2 <= v1 + %g" % max_error_ratio_increase,
    })
    base_p95 = v1.get("p95_ms")
    p95 = v2.get("p95_ms")
    if base_p95 is None:
        limit, text = float(max_p95_ms), "v2 <= %g ms (no v1 data)" % max_p95_ms
    else:
        limit, text = base_p95 * (1 + max_p95_increase), "v2 <= v1 x %g" % (1 + max_p95_increase)
    checks.append({
        "name": "p95 latency (ms)", "passed": p95 is not None and p95 <= limit + 1e-9,
        "v1": base_p95, "v2": p95, "limit": text,
    })
    failed = [check for check in checks if not check["passed"]]
    summary = "; ".join(
        "%s: v1=%s v2=%s (%s) %s" % (c["name"], _show(c["v1"]), _show(c["v2"]), c["limit"], "ok" if c["passed"] else "FAILED")
        for c in checks)
    return {"passed": not failed, "failed": [c["name"] for c in failed], "checks": checks, "summary": summary}


def _has_sidecar(pod):
    spec = pod.get("spec", {})
    names = [c.get("name") for c in spec.get("containers", [])]
    # Istio 1.30 may inject the proxy as a native sidecar (an init container that keeps running).
    names += [c.get("name") for c in spec.get("initContainers", []) if c.get("restartPolicy") == "Always"]
    return "istio-proxy" in names


def _ready(pod):
    statuses = pod.get("status", {}).get("containerStatuses") or []
    statuses += [s for s in pod.get("status", {}).get("initContainerStatuses") or [] if s.get("name") == "istio-proxy"]
    return bool(statuses) and all(status.get("ready") for status in statuses)


def canary_mesh_status(pods):
    """Which Deployments still run pods without an Istio sidecar, and which meshed pods are not ready.

    ``pods``: Pod objects (k8s_info resources). Pods on their way out (deletionTimestamp) and pods
    not owned by a ReplicaSet are ignored. A Deployment's name is its ReplicaSet's name without
    the pod-template-hash suffix.
    """
    without, not_ready, deployments = [], [], set()
    for pod in pods or []:
        meta = pod.get("metadata", {})
        if meta.get("deletionTimestamp"):
            continue
        owners = [o for o in meta.get("ownerReferences") or [] if o.get("kind") == "ReplicaSet"]
        if not owners:
            continue
        template_hash = (meta.get("labels") or {}).get("pod-template-hash", "")
        deployment = owners[0]["name"]
        if template_hash and deployment.endswith("-" + template_hash):
            deployment = deployment[:-len(template_hash) - 1]
        if not _has_sidecar(pod):
            without.append(meta.get("name"))
            deployments.add(deployment)
        elif not _ready(pod):
            not_ready.append(meta.get("name"))
    return {"deployments_to_restart": sorted(deployments), "pods_without_sidecar": sorted(without),
            "pods_not_ready": sorted(not_ready), "meshed": not without and not not_ready}


def _show(value):
    return "n/a" if value is None else ("%.4g" % value)


class FilterModule:
    """boutique.ops canary filters."""

    def filters(self):
        return {
            "canary_plan": canary_plan,
            "canary_expected": canary_expected,
            "canary_routes": canary_routes,
            "canary_analysis": canary_analysis,
            "canary_mesh_status": canary_mesh_status,
            "canary_frontend_v2": canary_frontend_v2,
            "canary_queries": canary_queries,
            "canary_metrics": canary_metrics,
        }
