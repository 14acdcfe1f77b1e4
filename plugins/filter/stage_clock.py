# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Wall time per stage of an entry playbook, from the marks its clock plays leave."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def _duration(seconds):
    seconds = int(round(seconds))
    if seconds < 60:
        return "%ds" % seconds
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return "%dm%02ds" % (minutes, seconds)
    hours, minutes = divmod(minutes, 60)
    return "%dh%02dm%02ds" % (hours, minutes, seconds)


def stage_durations(marks):
    """Turn clock marks into one line per stage.

    ``marks`` is a list of {stage, at} in run order: the first mark starts the clock, each later
    mark ends the stage it names. Returns ["<stage>: <wall time>", ..., "total: <wall time>"].
    """
    if not isinstance(marks, list) or len(marks) < 1:
        raise AnsibleFilterError("stage_durations expects a list of {stage, at} marks, the first one starting the clock")
    try:
        times = [float(mark["at"]) for mark in marks]
        names = [str(mark["stage"]) for mark in marks]
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("stage_durations: every mark needs a stage and a numeric at (%s)" % exc)
    lines = []
    width = max([len(name) for name in names[1:]] + [len("total")])
    for index in range(1, len(marks)):
        lines.append("%s  %s" % (names[index].ljust(width), _duration(max(0.0, times[index] - times[index - 1]))))
    lines.append("%s  %s" % ("total".ljust(width), _duration(max(0.0, times[-1] - times[0]))))
    return lines


class FilterModule:
    """boutique.ops stage clock."""

    def filters(self):
        return {"stage_durations": stage_durations}
