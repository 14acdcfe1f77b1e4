# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Shared by the module unit tests: run a module's main() in-process, as Ansible would."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args


def run_module(module, args, capsys, check_mode=False):
    """Run ``module``'s main() with args; return (failed, result).

    The exit code and the result's `failed` must agree, as they do when Ansible runs the module.
    """
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exit_info:
            module.main()
    result = json.loads(capsys.readouterr().out)
    assert bool(exit_info.value.code) == bool(result.get("failed"))
    return bool(result.get("failed")), result
