# -*- coding: utf-8 -*-
# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Action plugin behind boutique.ops.check_inputs (documented in plugins/modules/check_inputs.py).

Like ansible.builtin.assert, on the controller, but for many checks at once: every check is
evaluated and every failing one is reported, so that a user with three mistakes learns of all three
in one run. A check's message is templated only when the check fails, as assert's fail_msg would be
read only then.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

ARGUMENT_SPEC = {
    "checks": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {
            # Raw expressions, as assert's `that`: not templated before run() (finalize_task_arg).
            "that": {"type": "raw", "required": True},
            "msg": {"type": "raw", "required": True},
        },
    },
}


def refusal(problems):
    """The task's message for the failing checks' messages, in check order."""
    if len(problems) == 1:
        return problems[0]
    return "%d checks refused the inputs:\n%s" % (len(problems), "\n".join("- " + problem for problem in problems))


class ActionModule(ActionBase):
    """Evaluate every check; fail with every failing check's message."""

    _requires_connection = False

    @classmethod
    def finalize_task_arg(cls, name, value, templar, context):
        if name == "checks":
            # Evaluated one by one in run(): a message is templated only if its check fails.
            return value
        return super().finalize_task_arg(name, value, templar, context)

    def _passes(self, that):
        conditions = that if isinstance(that, list) else [that]
        for condition in conditions:
            if not isinstance(condition, (str, bool)):
                raise AnsibleActionFail("check_inputs: a check's `that` is an expression or a list of them, got %r" % (condition,))
            if not self._templar.evaluate_conditional(conditional=condition):
                return False
        return True

    def _message(self, check, error=None):
        try:
            message = to_text(self._templar.template(check["msg"])).strip()
        except AnsibleError as exc:  # the message itself cannot be read for this input: say which check
            message = "%s (its message could not be templated: %s)" % (check["that"], to_text(exc))
        if error is not None:
            message += " (the check itself could not be evaluated: %s)" % to_text(error)
        return message

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)

        problems = []
        for check in args["checks"]:
            try:
                if not self._passes(check["that"]):
                    problems.append(self._message(check))
            except AnsibleActionFail:
                raise
            except AnsibleError as exc:  # e.g. a filter that cannot read this input: a refusal too
                problems.append(self._message(check, error=exc))

        result["changed"] = False
        result["checked"] = len(args["checks"])
        if problems:
            result["failed"] = True
            result["msg"] = refusal(problems)
        else:
            result["msg"] = "All %d checks passed" % len(args["checks"])
        return result
