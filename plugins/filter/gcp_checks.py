# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Checks and arithmetic for the Google Cloud roles (gke_cluster, loadgen_vm, preflight on gcp).

Pure functions: they never contact Google. The task files assert on what they return, so the
rules (name formats, CIDR policy, quota needs) live here, where unit tests can reach them.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

# Project IDs: 6-30 characters, lowercase letters, digits and hyphens, start with a letter,
# no trailing hyphen (https://cloud.google.com/resource-manager/docs/creating-managing-projects).
_PROJECT_RE = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
# Regions and zones: europe-west10, us-central1, northamerica-northeast2; zones add -a, -b ...
_REGION_RE = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
_ZONE_RE = re.compile(r"^([a-z]+-[a-z]+[0-9]+)-([a-z])$")
# Compute Engine resource names (RFC 1035): lowercase, start with a letter, no trailing hyphen.
_RESOURCE_RE = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
# Label keys and values (https://cloud.google.com/compute/docs/labeling-resources).
_LABEL_KEY_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE_RE = re.compile(r"^[a-z0-9_-]{0,63}$")

# Longest names Google accepts: GKE clusters 40, other Compute Engine resources 63.
_MAX_LEN = {"cluster": 40, "resource": 63}

# vCPUs of the machine types without the count in their name.
_SHARED_CORE_CPUS = {"e2-micro": 2, "e2-small": 2, "e2-medium": 2, "f1-micro": 1, "g1-small": 1}
_MACHINE_RE = re.compile(r"^(?:[a-z0-9]+-)?(?:standard|highmem|highcpu|highgpu|megamem|ultramem|custom|hpc|edge)-([0-9]+)(?:-.*)?$")
_CUSTOM_RE = re.compile(r"^(?:[a-z0-9]+-)?custom-([0-9]+)-[0-9]+(?:-ext)?$")

# Disk types by the regional quota they draw on: pd-balanced and pd-ssd both count as SSD.
_SSD_DISKS = ("pd-ssd", "pd-balanced", "pd-extreme", "hyperdisk-balanced")
_STANDARD_DISKS = ("pd-standard",)

# The plans (gcp_plan): the settings each one gives the roles' defaults; -e overrides any of them.
# standard is the seed's recommendation; free-trial fits a free trial's regional quotas (CPUS 8,
# SSD_TOTAL_GB 250, IN_USE_ADDRESSES 4) and still runs the lab: private nodes and VMs reach the
# internet through one Cloud NAT address, so only the load balancers people use take addresses.
PLANS = {
    "standard": {
        "gke_cluster_node_count": 4,
        "gke_cluster_machine_type": "e2-standard-2",
        "gke_cluster_disk_size_gb": 50,
        "gke_cluster_disk_type": "pd-balanced",
        "gke_cluster_private_nodes": False,
        "loadgen_vm_count": 3,
        "loadgen_vm_machine_type": "e2-standard-2",
        "loadgen_vm_disk_size_gb": 20,
        "loadgen_vm_disk_type": "pd-balanced",
        "loadgen_vm_external_ip": True,
    },
    "free-trial": {
        "gke_cluster_node_count": 3,
        "gke_cluster_machine_type": "e2-standard-2",
        "gke_cluster_disk_size_gb": 50,
        "gke_cluster_disk_type": "pd-balanced",
        "gke_cluster_private_nodes": True,
        "loadgen_vm_count": 1,
        "loadgen_vm_machine_type": "e2-standard-2",
        "loadgen_vm_disk_size_gb": 20,
        "loadgen_vm_disk_type": "pd-balanced",
        "loadgen_vm_external_ip": False,
    },
}
# The quotas of a free trial's region, as the seed met them.
FREE_TRIAL_QUOTAS = {"CPUS": 8, "SSD_TOTAL_GB": 250, "IN_USE_ADDRESSES": 4}

