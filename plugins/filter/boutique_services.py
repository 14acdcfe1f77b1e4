# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Online Boutique filters: which services a profile deploys, what an absent service breaks,
and the Kubernetes objects built from the role's service catalog.

Generic code: the services, their call graph, what each one's absence costs and the profiles are
data, in roles/boutique/vars/main.yml (_boutique_catalog, _boutique_profiles), from upstream
v0.10.6: the frontend and checkoutservice log and carry on without ad, recommendation and email
services, and fail a request when any other callee is missing.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError
from ansible_collections.boutique.ops.plugins.filter.manifests import to_manifests
from ansible_collections.boutique.ops.plugins.module_utils.plain_data import plain_copy

CART_STORES = ("redis", "memory")

# Labels on every object the role owns; apply mode prunes by them.
MANAGED_BY = "boutique.ops"
OWNER_LABELS = {
    "app.kubernetes.io/managed-by": MANAGED_BY,
    "app.kubernetes.io/part-of": "online-boutique",
}
COMPONENT_LABEL = "app.kubernetes.io/component"
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _as_list(value, name):
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple, set)):
        raise AnsibleFilterError("%s must be a list of service names, got %r" % (name, value))
    return list(value)


def _check_catalog(catalog):
    """The catalog as {service: entry}, each entry with calls and absent {graceful, effect}."""
    if not isinstance(catalog, dict) or not catalog:
        raise AnsibleFilterError("the Online Boutique catalog (_boutique_catalog) must be a non-empty dict, got %r" % type(catalog).__name__)
    for service, entry in catalog.items():
        absent = entry.get("absent") if isinstance(entry, dict) else None
        if not isinstance(absent, dict) or not isinstance(absent.get("effect"), str) or not isinstance(absent.get("graceful"), bool):
            raise AnsibleFilterError("catalog entry %s needs absent: {graceful: true|false, effect: what a shopper loses}" % service)
        unknown = [callee for callee in entry.get("calls") or [] if callee not in catalog]
        if unknown:
            raise AnsibleFilterError("catalog entry %s calls services the catalog does not hold: %s" % (service, ", ".join(unknown)))
    return catalog


def _callers(catalog, service, present):
    """Present services that call ``service`` directly."""
    return [caller for caller, entry in catalog.items() if service in (entry.get("calls") or []) and caller in present]


def boutique_breakage(absent, catalog, cart_store="redis", present=None):
    """Sort absent services into graceful and breaking, each with what a shopper loses.

    ``catalog`` is the role's service catalog (each entry's ``calls`` and ``absent``). Returns
    ``{"graceful": {svc: effect}, "breaking": {svc: effect}, "unknown": [names], "callers": {svc: [present callers]}}``.
    ``present`` (default: every other catalog service) only shapes ``callers``.
    """
    catalog = _check_catalog(catalog)
    if cart_store not in CART_STORES:
        raise AnsibleFilterError("cart_store must be one of %s, got %r" % (", ".join(CART_STORES), cart_store))
    absent = _as_list(absent, "absent")
    if present is None:
        present = [svc for svc in catalog if svc not in absent]
    result = {"graceful": {}, "breaking": {}, "unknown": [], "callers": {}}
    for service in absent:
        if service not in catalog:
            if service not in result["unknown"]:
                result["unknown"].append(service)
            continue
        entry = catalog[service]
        result["callers"][service] = _callers(catalog, service, present)
        if entry.get("only_with_cart_store") not in (None, cart_store):
            result["graceful"][service] = entry.get("unused") or entry["absent"]["effect"]
        elif entry["absent"]["graceful"]:
            result["graceful"][service] = entry["absent"]["effect"]
        else:
            result["breaking"][service] = entry["absent"]["effect"]
    return result


