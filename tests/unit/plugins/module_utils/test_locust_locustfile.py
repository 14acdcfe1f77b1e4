# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The locustfile's journey, read as source (importing locust here would monkey-patch the test process).

It runs for real in tests/integration/test_loadtest_locustfile.py and the molecule loadtest scenario.
"""

from __future__ import annotations

import ast
import json
import os

import pytest

# Upstream src/loadgenerator/locustfile.py: task -> weight.
UPSTREAM_WEIGHTS = {"index": 1, "setCurrency": 2, "browseProduct": 10, "addToCart": 2, "viewCart": 3, "checkout": 1}
OURS = {"index": "index", "setCurrency": "set_currency", "browseProduct": "browse_product", "addToCart": "add_to_cart",
        "viewCart": "view_cart", "checkout": "checkout"}


@pytest.fixture(name="tree", scope="module")
def fixture_tree():
    path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "locust", "files", "locustfile.py")
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    return ast.parse(source), source


def _class(tree, name):
    return next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == name)


def test_fast_http_user_with_upstream_weights(tree):
    module = tree[0]
    shopper = _class(module, "BoutiqueShopper")
    assert [base.id for base in shopper.bases] == ["FastHttpUser"]
    weights = {}
    for node in shopper.body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "task":
                    weights[node.name] = decorator.args[0].value
    assert weights == {OURS[name]: weight for name, weight in UPSTREAM_WEIGHTS.items()}


def test_the_nine_upstream_products(tree, reference_dir):
    module = tree[0]
    products = next(node.value for node in module.body if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PRODUCTS")
    ours = [element.value for element in products.elts]
    with open(os.path.join(reference_dir, "online-boutique", "products-v0.10.6.json"), encoding="utf-8") as handle:
        upstream = [product["id"] for product in json.load(handle)["products"]]
    assert sorted(ours) == sorted(upstream) and len(ours) == 9


def test_real_form_fields(tree):
    source = tree[1]
    for field in ("currency_code=", "product_id=", "quantity=", "email=", "street_address=", "zip_code=", "city=", "state=",
                  "country=", "credit_card_number=", "credit_card_expiration_month=", "credit_card_expiration_year=", "credit_card_cvv="):
        assert field in source, field


def test_every_request_is_checked(tree):
    """Every client call uses catch_response and hands the response to _check (status and marker)."""
    module = tree[0]
    calls = [node for node in ast.walk(_class(module, "BoutiqueShopper"))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "post")
             and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "client"]
    assert len(calls) == 6
    for call in calls:
        assert any(keyword.arg == "catch_response" and keyword.value.value is True for keyword in call.keywords)
    checks = [node for node in ast.walk(module) if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_check"]
    assert len(checks) == 6


def test_one_shape_per_profile(tree):
    module, source = tree
    for name in ("StressShape", "SpikeShape", "EnduranceShape", "RecoveryShape"):
        assert _class(module, name)
    assert '"stress": StressShape, "spike": SpikeShape, "endurance": EnduranceShape, "recovery": RecoveryShape' in source
    assert 'os.environ.get("LOCUST_PROFILE"' in source
