"""Deploy benchmark on the sandbox: prints figures, asserts nothing.

    flock /tmp/kamal-sandbox.lock python bench/deploy.py scenario --runs 6
    flock /tmp/kamal-sandbox.lock python bench/deploy.py scaling --runs 4
    flock /tmp/kamal-sandbox.lock python bench/deploy.py crashloop --runs 3

``scenario``: web on h1 and h2, workers on h3 (the issue's three-server scenario);
``deploy --skip-push`` of a version never deployed each time (the built image tagged anew
and pushed before the run).
``scaling``: web on 1 server, then on 6 (the sandbox grows to 6 servers and is put back to 3).

Per run (after a random pause of up to one health-check interval, so that the old
container's health checks are met at any phase, as by deploys made at any moment): the wall
time and the CPU time of the ``python -m kamal_tasks`` process; from ``docker events`` on the
web host whose old container was stopped last (the critical one): create -> healthy of the
new web container, kill -> die of the old one, and the two safety margins (new healthy ->
old unhealthy, old unhealthy -> old killed); from the old container's health checks (their
``exec_start``/``exec_die`` events), how much of the first margin's excess over 5 s was
Docker's check schedule (from the earliest safe
cut to its next check, and the checks' own durations) and how much a late cut; a no-op
``docker pull`` of the same image timed on the server; the remote commands and SSH
connections per host, counted in each server's sshd log (sshd restarted for the benchmark
with ``LogLevel VERBOSE`` and ``-E``: one ``Starting session: command`` line per remote
command, one ``Accepted publickey`` per connection). Overhead is the wall time less the
configured pauses (``traefik_route_delay`` + ``traefik_notice_delay``) and the servers' work
(pull + create->healthy + kill->die); it is also shown less Docker's check schedule, with
its two ends (process start -> new container created, old container died -> process end).
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from integration.harness import Sandbox  # noqa: E402
from integration.project import Project, checked_exec, make_project  # noqa: E402

SSHD_LOG = "/var/log/sshd-bench.log"
WORKER_CMD = "sh -c 'trap \"exit 0\" TERM; while :; do sleep 1 & wait $!; done'"
PAUSES = 5.0 + 5.0  # traefik_route_delay + traefik_notice_delay, the defaults
ROUTE_DELAY, INTERVAL, RETRIES = 5.0, 1.0, 3  # the defaults; the projects' health checks


@dataclass
class Run:
    wall: float
    cpu: float
    healthy: float = 0.0  # create -> healthy of the new web container (primary)
    stop: float = 0.0  # kill -> die of the old web container (primary)
    pull: float = 0.0  # a no-op docker pull, timed on the primary
    margin_new: float = 0.0  # new healthy -> old unhealthy
    margin_old: float = 0.0  # old unhealthy -> old killed
    commands: dict[str, int] = field(default_factory=dict)
    connections: dict[str, int] = field(default_factory=dict)
    #: The web host on the critical path: its old container was stopped last.
    host: str = ""
    #: Docker's share of margin_new beyond 5 s: from the earliest safe cut to the old
    #: container's next health check, and its checks' own durations beyond ``interval``.
    schedule: float = 0.0
    #: The tool's share: the cord was cut after a check that would have done.
    late: float = 0.0
    #: From the process start to the new web container's ``create`` (critical host).
    before_create: float = 0.0
    #: From the old web container's ``die`` to the process end (critical host).
    after_die: float = 0.0

    @property
    def overhead(self) -> float:
        return self.wall - PAUSES - self.pull - self.healthy - self.stop

    @property
    def tool_overhead(self) -> float:
        """The overhead less docker's health-check schedule (which no cut time can avoid)."""
        return self.overhead - self.schedule


def verbose_sshd(sandbox: Sandbox, on: bool) -> None:
    """Restart every server's sshd logging at VERBOSE to ``SSHD_LOG`` (or as the harness
    runs it)."""
    for host in sandbox.hosts:
        start = (
            f"mkdir -p /run/sshd && /usr/sbin/sshd -o LogLevel=VERBOSE -E {SSHD_LOG}"
            if on
            else "sandbox-sshd start"
        )
        checked_exec(sandbox, host, f"sandbox-sshd stop; {start}")
    sandbox.wait_until_ready()


