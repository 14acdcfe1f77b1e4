# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Input checks shared by every role: control characters in any input are refused; durations; types.

A newline in a value that reaches a file, a command line or a label adds a line to it (an extra
``ssh-keys`` entry, an extra command in ``commands.sh``). No input of this collection needs a control
character, so preflight refuses them in every input of every role before anything changes:
``role_input_names`` lists the inputs (every option of every role's argument spec, plus the short
names their defaults read, such as ``weight``), and ``control_character_violations`` names every
offending one in the values it is given. ``input_type_problems`` names every input whose value an
argument spec's ``int``, ``float`` or ``bool`` cannot read, in words (the spec's own refusal quotes
Python's internals, ``<class 'ansible.module_utils._internal._datatag._AnsibleTaggedStr'>``).
"""

from __future__ import annotations

import os
import re

import yaml

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.validation import check_type_bool, check_type_float, check_type_int

# C0 controls (NUL, TAB, LF, CR, ESC ...), DEL, C1 controls (NEL ...) and the Unicode line and
# paragraph separators, which YAML and many tools also treat as line breaks.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMES = {
    "\x00": "NUL", "\t": "tab", "\n": "newline", "\r": "carriage return", "\x1b": "escape",
    "\x7f": "DEL", "\x85": "next line (NEL)", "\u2028": "line separator", "\u2029": "paragraph separator",
}
# libyaml's safe loader when PyYAML has it (ansible-core needs it too): every entry playbook's
# preflight reads all the roles' argument specs, 0.13 s in pure Python, 0.01 s in C.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# "{{ weight | default('') }}": a role default that reads a short entry-point name.
_SHORT_NAME_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\|\s*default\(")
# Longest excerpt of a value shown in a message.
_EXCERPT = 60


def _describe(char):
    return "%s (U+%04X)" % (_NAMES.get(char, "control character"), ord(char))


def _excerpt(text):
    shown = text if len(text) <= _EXCERPT else text[:_EXCERPT] + "..."
    return shown.encode("unicode_escape").decode("ascii").replace("'", "\\'")


def _walk(value, path):
    """Yields (path, text) for every string in value, dict keys included, depth-first."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield "a key of %s" % path, key
            yield from _walk(item, "%s[%r]" % (path, key) if isinstance(key, str) else "%s[%s]" % (path, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _walk(item, "%s[%d]" % (path, index))


def control_character_violations(values):
    """One sentence per input holding a control character, naming it and saying what to do.

    ``values`` maps input names to their current values (strings, numbers, lists, dicts, nested);
    None stands for an input that is not set. Every string is checked, dict keys included.
    """
    if not isinstance(values, dict):
        raise AnsibleFilterError("control_character_violations expects a dict of input names to values, got %s"
                                 % type(values).__name__)
    problems = []
    for name in sorted(values):
        for path, text in _walk(values[name], str(name)):
            match = _CONTROL_RE.search(text)
            if match is None:
                continue
            kinds = sorted(set(_describe(char) for char in _CONTROL_RE.findall(text)))
            problems.append(
                "%s contains %s at position %d ('%s'): control characters are refused in every input, since they "
                "would add lines to rendered files, commands and labels. Remove them, e.g. -e '%s=...' with the value "
                "on one line." % (path, ", ".join(kinds), match.start(), _excerpt(text), name))
    return problems


def _load(path):
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as handle:
        try:
            return yaml.load(handle, Loader=_SAFE_LOADER)
        except yaml.YAMLError as exc:
            raise AnsibleFilterError("%s is not valid YAML: %s" % (path, exc))


def role_input_names(roles_dir, roles=None):
    """Sorted names of the inputs of ``roles`` (every role folder in ``roles_dir`` when None).

    An input is an option of any entry point of the role's meta/argument_specs.yml, or a short name
    the role's defaults read with ``| default(...)`` (``weight``, ``target_url``, ``duration`` ...).
    """
    if not os.path.isdir(str(roles_dir)):
        raise AnsibleFilterError("role_input_names: %s is not a folder of roles" % roles_dir)
    if roles is None:
        roles = sorted(entry for entry in os.listdir(str(roles_dir)) if os.path.isdir(os.path.join(str(roles_dir), entry)))
    names = set()
    for role in roles:
        role = str(role).rsplit(".", maxsplit=1)[-1]
        specs = _load(os.path.join(str(roles_dir), role, "meta", "argument_specs.yml")) or {}
        for entry in (specs.get("argument_specs") or {}).values():
            names.update(str(option) for option in ((entry or {}).get("options") or {}))
        defaults_path = os.path.join(str(roles_dir), role, "defaults", "main.yml")
        if os.path.isfile(defaults_path):
            with open(defaults_path, encoding="utf-8") as handle:
                text = handle.read()
            names.update(_SHORT_NAME_RE.findall(text))
            names.update(str(key) for key in (yaml.load(text, Loader=_SAFE_LOADER) or {}) if not str(key).startswith("_"))
    return sorted(names)


# A duration as users write it: whole or decimal seconds, no sign, no unit.
_SECONDS_RE = re.compile(r"^[0-9]+([.][0-9]+)?$")


def duration_problems(durations, cap):
    """``name=value`` for each of ``durations`` (name -> value) that is not a number of seconds from 0 to ``cap``.

    In the order given; empty when every one is good. ``1e12``, ``-5``, ``abc`` and ``10m`` are all refused.
    """
    if not isinstance(durations, dict):
        raise AnsibleFilterError("duration_problems expects a dict of name -> duration, got %s" % type(durations).__name__)
    try:
        cap = float(cap)
    except (TypeError, ValueError):
        raise AnsibleFilterError("duration_problems: the cap must be a number of seconds, got %r" % (cap,)) from None
    return ["%s=%s" % (name, value) for name, value in durations.items()
            if isinstance(value, bool) or not _SECONDS_RE.match(str(value)) or float(value) > cap]


# "name: \"{{ short | default(literal) }}\"": a role default that reads a short entry-point name.
_SHORT_DEFAULT_RE = re.compile(r"""^([A-Za-z][A-Za-z0-9_]*):\s*["']\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\|\s*default\(([^()]*)\)\s*\}\}["']\s*$""",
                               re.MULTILINE)
# What each spec type wants, in words, its converter (ansible's own, so that the verdict is the spec's) and a
# fallback example.
_TYPES = {
    "int": ("a whole number", check_type_int, "1"),
    "float": ("a number", check_type_float, "1"),
    "bool": ("true or false", check_type_bool, "true"),
}


def _example(option, spec, short_default, kind):
    """A value of ``kind`` for the refusal's example: the spec's default, the defaults file's, or a plain one."""
    for candidate in (spec.get("default"), short_default):
        if candidate is None or isinstance(candidate, (list, dict)):
            continue
        text = str(candidate).strip().strip("'\"")
        try:
            _TYPES[kind][1](text)
        except (TypeError, ValueError):
            continue
        if text:
            return text.lower() if kind == "bool" else text
    return _TYPES[kind][2]


def input_type_problems(values, roles_dir, roles):
    """One sentence per input of ``roles`` whose value its argument spec's int, float or bool type cannot read.

    ``values`` maps input names (spec options and the short names their defaults read, as
    ``role_input_names`` lists them) to their current values. An option that is not in ``values``
    is judged by its short name's value (``users`` for ``loadtest_users``). The sentence names what
    the user set, e.g. ``loadtest_users (users)=many is not a whole number ..., e.g. -e users=100.``
    """
    if not isinstance(values, dict):
        raise AnsibleFilterError("input_type_problems expects a dict of input names to values, got %s" % type(values).__name__)
    if not os.path.isdir(str(roles_dir)):
        raise AnsibleFilterError("input_type_problems: %s is not a folder of roles" % roles_dir)
    problems = []
    for role in roles or []:
        role = str(role).rsplit(".", maxsplit=1)[-1]
        specs = _load(os.path.join(str(roles_dir), role, "meta", "argument_specs.yml")) or {}
        options = ((specs.get("argument_specs") or {}).get("main") or {}).get("options") or {}
        defaults_path = os.path.join(str(roles_dir), role, "defaults", "main.yml")
        shorts = {}
        if os.path.isfile(defaults_path):
            with open(defaults_path, encoding="utf-8") as handle:
                shorts = dict((name, (short, literal)) for name, short, literal in _SHORT_DEFAULT_RE.findall(handle.read()))
        for option in sorted(options):
            spec = options[option] or {}
            kind = spec.get("type")
            if kind not in _TYPES:
                continue
            short, literal = shorts.get(option, (None, None))
            if option in values:
                value, label, setting = values[option], option, option
                if short and short in values and str(values[short]) == str(value):
                    label, setting = "%s (%s)" % (option, short), short
            elif short and short in values:
                value, label, setting = values[short], "%s (%s)" % (option, short), short
            else:
                continue
            if value is None:
                continue
            try:
                _TYPES[kind][1](value)
            except (TypeError, ValueError):
                problems.append("%s=%s is not %s, e.g. -e %s=%s." % (
                    label, _excerpt(str(value)), _TYPES[kind][0], setting, _example(option, spec, literal, kind)))
    return problems


class FilterModule:
    """boutique.ops input checks."""

    def filters(self):
        return {
            "control_character_violations": control_character_violations,
            "duration_problems": duration_problems,
            "input_type_problems": input_type_problems,
            "role_input_names": role_input_names,
        }
