# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Unit tests for plugins/filter/input_checks.py: control characters and the roles' input names."""

from __future__ import annotations

import os

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.boutique.ops.plugins.filter import input_checks as ic
from ansible_collections.boutique.ops.tests.helpers import REPO_ROOT

ROLES = os.path.join(REPO_ROOT, "roles")


@pytest.mark.parametrize("char, word", [
    ("\n", "newline"), ("\r", "carriage return"), ("\x00", "NUL"), ("\t", "tab"), ("\x1b", "escape"),
    ("\x07", "control character (U+0007)"), ("\x7f", "DEL"), ("\x85", "NEL"), ("\u2028", "line separator"),
    ("\u2029", "paragraph separator"),
])
def test_each_control_character_is_named(char, word):
    problems = ic.control_character_violations({"locust_dir": "/tmp/locust%sextra" % char})
    assert len(problems) == 1
    assert problems[0].startswith("locust_dir contains ")
    assert word in problems[0]
    assert "at position 11" in problems[0]
    assert "-e 'locust_dir=...'" in problems[0]


@pytest.mark.parametrize("value", [
    "boutique", "http://34.117.1.2:8080/?a=b&c=d", "Online Boutique v2 – été 😀", "", 25, 0.95, True, None,
    ["a", "b"], {"Host": "shop.example.com"}, [{"nested": ["deep value"]}],
])
def test_clean_values_pass(value):
    assert ic.control_character_violations({"x": value}) == []


def test_nested_paths_and_keys_are_named_and_every_input_reported():
    problems = ic.control_character_violations({
        "canary_hosts": ["boutique.local", "evil\ncom"],
        "canary_verify_headers": {"Host": "a\rb", "X-Bad\n": "ok"},
        "loadgen_vm_ssh_user": "ops\nroot:ssh-rsa AAAA",
        "canary_weight": 25,
    })
    assert len(problems) == 4
    text = " ".join(problems)
    assert "canary_hosts[1] contains newline (U+000A) at position 4 ('evil\\ncom')" in text
    assert "canary_verify_headers['Host'] contains carriage return" in text
    assert "a key of canary_verify_headers contains newline" in text
    assert "loadgen_vm_ssh_user contains newline" in text


def test_long_values_are_shortened_in_the_message():
    problems = ic.control_character_violations({"x": "a" * 500 + "\n"})
    assert "a" * 61 not in problems[0]
    assert "..." in problems[0]


def test_not_a_dict_is_an_error():
    with pytest.raises(AnsibleFilterError, match="expects a dict"):
        ic.control_character_violations(["x"])


def test_role_input_names_reads_specs_defaults_and_short_names():
    names = ic.role_input_names(ROLES)
    # Options of argument specs, public defaults, and the short names defaults read.
    for name in ("canary_hosts", "canary_namespace", "locust_dir", "loadgen_vm_ssh_user", "ops_render_dir",
                 "boutique_namespace", "weight", "target_url", "duration", "profile", "gke_autopilot"):
        assert name in names, name
    assert names == sorted(set(names))
    assert not [name for name in names if name.startswith("_")]


def test_role_input_names_of_some_roles():
    names = ic.role_input_names(ROLES, ["boutique.ops.canary"])
    assert "canary_hosts" in names and "weight" in names
    assert "locust_dir" not in names


def test_role_input_names_needs_a_folder(tmp_path):
    with pytest.raises(AnsibleFilterError, match="not a folder of roles"):
        ic.role_input_names(str(tmp_path / "nope"))


@pytest.mark.parametrize("value", [0, 600, "600", 12.5, "0.5", 86400])
def test_good_durations_pass(value):
    assert ic.duration_problems({"loadtest_duration_s (duration)": value}, 86400) == []


@pytest.mark.parametrize("value", [-5, "-5", 1e12, "1e3", "abc", "10m", "", None, True, 86401])
def test_bad_durations_are_named_with_their_value(value):
    assert ic.duration_problems({"loadtest_poll_s": 5, "loadtest_duration_s (duration)": value}, 86400) == [
        "loadtest_duration_s (duration)=%s" % (value,)]


def test_every_bad_duration_in_the_order_given():
    durations = {"a": "x", "b": 1, "c": -1, "d": 99999}
    assert ic.duration_problems(durations, "86400") == ["a=x", "c=-1", "d=99999"]


def test_duration_problems_needs_a_dict_and_a_numeric_cap():
    with pytest.raises(AnsibleFilterError, match="dict of name -> duration"):
        ic.duration_problems(["600"], 86400)
    with pytest.raises(AnsibleFilterError, match="the cap must be a number"):
        ic.duration_problems({"a": 1}, "a day")


def test_input_type_problems_in_words_naming_what_was_set():
    problems = ic.input_type_problems(
        {"loadtest_wait_min": "abc", "users": "many", "canary_settle_seconds": "x", "canary_promote": "maybe",
         "ops_kube_timeout": "abc"}, ROLES, ["_common", "loadtest", "boutique.ops.canary"])
    assert problems == [
        "ops_kube_timeout=abc is not a whole number, e.g. -e ops_kube_timeout=8.",
        "loadtest_users (users)=many is not a whole number, e.g. -e users=100.",
        "loadtest_wait_min=abc is not a number, e.g. -e loadtest_wait_min=1.",
        "canary_promote=maybe is not true or false, e.g. -e canary_promote=false.",
        "canary_settle_seconds=x is not a whole number, e.g. -e canary_settle_seconds=10.",
    ]
    assert not [problem for problem in problems if "<class" in problem or "ansible." in problem]


def test_input_type_problems_names_the_short_name_when_the_default_read_it():
    # In a play that loaded the role's defaults, loadtest_users holds what users held.
    assert ic.input_type_problems({"loadtest_users": "many", "users": "many"}, ROLES, ["loadtest"]) == [
        "loadtest_users (users)=many is not a whole number, e.g. -e users=100."]
    assert ic.input_type_problems({"loadtest_users": "many"}, ROLES, ["loadtest"]) == [
        "loadtest_users=many is not a whole number, e.g. -e loadtest_users=100."]


@pytest.mark.parametrize("values", [
    {"loadtest_wait_min": "0.5", "users": "200", "loadtest_users": 200, "canary_promote": "yes", "ops_kube_timeout": 10},
    {"loadtest_wait_min": 0, "canary_promote": True, "canary_settle_seconds": "12"},
    {"loadtest_wait_min": None, "unrelated": "abc"},
    {},
])
def test_input_type_problems_pass_readable_values(values):
    assert ic.input_type_problems(values, ROLES, ["_common", "loadtest", "canary"]) == []


def test_input_type_problems_follow_the_spec_converters():
    # int takes whole numbers only, as the argument spec does.
    assert ic.input_type_problems({"canary_settle_seconds": "2.5"}, ROLES, ["canary"]) == [
        "canary_settle_seconds=2.5 is not a whole number, e.g. -e canary_settle_seconds=10."]
    assert ic.input_type_problems({"canary_settle_seconds": "2.0"}, ROLES, ["canary"]) == []


def test_input_type_problems_needs_a_dict_and_a_folder(tmp_path):
    with pytest.raises(AnsibleFilterError, match="dict of input names"):
        ic.input_type_problems(["x"], ROLES, ["canary"])
    with pytest.raises(AnsibleFilterError, match="not a folder of roles"):
        ic.input_type_problems({}, str(tmp_path / "nope"), ["canary"])
