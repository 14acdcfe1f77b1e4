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
    """Every request of the journey goes through _send with its page's marker; only _send sends.

    _send checks the status and the marker and reports each request to locust (see the integration
    tests for the failures it reports); neither self.client nor self.http is called anywhere else.
    """
    shopper = _class(tree[0], "BoutiqueShopper")
    sends = [node for node in ast.walk(shopper)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "_send"]
    assert len(sends) == 6
    for call in sends:
        # method, path, marker: the marker is one of the module's *_MARKER constants or PRODUCT_MARKERS[i].
        marker = call.args[2]
        assert getattr(marker, "id", "").endswith("_MARKER") or getattr(getattr(marker, "value", None), "id", "") == "PRODUCT_MARKERS"
    senders = set()
    for function in (node for node in shopper.body if isinstance(node, ast.FunctionDef)):
        for node in ast.walk(function):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Attribute)
                    and node.func.value.attr in ("client", "http") and node.func.attr not in ("close",)):
                senders.add((function.name, node.func.value.attr, node.func.attr))
    assert senders == {("_send", "http", "request")}
    source = tree[1]
    assert 'failure = "HTTP %s" % resp.status_code' in source
    assert "marker not in content and (alt is None or alt not in content)" in source
    assert "exception=CatchResponseError(failure) if failure else None" in source


def test_one_shape_per_profile(tree):
    module, source = tree
    for name in ("StressShape", "SpikeShape", "EnduranceShape", "RecoveryShape"):
        assert _class(module, name)
    assert '"stress": StressShape, "spike": SpikeShape, "endurance": EnduranceShape, "recovery": RecoveryShape' in source
    assert 'os.environ.get("LOCUST_PROFILE"' in source