def boutique_plan(profile, catalog, profiles, exclude=None, loadgenerator=False, cart_store="redis", allow_broken=False):
    """Work out the services a profile deploys and check that the shop still works.

    ``catalog`` and ``profiles`` are the role's data (roles/boutique/vars/main.yml); a profile
    maps to the services it leaves out, or to nothing (custom: ``exclude``).
    Returns a dict: ``services`` (deployed, catalog order), ``absent``, ``graceful`` and
    ``breaking`` (service -> effect), ``problems`` (messages; empty when the plan is
    acceptable) and ``notes`` (what the absences cost, for the log).
    """
    catalog = _check_catalog(catalog)
    if not isinstance(profiles, dict):
        raise AnsibleFilterError("the profiles (_boutique_profiles) must be a dict, got %r" % type(profiles).__name__)
    problems = []
    exclude = _as_list(exclude, "boutique_exclude")
    empty = {"services": [], "absent": [], "graceful": {}, "breaking": {}, "problems": problems, "notes": []}
    if profile not in profiles:
        problems.append(
            "boutique_profile=%s is not a profile. Allowed: %s, e.g. -e boutique_profile=minimal"
            % (profile, ", ".join(profiles))
        )
        return empty
    if cart_store not in CART_STORES:
        problems.append(
            "boutique_cart_store=%s is not a cart store. Allowed: %s, e.g. -e boutique_cart_store=memory"
            % (cart_store, ", ".join(CART_STORES))
        )
        return empty

    custom = profiles[profile] is None
    if custom:
        left_out = list(exclude)
    else:
        if exclude:
            problems.append(
                "boutique_exclude=%s is only read with boutique_profile=custom (the profile is %s): "
                "e.g. -e boutique_profile=custom -e '{\"boutique_exclude\": [\"adservice\"]}'"
                % (exclude, profile)
            )
        left_out = list(profiles[profile])
    for service, entry in catalog.items():
        # An in-cluster load generator follows boutique_loadgenerator in every profile (custom can still exclude it).
        if entry.get("only_with_loadgenerator"):
            if loadgenerator and not custom and service in left_out:
                left_out.remove(service)
            if not loadgenerator and service not in left_out:
                left_out.append(service)
        # Nothing talks to redis-cart once the cart lives in cartservice's memory.
        if entry.get("only_with_cart_store") not in (None, cart_store) and service not in left_out:
            left_out.append(service)

    services = [svc for svc in catalog if svc not in left_out]
    absent = [svc for svc in catalog if svc in left_out]
    breakage = boutique_breakage(left_out, catalog, cart_store=cart_store, present=services)
    if breakage["unknown"]:
        problems.append(
            "boutique_exclude names unknown services: %s. Known services: %s, "
            "e.g. -e '{\"boutique_exclude\": [\"adservice\", \"emailservice\"]}'"
            % (", ".join(breakage["unknown"]), ", ".join(catalog))
        )
    if breakage["breaking"] and not allow_broken:
        graceful = sorted(svc for svc, entry in catalog.items() if entry["absent"]["graceful"])
        problems.append(
            "boutique_exclude leaves out services the shop cannot work without: %s. "
            "Only %s can be left out gracefully; to deploy a broken shop on purpose add -e boutique_allow_broken=true"
            % (_describe(breakage["breaking"], breakage["callers"]), ", ".join(graceful))
        )
    notes = ["%s absent: %s" % (svc, effect) for svc, effect in breakage["graceful"].items()]
    notes += ["%s absent: BREAKS %s" % (svc, effect) for svc, effect in breakage["breaking"].items()]
    return {
        "services": services,
        "absent": absent,
        "graceful": breakage["graceful"],
        "breaking": breakage["breaking"],
        "problems": problems,
        "notes": notes,
    }


def _describe(breaking, callers):
    parts = []
    for service, effect in breaking.items():
        called_by = callers.get(service) or []
        via = " (called by %s)" % ", ".join(called_by) if called_by else ""
        parts.append("without %s%s the shop loses %s" % (service, via, effect))
    return "; ".join(parts)


def _merge_labels(*dicts):
    merged = {}
    for item in dicts:
        merged.update(item or {})
    return merged


def _image(entry, settings):
    if entry.get("image_ref"):
        return entry["image_ref"]
    return "%s/%s:%s" % (settings["image_registry"].rstrip("/"), entry.get("image", entry["name"]), settings["version"])


