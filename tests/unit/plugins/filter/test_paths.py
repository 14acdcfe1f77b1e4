# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""cwd_path: relative paths are taken from the current directory, not from the playbook's folder."""

from __future__ import annotations

import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.boutique.ops.plugins.filter.paths import cwd_path


def test_relative_path_is_taken_from_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cwd_path("./.boutique-ops") == os.path.join(str(tmp_path), ".boutique-ops")
    assert cwd_path(".boutique-ops/results/../.secrets") == os.path.join(str(tmp_path), ".boutique-ops", ".secrets")


def test_home_is_expanded(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cwd_path("~/state") == os.path.join(str(tmp_path), "state")


def test_absolute_path_is_kept():
    assert cwd_path("/var/tmp/state/") == "/var/tmp/state"


@pytest.mark.parametrize("bad", ["", "  ", None, 3, ["a"]])
def test_bad_input_is_refused(bad):
    with pytest.raises(AnsibleFilterError, match="cwd_path expects a non-empty path"):
        cwd_path(bad)
