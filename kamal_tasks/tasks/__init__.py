"""The Invoke collection: ``from kamal_tasks import ns``.

Loading it imports only Invoke and our light modules; Fabric, paramiko, YAML and voluptuous
load inside the task bodies that need them.
"""

from __future__ import annotations

from invoke import Collection

from kamal_tasks.tasks import main

ns = Collection()
for _task in (main.docs, main.config, main.init, main.version):
    ns.add_task(_task)

#: Defaults for ``kamal.*`` settings, so ``INVOKE_KAMAL_<NAME>`` variables are recognised.
#: Code reads every setting with its default too: a project's own ``configure({"kamal": ...})``
#: replaces this whole mapping.
ns.configure(
    {
        "kamal": {
            "destination": None,
            "hosts": None,
            "roles": None,
            "primary": False,
            "config_file": None,
            "skip_hooks": False,
            "verbose": False,
            "quiet": False,
            "version": None,
            "dry_run": False,
        }
    }
)
