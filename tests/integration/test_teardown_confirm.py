# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""teardown_cluster.yml and teardown_gcp.yml ask for confirmation themselves when run directly.

ansible-playbook runs here without a terminal, so the question gets no answer: the playbook must
stop with "Nothing was deleted" before any deletion task, and go on with -e confirm=yes. The
kubeconfig does not exist, so even a confirmed run has nothing it could delete.
"""

from __future__ import annotations

import pytest

PLAYBOOKS = ["playbooks/teardown_cluster.yml", "playbooks/teardown_gcp.yml"]
# Past preflight without a cluster: the target's tool and cluster checks are not what is tested.
COMMON = ["-e", "preflight_cluster_required=false"]


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_direct_run_without_an_answer_deletes_nothing(run_playbook, tmp_path, playbook):
    run = run_playbook(playbook, *COMMON, "-e", "ops_kubeconfig=%s" % (tmp_path / "absent"))
    assert run.returncode != 0, run.output[-2000:]
    assert "Nothing was deleted. Answer yes to the question, or pass -e confirm=yes to skip it." in run.output
    assert "Uninstall the Helm releases" not in run.output
    assert "Delete the load-generator VMs" not in run.output


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_confirm_yes_skips_the_question(run_playbook, tmp_path, playbook):
    run = run_playbook(playbook, *COMMON, "-e", "confirm=yes", "-e", "ops_kubeconfig=%s" % (tmp_path / "absent"))
    assert run.returncode == 0, run.output[-3000:]
    assert "Nothing was deleted" not in run.output
