"""kamal-tasks: Kamal-style zero-downtime Docker deploys over SSH, as an Invoke collection.

``from kamal_tasks import ns`` gives the ready collection. Importing this package is cheap:
the collection (and with it Invoke) loads on first access to ``ns``, and heavy libraries
(Fabric, paramiko, voluptuous, YAML) load only inside the task bodies that need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# The one place the version is written: pyproject.toml reads it at build time
# ([tool.setuptools.dynamic]), so the installed metadata and `inv version` agree.
__version__ = "0.1.0"
#: The Kamal release whose configuration and behaviour kamal-tasks implements; a file's
#: ``minimum_version`` is compared with this.
KAMAL_COMPATIBILITY = "1.9.3"

if TYPE_CHECKING:
    from invoke import Collection

    ns: Collection

__all__ = ["KAMAL_COMPATIBILITY", "__version__", "ns"]


def __getattr__(name: str) -> Any:
    if name == "ns":
        from kamal_tasks.tasks import ns

        return ns
    raise AttributeError(f"module 'kamal_tasks' has no attribute {name!r}")
