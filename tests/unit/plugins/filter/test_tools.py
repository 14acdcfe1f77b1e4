# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Tests for the missing_tools filter."""

from __future__ import annotations

import os
import stat

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.boutique.ops.plugins.filter.tools import missing_tools


def make_program(folder, name, executable=True):
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(stat.S_IRWXU if executable else stat.S_IRUSR | stat.S_IWUSR)
    return path


def test_reports_only_absent_programs_in_order(tmp_path):
    make_program(tmp_path, "kubectl")
    assert missing_tools(["helm", "kubectl", "gcloud"], path=str(tmp_path)) == ["helm", "gcloud"]


def test_non_executable_file_counts_as_missing(tmp_path):
    make_program(tmp_path, "helm", executable=False)
    assert missing_tools(["helm"], path=str(tmp_path)) == ["helm"]


def test_searches_every_folder_of_the_path(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    make_program(second, "helm")
    assert missing_tools(["helm"], path=os.pathsep.join([str(first), str(second)])) == []


def test_defaults_to_the_process_path(tmp_path, monkeypatch):
    make_program(tmp_path, "gke-gcloud-auth-plugin")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert missing_tools(["gke-gcloud-auth-plugin", "gcloud"]) == ["gcloud"]


@pytest.mark.parametrize("bad", ["kubectl", None, {"kubectl": 1}])
def test_rejects_anything_but_a_list(bad):
    with pytest.raises(AnsibleFilterError, match="expects a list of program names"):
        missing_tools(bad)
