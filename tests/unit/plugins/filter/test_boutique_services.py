# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Unit tests for the Online Boutique filters (plugins/filter/boutique_services.py)."""

from __future__ import annotations

import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.boutique.ops.plugins.filter import boutique_services as bs

HERE = os.path.dirname(os.path.abspath(__file__))
CATALOG_FILE = os.path.join(HERE, "..", "..", "..", "..", "roles", "boutique", "vars", "main.yml")

GRACEFUL_SERVICES = ["adservice", "recommendationservice", "emailservice", "loadgenerator"]
BREAKING_SERVICES = ["frontend", "currencyservice", "shippingservice", "cartservice", "productcatalogservice",
                     "checkoutservice", "paymentservice", "redis-cart"]
ALL_SERVICES = GRACEFUL_SERVICES + BREAKING_SERVICES
# Upstream's order (release/kubernetes-manifests.yaml), the order objects are built in; loadgenerator last.
SHOP_SERVICES = ["frontend", "adservice", "currencyservice", "cartservice", "redis-cart", "recommendationservice",
                 "checkoutservice", "emailservice", "paymentservice", "shippingservice", "productcatalogservice"]
KNOWN_SERVICES = SHOP_SERVICES + ["loadgenerator"]

with open(CATALOG_FILE, encoding="utf-8") as _handle:
    ROLE_VARS = yaml.safe_load(_handle)
CATALOG = ROLE_VARS["_boutique_catalog"]
PROFILES = ROLE_VARS["_boutique_profiles"]
GRACEFUL = {svc: entry["absent"]["effect"] for svc, entry in CATALOG.items() if entry["absent"]["graceful"]}
BREAKING = {svc: entry["absent"]["effect"] for svc, entry in CATALOG.items() if not entry["absent"]["graceful"]}


def plan_of(profile, **options):
    """boutique_plan with the role's catalog and profiles, as the role calls it."""
    return bs.boutique_plan(profile, CATALOG, PROFILES, **options)


def breakage_of(absent, **options):
    return bs.boutique_breakage(absent, CATALOG, **options)


