"""The root section's plain settings with their defaults, and paths under the run directory."""

from __future__ import annotations

from typing import Any

from kamal_tasks.scalars import text


class Settings:
    """Top-level settings of ``config/deploy.yml`` (mixed into ``Config``), from ``raw``."""

    raw: dict[str, Any]

    @property
    def run_directory(self) -> str:
        """Where state lives on the hosts, relative to the SSH user's home."""
        return text(self.raw.get("run_directory", ".kamal"))

    @property
    def hooks_path(self) -> str:
        """Local directory of hook scripts."""
        return text(self.raw.get("hooks_path", ".kamal/hooks"))

    @property
    def retain_containers(self) -> int:
        """How many stopped containers (and their images) prune keeps."""
        return int(self.raw.get("retain_containers", 5))

    @property
    def readiness_delay(self) -> float:
        """Seconds to wait after a container without a healthcheck reports running."""
        return float(self.raw.get("readiness_delay", 7))

    @property
    def stop_wait_time(self) -> int | None:
        """``docker stop -t`` seconds, if set."""
        value = self.raw.get("stop_wait_time")
        return int(value) if value is not None else None

    @property
    def volumes(self) -> list[str]:
        """``--volume`` values for app containers."""
        return [text(volume) for volume in self.raw.get("volumes") or []]

    def run_path(self, relative: str) -> str:
        """A path under the run directory (env files, locks, cords, assets)."""
        return f"{self.run_directory}/{relative}"

    @property
    def traefik_env_file(self) -> str:
        """Traefik's secret env file."""
        return self.run_path("env/traefik/traefik.env")