# What to change when a quota is too small, per metric.
_QUOTA_HINTS = {
    "CPUS": "lower gke_cluster_node_count or loadgen_vm_count, pick smaller machine types "
            "(gke_cluster_machine_type, loadgen_vm_machine_type), or request more CPUS quota for the region",
    "SSD_TOTAL_GB": "lower gke_cluster_disk_size_gb / loadgen_vm_disk_size_gb, use pd-standard disks "
                    "(-e gke_cluster_disk_type=pd-standard), or request more SSD_TOTAL_GB quota for the region",
    "DISKS_TOTAL_GB": "lower the disk sizes (gke_cluster_disk_size_gb, loadgen_vm_disk_size_gb), "
                      "use pd-balanced disks, or request more DISKS_TOTAL_GB quota for the region",
    "IN_USE_ADDRESSES": "lower gke_cluster_node_count or loadgen_vm_count, expose fewer services (ops_allowed_cidrs), "
                        "or request more IN_USE_ADDRESSES quota for the region",
    "STATIC_ADDRESSES": "set -e loadgen_vm_static_ip=false (ephemeral addresses), lower loadgen_vm_count, "
                        "or request more STATIC_ADDRESSES quota for the region",
}


def gcp_name_problem(value, kind="resource"):
    """Return why ``value`` is not a valid name of ``kind``, or '' when it is valid.

    kind is one of project, region, zone, cluster, resource.
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        return "it is a %s, not a string" % type(value).__name__
    if value == "":
        return "it is empty"
    if kind == "project":
        if not _PROJECT_RE.match(value):
            return "a project ID has 6 to 30 lowercase letters, digits or hyphens, starts with a letter and does not end with a hyphen"
        return ""
    if kind == "region":
        if not _REGION_RE.match(value):
            return "a region looks like europe-west10 or us-central1"
        return ""
    if kind == "zone":
        if not _ZONE_RE.match(value):
            return "a zone is a region followed by -a, -b, -c ..., like europe-west10-a"
        return ""
    if kind not in _MAX_LEN:
        raise AnsibleFilterError("gcp_name_problem: unknown kind %r (project, region, zone, cluster, resource)" % kind)
    if len(value) > _MAX_LEN[kind]:
        return "it has %d characters, at most %d are allowed" % (len(value), _MAX_LEN[kind])
    if not _RESOURCE_RE.match(value):
        return "names use lowercase letters, digits and hyphens, start with a letter and do not end with a hyphen"
    return ""


def gcp_zone_region(zone):
    """Return the region of ``zone`` (europe-west10-a -> europe-west10), or '' when malformed."""
    match = _ZONE_RE.match(zone or "") if isinstance(zone, str) else None
    return match.group(1) if match else ""


def gcp_label_problems(labels):
    """Return a list of problems with a dict of Google Cloud labels (empty when valid)."""
    if labels is None:
        return []
    if not isinstance(labels, dict):
        return ["labels must be a dict of key: value, got a %s" % type(labels).__name__]
    problems = []
    if len(labels) > 64:
        problems.append("at most 64 labels are allowed, got %d" % len(labels))
    for key, value in labels.items():
        if not isinstance(key, str) or not _LABEL_KEY_RE.match(key):
            problems.append("label key %r: keys are 1-63 lowercase letters, digits, - or _, starting with a letter" % (key,))
        text = "" if value is None else value
        if not isinstance(text, str) or not _LABEL_VALUE_RE.match(text):
            problems.append("label %s value %r: values are 0-63 lowercase letters, digits, - or _" % (key, value))
    return problems


def gcp_machine_cpus(machine_type):
    """Return the vCPUs of a Compute Engine machine type (e2-standard-2 -> 2)."""
    if machine_type in _SHARED_CORE_CPUS:
        return _SHARED_CORE_CPUS[machine_type]
    text = machine_type if isinstance(machine_type, str) else ""
    match = _CUSTOM_RE.match(text) or _MACHINE_RE.match(text)
    if not match:
        raise AnsibleFilterError(
            "gcp_machine_cpus: cannot tell the vCPUs of machine type %r; use a type like e2-standard-2 or n2-custom-4-8192" % (machine_type,)
        )
    return int(match.group(1))


def gcp_machine_type_known(machine_type):
    """Whether gcp_machine_cpus can tell the vCPUs of a machine type (so the quota arithmetic can count it)."""
    try:
        gcp_machine_cpus(machine_type)
    except AnsibleFilterError:
        return False
    return True


def _disk_metric(disk_type):
    if disk_type in _SSD_DISKS:
        return "SSD_TOTAL_GB"
    if disk_type in _STANDARD_DISKS:
        return "DISKS_TOTAL_GB"
    raise AnsibleFilterError("gcp_quota_needs: unknown disk type %r (pd-balanced, pd-ssd, pd-standard)" % (disk_type,))


def _int(group, key, name):
    try:
        number = int(group.get(key, 0) or 0)
    except (TypeError, ValueError):
        raise AnsibleFilterError("gcp_quota_needs: %s.%s must be a whole number, got %r" % (name, key, group.get(key)))
    if number < 0:
        raise AnsibleFilterError("gcp_quota_needs: %s.%s must not be negative, got %d" % (name, key, number))
    return number


def gcp_quota_needs(plan):
    """Return the regional quota a plan needs, per metric.

    ``plan`` is a dict with optional groups ``nodes`` and ``vms`` (each ``count``, ``machine_type``,
    ``disk_size_gb``, ``disk_type``, ``external_ip`` (default true: each takes an external address),
    and for vms ``static_ip``), ``load_balancers`` (external load-balancer addresses the cluster's
    Services use) and ``nat_addresses`` (Cloud NAT's external addresses).
    """
    if not isinstance(plan, dict):
        raise AnsibleFilterError("gcp_quota_needs expects a dict with nodes and vms, got %s" % type(plan).__name__)
    needs = {"CPUS": 0, "SSD_TOTAL_GB": 0, "DISKS_TOTAL_GB": 0, "IN_USE_ADDRESSES": 0, "STATIC_ADDRESSES": 0}
    for name in ("nodes", "vms"):
        group = plan.get(name) or {}
        count = _int(group, "count", name)
        if count == 0:
            continue
        needs["CPUS"] += count * gcp_machine_cpus(group.get("machine_type"))
        needs[_disk_metric(group.get("disk_type", "pd-balanced"))] += count * _int(group, "disk_size_gb", name)
        if _bool(group.get("external_ip", True)):
            needs["IN_USE_ADDRESSES"] += count
            if name == "vms" and _bool(group.get("static_ip")):
                needs["STATIC_ADDRESSES"] += count
    needs["IN_USE_ADDRESSES"] += _int(plan, "load_balancers", "plan") + _int(plan, "nat_addresses", "plan")
    return needs


def _bool(value):
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "on")
    return bool(value)


def gcp_plan_settings(plan):
    """Return the settings of the plan named ``plan`` (standard or free-trial)."""
    if plan not in PLANS:
        raise AnsibleFilterError(
            "gcp_plan=%s is not a plan: choose %s, e.g. -e gcp_plan=free-trial" % (plan, " or ".join(sorted(PLANS, reverse=True)))
        )
    return dict(PLANS[plan])


def gcp_plan_quota(plan, load_balancers=0):
    """Return the gcp_quota_needs input of plan ``plan`` with its own settings (no overrides)."""
    settings = gcp_plan_settings(plan)
    private = settings["gke_cluster_private_nodes"] or not settings["loadgen_vm_external_ip"]
    return {
        "nodes": {
            "count": settings["gke_cluster_node_count"],
            "machine_type": settings["gke_cluster_machine_type"],
            "disk_size_gb": settings["gke_cluster_disk_size_gb"],
            "disk_type": settings["gke_cluster_disk_type"],
            "external_ip": not settings["gke_cluster_private_nodes"],
        },
        "vms": {
            "count": settings["loadgen_vm_count"],
            "machine_type": settings["loadgen_vm_machine_type"],
            "disk_size_gb": settings["loadgen_vm_disk_size_gb"],
            "disk_type": settings["loadgen_vm_disk_type"],
            "external_ip": settings["loadgen_vm_external_ip"],
            "static_ip": settings["loadgen_vm_external_ip"],
        },
        "load_balancers": load_balancers,
        "nat_addresses": 1 if private else 0,
    }


def gcp_plans_that_fit(quotas, load_balancers=0):
    """Return the names of the plans whose own settings fit ``quotas`` (gcloud's regions describe list)."""
    return [name for name in PLANS
            if not gcp_quota_shortfalls(gcp_quota_needs(gcp_plan_quota(name, load_balancers)), quotas)]


def gcp_plan_report(this_run, load_balancers=0, stage_roles=None):
    """Return what the gcp render shows about plans: both plans' quota sums, this run's, and the stage order.

    ``this_run`` is the quota input of this run (gke_cluster_quota_plan combined with
    loadgen_vm_quota_plan, overrides included); ``stage_roles`` the stage roles in run order.
    """
    free_trial = [{"metric": metric, "limit": float(limit), "usage": 0.0} for metric, limit in FREE_TRIAL_QUOTAS.items()]
    plans = {}
    for name in PLANS:
        quota = gcp_plan_quota(name, load_balancers)
        result = gcp_quota_arithmetic(quota)
        plans[name] = {
            "arithmetic": result["arithmetic"],
            "fits_free_trial": not gcp_quota_shortfalls(result["needs"], free_trial),
        }
    run = gcp_quota_arithmetic(this_run)
    stages = []
    for role in stage_roles or []:
        if role == "gke_cluster":
            stages.append("gke_cluster start: the cluster begins building in the background")
        elif role == "loadgen_vm":
            stages.append("loadgen_vm: addresses, firewall rules and VMs, while the cluster builds")
            if "gke_cluster" in (stage_roles or []):
                stages.append("gke_cluster finish: wait for the cluster, node pool, credentials")
        else:
            stages.append(role)
    if "gke_cluster" in (stage_roles or []) and "loadgen_vm" not in (stage_roles or []):
        stages.insert(stages.index("gke_cluster start: the cluster begins building in the background") + 1,
                      "gke_cluster finish: wait for the cluster, node pool, credentials")
    return {
        "free_trial_quotas": dict(FREE_TRIAL_QUOTAS),
        "plans": plans,
        "this_run": {"arithmetic": run["arithmetic"], "fits_free_trial": not gcp_quota_shortfalls(run["needs"], free_trial)},
        "stage_order": stages,
    }


def gcp_quota_arithmetic(plan):
    """Return the quota arithmetic of a gcp_quota_needs input as readable lines and totals.

    E.g. {"CPUS": "3 nodes x 2 (e2-standard-2) + 1 VMs x 2 (e2-standard-2) = 8", ...}.
    """
    needs = gcp_quota_needs(plan)
    lines = {}
    terms = {"CPUS": [], "SSD_TOTAL_GB": [], "DISKS_TOTAL_GB": [], "IN_USE_ADDRESSES": [], "STATIC_ADDRESSES": []}
    for name, label in (("nodes", "nodes"), ("vms", "VMs")):
        group = plan.get(name) or {}
        count = _int(group, "count", name)
        if count == 0:
            continue
        machine = group.get("machine_type")
        terms["CPUS"].append("%d %s x %d (%s)" % (count, label, gcp_machine_cpus(machine), machine))
        disk = group.get("disk_type", "pd-balanced")
        terms[_disk_metric(disk)].append("%d %s x %d GB (%s)" % (count, label, _int(group, "disk_size_gb", name), disk))
        if _bool(group.get("external_ip", True)):
            terms["IN_USE_ADDRESSES"].append("%d %s" % (count, label))
            if name == "vms" and _bool(group.get("static_ip")):
                terms["STATIC_ADDRESSES"].append("%d %s" % (count, label))
    if _int(plan, "load_balancers", "plan"):
        terms["IN_USE_ADDRESSES"].append("%d load balancers for people" % _int(plan, "load_balancers", "plan"))
    if _int(plan, "nat_addresses", "plan"):
        terms["IN_USE_ADDRESSES"].append("%d Cloud NAT" % _int(plan, "nat_addresses", "plan"))
    for metric, need in needs.items():
        lines[metric] = "%s = %d" % (" + ".join(terms[metric]) or "nothing", need)
    return {"needs": needs, "arithmetic": lines}


def gcp_quota_shortfalls(needs, quotas):
    """Compare ``needs`` (from gcp_quota_needs) with a region's quotas.

    ``quotas`` is the ``quotas`` list of ``gcloud compute regions describe REGION --format=json``
    (items with metric, limit, usage). Returns one dict per metric whose free quota is smaller
    than the need: metric, need, limit, usage, free, hint. Metrics the region does not list are
    skipped; metrics needed at 0 never fall short.
    """
    if not isinstance(needs, dict):
        raise AnsibleFilterError("gcp_quota_shortfalls expects the dict gcp_quota_needs returns")
    by_metric = {}
    for item in quotas or []:
        if isinstance(item, dict) and "metric" in item:
            by_metric[item["metric"]] = item
    shortfalls = []
    for metric in sorted(needs):
        need = needs[metric]
        if need <= 0 or metric not in by_metric:
            continue
        limit = float(by_metric[metric].get("limit", 0))
        usage = float(by_metric[metric].get("usage", 0))
        free = limit - usage
        if free < need:
            shortfalls.append({
                "metric": metric,
                "need": need,
                "limit": int(limit) if limit.is_integer() else limit,
                "usage": int(usage) if usage.is_integer() else usage,
                "free": int(free) if free.is_integer() else free,
                "hint": _QUOTA_HINTS.get(metric, "request more %s quota for the region" % metric),
            })
    return shortfalls


def _named(items):
    return [item for item in (items or []) if isinstance(item, dict) and "name" in item]


def gcp_kubeconfig_merge(existing, new):
    """Merge kubeconfig ``new`` into ``existing`` the way ``gcloud container clusters get-credentials`` does.

    Clusters, contexts and users of ``new`` replace the entries of the same name in ``existing``;
    every other entry is kept; current-context becomes ``new``'s. ``existing`` may be None or
    empty (no file yet).
    """
    if existing in (None, ""):
        existing = {}
    if not isinstance(existing, dict) or not isinstance(new, dict):
        raise AnsibleFilterError("gcp_kubeconfig_merge expects two kubeconfig dicts")
    result = dict(existing)
    result.setdefault("apiVersion", "v1")
    result.setdefault("kind", "Config")
    result.setdefault("preferences", {})
    for section in ("clusters", "contexts", "users"):
        added = _named(new.get(section))
        names = {item["name"] for item in added}
        result[section] = [item for item in _named(existing.get(section)) if item["name"] not in names] + added
    if new.get("current-context"):
        result["current-context"] = new["current-context"]
    return result


def gcp_kubeconfig_remove(existing, names):
    """Remove the clusters, contexts and users named in ``names`` from kubeconfig ``existing``.

    Returns the kubeconfig without them; current-context is cleared when it named one of them.
    Returns an empty dict when nothing else is left (the caller then deletes the file).
    """
    if existing in (None, ""):
        return {}
    if not isinstance(existing, dict):
        raise AnsibleFilterError("gcp_kubeconfig_remove expects a kubeconfig dict")
    names = set(names or [])
    result = dict(existing)
    for section in ("clusters", "contexts", "users"):
        result[section] = [item for item in _named(existing.get(section)) if item["name"] not in names]
    if result.get("current-context") in names:
        result["current-context"] = ""
    if not any(result[section] for section in ("clusters", "contexts", "users")):
        return {}
    return result


def gcp_kubeconfig_exec_env(kubeconfig, env):
    """Return ``kubeconfig`` (a dict) with ``env`` added to every user's exec plugin.

    gke-gcloud-auth-plugin asks gcloud for a token; with a service-account key, gcloud needs
    CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE in the plugin's environment, which kubectl and the
    kubernetes client take from the exec entry's ``env`` list. Existing names are replaced.
    """
    if not isinstance(kubeconfig, dict):
        raise AnsibleFilterError("gcp_kubeconfig_exec_env expects a kubeconfig dict, got %s" % type(kubeconfig).__name__)
    if not isinstance(env, dict):
        raise AnsibleFilterError("gcp_kubeconfig_exec_env expects env as a dict of NAME: value")
    result = dict(kubeconfig)
    users = []
    for entry in kubeconfig.get("users") or []:
        user = (entry or {}).get("user") or {}
        if "exec" not in user or not env:
            users.append(entry)
            continue
        keep = [item for item in (user["exec"].get("env") or []) if item.get("name") not in env]
        exec_entry = dict(user["exec"], env=keep + [{"name": name, "value": str(value)} for name, value in sorted(env.items())])
        users.append(dict(entry, user=dict(user, exec=exec_entry)))
    result["users"] = users
    return result


class FilterModule:
    """boutique.ops Google Cloud checks."""

    def filters(self):
        return {
            "gcp_name_problem": gcp_name_problem,
            "gcp_zone_region": gcp_zone_region,
            "gcp_label_problems": gcp_label_problems,
            "gcp_machine_cpus": gcp_machine_cpus,
            "gcp_machine_type_known": gcp_machine_type_known,
            "gcp_quota_needs": gcp_quota_needs,
            "gcp_quota_shortfalls": gcp_quota_shortfalls,
            "gcp_kubeconfig_exec_env": gcp_kubeconfig_exec_env,
            "gcp_kubeconfig_merge": gcp_kubeconfig_merge,
            "gcp_kubeconfig_remove": gcp_kubeconfig_remove,
            "gcp_plan_settings": gcp_plan_settings,
            "gcp_plan_quota": gcp_plan_quota,
            "gcp_quota_arithmetic": gcp_quota_arithmetic,
            "gcp_plans_that_fit": gcp_plans_that_fit,
            "gcp_plan_report": gcp_plan_report,
        }
