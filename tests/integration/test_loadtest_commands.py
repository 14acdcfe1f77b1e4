# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""One builder for the locust command lines: the gcp render shows what a load test would run.

playbooks/locust.yml renders commands.sh (placeholders for what only a run knows) and loadtest.yml
renders plan.yml (the run's own argv, from the same filter the run path hands to the command
module). Filling commands.sh's placeholders with the run's values must give the run's argv, on
the planned VMs (their inventory names, since they do not exist yet).
"""

from __future__ import annotations

import os
import shlex

import pytest
import yaml

from ansible_collections.boutique.ops.tests.helpers import run_playbook

GCP = ("-i", "inventories/gcp", "-e", "gcp_project=p1")


@pytest.fixture(name="gcp_render", scope="module")
def fixture_gcp_render(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("render"))
    loadtest = ("-e", "profile=endurance", "-e", "target=gateway", "-e", "loadtest_host_header=shop.example")
    for playbook, extra in (("playbooks/locust.yml", ()), ("loadtest.yml", loadtest)):
        run = run_playbook(playbook, "-e", "ops_render_dir=" + folder, *GCP, *extra)
        assert run.returncode == 0, run.output[-3000:]
    return folder


def _commands_sh(folder):
    with open(os.path.join(folder, "locust", "commands.sh"), encoding="utf-8") as handle:
        return [shlex.split(line) for line in handle if line.strip() and not line.startswith("#")]


def test_render_equals_what_the_run_executes(gcp_render):
    with open(os.path.join(gcp_render, "loadtest", "plan.yml"), encoding="utf-8") as handle:
        plan = yaml.safe_load(handle)
    commands = plan["commands"]
    heartbeat = commands["master"]["argv"][commands["master"]["argv"].index("--heartbeat-timeout") + 1]
    values = {"$HEARTBEAT_TIMEOUT_S": heartbeat}
    rendered = [[values.get(arg, arg) for arg in argv] for argv in _commands_sh(gcp_render)]
    expected = [worker["argv"] for worker in commands["workers"]] + [commands["master"]["argv"]]
    assert rendered == expected
    # The VMs' inventory names, not 127.0.0.1, before they exist.
    hosts = ["boutique-loadgen-1", "boutique-loadgen-2", "boutique-loadgen-3"]
    assert [worker["host"] for worker in commands["workers"]] == hosts
    assert commands["master"]["host"] == "boutique-loadgen-1"
    for argv in expected[:-1]:
        assert argv[argv.index("--master-host") + 1] == "boutique-loadgen-1"
    assert "127.0.0.1" not in " ".join(" ".join(argv) for argv in expected)
    # docker on gcp, the Host header passed into the container by name.
    assert "--env=BOUTIQUE_HOST_HEADER" in commands["master"]["argv"]
    assert plan["environment"]["BOUTIQUE_HOST_HEADER"] == "shop.example"
    assert plan["target"]["kind"] == "gateway"
    assert plan["target"]["host_header"] == "shop.example"


def test_vm_addresses_when_the_inventory_knows_them(tmp_path):
    """Once the VMs exist, workers dial the master's internal address (gcp_compute's internal_ip)."""
    inventory = tmp_path / "hosts.yml"
    # Rendering contacts no host: every one is local here, only the addresses matter.
    local = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    inventory.write_text(yaml.safe_dump({"all": {"vars": local, "children": {
        "control": {"hosts": {"localhost": {}}},
        "loadgen": {"hosts": {"boutique-loadgen-1": {"ansible_host": "203.0.113.10", "internal_ip": "10.156.0.2"},
                              "boutique-loadgen-2": {"ansible_host": "203.0.113.11", "internal_ip": "10.156.0.3"}}}}}}))
    folder = tmp_path / "render"
    run = run_playbook("playbooks/locust.yml", "-i", str(inventory), "-e", "ops_render_dir=%s" % folder, "-e", "ops_target=local",
                       "-e", "locust_runtime=docker")
    assert run.returncode == 0, run.output[-3000:]
    workers = _commands_sh(str(folder))[:-1]
    assert [argv[argv.index("--master-host") + 1] for argv in workers] == ["10.156.0.2", "10.156.0.2"]
