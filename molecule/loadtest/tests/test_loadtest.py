# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""loadtest.yml for real on localhost: one master, 2 workers, a stand-in shop on 127.0.0.1.

Each profile runs for at most 30 s; the checks compare the summary with the stand-in's own
counters. Faults: a worker killed mid-run, the shop restarted mid-run, Ctrl-C on the playbook.
Bad inputs must stop the play before anything is created.
"""

from __future__ import annotations

import calendar
import glob
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.path.abspath(os.path.join(HERE, "..", "..", ".."))
EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY") or os.path.join(REPO, ".cache", "loadtest")
LOCUST_DIR = os.path.join(EPHEMERAL, "locust")
STANDIN = os.path.join(HERE, "..", "standin_shop.py")
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
# The collection's test helpers (tests/load_series.py: synthetic series and a real Prometheus on them).
if os.path.join(REPO, "collections") not in sys.path:
    sys.path.insert(0, os.path.join(REPO, "collections"))
from ansible_collections.boutique.ops.tests import load_series  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.boutique.ops.tests.helpers import batch_rows  # noqa: E402  pylint: disable=wrong-import-position

# Small, fast runs: 2 workers, short think time, progress every 2 s, a 3 s failure window.
COMMON = {
    "locust_dir": LOCUST_DIR,
    "locust_workers_per_host": 2,
    "locust_master_on": "control",
    "locust_expect_workers_max_wait": 20,
    "loadtest_wait_min": 0.05,
    "loadtest_wait_max": 0.2,
    "loadtest_poll_s": 2,
    "loadtest_window_s": 3,
    "loadtest_stop_timeout_s": 3,
    "loadtest_base_users": 2,
}
RAMP_RATE = 2
STEP_S = 2
STEP_USERS = int(math.ceil(RAMP_RATE * STEP_S))
RESULT_FILES = ("locust_stats.csv", "locust_stats_history.csv", "locust_failures.csv", "locust_exceptions.csv", "locust.html",
                "master.log", "run.json", "summary.json", "report.html",
                "users_rps.png", "latency.png", "failure_ratio.png", "endpoints.png")


@pytest.fixture(name="work")
def fixture_work():
    """A folder of this scenario's own: pytest's shared basetemp is pruned by other sessions on this machine."""
    os.makedirs(os.path.join(EPHEMERAL, "runs"), exist_ok=True)
    return tempfile.mkdtemp(dir=os.path.join(EPHEMERAL, "runs"))


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StandIn:
    """The stand-in shop in its own process; restartable on the same port, counters kept in a file."""

    def __init__(self, workdir, *args):
        self.workdir = workdir
        self.args = list(args)
        self.stats_file = os.path.join(workdir, "standin.json")
        self.port = None
        self.proc = None

    def start(self):
        port_file = os.path.join(self.workdir, "standin.port")
        if os.path.exists(port_file):
            os.remove(port_file)
        port_args = ["--port", str(self.port)] if self.port else []
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, STANDIN, "--port-file", port_file, "--stats-file", self.stats_file, "--max-seconds", "120"] + port_args + self.args
        )
        deadline = time.time() + 10
        while not os.path.exists(port_file):
            assert time.time() < deadline, "the stand-in shop did not start"
            time.sleep(0.1)
        with open(port_file, encoding="utf-8") as handle:
            self.port = int(handle.read())
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def counts(self):
        with open(self.stats_file, encoding="utf-8") as handle:
            return json.load(handle)["counts"]


def run_loadtest(results_root, extra, during=None):
    """Run loadtest.yml; ``during(proc, results_root)`` is called while it runs. Returns (rc, output, run folder)."""
    extra_vars = dict(COMMON, loadtest_results_root=results_root, locust_master_port=_free_port(), **extra)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    # Its own session, like a terminal's foreground job: a Ctrl-C goes to its whole process group.
    proc = subprocess.Popen(  # pylint: disable=consider-using-with
        [PLAYBOOK, "loadtest.yml", "--extra-vars", json.dumps(extra_vars)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    if during:
        during(proc, results_root)
    output = proc.communicate(timeout=420)[0]
    runs = sorted(path for path in glob.glob(os.path.join(results_root, "*")) if os.path.isdir(path))
    return proc.returncode, output, runs[-1] if runs else None


def _wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out waiting for " + what
        time.sleep(0.2)


def _history_rows(results_root):
    """Aggregated rows written so far by the running master (0 before it starts)."""
    paths = glob.glob(os.path.join(results_root, "*", "locust_stats_history.csv"))
    if not paths:
        return 0
    with open(paths[0], encoding="utf-8") as handle:
        return sum(1 for line in handle if ",Aggregated," in line)


def _summary(run_dir):
    with open(os.path.join(run_dir, "summary.json"), encoding="utf-8") as handle:
        return json.load(handle)


def _assert_counts_match(summary, counts):
    """locust's counts and the shop's own, total and per endpoint (a followed redirect is one request)."""
    assert summary["requests"] == counts["journey"], (summary["requests"], counts)
    assert summary["failures"] == counts["failed"], (summary["failures"], counts)
    per_route = {"%s %s" % (entry["method"], entry["name"]): entry["requests"] for entry in summary["endpoints"]}
    assert per_route == counts["routes"]


# The tests that read the one stress run stay on one xdist worker (molecule.yml runs verify with
# -n 2 --dist loadgroup), so that the run is made once.
STRESS_RUN = pytest.mark.xdist_group("stress")


@pytest.fixture(name="stress", scope="module")
def fixture_stress():
    """A stress run against a shop that fails above 10 concurrent users."""
    os.makedirs(os.path.join(EPHEMERAL, "runs"), exist_ok=True)
    work = tempfile.mkdtemp(dir=os.path.join(EPHEMERAL, "runs"))
    shop = StandIn(work, "--fail-above", "10").start()
    # A real Prometheus holding a shop whose currencyservice is CPU-throttled around the run to come.
    text = load_series.build(names=["throttled"], starts={"throttled": time.time() - 400})[0]
    try:
        with load_series.prometheus_on(text, os.path.join(work, "prometheus")) as prometheus_url:
            rc, output, run_dir = run_loadtest(os.path.join(work, "results"), {
                "profile": "stress", "target_url": shop.url, "ramp_rate": RAMP_RATE, "loadtest_step_s": STEP_S,
                "loadtest_max_users": 30, "duration": 28,
                "loadtest_prometheus_url": prometheus_url, "loadtest_analysis_rate_window_s": 60,
            })
    finally:
        shop.stop()
    return {"rc": rc, "output": output, "run_dir": run_dir, "counts": shop.counts(), "fail_above": 10}


@STRESS_RUN
def test_stress_runs_and_prints_progress(stress):
    assert stress["rc"] == 0, stress["output"][-3000:]
    assert "rps=" in stress["output"] and "users=" in stress["output"] and ", finished" in stress["output"]
    assert os.path.basename(stress["run_dir"]).endswith("-stress")


@STRESS_RUN
def test_result_files(host, stress):
    for name in RESULT_FILES:
        item = host.file(os.path.join(stress["run_dir"], name))
        assert item.is_file, name
        assert item.size > 0, name
    for name in ("users_rps.png", "latency.png", "failure_ratio.png", "endpoints.png"):
        with open(os.path.join(stress["run_dir"], name), "rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n", name
        assert name in host.file(os.path.join(stress["run_dir"], "report.html")).content_string
    assert "--exit-code-on-error" in host.file(os.path.join(stress["run_dir"], "run.json")).content_string


@STRESS_RUN
def test_summary_keys(stress):
    summary = _summary(stress["run_dir"])
    for key in ("profile", "duration_s", "users_max", "requests", "failures", "failure_ratio", "rps_peak", "p50_ms", "p95_ms",
                "p99_ms", "endpoints", "breaking_point_users", "breaking_point_at"):
        assert key in summary, key
    assert summary["profile"] == "stress"
    assert not summary["partial"]
    assert summary["workers"]["expected"] == 2 and summary["workers"]["connected"] == 2


@STRESS_RUN
def test_stress_counts_match_the_shop(stress):
    _assert_counts_match(_summary(stress["run_dir"]), stress["counts"])


@STRESS_RUN
def test_stress_finds_the_breaking_point(stress):
    summary = _summary(stress["run_dir"])
    assert summary["breaking_point_users"] is not None
    # The shop fails above fail_above users; the ramp moves in steps of STEP_USERS.
    assert stress["fail_above"] < summary["breaking_point_users"] <= stress["fail_above"] + STEP_USERS, summary
    # ... and the run stopped there instead of ramping on to the maximum.
    assert summary["users_max"] <= stress["fail_above"] + 2 * STEP_USERS


@STRESS_RUN
def test_stress_names_the_bottleneck(stress):
    analysis = _summary(stress["run_dir"])["analysis"]
    assert analysis["status"] == "done", analysis
    assert analysis["bottleneck"]["service"] == "currencyservice" and analysis["bottleneck"]["resource"] == "cpu_throttling"
    assert analysis["verdict"].startswith("currencyservice was CPU-throttled 62 % of the time from 1 minute before the breaking point")
    assert analysis["window"]["breaking_point"] == _summary(stress["run_dir"])["breaking_point_at"]
    assert "Bottleneck analysis done: currencyservice was CPU-throttled" in stress["output"]
    with open(os.path.join(stress["run_dir"], "report.html"), encoding="utf-8") as handle:
        page = handle.read()
    assert "<h2>Bottleneck analysis</h2>" in page and "currencyservice was CPU-throttled 62 %" in page
    assert 'src="saturation.png"' in page
    with open(os.path.join(stress["run_dir"], "saturation.png"), "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_spike_survives_a_restarting_shop(work):
    """The shop goes down mid-run and comes back: failures are counted, results written."""
    shop = StandIn(str(work)).start()

    def restart(_proc, results_root):
        _wait_for(lambda: _history_rows(results_root) >= 6, 180, "the spike to be under way")
        shop.stop()
        time.sleep(2)
        shop.start()

    try:
        rc, output, run_dir = run_loadtest(os.path.join(work, "results"), {
            "profile": "spike", "target_url": shop.url, "users": 12, "duration": 16, "loadtest_spike_at_s": 4, "loadtest_hold_s": 8,
            # The restart fails more than the default 1 % budget on purpose (test_failure_budget tests the budget).
            "loadtest_max_failure_ratio": 0.5,
            # Neither a Prometheus URL nor a cluster: the analysis is skipped, saying why and how to enable it.
            "ops_kubeconfig": os.path.join(str(work), "no-kubeconfig"),
        }, during=restart)
    finally:
        shop.stop()
    assert rc == 0, output[-3000:]
    summary = _summary(run_dir)
    assert summary["failures"] > 0
    assert summary["users_max"] == 12
    assert summary["requests"] > summary["failures"]
    # Requests that never reached the shop are failures the shop could not count.
    assert summary["requests"] >= shop.counts()["journey"]
    assert any("Connection" in item["error"] or "HTTP 0" in item["error"] or "refused" in item["error"].lower()
               for item in summary["top_failures"]), summary["top_failures"]
    for name in RESULT_FILES:
        assert os.path.getsize(os.path.join(run_dir, name)) > 0, name
    assert summary["analysis"]["status"] == "skipped"
    assert "-e loadtest_prometheus_url=" in summary["analysis"]["reason"] and "monitoring" in summary["analysis"]["reason"]
    assert "Bottleneck analysis skipped: no loadtest_prometheus_url" in output


def test_endurance_goes_on_when_a_worker_dies(work):
    shop = StandIn(str(work)).start()
    killed = []

    def kill_one_worker(_proc, results_root):
        _wait_for(lambda: _history_rows(results_root) >= 4, 180, "the endurance run to be under way")
        # The worker processes this run started: children of the `--worker --processes 2` parent.
        out = subprocess.run(["pgrep", "-f", "--", "--worker --master-host 127.0.0.1 --master-port"], capture_output=True, text=True, check=False)
        pids = [int(pid) for pid in out.stdout.split()]
        children = [pid for pid in pids if _parent(pid) in pids]
        assert children, "no worker processes found: %s" % pids
        os.kill(children[0], signal.SIGKILL)
        killed.append(children[0])

    try:
        rc, output, run_dir = run_loadtest(os.path.join(work, "results"), {
            "profile": "endurance", "target_url": shop.url, "users": 6, "duration": 16,
        }, during=kill_one_worker)
    finally:
        shop.stop()
    assert killed
    assert rc == 0, output[-3000:]
    summary = _summary(run_dir)
    assert summary["workers"]["lost_count"] == 1, summary["workers"]
    assert any("worker" in note for note in summary["notes"]), summary["notes"]
    assert summary["duration_s"] >= 12
    assert summary["failures"] == 0
    # The users of the dead worker were moved to the other one: the last seconds still ran 6 users
    # (before the run's end stopped them: the rows at 0 users after the last with users).
    history = os.path.join(run_dir, "locust_stats_history.csv")
    with open(history, encoding="utf-8") as handle:
        users = [int(line.split(",")[1]) for line in handle if ",Aggregated," in line]
    running = users[:max(index for index, count in enumerate(users) if count) + 1]
    assert 6 in running[-6:], users
    # The killed worker's last unreported seconds are lost with it; the rest matches the shop.
    assert 0 < shop.counts()["journey"] - summary["requests"] <= shop.counts()["journey"] * 0.3 or summary["requests"] == shop.counts()["journey"]


def _parent(pid):
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def test_recovery_ramps_past_the_breaking_point_and_back(work):
    shop = StandIn(str(work), "--fail-above", "8").start()
    try:
        rc, output, run_dir = run_loadtest(os.path.join(work, "results"), {
            "profile": "recovery", "target_url": shop.url, "ramp_rate": RAMP_RATE, "loadtest_step_s": STEP_S, "loadtest_max_users": 30,
            "loadtest_overshoot_steps": 1, "loadtest_hold_s": 2, "duration": 28,
            # Nobody listens there: the analysis fails, the run's results are still written.
            "loadtest_prometheus_url": "http://127.0.0.1:%d" % _free_port(),
        })
    finally:
        shop.stop()
    assert rc == 0, output[-3000:]
    summary = _summary(run_dir)
    # Workers report once a second: on a loaded machine the failures may show a step late.
    # (and locust counts users from the workers' reports: a row may still show the previous step)
    assert 8 <= summary["breaking_point_users"] <= 8 + 2 * STEP_USERS
    assert summary["users_max"] > summary["breaking_point_users"]
    assert summary["recovered"] is True, summary
    _assert_counts_match(summary, shop.counts())
    assert summary["analysis"]["status"] == "failed" and "cannot reach it" in summary["analysis"]["reason"], summary["analysis"]
    with open(os.path.join(run_dir, "report.html"), encoding="utf-8") as handle:
        assert "Analysis failed: Prometheus at http://127.0.0.1:" in handle.read()


def test_ctrl_c_keeps_partial_results(work):
    shop = StandIn(str(work)).start()

    def ctrl_c(proc, results_root):
        _wait_for(lambda: _history_rows(results_root) >= 4, 180, "the run to be under way")
        os.killpg(proc.pid, signal.SIGINT)

    try:
        rc, _output, run_dir = run_loadtest(os.path.join(work, "results"), {
            # Longer than the heartbeat timeout (2 polls + 20 s), so only the stale heartbeat can end it early.
            "profile": "endurance", "target_url": shop.url, "users": 4, "duration": 60,
        }, during=ctrl_c)
        assert rc != 0
        # ansible-playbook is gone; the run wrapper notices the missing heartbeat and stops locust.
        _wait_for(lambda: all(os.path.exists(os.path.join(run_dir, name)) for name in ("summary.json", "report.html")), 90,
                  "the partial summary and report")
    finally:
        shop.stop()
    with open(os.path.join(run_dir, "run.json"), encoding="utf-8") as handle:
        run = json.load(handle)
    assert run["interrupted"] is True and run["rc"] is not None
    summary = _summary(run_dir)
    assert summary["partial"] is True, summary
    assert summary["requests"] > 0
    assert summary["duration_s"] < 60
    for name in ("locust_stats.csv", "locust_stats_history.csv", "locust.html", "report.html"):
        assert os.path.getsize(os.path.join(run_dir, name)) > 0, name


# (id, extra vars, the variable the refusal must name, the check that refuses it). Rows refused by
# one check share a run (helpers.batch_rows): the argument spec, preflight's control-character check
# and the role's check_inputs task each name every refused input at once.
BAD_INPUTS = [
    ("unknown-profile", {"profile": "soak"}, "loadtest_profile", "argument spec"),
    ("zero-users", {"users": 0}, "loadtest_users", "checks"),
    ("zero-ramp-rate", {"profile": "stress", "ramp_rate": 0}, "loadtest_ramp_rate", "checks"),
    ("negative-duration", {"duration": -5}, "loadtest_duration_s", "checks"),
    ("absurd-duration", {"duration": 1e12}, "loadtest_duration_s", "checks"),
    ("duration-abc", {"duration": "abc"}, "loadtest_duration_s", "checks"),
    # Apply mode only: the canary's VirtualService is looked for after the other checks.
    ("gateway-without-canary", {"target": "gateway"}, "loadtest_target", "gateway"),
    ("host-header-space", {"loadtest_host_header": "boutique.local evil"}, "loadtest_host_header", "checks"),
    ("host-header-crlf", {"loadtest_host_header": "boutique.local\r\nX-Injected: 1"}, "loadtest_host_header", "control characters"),
    ("url-without-url", {"target": "url", "target_url": ""}, "loadtest_target_url", "checks"),
    ("url-not-http", {"target_url": "ftp://127.0.0.1/"}, "loadtest_target_url", "checks"),
    ("failure-ratio-above-1", {"loadtest_max_failure_ratio": 1.5}, "loadtest_max_failure_ratio", "checks"),
    ("failure-ratio-negative", {"loadtest_max_failure_ratio": -0.1}, "loadtest_max_failure_ratio", "checks"),
]


def _with_target(extra):
    return extra if "target" in extra else dict({"target_url": "http://127.0.0.1:9"}, **extra)


REFUSAL_BATCHES = batch_rows((row_id, check, _with_target(extra)) for row_id, extra, _variable, check in BAD_INPUTS)
_BATCH_OF_ROW = dict((row_id, index) for index, (_check, _merged, ids) in enumerate(REFUSAL_BATCHES) for row_id in ids)
# batch index -> (seconds, rc, output, run folder, results root), per xdist worker: a batch's rows share
# an xdist group. Not helpers.once_per_run: it keeps its runs in pytest's basetemp, which other
# sessions on this machine prune (see fixture_work).
_REFUSALS = {}


def _refusal(index, work):
    if index not in _REFUSALS:
        results_root = os.path.join(work, "results")
        start = time.monotonic()
        rc, output, run_dir = run_loadtest(results_root, REFUSAL_BATCHES[index][1])
        _REFUSALS[index] = (time.monotonic() - start, rc, output, run_dir, results_root)
    return _REFUSALS[index]


@pytest.mark.parametrize("extra, variable", [
    pytest.param(extra, variable, id=row_id, marks=pytest.mark.xdist_group("refusal-%d" % _BATCH_OF_ROW[row_id]))
    for row_id, extra, variable, _check in BAD_INPUTS])
def test_bad_inputs_are_rejected_before_any_change(request, work, extra, variable):
    seconds, rc, output, run_dir, results_root = _refusal(_BATCH_OF_ROW[request.node.callspec.id], work)
    if variable not in output:
        # Its batch was refused by another check first: a run of its own.
        results_root = os.path.join(work, "alone")
        start = time.monotonic()
        rc, output, run_dir = run_loadtest(results_root, _with_target(extra))
        seconds = time.monotonic() - start
    assert seconds < 30
    assert rc != 0
    assert variable in output, output[-2000:]
    # The argument spec names the allowed values; the role's checks also give an example.
    assert "e.g. -e" in output or "must be one of: stress, spike, endurance, recovery" in output
    assert run_dir is None and not os.path.exists(results_root)
    assert "Start the workers" not in output
    assert "Install the locustfile" not in output


def test_the_refusals_share_runs():
    assert len(REFUSAL_BATCHES) <= len(BAD_INPUTS) * 2 // 3, [ids for _check, _merged, ids in REFUSAL_BATCHES]


def test_stress_ending_early_ends_the_play_within_a_poll(work):
    """duration=3600 is only a cap: the play ends moments after the master, with one poll loop."""
    shop = StandIn(str(work), "--fail-above", "4").start()
    try:
        rc, output, run_dir = run_loadtest(os.path.join(work, "results"), {
            "profile": "stress", "target_url": shop.url, "ramp_rate": RAMP_RATE, "loadtest_step_s": STEP_S,
            "loadtest_max_users": 30, "duration": 3600, "loadtest_poll_s": 5,
        })
        ended_play = time.time()
    finally:
        shop.stop()
    assert rc == 0, output[-3000:]
    with open(os.path.join(run_dir, "run.json"), encoding="utf-8") as handle:
        run = json.load(handle)
    ended_master = calendar.timegm(time.strptime(run["ended"], "%Y-%m-%dT%H:%M:%SZ"))
    # After the master only the worker wait, the summary, the plots and the play's end remain: well
    # under a minute, where the old loop went on for the whole budget (about an hour here).
    assert ended_play - ended_master < 60, (ended_play, run)
    # One task polls: no include per interval of the budget.
    assert output.count("TASK [boutique.ops.loadtest : Poll the run until the master ends]") == 1
    assert "skipping" not in output.split("Poll the run until the master ends", 1)[1].split("Check on the master", 1)[0]
    assert _summary(run_dir)["breaking_point_users"] is not None


def _kill_orphaned_workers(marker):
    """SIGKILL the ansible-playbook processes whose command line holds ``marker`` (a test's own folder).

    ansible-core's task workers call setsid(), so killing the playbook's process group leaves a
    worker that was mid-task behind, blocked on its dead parent's pipe: the test removes its own.
    """
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as handle:
                command = handle.read().decode("utf-8", "replace")
            if "ansible-playbook" in command and marker in command:
                os.kill(int(pid), signal.SIGKILL)
        except OSError:  # gone meanwhile, or not ours to read
            continue


def test_killed_before_the_first_poll_is_interrupted(work):
    """The heartbeat exists before the master starts: a playbook killed at once stops the run."""
    shop = StandIn(str(work)).start()

    def kill_at_start(proc, results_root):
        _wait_for(lambda: glob.glob(os.path.join(results_root, "*", "run.json")), 180, "the master to start")
        os.killpg(proc.pid, signal.SIGKILL)

    results_root = os.path.join(work, "results")
    try:
        _rc, _output, run_dir = run_loadtest(results_root, {
            "profile": "endurance", "target_url": shop.url, "users": 2, "duration": 60, "loadtest_poll_s": 2,
        }, during=kill_at_start)

        def ended():
            with open(os.path.join(run_dir, "run.json"), encoding="utf-8") as handle:
                return json.load(handle)["rc"] is not None
        # Stale after 2 * poll + 20 = 24 s, then locust stops its users (stop timeout 3 s).
        _wait_for(ended, 90, "the wrapper to stop the orphaned run")
    finally:
        shop.stop()
        _kill_orphaned_workers(results_root)
    with open(os.path.join(run_dir, "run.json"), encoding="utf-8") as handle:
        run = json.load(handle)
    assert run["interrupted"] is True, run


def test_failure_budget(work):
    """endurance fails only above loadtest_max_failure_ratio, and says by how much."""
    shop = StandIn(str(work)).start()

    def start_failing(_proc, results_root):
        # Half-way: the shop comes back failing everything (on the same port).
        _wait_for(lambda: _history_rows(results_root) >= 5, 180, "the endurance run to be under way")
        shop.stop()
        shop.args = ["--fail-after", "0.01"]
        shop.start()

    try:
        rc, output, run_dir = run_loadtest(os.path.join(work, "results"), {
            "profile": "endurance", "target_url": shop.url, "users": 4, "duration": 12, "loadtest_max_failure_ratio": 0.01,
        }, during=start_failing)
    finally:
        shop.stop()
    assert rc != 0
    summary = _summary(run_dir)
    assert 0.01 < summary["failure_ratio"] < 1.0, summary["failure_ratio"]
    assert "points over loadtest_max_failure_ratio=0.01" in output, output[-2000:]
    excess = round((summary["failure_ratio"] - 0.01) * 100, 3)
    assert "%s points over" % excess in output
    # ... and what failed most, so that the message alone points at the cause.
    top = summary["failures_grouped"][0]
    assert "Most failures: %s %s %s x%d" % (top["method"], top["name"], top["kind"], top["occurrences"]) in " ".join(output.split())


def test_ui_mode_runs_until_stopped(work):
    """loadtest_ui=true leaves the master's web UI running; loadtest_ui=stop ends it and collects the results."""
    shop = StandIn(str(work)).start()
    results_root = os.path.join(work, "results")
    ui = "http://127.0.0.1:%d" % _free_port()
    try:
        rc, output, run_dir = run_loadtest(results_root, {"target_url": shop.url, "loadtest_ui": "true", "loadtest_ui_port": int(ui.rsplit(":", 1)[1])})
        assert rc == 0, output[-3000:]
        assert os.path.exists(os.path.join(results_root, "ui-run.json"))
        with urllib.request.urlopen(ui + "/", timeout=10) as answer:
            assert answer.status == 200 and b"locust" in answer.read().lower()
        # What the UI's Start button posts.
        form = urllib.parse.urlencode({"user_count": 3, "spawn_rate": 3, "host": shop.url}).encode()
        with urllib.request.urlopen(urllib.request.Request(ui + "/swarm", data=form), timeout=10) as answer:
            assert json.load(answer)["success"] is True
        _wait_for(lambda: shop.counts()["journey"] >= 30, 60, "the users started from the UI to shop")
        rc, output, stop_dir = run_loadtest(results_root, {"target_url": shop.url, "loadtest_ui": "stop"})
        assert rc == 0, output[-3000:]
    finally:
        shop.stop()
    assert stop_dir == run_dir
    assert not os.path.exists(os.path.join(results_root, "ui-run.json"))
    summary = _summary(run_dir)
    assert summary["profile"] == "none" and summary["requests"] > 0
    with open(os.path.join(run_dir, "run.json"), encoding="utf-8") as handle:
        assert json.load(handle)["rc"] is not None
