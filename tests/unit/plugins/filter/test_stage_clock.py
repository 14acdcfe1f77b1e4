# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Unit tests for plugins/filter/stage_clock.py."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.boutique.ops.plugins.filter import stage_clock as sc


def test_durations_per_stage_and_total():
    marks = [{"stage": "start", "at": 1000.0}, {"stage": "preflight", "at": 1004.4},
             {"stage": "loadgen_vm", "at": 1189.0}, {"stage": "boutique", "at": 4789.0}]
    assert sc.stage_durations(marks) == [
        "preflight   4s",
        "loadgen_vm  3m05s",
        "boutique    1h00m00s",
        "total       1h03m09s",
    ]


def test_only_the_start_mark():
    assert sc.stage_durations([{"stage": "start", "at": 5}]) == ["total  0s"]


@pytest.mark.parametrize("marks", [[], "x", [{"stage": "a"}], [{"stage": "a", "at": "soon"}]])
def test_bad_marks(marks):
    with pytest.raises(AnsibleFilterError):
        sc.stage_durations(marks)
