# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Corrupt results files: each one is refused with a message that names the file and what is wrong.

Every case starts from a real run (tests/fixtures/locust/stress) and breaks one file the way it
was seen to break (issue 13, defect 9): an `inf` or `1e20` timestamp, a truncated row, bytes that
are not UTF-8, an empty or mangled run.json, a cut-short --json-file.
"""

from __future__ import annotations

import os
import shutil

import pytest

from ansible_collections.boutique.ops.plugins.module_utils import locust_stats

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "locust")


@pytest.fixture(name="run_dir")
def fixture_run_dir(tmp_path):
    dest = tmp_path / "run"
    shutil.copytree(os.path.join(FIXTURES, "stress"), str(dest))
    return dest


def _summarize(run_dir):
    return locust_stats.summarize(str(run_dir / "locust"), "stress", run_info=locust_stats.read_run_info(str(run_dir / "run.json")))


def _lines(path):
    return path.read_bytes().split(b"\n")


def _replace_line(path, index, new):
    lines = _lines(path)
    lines[index] = new
    path.write_bytes(b"\n".join(lines))


def _aggregated_index(path, nth=3):
    found = [i for i, line in enumerate(_lines(path)) if b",,Aggregated," in line]
    return found[nth]


@pytest.mark.parametrize("stamp", [b"inf", b"1e20", b"-1", b"nan", b"soon"])
def test_bad_timestamp_in_an_aggregated_row(run_dir, stamp):
    history = run_dir / "locust_stats_history.csv"
    index = _aggregated_index(history)
    line = _lines(history)[index]
    _replace_line(history, index, stamp + line[line.index(b","):])
    with pytest.raises(locust_stats.LocustCsvError) as info:
        _summarize(run_dir)
    message = str(info.value)
    assert str(history) in message and "line %d" % (index + 1) in message and "Timestamp" in message


def test_bad_timestamp_in_an_endpoint_row(run_dir):
    history = run_dir / "locust_stats_history.csv"
    index = next(i for i, line in enumerate(_lines(history)) if b",GET,/cart," in line)
    line = _lines(history)[index]
    _replace_line(history, index, b"inf" + line[line.index(b","):])
    with pytest.raises(locust_stats.LocustCsvError, match=r"line %d: Timestamp 'inf' is not a time" % (index + 1)):
        _summarize(run_dir)


def test_truncated_row_in_the_middle(run_dir):
    history = run_dir / "locust_stats_history.csv"
    index = _aggregated_index(history)
    _replace_line(history, index, b",".join(_lines(history)[index].split(b",")[:7]))
    with pytest.raises(locust_stats.LocustCsvError) as info:
        _summarize(run_dir)
    assert str(history) in str(info.value)
    assert "line %d: truncated row (7 of 24 fields)" % (index + 1) in str(info.value)


def test_half_written_last_row_is_skipped_with_a_note(run_dir):
    history = run_dir / "locust_stats_history.csv"
    data = history.read_bytes().rstrip(b"\n")
    history.write_bytes(data + b"\n1795975570,0,,Aggreg")
    summary = _summarize(run_dir)
    assert any(str(history) in note and "half-written last row" in note for note in summary["notes"])
    assert summary["requests"] > 0


def test_not_a_number_in_a_count(run_dir):
    history = run_dir / "locust_stats_history.csv"
    index = _aggregated_index(history)
    cells = _lines(history)[index].split(b",")
    cells[17] = b"lots"
    _replace_line(history, index, b",".join(cells))
    with pytest.raises(locust_stats.LocustCsvError,
                       match=r"line %d: column 'Total Request Count' is 'lots', not a number" % (index + 1)):
        _summarize(run_dir)


@pytest.mark.parametrize("name", ["locust_stats_history.csv", "locust_stats.csv", "locust_failures.csv"])
def test_not_utf8(run_dir, name):
    path = run_dir / name
    lines = _lines(path)
    lines[2] = lines[2].replace(b"/", b"/\xff\xfe", 1)
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(locust_stats.LocustCsvError) as info:
        _summarize(run_dir)
    assert str(path) in str(info.value) and "not UTF-8" in str(info.value)


def test_not_utf8_header(run_dir):
    path = run_dir / "locust_stats.csv"
    path.write_bytes(b"\xff\xfeT\x00y\x00p\x00e\x00" + path.read_bytes())
    with pytest.raises(locust_stats.LocustCsvError, match=r"%s is not UTF-8 text" % path):
        _summarize(run_dir)


@pytest.mark.parametrize("name", ["locust_stats_history.csv", "locust_stats.csv"])
def test_empty_csv(run_dir, name):
    (run_dir / name).write_bytes(b"")
    with pytest.raises(locust_stats.LocustCsvError, match=r"%s is empty" % (run_dir / name)):
        _summarize(run_dir)


def test_stats_without_aggregated_row(run_dir):
    path = run_dir / "locust_stats.csv"
    path.write_bytes(b"\n".join(line for line in _lines(path) if b"Aggregated" not in line))
    with pytest.raises(locust_stats.LocustCsvError, match=r"%s has no Aggregated row" % path):
        _summarize(run_dir)


@pytest.mark.parametrize("content, fault", [
    (b"", "is empty"),
    (b"   \n", "is empty"),
    (b"{\"rc\": 0,", "is not valid JSON"),
    (b"[1, 2]", "holds a list, not the run record"),
    (b"{\"rc\": \"\xff\"}", "is not UTF-8 text"),
])
def test_bad_run_json(run_dir, content, fault):
    path = run_dir / "run.json"
    path.write_bytes(content)
    with pytest.raises(locust_stats.LocustCsvError) as info:
        locust_stats.read_run_info(str(path))
    assert "run_info %s " % path in str(info.value) and fault in str(info.value)


@pytest.mark.parametrize("content, fault", [
    (b"[{\"name\": \"/\", \"method\": \"GET\", \"num_requests\": 3", "is not valid JSON"),
    (b"{\"stats\": []}", "is not locust's --json-file output"),
    (b"[{\"name\": \"/\"}]", "an entry lacks or mangles"),
    (b"[{\"name\": \"\xff\"}]", "is not UTF-8 text"),
])
def test_bad_json_file(run_dir, content, fault):
    path = run_dir / "locust.json"
    path.write_bytes(content)
    with pytest.raises(locust_stats.LocustCsvError) as info:
        _summarize(run_dir)
    assert str(path) in str(info.value) and fault in str(info.value)


def test_progress_skips_a_row_being_written_and_reports_bad_headers(run_dir):
    history = run_dir / "locust_stats_history.csv"
    before = locust_stats.progress(str(run_dir / "locust"))
    history.write_bytes(history.read_bytes() + b"1795975599,12,,Aggregated,40.0")
    assert locust_stats.progress(str(run_dir / "locust")) == before
    history.write_bytes(b"\xff\xfe,x\n1,2\n")
    with pytest.raises(locust_stats.LocustCsvError, match=str(history)):
        locust_stats.progress(str(run_dir / "locust"))


@pytest.mark.parametrize("content", [b"", b"{\"v1\": {\"requests\": 3}}", b"[1, 2]", b"\xff\xfe"])
def test_bad_per_version_results(run_dir, content):
    versions = run_dir / "locust_versions.json"
    versions.write_bytes(content)
    with pytest.raises(locust_stats.LocustCsvError) as info:
        _summarize(run_dir)
    assert str(versions) in str(info.value) and "per-version results" in str(info.value)


def test_per_version_results_reach_the_summary(run_dir):
    (run_dir / "locust_versions.json").write_text('{"v2": {"requests": 25, "failures": 1, "p95_ms": 120.0},'
                                                  ' "v1": {"requests": 75, "failures": 0, "p95_ms": 110.0}}')
    assert _summarize(run_dir)["versions"] == {"v1": {"requests": 75, "failures": 0, "p95_ms": 110.0},
                                               "v2": {"requests": 25, "failures": 1, "p95_ms": 120.0}}
