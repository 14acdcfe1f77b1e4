#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

# This file holds the documentation only: the work is done by the action plugin of the same name
# (plugins/action/check_inputs.py), on the controller, like ansible.builtin.assert.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


DOCUMENTATION = r"""
module: check_inputs

short_description: Check a role's inputs all at once and report every input that is refused

version_added: 0.2.0

author:
  - boutique.ops maintainers (!UNKNOWN)

description:
  - Evaluates every check of O(checks), in order, like M(ansible.builtin.assert) evaluates its C(that).
  - Fails when any check fails, with the message of every failing check, so that all the mistakes of a run are
    reported at once instead of one per run.
  - A check's O(checks[].msg) is templated only when the check fails.
  - A check whose expression cannot be evaluated for the given input (for example a filter that cannot read it) counts
    as failed; its message says so.
  - Changes nothing and contacts nothing; runs on the controller.

options:
  checks:
    description:
      - The checks, in the order their messages are reported.
    type: list
    elements: dict
    required: true
    suboptions:
      that:
        description:
          - A conditional expression, or a list of them that must all be true, without C({{ }}), as in
            M(ansible.builtin.assert).
        type: raw
        required: true
      msg:
        description:
          - What to tell the user when the check fails; name the variable and give an example of a good value.
        type: str
        required: true

attributes:
  check_mode:
    support: full
    description: Checks the same way in check mode.
  diff_mode:
    support: none
    description: No diff is produced.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller only.

seealso:
  - module: ansible.builtin.assert
"""

EXAMPLES = r"""
- name: Check the load test's inputs
  boutique.ops.check_inputs:
    checks:
      - that: loadtest_users | int > 0
        msg: loadtest_users={{ loadtest_users }} must be > 0, e.g. -e users=50.
      - that:
          - loadtest_wait_min | float >= 0
          - loadtest_wait_min | float <= loadtest_wait_max | float
        msg: Think time needs 0 <= loadtest_wait_min <= loadtest_wait_max, e.g. -e loadtest_wait_min=1.
"""

RETURN = r"""
msg:
  description: The failing check's message, or with several a line per check after a count; on success a summary.
  returned: always
  type: str
  sample: "2 checks refused the inputs:\n- loadtest_users=0 must be > 0, e.g. -e users=50.\n- ..."
checked:
  description: How many checks were evaluated.
  returned: always
  type: int
  sample: 12
"""
