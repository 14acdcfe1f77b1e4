# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""canary.yml rejects bad inputs before anything changes: not even the Istio stage renders."""

from __future__ import annotations

import os

import pytest

BAD_INPUTS = [
    (["-e", "weight=-1"], "weight=-1 is not allowed"),
    (["-e", "weight=101"], "weight=101 is not allowed"),
    (["-e", "weight=12.5"], "weight=12.5 is not allowed"),
    (["-e", "weight=abc"], "weight=abc is not allowed"),
    ([], "weight is not set"),
    (["-e", "canary_steps=[10,50,25]"], "does not increase"),
    (["-e", "canary_steps=[10,25,150]"], "canary_steps holds 150"),
    (["-e", "canary_steps=[-10,25]"], "canary_steps holds -10"),
    (["-e", "weight=25", "-e", '{"canary_expected": {"v1": 70, "v2": 20}}'], "add up to 90, not 100"),
    (["-e", "weight=25", "-e", '{"canary_expected": {"v1": 75, "v3": 25}}'], "unknown version(s) v3"),
    (["-e", "weight=50", "-e", "canary_promote=true"], "canary_promote=true needs the final weight to be 100"),
    (["-e", "weight=25", "-e", "canary_verify_confidence=1.5"], "canary_verify_confidence=1.5"),
]


@pytest.mark.parametrize("args, message", BAD_INPUTS, ids=[" ".join(a) or "no-weight" for a, _m in BAD_INPUTS])
def test_bad_input_is_rejected_before_any_change(run_playbook, tmp_path, args, message):
    render = tmp_path / "render"
    run = run_playbook("canary.yml", "-e", "ops_render_dir=%s" % render, *args)
    assert run.returncode != 0, run.output[-2000:]
    assert message in " ".join(run.output.split()), run.output[-2000:]
    # Nothing rendered: the canary's inputs are checked before the Istio stage.
    assert not os.path.exists(render / "istio") and not os.path.exists(render / "canary")
    assert "e.g. -e" in run.output