def sshd_counts(sandbox: Sandbox) -> tuple[dict[str, int], dict[str, int]]:
    """Remote commands and connections per host since the logs were last emptied."""
    commands, connections = {}, {}
    for host in sandbox.hosts:
        log = checked_exec(sandbox, host, f"cat {SSHD_LOG} 2>/dev/null; : > {SSHD_LOG}")
        commands[host] = log.count("Starting session: command")
        connections[host] = log.count("Accepted publickey")
    return commands, connections


def events(sandbox: Sandbox, host: str, since: str, until: str, service: str) -> list[tuple]:
    """(time, container, exit code or "", action) of the web containers' events: create,
    health status, kill, die, and the health checks' own ``exec_start``/``exec_die``."""
    output = checked_exec(
        sandbox,
        host,
        f"docker events --since {since} --until {until} --filter label=service={service} "
        "--filter label=role=web --filter event=create --filter event=health_status "
        "--filter event=kill --filter event=die --filter event=exec_start "
        "--filter event=exec_die --format "
        '\'{{.TimeNano}} {{.Actor.Attributes.name}} {{or .Actor.Attributes.exitCode "-"}} '
        "{{.Action}}'",
    )
    found = []
    for line in output.splitlines():
        nanos, name, code, action = line.split(" ", 3)
        found.append((int(nanos) / 1e9, name, code, action))
    return found


def health_checks(found: list[tuple], name: str) -> list[tuple[float, int]]:
    """(start, exit code) of each of ``name``'s health checks (its execs), in order."""
    checks, started = [], None
    for at, who, code, action in found:
        if who != name:
            continue
        if action.startswith("exec_start"):
            started = at
        elif action == "exec_die" and started is not None:
            checks.append((started, int(code)))
            started = None
    return checks


def first(found: list[tuple], name: str, *actions: str) -> float | None:
    times = [at for at, who, _, action in found if who == name and action in actions]
    return times[0] if times else None


def deploy(project: Project, version: str, old: str, web: list[str]) -> Run:
    sandbox, service = project.sandbox, project.service
    primary = sandbox.hosts[0]
    sshd_counts(sandbox)  # empty the logs
    since = checked_exec(sandbox, primary, "date +%s.%N").strip()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started, started_at = time.monotonic(), time.time()  # the servers share this clock
    result = project.kamal("deploy", "--skip-push", version=version, check=False)
    wall = time.monotonic() - started
    ended_at = started_at + wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"deploy {version} failed:\n{result.stderr[-3000:]}")
    until = checked_exec(sandbox, primary, "date +%s.%N").strip()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    run = Run(wall, cpu)
    run.commands, run.connections = sshd_counts(sandbox)
    new, gone = f"{service}-web-{version}", f"{service}-web-{old}"
    moments, found_on = {}, {}
    for host in web:
        found = found_on[host] = events(sandbox, host, since, until, service)
        moments[host] = [
            first(found, new, "create"),
            first(found, new, "health_status: healthy"),
            first(found, gone, "health_status: unhealthy"),
            first(found, gone, "kill"),
            first(found, gone, "die"),
        ]
        if None in moments[host]:
            raise SystemExit(f"missing events for {new}/{gone} on {host}: {found}")
    run.host = max(web, key=lambda host: moments[host][3])  # the last old container killed
    created, healthy, unhealthy, killed, died = moments[run.host]
    run.healthy, run.stop = healthy - created, died - killed
    run.margin_new, run.margin_old = unhealthy - healthy, killed - unhealthy
    checks = health_checks(found_on[run.host], gone)  # all of them: docker logs only 5
    run.schedule, run.late = check_schedule(checks, healthy, unhealthy)
    run.before_create, run.after_die = created - started_at, ended_at - died
    image = f"{sandbox.registry}/{service}:{version}"
    timed = checked_exec(
        sandbox, primary, f"s=$(date +%s%N); docker pull -q {image} >/dev/null; "
        "echo $(( $(date +%s%N) - s ))",
    )  # fmt: skip
    run.pull = int(timed.strip()) / 1e9
    return run


