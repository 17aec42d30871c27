"""Start-up and configuration benchmark: prints figures, asserts nothing.

    python bench/startup.py --runs 10

``inv --list`` and ``inv config`` in a small project (a ``tasks.py`` importing the collection,
a 3-server ``config/deploy.yml``), as wall time of the whole process; then loading and
validating a generated 500-host configuration (``Config.load``) in this process.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def config(hosts: int) -> dict:
    web = [f"10.{n // 65536}.{n // 256 % 256}.{n % 256}" for n in range(1, hosts * 4 // 5 + 1)]
    workers = [f"10.200.{n // 256}.{n % 256}" for n in range(1, hosts - len(web) + 1)]
    return {
        "service": "bench",
        "image": "bench/app",
        "servers": {
            "web": {"hosts": web, "labels": {"team": "web"}},
            "workers": {"hosts": workers, "cmd": "bin/jobs"},
        },
        "registry": {"username": "bench", "password": ["KAMAL_REGISTRY_PASSWORD"]},
        "env": {"clear": {"RAILS_ENV": "production"}, "secret": ["KAMAL_REGISTRY_PASSWORD"]},
        "healthcheck": {"path": "/up", "max_attempts": 7},
        "builder": {"multiarch": False},
        "accessories": {"db": {"image": "mysql:8", "host": web[0], "port": 3306}},
    }


def project(root: Path, hosts: int) -> Path:
    (root / "config").mkdir(parents=True)
    (root / "config" / "deploy.yml").write_text(yaml.safe_dump(config(hosts)))
    (root / ".kamal").mkdir()
    (root / ".kamal" / ".env").write_text("KAMAL_REGISTRY_PASSWORD=secret\n")
    (root / "tasks.py").write_text("from kamal_tasks import ns  # noqa: F401\n")
    return root


def timed(argv: list[str], cwd: Path, runs: int) -> list[float]:
    inv = shutil.which("inv") or "inv"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([inv, *argv], cwd=cwd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"inv {' '.join(argv)} failed:\n{done.stderr}")
    return times


def show(label: str, times: list[float], target: str) -> None:
    print(
        f"{label:40s} median {statistics.median(times) * 1000:7.1f} ms "
        f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})   target {target}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    # As pip does on install: under PYTHONDONTWRITEBYTECODE a checkout would compile every
    # module of the package again in each run (about 50 ms of start-up that users never pay).
    compileall.compile_dir(str(REPO / "kamal_tasks"), quiet=1)
    with open("/proc/loadavg") as handle:
        print(f"load average: {' '.join(handle.read().split()[:3])}")
    with tempfile.TemporaryDirectory() as tmp:
        small = project(Path(tmp) / "small", 3)
        show("inv --list", timed(["--list"], small, args.runs), "< 300 ms")
        show("inv config", timed(["config"], small, args.runs), "< 400 ms")
        big = project(Path(tmp) / "big", 500)
        from kamal_tasks.configuration import Config

        env = {"KAMAL_REGISTRY_PASSWORD": "secret"}
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            loaded = Config.load(big / "config" / "deploy.yml", version="1", env_values=env)
            hosts = loaded.hosts
            times.append(time.perf_counter() - started)
        assert len(hosts) == 500, len(hosts)
        show("500-host config: load + validate", times, "< 200 ms")
        show("inv config (500 hosts)", timed(["config"], big, args.runs), "(no target)")


if __name__ == "__main__":
    main()
