# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The changelog fragments are valid for antsibull-changelog (what a release turns into CHANGELOG.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def antsibull_changelog():
    found = shutil.which("antsibull-changelog", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    assert found, "antsibull-changelog is not installed: pip install -r requirements.txt"
    return found


def test_fragments_lint_clean():
    fragments = os.listdir(os.path.join(REPO_ROOT, "changelogs", "fragments"))
    assert fragments, "no changelog fragments"
    result = subprocess.run([antsibull_changelog(), "lint"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_lint_catches_a_bad_fragment(tmp_path):
    """The check can fail: a fragment with an unknown section is reported."""
    shutil.copytree(os.path.join(REPO_ROOT, "changelogs"), str(tmp_path / "changelogs"))
    shutil.copy(os.path.join(REPO_ROOT, "galaxy.yml"), str(tmp_path / "galaxy.yml"))
    (tmp_path / "changelogs" / "fragments" / "bad.yml").write_text("new_stuff:\n  - something\n")
    result = subprocess.run([antsibull_changelog(), "lint"], cwd=str(tmp_path), capture_output=True, text=True, timeout=120, check=False)
    assert "bad.yml" in result.stdout + result.stderr
