# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""--check on every entry playbook in render mode: it runs, writes nothing, and claims nothing false.

The render folder does not exist yet (check mode must not refuse it as "not a writable folder",
nor create it). The canary's split check points at a closed port: in check mode nothing is
measured, so nothing fails and no rollback is claimed.
"""

from __future__ import annotations

import pytest

CASES = [
    ("site.yml", []),
    ("canary.yml", ["-e", "weight=25", "-e", "canary_verify_url=http://127.0.0.1:9/"]),
    ("loadtest.yml", ["-e", "profile=stress"]),
    ("teardown.yml", []),
]


@pytest.mark.parametrize("playbook,args", CASES, ids=[case[0] for case in CASES])
def test_check_mode_renders_nothing_and_claims_nothing(run_playbook, tmp_path, playbook, args):
    render = tmp_path / "new" / "render"
    run = run_playbook(playbook, "--check", "-e", "ops_render_dir=%s" % render, *args)
    assert run.returncode == 0, run.output[-3000:]
    assert not (tmp_path / "new").exists(), "check mode created the render folder"
    assert "not a writable folder" not in run.output
    assert "Rolled back" not in run.output
    assert "Check mode: nothing was written or changed" in run.output  # the closing summary says so
    if playbook == "canary.yml":
        assert "Check mode, nothing measured" in run.output
    if playbook == "teardown.yml":
        assert "Type yes to go on" not in run.output  # render mode never asks