@pytest.fixture(name="role_vars", scope="module")
def fixture_role_vars():
    with open(CATALOG_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def settings(role_vars, **overrides):
    base = {
        "namespace": "boutique",
        "image_registry": "registry.example/shop",
        "version": "v0.10.6",
        "pod_security_context": role_vars["_boutique_pod_security_context"],
        "container_security_context": role_vars["_boutique_container_security_context"],
    }
    base.update(overrides)
    return base


def by_kind_name(objects):
    return {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}


def test_every_catalog_service_is_classified(role_vars):
    assert set(ALL_SERVICES) == set(KNOWN_SERVICES) == set(role_vars["_boutique_catalog"])
    assert set(GRACEFUL) | set(BREAKING) == set(KNOWN_SERVICES)
    assert not set(GRACEFUL) & set(BREAKING)


@pytest.mark.parametrize("service", GRACEFUL_SERVICES)
def test_graceful_absence(service):
    result = breakage_of([service])
    assert result["breaking"] == {}
    assert result["graceful"] == {service: GRACEFUL[service]}
    assert result["unknown"] == []


@pytest.mark.parametrize("service", BREAKING_SERVICES)
def test_breaking_absence(service):
    result = breakage_of([service])
    assert result["graceful"] == {}
    assert list(result["breaking"]) == [service]
    assert result["breaking"][service] == BREAKING[service]


@pytest.mark.parametrize("service, callers", [
    ("productcatalogservice", ["frontend", "checkoutservice", "recommendationservice"]),
    ("currencyservice", ["frontend", "checkoutservice"]),
    ("cartservice", ["frontend", "checkoutservice"]),
    ("shippingservice", ["frontend", "checkoutservice"]),
    ("checkoutservice", ["frontend"]),
    ("paymentservice", ["checkoutservice"]),
    ("emailservice", ["checkoutservice"]),
    ("adservice", ["frontend"]),
    ("recommendationservice", ["frontend"]),
    ("redis-cart", ["cartservice"]),
    ("frontend", ["loadgenerator"]),
    ("loadgenerator", []),
])
def test_callers_follow_the_call_graph(service, callers):
    assert sorted(breakage_of([service])["callers"][service]) == sorted(callers)


def test_callers_only_count_present_services():
    result = breakage_of(["productcatalogservice"], present=["frontend"])
    assert result["callers"]["productcatalogservice"] == ["frontend"]


def test_redis_cart_is_graceful_with_an_in_memory_cart():
    result = breakage_of(["redis-cart"], cart_store="memory")
    assert result["breaking"] == {}
    assert "in memory" in result["graceful"]["redis-cart"]


def test_unknown_services_are_reported_once():
    result = breakage_of(["nosuchservice", "nosuchservice", "adservice"])
    assert result["unknown"] == ["nosuchservice"]
    assert list(result["graceful"]) == ["adservice"]


def test_breakage_rejects_a_bad_cart_store_and_a_string():
    with pytest.raises(AnsibleFilterError, match="cart_store"):
        breakage_of([], cart_store="disk")
    with pytest.raises(AnsibleFilterError, match="list of service names"):
        breakage_of("adservice")


def test_full_profile_deploys_every_shop_service():
    plan = plan_of("full")
    assert plan["problems"] == []
    assert plan["services"] == list(SHOP_SERVICES)
    assert plan["absent"] == ["loadgenerator"]


def test_full_profile_with_the_loadgenerator():
    plan = plan_of("full", loadgenerator=True)
    assert plan["services"] == list(KNOWN_SERVICES)
    assert plan["absent"] == []
    assert plan["notes"] == []


def test_minimal_profile_is_the_seeds_shop():
    plan = plan_of("minimal")
    assert plan["problems"] == []
    assert set(plan["services"]) == {"frontend", "currencyservice", "cartservice", "redis-cart", "checkoutservice",
                                     "paymentservice", "shippingservice", "productcatalogservice"}
    assert set(plan["absent"]) == {"adservice", "recommendationservice", "emailservice", "loadgenerator"}
    assert set(plan["graceful"]) == set(plan["absent"])
    assert plan["breaking"] == {}
    assert "adservice absent: the frontend shows no ads" in plan["notes"]


def test_minimal_profile_can_still_have_the_loadgenerator():
    assert "loadgenerator" in plan_of("minimal", loadgenerator=True)["services"]


@pytest.mark.parametrize("service", GRACEFUL_SERVICES)
def test_custom_profile_leaves_out_a_graceful_service(service):
    plan = plan_of("custom", exclude=[service], loadgenerator=True)
    assert plan["problems"] == []
    assert service not in plan["services"]
    assert plan["absent"] == [service]


@pytest.mark.parametrize("service", BREAKING_SERVICES)
def test_custom_profile_refuses_a_breaking_service(service):
    plan = plan_of("custom", exclude=[service])
    assert len(plan["problems"]) == 1
    message = plan["problems"][0]
    assert message.startswith("boutique_exclude leaves out services the shop cannot work without: without %s" % service)
    assert BREAKING[service] in message
    assert "boutique_allow_broken=true" in message


def test_breaking_message_names_callers_and_what_breaks():
    message = plan_of("custom", exclude=["currencyservice"])["problems"][0]
    assert "without currencyservice (called by frontend, checkoutservice) the shop loses browse, cart and checkout" in message
    assert "adservice, emailservice, loadgenerator, recommendationservice" in message


@pytest.mark.parametrize("service", BREAKING_SERVICES)
def test_allow_broken_deploys_a_broken_shop_and_says_so(service):
    plan = plan_of("custom", exclude=[service], allow_broken=True)
    assert plan["problems"] == []
    assert service not in plan["services"]
    assert plan["breaking"] == {service: BREAKING[service]}
    assert "%s absent: BREAKS %s" % (service, BREAKING[service]) in plan["notes"]


def test_custom_profile_rejects_an_unknown_service():
    plan = plan_of("custom", exclude=["nosuchservice"], allow_broken=True)
    assert len(plan["problems"]) == 1
    assert plan["problems"][0].startswith("boutique_exclude names unknown services: nosuchservice. Known services: frontend,")


def test_unknown_profile_is_a_problem():
    plan = plan_of("tiny")
    assert plan["services"] == []
    assert plan["problems"] == ["boutique_profile=tiny is not a profile. Allowed: full, minimal, custom, e.g. -e boutique_profile=minimal"]


def test_unknown_cart_store_is_a_problem():
    assert "boutique_cart_store=disk" in plan_of("full", cart_store="disk")["problems"][0]


def test_exclude_needs_the_custom_profile():
    plan = plan_of("full", exclude=["adservice"])
    assert "only read with boutique_profile=custom" in plan["problems"][0]


def test_in_memory_cart_drops_redis_cart():
    plan = plan_of("minimal", cart_store="memory")
    assert plan["problems"] == []
    assert "redis-cart" not in plan["services"]
    assert "redis-cart" in plan["graceful"]


def test_plan_rejects_a_string_exclude():
    with pytest.raises(AnsibleFilterError, match="boutique_exclude must be a list"):
        plan_of("custom", exclude="adservice")


def test_objects_for_every_service(role_vars):
    objects = bs.boutique_objects(role_vars["_boutique_catalog"], list(KNOWN_SERVICES), settings(role_vars))
    index = by_kind_name(objects)
    assert objects[0]["kind"] == "Namespace"
    for service in KNOWN_SERVICES:
        deployment = index[("Deployment", service)]
        assert deployment["metadata"]["namespace"] == "boutique"
        assert deployment["spec"]["selector"] == {"matchLabels": {"app": service}}
        assert deployment["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "boutique.ops"
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        if service == "redis-cart":
            assert container["image"] == "redis:alpine"
        else:
            assert container["image"] == "registry.example/shop/%s:v0.10.6" % service
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
        # Every workload but the loadgenerator has a Service; all but redis-cart a ServiceAccount.
        assert (("Service", service) in index) == (service != "loadgenerator")
        assert (("ServiceAccount", service) in index) == (service != "redis-cart")
    assert index[("Service", "frontend-external")]["spec"]["type"] == "LoadBalancer"


def test_frontend_carries_version_v1_and_every_service_address(role_vars):
    objects = bs.boutique_objects(role_vars["_boutique_catalog"], ["frontend"], settings(role_vars))
    deployment = by_kind_name(objects)[("Deployment", "frontend")]
    assert deployment["spec"]["template"]["metadata"]["labels"] == {"app": "frontend", "version": "v1"}
    assert deployment["metadata"]["labels"]["version"] == "v1"
    assert deployment["spec"]["selector"]["matchLabels"] == {"app": "frontend"}
    names = {var["name"] for var in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert {"PRODUCT_CATALOG_SERVICE_ADDR", "CURRENCY_SERVICE_ADDR", "CART_SERVICE_ADDR", "RECOMMENDATION_SERVICE_ADDR",
            "SHIPPING_SERVICE_ADDR", "CHECKOUT_SERVICE_ADDR", "AD_SERVICE_ADDR"} <= names
    assert "FRONTEND_MESSAGE" not in names


def test_overrides_message_external_type_and_memory_cart(role_vars):
    objects = bs.boutique_objects(
        role_vars["_boutique_catalog"], ["frontend", "cartservice"],
        settings(role_vars, replicas={"frontend": 3}, resources={"cartservice": {"limits": {"cpu": "1"}}},
                 frontend_message="Sale", frontend_external_type="LoadBalancer",
                 frontend_source_ranges=["203.0.113.7/32"], cart_store="memory"))
    index = by_kind_name(objects)
    frontend = index[("Deployment", "frontend")]
    assert frontend["spec"]["replicas"] == 3
    assert {"name": "FRONTEND_MESSAGE", "value": "Sale"} in frontend["spec"]["template"]["spec"]["containers"][0]["env"]
    cart = index[("Deployment", "cartservice")]
    assert cart["spec"]["replicas"] == 1
    assert cart["spec"]["template"]["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "1"}}
    assert cart["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "REDIS_ADDR", "value": ""}]
    assert index[("Service", "frontend-external")]["spec"]["loadBalancerSourceRanges"] == ["203.0.113.7/32"]
    # The catalog itself is not modified by overrides.
    assert role_vars["_boutique_catalog"]["cartservice"]["env"] == [{"name": "REDIS_ADDR", "value": "redis-cart:6379"}]


def test_frontend_external_can_be_left_out_or_typed(role_vars):
    catalog = role_vars["_boutique_catalog"]
    assert ("Service", "frontend-external") not in by_kind_name(
        bs.boutique_objects(catalog, ["frontend"], settings(role_vars, frontend_external=False)))
    service = by_kind_name(bs.boutique_objects(catalog, ["frontend"], settings(role_vars, frontend_external_type="NodePort")))
    assert service[("Service", "frontend-external")]["spec"]["type"] == "NodePort"
    assert "loadBalancerSourceRanges" not in service[("Service", "frontend-external")]["spec"]


def test_objects_reject_bad_arguments(role_vars):
    catalog = role_vars["_boutique_catalog"]
    with pytest.raises(AnsibleFilterError, match="the catalog has no nosuch"):
        bs.boutique_objects(catalog, ["nosuch"], settings(role_vars))
    with pytest.raises(AnsibleFilterError, match="settings lack namespace"):
        bs.boutique_objects(catalog, ["frontend"], {"image_registry": "x", "version": "y", "pod_security_context": {},
                                                    "container_security_context": {}})
    with pytest.raises(AnsibleFilterError, match="catalog as a dict"):
        bs.boutique_objects([], ["frontend"], settings(role_vars))
    with pytest.raises(AnsibleFilterError, match="settings as a dict"):
        bs.boutique_objects(catalog, ["frontend"], "x")


def test_render_files_group_by_component(role_vars):
    objects = bs.boutique_objects(role_vars["_boutique_catalog"], ["frontend", "redis-cart"], settings(role_vars))
    files = {item["file"]: [(obj["kind"], obj["metadata"]["name"]) for obj in item["objects"]]
             for item in bs.boutique_render_files(objects)}
    assert files == {
        "namespace.yml": [("Namespace", "boutique")],
        "frontend.yml": [("ServiceAccount", "frontend"), ("Deployment", "frontend"), ("Service", "frontend"),
                         ("Service", "frontend-external")],
        "redis-cart.yml": [("Deployment", "redis-cart"), ("Service", "redis-cart")],
    }
    with pytest.raises(AnsibleFilterError, match="has no app.kubernetes.io/component label"):
        bs.boutique_render_files([{"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "x"}}])


def test_stale_prunes_only_owned_catalog_objects(role_vars):
    keep = bs.boutique_objects(role_vars["_boutique_catalog"], ["frontend"], settings(role_vars))
    owned = {"app.kubernetes.io/managed-by": "boutique.ops"}

    def found(kind, name, labels):
        return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "boutique", "labels": labels}}

    stale = bs.boutique_stale([
        found("Deployment", "frontend", owned),          # still planned
        found("Deployment", "adservice", owned),         # left out by the new profile
        found("Service", "adservice", owned),
        found("Deployment", "frontend-v2", owned),       # the canary's copy: not ours to prune
        found("Deployment", "emailservice", {}),         # not labelled as ours
        found("Deployment", "currencyservice", None),
    ], keep, list(CATALOG))
    assert stale == [
        {"apiVersion": "v1", "kind": "Deployment", "name": "adservice", "namespace": "boutique"},
        {"apiVersion": "v1", "kind": "Service", "name": "adservice", "namespace": "boutique"},
    ]
    assert bs.boutique_stale(None, keep, list(CATALOG)) == []


@pytest.mark.parametrize("value, valid", [
    ("boutique", True), ("shop-1", True), ("a", True), ("a" * 63, True),
    ("", False), ("a" * 64, False), ("Boutique", False), ("-shop", False), ("shop-", False), ("my_shop", False), (None, False),
])
def test_dns_label(value, valid):
    assert bs.boutique_dns_label(value) is valid


def test_filter_module_exports_every_filter():
    assert set(bs.FilterModule().filters()) == {"boutique_breakage", "boutique_plan", "boutique_objects", "boutique_manifest_files",
                                                "boutique_render_files", "boutique_stale", "boutique_dns_label"}


def test_catalog_order_is_upstreams_and_every_service_is_described():
    assert list(CATALOG) == KNOWN_SERVICES
    assert list(PROFILES) == ["full", "minimal", "custom"]


def test_adding_a_service_is_one_catalog_entry():
    # A new service that frontend calls, graceful when absent: only the catalog changes.
    catalog = dict(CATALOG, giftservice={"image": "giftservice", "port": 7100, "calls": [],
                                         "service_port": {"name": "grpc", "port": 7100, "target_port": 7100},
                                         "absent": {"graceful": True, "effect": "the frontend shows no gift wrap"}})
    catalog["frontend"] = dict(CATALOG["frontend"], calls=CATALOG["frontend"]["calls"] + ["giftservice"])
    full = bs.boutique_plan("full", catalog, PROFILES)
    assert full["services"][-1] == "giftservice" and full["problems"] == []
    custom = bs.boutique_plan("custom", catalog, PROFILES, exclude=["giftservice"])
    assert custom["problems"] == [] and custom["graceful"]["giftservice"] == "the frontend shows no gift wrap"
    assert bs.boutique_breakage(["giftservice"], catalog)["callers"] == {"giftservice": ["frontend"]}
    objects = bs.boutique_objects(catalog, full["services"], settings(ROLE_VARS))
    assert ("Deployment", "giftservice") in by_kind_name(objects)


@pytest.mark.parametrize("catalog,says", [
    ({}, "non-empty dict"),
    ({"a": {"calls": []}}, "needs absent"),
    ({"a": {"calls": ["b"], "absent": {"graceful": True, "effect": "x"}}}, "calls services the catalog does not hold: b"),
])
def test_a_broken_catalog_is_refused(catalog, says):
    with pytest.raises(AnsibleFilterError, match=says):
        bs.boutique_plan("full", catalog, {"full": []})
