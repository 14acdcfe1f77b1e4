# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Bad inputs stop playbooks/boutique.yml before anything changes; build.yml works on its own.

Each case runs the real playbook in render mode and checks the exit code, the message (it names
the variable) and that nothing was written under <render>/boutique/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLAYBOOK = os.path.join(REPO, "playbooks", "boutique.yml")


def run_playbook(playbook, extra_vars, timeout=240):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"),
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook, "-e", json.dumps(extra_vars)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )


BAD_INPUTS = [
    pytest.param({"boutique_profile": "tiny"},
                 "value of boutique_profile must be one of: full, minimal, custom, got: tiny", id="unknown-profile"),
    pytest.param({"boutique_profile": "custom", "boutique_exclude": ["adservice", "nosuchservice"]},
                 "boutique_exclude names unknown services: nosuchservice. Known services: frontend,", id="unknown-service"),
    pytest.param({"boutique_profile": "custom", "boutique_exclude": ["currencyservice"]},
                 "without currencyservice (called by frontend, checkoutservice) the shop loses browse, cart and checkout",
                 id="exclude-currencyservice"),
    pytest.param({"boutique_replicas": {"frontend": -1}},
                 "boutique_replicas.frontend=-1 is not allowed", id="replicas-minus-one"),
    pytest.param({"boutique_namespace": ""},
                 "boutique_namespace='' is not a namespace name", id="empty-namespace"),
    pytest.param({"boutique_namespace": "My_Shop"},
                 "boutique_namespace='My_Shop' is not a namespace name", id="invalid-namespace"),
    pytest.param({"boutique_profile": "custom", "boutique_exclude": ["redis-cart"]},
                 "without redis-cart (called by cartservice) the shop loses cart and checkout", id="exclude-redis-cart"),
    pytest.param({"boutique_profile": "full", "boutique_exclude": ["adservice"]},
                 "boutique_exclude=['adservice'] is only read with boutique_profile=custom", id="exclude-without-custom"),
    pytest.param({"boutique_replicas": {"nosuchservice": 2}},
                 "boutique_replicas.nosuchservice=2 is not allowed", id="replicas-unknown-service"),
    pytest.param({"boutique_frontend_external_type": "LoadBalancer"},
                 "a LoadBalancer puts the shop on the internet, so it needs the client ranges", id="lb-without-source-ranges"),
    pytest.param({"boutique_image_registry": "gcr.io/x;touch /tmp/p"},
                 'boutique_image_registry="gcr.io/x;touch /tmp/p" does not make image references', id="image-registry-shell"),
    pytest.param({"boutique_version": "v1 $(id)"},
                 'boutique_version="v1 $(id)" is not an image tag: it holds', id="image-version-shell"),
]


@pytest.mark.parametrize("extra_vars, message", BAD_INPUTS)
def test_bad_input_is_rejected_before_any_change(tmp_path, extra_vars, message):
    render = tmp_path / "render"
    result = run_playbook(PLAYBOOK, dict(extra_vars, ops_render_dir=str(render)))
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    # Folded YAML messages may wrap: compare with whitespace normalised.
    assert " ".join(message.split()) in " ".join(output.split()), output
    assert not (render / "boutique").exists(), "something was rendered before the input was rejected"


def test_allow_broken_renders_a_shop_without_currencyservice(tmp_path):
    render = tmp_path / "render"
    result = run_playbook(PLAYBOOK, {"ops_render_dir": str(render), "boutique_profile": "custom",
                                     "boutique_exclude": ["currencyservice"], "boutique_allow_broken": True})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "currencyservice absent: BREAKS browse, cart and checkout" in result.stdout
    files = sorted(path.name for path in (render / "boutique").iterdir())
    assert "currencyservice.yml" not in files
    assert "frontend.yml" in files


def test_profile_switch_removes_what_the_new_profile_leaves_out(tmp_path):
    render = tmp_path / "render"
    full = run_playbook(PLAYBOOK, {"ops_render_dir": str(render), "boutique_profile": "full"})
    assert full.returncode == 0, full.stdout + full.stderr
    assert (render / "boutique" / "adservice.yml").exists()
    minimal = run_playbook(PLAYBOOK, {"ops_render_dir": str(render), "boutique_profile": "minimal"})
    assert minimal.returncode == 0, minimal.stdout + minimal.stderr
    left = {path.name for path in (render / "boutique").iterdir()}
    assert not left & {"adservice.yml", "recommendationservice.yml", "emailservice.yml", "loadgenerator.yml"}
    assert "cartservice.yml" in left


def test_build_tasks_work_through_include_role(tmp_path):
    """The canary role's interface: tasks_from build.yml sets _boutique_objects and _boutique_services."""
    out = tmp_path / "build.json"
    playbook = tmp_path / "build.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "Build the shop's objects through include_role",
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {"name": "Build", "ansible.builtin.include_role": {"name": "boutique.ops.boutique", "tasks_from": "build.yml"},
             "vars": {"boutique_profile": "full", "ops_target": "gcp", "boutique_frontend_source_ranges": ["203.0.113.0/24"]}},
            {"name": "Save", "ansible.builtin.copy": {
                "dest": str(out), "mode": "0644",
                "content": "{{ {'services': _boutique_services, 'objects': _boutique_objects} | to_json }}"}},
        ],
    }]))
    result = run_playbook(str(playbook), {})
    assert result.returncode == 0, result.stdout + result.stderr
    built = json.loads(out.read_text())
    assert built["services"] == ["frontend", "adservice", "currencyservice", "cartservice", "redis-cart",
                                 "recommendationservice", "checkoutservice", "emailservice", "paymentservice",
                                 "shippingservice", "productcatalogservice"]
    index = {(obj["kind"], obj["metadata"]["name"]): obj for obj in built["objects"]}
    assert index[("Deployment", "frontend")]["spec"]["template"]["metadata"]["labels"] == {"app": "frontend", "version": "v1"}
    external = index[("Service", "frontend-external")]["spec"]
    assert external["type"] == "LoadBalancer"
    assert external["loadBalancerSourceRanges"] == ["203.0.113.0/24"]