def _container(service, entry, settings):
    container = {"name": entry.get("container_name", "server")}
    container["securityContext"] = plain_copy(settings["container_security_context"])
    container["image"] = _image(entry, settings)
    if entry.get("port"):
        port = {"containerPort": entry["port"]}
        if entry.get("port_name"):
            port = {"name": entry["port_name"], "containerPort": entry["port"]}
        container["ports"] = [port]
    env = plain_copy(entry.get("env") or [])
    if service == "cartservice" and settings.get("cart_store") == "memory":
        # cartservice keeps carts in memory when REDIS_ADDR is empty.
        env = [{"name": var["name"], "value": ""} if var["name"] == "REDIS_ADDR" else var for var in env]
    if service == "frontend" and settings.get("frontend_message"):
        env.append({"name": "FRONTEND_MESSAGE", "value": settings["frontend_message"]})
    if env:
        container["env"] = env
    for key in ("readinessProbe", "livenessProbe"):
        if entry.get(key):
            container[key] = plain_copy(entry[key])
    resources = (settings.get("resources") or {}).get(service, entry.get("resources"))
    if resources:
        container["resources"] = plain_copy(resources)
    if entry.get("volume_mounts"):
        container["volumeMounts"] = plain_copy(entry["volume_mounts"])
    return container


def _deployment(service, entry, settings, labels):
    pod_labels = _merge_labels({"app": service}, entry.get("pod_labels"))
    pod_spec = {}
    if entry.get("service_account", True):
        pod_spec["serviceAccountName"] = service
    if entry.get("termination_grace_period") is not None:
        pod_spec["terminationGracePeriodSeconds"] = entry["termination_grace_period"]
    pod_spec["securityContext"] = plain_copy(settings["pod_security_context"])
    if entry.get("init_containers"):
        init = plain_copy(entry["init_containers"])
        for container in init:
            container.setdefault("securityContext", plain_copy(settings["container_security_context"]))
        pod_spec["initContainers"] = init
    pod_spec["containers"] = [_container(service, entry, settings)]
    if entry.get("volumes"):
        pod_spec["volumes"] = plain_copy(entry["volumes"])
    template_meta = {"labels": pod_labels}
    if entry.get("pod_annotations"):
        template_meta["annotations"] = dict(entry["pod_annotations"])
    replicas = (settings.get("replicas") or {}).get(service, entry.get("replicas", 1))
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": service,
            "namespace": settings["namespace"],
            "labels": _merge_labels({"app": service}, entry.get("pod_labels"), labels),
        },
        "spec": {
            "replicas": int(replicas),
            "selector": {"matchLabels": {"app": service}},
            "template": {"metadata": template_meta, "spec": pod_spec},
        },
    }


def _service(name, service, port, settings, labels, service_type="ClusterIP", source_ranges=None):
    spec = {
        "type": service_type,
        "selector": {"app": service},
        "ports": [{"name": port["name"], "port": port["port"], "targetPort": port["target_port"]}],
    }
    if service_type == "LoadBalancer" and source_ranges:
        spec["loadBalancerSourceRanges"] = list(source_ranges)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": settings["namespace"], "labels": _merge_labels({"app": service}, labels)},
        "spec": spec,
    }


REQUIRED_SETTINGS = ("namespace", "image_registry", "version", "pod_security_context", "container_security_context")


