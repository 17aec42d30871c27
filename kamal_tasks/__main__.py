"""``python -m kamal_tasks TASK ...``: our tasks without a tasks.py."""

from __future__ import annotations

from invoke import Program

from kamal_tasks import __version__


def main() -> None:
    """Run the collection as a program named ``kamal-tasks``."""
    from kamal_tasks import ns

    Program(namespace=ns, version=__version__, name="kamal-tasks", binary="kamal-tasks").run()


if __name__ == "__main__":
    main()