def check_schedule(
    logged: list[tuple[float, int]], healthy: float, unhealthy: float
) -> tuple[float, float]:
    """Split margin_new's excess over 5 s into docker's share and the tool's (a late cut).

    The earliest safe cut is ``retries - 1`` intervals before ``healthy`` + 5 s; the first
    health check starting after it is docker's to schedule, and so are the failing checks'
    durations beyond ``interval``. A failing streak that began at a later check means the cut
    came after a check that would have done: the tool's lateness.
    """
    earliest_cut = healthy + ROUTE_DELAY - (RETRIES - 1) * INTERVAL
    starts = [start for start, _ in logged if start >= earliest_cut]
    failing = [start for start, code in logged if code != 0]
    if not starts or not failing:
        return 0.0, 0.0
    first_check, first_failing = min(starts), min(failing)
    late = max(first_failing - first_check, 0.0)
    schedule = (unhealthy - healthy - ROUTE_DELAY) - late
    return schedule, late


def median(values: list[float]) -> float:
    return statistics.median(values)


def report(title: str, runs: list[Run], hosts: dict[str, str]) -> None:
    print(f"\n== {title}: median of {len(runs)} deploys ==")
    rows = [
        ("wall time", [r.wall for r in runs]),
        ("  configured pauses", [PAUSES for _ in runs]),
        ("  pull (no-op, on the server)", [r.pull for r in runs]),
        ("  create -> healthy", [r.healthy for r in runs]),
        ("  kill -> die (old)", [r.stop for r in runs]),
        ("  overhead (the rest)", [r.overhead for r in runs]),
        ("  of which docker's check schedule", [r.schedule for r in runs]),
        ("overhead less docker's check schedule", [r.tool_overhead for r in runs]),
        ("  process start -> new container created", [r.before_create for r in runs]),
        ("  old container died -> process end", [r.after_die for r in runs]),
        ("margin new healthy -> old unhealthy", [r.margin_new for r in runs]),
        ("  beyond 5 s: docker's check schedule", [r.schedule for r in runs]),
        ("  beyond 5 s: a late cut (the tool)", [r.late for r in runs]),
        ("margin old unhealthy -> old killed", [r.margin_old for r in runs]),
        ("CPU time of the tool", [r.cpu for r in runs]),
    ]
    for label, values in rows:
        low, high = min(values), max(values)
        print(f"{label:38s} {median(values):6.2f} s   (min {low:.2f}, max {high:.2f})")
    critical = [r.host for r in runs]
    print("critical host (old container stopped last): " + ", ".join(
        f"{host} {critical.count(host)}x" for host in dict.fromkeys(critical)
    ))  # fmt: skip
    for host, role in hosts.items():
        commands = [r.commands[host] for r in runs]
        connections = [r.connections[host] for r in runs]
        print(
            f"{role:10s} {host:15s} remote commands {median(commands):5.1f} "
            f"(min {min(commands)}, max {max(commands)}), "
            f"SSH connections {median(connections):.0f}"
        )


def prepare(sandbox: Sandbox, root: Path, service: str, servers: object) -> Project:
    project = make_project(root, sandbox, service, servers)
    project.kamal("setup", version="b1")
    return project


def fresh_version(project: Project, index: int) -> str:
    """Tag the built image as a version never deployed, ``r<index>``, and push it."""
    version = f"r{index}"
    repository = f"{project.sandbox.registry}/{project.service}"
    project.sandbox.client.images.get(f"{repository}:b1").tag(repository, version)
    project.sandbox.push_image(f"{repository}:{version}", quiet=True)
    return version


def runs_of(project: Project, count: int, web: list[str]) -> list[Run]:
    """Each run deploys a version never deployed (as real deploys do: nothing to rename, an
    image tag to pull, one old container and image to prune) over the one before."""
    results = []
    old = "b1"  # what ``setup`` deployed
    for index in range(count):
        version = fresh_version(project, index)
        # Back-to-back deploys would meet the old container's health checks at the same phase
        # every time; a random gap samples the phases as deploys at any moment would.
        time.sleep(random.uniform(0, INTERVAL))
        results.append(deploy(project, version, old, web))
        old = version
        print(f"  run {index + 1}: {results[-1].wall:.2f} s", file=sys.stderr, flush=True)
    return results


