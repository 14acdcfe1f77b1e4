# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""helm_releases: one chart reference for render and apply, from the repository or a local source."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.boutique.ops.plugins.filter.helm import helm_charts, helm_releases, helm_render_files, helm_template_problems

REPO = "https://prometheus-community.github.io/helm-charts"


def release(**changes):
    base = {"name": "prometheus", "chart": "prometheus", "namespace": "monitoring", "version": "29.27.0", "repo": REPO,
            "values": {"server": {}}}
    base.update(changes)
    return base


def test_repository_by_default():
    (entry,) = helm_releases([release()])
    assert entry["chart_ref"] == "prometheus" and entry["chart_repo_url"] == REPO
    assert entry["local"] is False and entry["problem"] == ""
    assert entry["values"] == {"server": {}} and entry["version"] == "29.27.0"


def test_packaged_chart_in_a_folder(tmp_path):
    (tmp_path / "prometheus-29.27.0.tgz").write_bytes(b"x")
    (entry,) = helm_releases([release()], str(tmp_path), "monitoring_chart_source")
    assert entry["chart_ref"] == str(tmp_path / "prometheus-29.27.0.tgz")
    assert entry["chart_repo_url"] is None and entry["local"] is True and entry["problem"] == ""


def test_one_chart_file(tmp_path):
    (tmp_path / "prometheus-29.27.0.tgz").write_bytes(b"x")
    (entry,) = helm_releases([release()], str(tmp_path / "prometheus-29.27.0.tgz"))
    assert entry["chart_ref"] == str(tmp_path / "prometheus-29.27.0.tgz") and entry["problem"] == ""


def test_unpacked_chart_with_the_pinned_version(tmp_path):
    (tmp_path / "prometheus").mkdir()
    (tmp_path / "prometheus" / "Chart.yaml").write_text("apiVersion: v2\nname: prometheus\nversion: 29.27.0\n")
    (entry,) = helm_releases([release()], str(tmp_path))
    assert entry["chart_ref"] == str(tmp_path / "prometheus") and entry["problem"] == ""


@pytest.mark.parametrize("layout, fragment", [
    ("other-version", "holds neither prometheus-29.27.0.tgz"),
    ("unpacked-other-version", "holds chart version 29.35.0, not the pinned 29.27.0"),
    ("absent", "does not exist"),
    ("wrong-file", "is not prometheus-29.27.0.tgz"),
])
def test_problems_name_the_variable_and_the_fix(tmp_path, layout, fragment):
    source = tmp_path
    if layout == "other-version":
        (tmp_path / "prometheus-29.35.0.tgz").write_bytes(b"x")
    elif layout == "unpacked-other-version":
        (tmp_path / "prometheus").mkdir()
        (tmp_path / "prometheus" / "Chart.yaml").write_text("name: prometheus\nversion: 29.35.0\n")
    elif layout == "absent":
        source = tmp_path / "nope"
    else:
        source = tmp_path / "grafana-12.11.1.tgz"
        source.write_bytes(b"x")
    (entry,) = helm_releases([release()], str(source), "monitoring_chart_source")
    assert fragment in entry["problem"]
    assert entry["problem"].startswith("monitoring_chart_source=%s: " % source)
    assert "helm pull prometheus --repo %s --version 29.27.0" % REPO in entry["problem"]
    assert entry["chart_ref"] == ""


def test_bad_input_is_refused():
    with pytest.raises(AnsibleFilterError, match="lacks version"):
        helm_releases([{"name": "x", "chart": "x", "namespace": "n", "repo": "r", "values": {}}])
    with pytest.raises(AnsibleFilterError, match="expects a list"):
        helm_releases("prometheus")


def test_template_problems_say_how_to_use_a_local_chart():
    (repo_release,) = helm_releases([release()])
    results = {"results": [
        {"rc": 0, "stdout": "---\n", "item": repo_release},
        {"rc": 1, "stderr": "Error: looks like \"%s\" is not a valid chart repository\n" % REPO, "item": repo_release},
    ]}
    (problem,) = helm_template_problems(results, "monitoring_chart_source")
    assert "helm template of chart prometheus 29.27.0 (release prometheus) failed: Error: looks like" in problem
    assert "helm pull prometheus --repo %s --version 29.27.0" % REPO in problem
    assert "-e monitoring_chart_source=/path/to/that/folder" in problem


def test_template_problems_of_a_local_chart_and_a_missing_helm(tmp_path):
    (tmp_path / "prometheus-29.27.0.tgz").write_bytes(b"x")
    (local,) = helm_releases([release()], str(tmp_path))
    (problem,) = helm_template_problems([{"failed": False, "msg": "Failed to find required executable \"helm\"", "item": local}])
    assert problem.endswith('failed: Failed to find required executable "helm".')
    assert helm_template_problems({"results": [{"rc": 0, "item": local}]}) == []


def test_render_files_and_chart_list(tmp_path):
    (tmp_path / "prometheus-29.27.0.tgz").write_bytes(b"x")
    (local,) = helm_releases([release(values_file="prometheus-values.yml")], str(tmp_path))
    assert helm_render_files({"results": [{"rc": 0, "stdout": "---\nkind: Service\n", "item": local}]}) == [
        {"path": "helm/prometheus.yml", "content": "---\nkind: Service\n"}]
    assert helm_charts([local]) == [{
        "release": "prometheus", "namespace": "monitoring", "chart": "prometheus", "version": "29.27.0", "repo": REPO,
        "source": str(tmp_path / "prometheus-29.27.0.tgz"), "values": "prometheus-values.yml", "templated": "helm/prometheus.yml"}]
    assert helm_charts(helm_releases([release()]))[0]["source"] == "repository"
    assert helm_charts(helm_releases([release()]), with_values=True)[0]["values"] == {"server": {}}


def named(loop_var, release_entry, **result):
    """A registered loop result as ansible-core writes it: the item under the task's loop_var."""
    return dict(result, ansible_loop_var=loop_var, **{loop_var: release_entry})


def test_render_files_and_problems_read_a_named_loop_var(tmp_path):
    """The roles loop with loop_var: _monitoring_release / _istio_release; no result carries `item`."""
    (tmp_path / "prometheus-29.27.0.tgz").write_bytes(b"x")
    (local,) = helm_releases([release()], str(tmp_path))
    (repo_release,) = helm_releases([release(name="grafana", chart="grafana")])
    results = {"results": [
        named("_monitoring_release", local, rc=0, stdout="---\nkind: Service\n"),
        named("_istio_release", repo_release, rc=1, stderr="Error: no route to host\n"),
    ]}
    assert helm_render_files(results) == [
        {"path": "helm/prometheus.yml", "content": "---\nkind: Service\n"}, {"path": "helm/grafana.yml", "content": ""}]
    (problem,) = helm_template_problems(results, "istio_chart_source")
    assert "helm template of chart grafana 29.27.0 (release grafana) failed: Error: no route to host." in problem
    assert "helm pull grafana --repo %s --version 29.27.0" % REPO in problem


def test_the_named_loop_var_wins_over_an_item_key(tmp_path):
    """A module that returned a key `item` of its own does not stand in for the loop's release."""
    (tmp_path / "prometheus-29.27.0.tgz").write_bytes(b"x")
    (local,) = helm_releases([release()], str(tmp_path))
    result = named("_monitoring_release", local, rc=0, stdout="x", item={"name": "not-the-release"})
    assert helm_render_files([result]) == [{"path": "helm/prometheus.yml", "content": "x"}]
    assert helm_render_files([result], folder="out") == [{"path": "out/prometheus.yml", "content": "x"}]