def boutique_objects(catalog, services, settings):
    """Build the Kubernetes objects for ``services`` from the role's catalog.

    ``settings`` keys: namespace, image_registry, version, pod_security_context,
    container_security_context, and optionally replicas and resources (per service overrides),
    cart_store, frontend_message, frontend_external (bool), frontend_external_type,
    frontend_source_ranges.
    """
    if not isinstance(catalog, dict):
        raise AnsibleFilterError("boutique_objects expects the catalog as a dict, got %s" % type(catalog).__name__)
    if not isinstance(settings, dict):
        raise AnsibleFilterError("boutique_objects expects settings as a dict, got %s" % type(settings).__name__)
    missing = [key for key in REQUIRED_SETTINGS if key not in settings]
    if missing:
        raise AnsibleFilterError("boutique_objects settings lack %s" % ", ".join(missing))
    services = _as_list(services, "services")
    unknown = [svc for svc in services if svc not in catalog]
    if unknown:
        raise AnsibleFilterError("boutique_objects: the catalog has no %s" % ", ".join(unknown))

    namespace = settings["namespace"]
    objects = [{
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": namespace, "labels": _merge_labels(OWNER_LABELS, {COMPONENT_LABEL: "namespace"})},
    }]
    for service in services:
        entry = dict(catalog[service], name=service)
        labels = _merge_labels(OWNER_LABELS, {COMPONENT_LABEL: service})
        if entry.get("service_account", True):
            objects.append({
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": service, "namespace": namespace, "labels": labels},
            })
        objects.append(_deployment(service, entry, settings, labels))
        if entry.get("service_port"):
            objects.append(_service(service, service, entry["service_port"], settings, labels))
        if service == "frontend" and settings.get("frontend_external", True):
            objects.append(_service(
                "frontend-external", service, entry["service_port"], settings, labels,
                service_type=settings.get("frontend_external_type", "LoadBalancer"),
                source_ranges=settings.get("frontend_source_ranges"),
            ))
    return objects


def boutique_render_files(objects):
    """Group objects into render files: ``[{"file": "<component>.yml", "objects": [...]}]``."""
    files = {}
    for obj in objects:
        component = obj.get("metadata", {}).get("labels", {}).get(COMPONENT_LABEL)
        if not component:
            raise AnsibleFilterError(
                "boutique_render_files: %s/%s has no %s label" % (obj.get("kind"), obj.get("metadata", {}).get("name"), COMPONENT_LABEL)
            )
        files.setdefault(component + ".yml", []).append(obj)
    return [{"file": name, "objects": objs} for name, objs in files.items()]


def boutique_manifest_files(objects):
    """The render folder's files for boutique.ops.render_files: ``[{"path": "<component>.yml", "content": manifests}]``."""
    return [{"path": group["file"], "content": to_manifests(group["objects"])} for group in boutique_render_files(objects)]


def boutique_stale(found, keep, services):
    """Objects found in the cluster that the role owns but the plan no longer holds.

    ``found``: objects as k8s_info returns them (the ``resources`` lists, concatenated);
    ``keep``: the planned objects; ``services``: the catalog's service names. Only objects labelled
    managed-by boutique.ops and named like a catalog workload (or frontend-external) are candidates, so objects that other roles
    derived from the catalog (e.g. the canary's frontend-v2) are never pruned here.
    Returns ``[{"apiVersion", "kind", "name", "namespace"}]``.
    """
    keep_ids = {(obj["kind"], obj["metadata"]["name"]) for obj in keep}
    owned_names = set(_as_list(services, "services")) | {"frontend-external"}
    stale = []
    for obj in found or []:
        meta = obj.get("metadata", {})
        labels = meta.get("labels") or {}
        if labels.get("app.kubernetes.io/managed-by") != MANAGED_BY:
            continue
        if meta.get("name") not in owned_names or obj.get("kind") == "Namespace":
            continue
        if (obj.get("kind"), meta.get("name")) in keep_ids:
            continue
        stale.append({"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
                      "name": meta.get("name"), "namespace": meta.get("namespace")})
    return stale


def boutique_dns_label(value):
    """True when ``value`` is a valid Kubernetes namespace name (RFC 1123 label)."""
    return isinstance(value, str) and 0 < len(value) <= 63 and bool(DNS_LABEL.match(value))


class FilterModule:
    """boutique.ops Online Boutique filters."""

    def filters(self):
        return {
            "boutique_breakage": boutique_breakage,
            "boutique_plan": boutique_plan,
            "boutique_objects": boutique_objects,
            "boutique_render_files": boutique_render_files,
            "boutique_manifest_files": boutique_manifest_files,
            "boutique_stale": boutique_stale,
            "boutique_dns_label": boutique_dns_label,
        }