def load() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def scenario(count: int) -> None:
    sandbox = Sandbox(servers=3)
    sandbox.up()
    sandbox.reset_servers()
    h1, h2, h3 = sandbox.hosts
    servers = {"web": [h1, h2], "workers": {"hosts": [h3], "cmd": WORKER_CMD}}
    with tempfile.TemporaryDirectory() as tmp:
        project = prepare(sandbox, Path(tmp), "benchthree", servers)
        verbose_sshd(sandbox, True)
        try:
            print(f"load average before: {load()}")
            results = runs_of(project, count, [h1, h2])
            print(f"load average after: {load()}")
        finally:
            verbose_sshd(sandbox, False)
            sandbox.reset_servers()
    report(
        "3 servers (web, web, workers)", results, {h1: "web (primary)", h2: "web", h3: "workers"}
    )


def scaling(count: int) -> None:
    medians = {}
    for size in (1, 6):
        sandbox = Sandbox(servers=6)
        sandbox.up()
        sandbox.reset_servers()
        hosts = sandbox.hosts[:size]
        with tempfile.TemporaryDirectory() as tmp:
            project = prepare(sandbox, Path(tmp), f"benchscale{size}", {"web": hosts})
            verbose_sshd(sandbox, True)
            try:
                print(f"load average before ({size}): {load()}")
                results = runs_of(project, count, hosts)
            finally:
                verbose_sshd(sandbox, False)
                sandbox.reset_servers()
        report(f"web on {size} server(s)", results, {host: "web" for host in hosts})
        medians[size] = median([r.wall for r in results])
    print(f"\n6 servers / 1 server wall time: {medians[6] / medians[1]:.2f}x")
    Sandbox(servers=3).up()  # back to the 3 servers the integration suite expects


def crashloop(count: int) -> None:
    """A crash-looping v2 (``integration/apps/crashloop``) on web h1: how long after its first
    exit the deploy has failed (this machine's clock; the servers share it)."""
    app = REPO / "integration" / "apps" / "crashloop"
    sandbox = Sandbox(servers=3)
    sandbox.up()
    sandbox.reset_servers()
    h1 = sandbox.hosts[0]
    delays, walls = [], []
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp), sandbox, "benchcrash", [h1])
        try:
            project.kamal("setup", version="c1")
            project.config["builder"] = {
                "multiarch": False, "context": str(app), "dockerfile": str(app / "Dockerfile"),
            }  # fmt: skip
            project.write()
            project.kamal("build.deliver", version="c2")
            for _ in range(count):
                since = checked_exec(sandbox, h1, "date +%s.%N").strip()
                started = time.monotonic()
                result = project.kamal("deploy", "--skip-push", version="c2", check=False)
                ended, walls = time.time(), [*walls, time.monotonic() - started]
                assert result.returncode == 1 and "crashed:" in result.stderr, result.stderr
                dies = checked_exec(
                    sandbox, h1,
                    f"docker events --since {since} --until {ended:.3f} --filter event=die "
                    "--filter container=benchcrash-web-c2 --format '{{.TimeNano}}'",
                )  # fmt: skip
                delays.append(ended - int(dies.split()[0]) / 1e9)
                checked_exec(sandbox, h1, "docker rm -f benchcrash-web-c2 >/dev/null 2>&1 || :")
        finally:
            sandbox.reset_servers()
    print(f"\n== crash-looping image: median of {count} ==")
    print(f"reported after its first exit   {median(delays):6.2f} s (max {max(delays):.2f})")
    print(f"deploy wall time until failed   {median(walls):6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["scenario", "scaling", "crashloop"])
    parser.add_argument("--runs", type=int, default=6)
    args = parser.parse_args()
    os.environ.setdefault("PYTHONPATH", str(REPO))
    # As pip does on install: under PYTHONDONTWRITEBYTECODE a checkout would compile every
    # module of the package again in each run (about 50 ms of start-up that users never pay).
    compileall.compile_dir(str(REPO / "kamal_tasks"), quiet=1)
    {"scenario": scenario, "scaling": scaling, "crashloop": crashloop}[args.what](args.runs)


if __name__ == "__main__":
    main()
