# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Where each Helm release's chart comes from: the chart repository, or a local chart source.

One place decides the chart reference, so that render mode (kubernetes.core.helm_template) and
apply mode (kubernetes.core.helm) hand Helm the same chart, version, release, namespace and values.
"""

from __future__ import annotations

import os

import yaml
from ansible.errors import AnsibleFilterError

REQUIRED = ("name", "chart", "namespace", "version", "repo", "values")


def _chart_version(chart_dir):
    """The version in ``chart_dir``/Chart.yaml, or None when it cannot be read."""
    try:
        with open(os.path.join(chart_dir, "Chart.yaml"), encoding="utf-8") as handle:
            return str((yaml.safe_load(handle) or {}).get("version"))
    except (OSError, yaml.YAMLError, AttributeError):
        return None


def _local_chart(source, chart, version):
    """(path, problem) for ``chart`` at ``version`` under the local ``source`` (a folder or a chart file)."""
    source = os.path.expanduser(str(source))
    packaged = "%s-%s.tgz" % (chart, version)
    if os.path.isfile(source):
        if os.path.basename(source) == packaged:
            return source, ""
        return None, "%s is not %s (a packaged chart is named <chart>-<version>.tgz)" % (source, packaged)
    if not os.path.isdir(source):
        return None, "%s does not exist" % source
    candidates = [os.path.join(source, packaged), os.path.join(source, chart)]
    if os.path.isfile(candidates[0]):
        return candidates[0], ""
    if os.path.isfile(os.path.join(candidates[1], "Chart.yaml")):
        found = _chart_version(candidates[1])
        if found != version:
            return None, "%s holds chart version %s, not the pinned %s" % (candidates[1], found, version)
        return candidates[1], ""
    return None, "%s holds neither %s nor an unpacked chart folder %s/" % (source, packaged, chart)


def helm_releases(releases, source="", variable="chart_source"):
    """Add the chart reference to each release: ``chart_ref``, ``chart_repo_url``, ``local`` and ``problem``.

    With an empty ``source`` the chart comes from the release's ``repo`` by name at its pinned
    ``version``. Otherwise ``source`` is a local folder holding ``<chart>-<version>.tgz`` (what
    ``helm package`` and ``helm pull`` write) or an unpacked ``<chart>/`` folder, or one packaged
    chart file. ``problem`` is empty, or a sentence naming ``variable`` and the fix.
    """
    if not isinstance(releases, list):
        raise AnsibleFilterError("helm_releases expects a list of releases")
    result = []
    for release in releases:
        missing = [key for key in REQUIRED if not isinstance(release, dict) or key not in release]
        if missing:
            raise AnsibleFilterError("helm_releases: a release lacks %s: %r" % (", ".join(missing), release))
        entry = dict(release)
        chart, version = str(release["chart"]), str(release["version"])
        if source:
            path, problem = _local_chart(source, chart, version)
            entry.update(chart_ref=path or "", chart_repo_url=None, local=True, problem=(
                "%s=%s: %s. Point it at a folder holding the pinned charts (helm pull %s --repo %s --version %s) "
                "or leave it empty to use the repository." % (variable, source, problem, chart, release["repo"], version)
                if problem else ""))
        else:
            entry.update(chart_ref=chart, chart_repo_url=release["repo"], local=False, problem="")
        result.append(entry)
    return result


def _last_line(text):
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _loop_item(result):
    """The loop item of one registered loop result: under the task's ``loop_var`` (named by
    ``ansible_loop_var``), ``item`` when the loop did not name it."""
    return result.get(result.get("ansible_loop_var") or "item") or {}


def helm_template_problems(results, variable="chart_source"):
    """Sentences for the releases that ``kubernetes.core.helm_template`` could not template.

    ``results`` is the registered loop result (its ``results`` list, each with the release under
    the loop's ``loop_var``). A release whose chart came from a repository gets the way to a local chart:
    ``helm pull`` on a connected machine and ``-e variable=FOLDER``.
    """
    if isinstance(results, dict):
        results = results.get("results", [])
    problems = []
    for result in results or []:
        if result.get("rc", 1) == 0 and not result.get("msg", "").startswith("Failed"):
            continue
        release = _loop_item(result)
        why = _last_line(result.get("stderr")) or _last_line(result.get("msg")) or "no output"
        text = "helm template of chart %s %s (release %s) failed: %s." % (
            release.get("chart"), release.get("version"), release.get("name"), why)
        if not release.get("local"):
            text += (" Without access to %s, point %s at a local chart folder: on a connected machine run "
                     "'helm pull %s --repo %s --version %s', copy the .tgz into a folder, then -e %s=/path/to/that/folder."
                     % (release.get("repo"), variable, release.get("chart"), release.get("repo"), release.get("version"), variable))
        problems.append(text)
    return problems


def helm_render_files(results, folder="helm"):
    """``[{path, content}]`` (the shape ``boutique.ops.render_files`` takes): ``folder/<release>.yml`` holding
    what ``helm template`` printed for each release of a registered ``kubernetes.core.helm_template`` loop
    (each result holds its release under the loop's ``loop_var``)."""
    if isinstance(results, dict):
        results = results.get("results", [])
    return [{"path": "%s/%s.yml" % (folder, _loop_item(result)["name"]), "content": result.get("stdout", "")}
            for result in results or []]


def helm_charts(releases, folder="helm", with_values=False):
    """Where each release comes from, for the render's ``charts.yml``/``releases.yml``: ``values`` is the
    values file name, or with ``with_values`` the values themselves."""
    return [{"release": r["name"], "namespace": r["namespace"], "chart": r["chart"], "version": r["version"],
             "repo": r["repo"], "source": r.get("chart_ref") if r.get("local") else "repository",
             "values": r["values"] if with_values else r.get("values_file", ""),
             "templated": "%s/%s.yml" % (folder, r["name"])} for r in releases]


class FilterModule:  # pylint: disable=too-few-public-methods
    """Helm chart references."""

    def filters(self):
        return {"helm_releases": helm_releases, "helm_template_problems": helm_template_problems,
                "helm_render_files": helm_render_files, "helm_charts": helm_charts}
