# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""input_values: the current values of the named inputs, skipping those that are unset or cannot be templated yet."""

from __future__ import annotations

DOCUMENTATION = r"""
name: input_values
author:
  - boutique.ops maintainers (!UNKNOWN)
version_added: 0.1.0
short_description: Current values of named inputs, as a dict
description:
  - Returns one dict of input name to its templated value, for every name given that is set and can be templated now.
  - "A name that is unset is left out, and so is one whose value cannot be templated yet (a role default that reads a
    variable set later, such as C(gke_cluster_location: '{{ gcp_zone }}') on the local target): unlike
    C(ansible.builtin.vars), one such value does not fail the whole lookup."
  - Meant for checks over many inputs at once, such as M(ansible.builtin.assert) with the
    C(boutique.ops.control_character_violations) filter.
options:
  _terms:
    description: Input names.
    required: true
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Refuse control characters in the canary's inputs
  ansible.builtin.assert:
    that: _problems | length == 0
    fail_msg: "{{ _problems | join(' ') }}"
  vars:
    _problems: "{{ lookup('boutique.ops.input_values', 'canary_hosts', 'canary_namespace') | boutique.ops.control_character_violations }}"
"""

RETURN = r"""
_raw:
  description: One dict, input name to value, of the names that are set and could be templated.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):
    """The values of the named inputs that are set and template now."""

    def run(self, terms, variables=None, **kwargs):
        values = {}
        variables = variables or {}
        for term in terms:
            name = str(term)
            if name not in variables:
                continue
            try:
                values[name] = self._templar.template(variables[name])
            except AnsibleError:
                continue
        return [values]
