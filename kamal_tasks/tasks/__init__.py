"""The Invoke collection: ``from kamal_tasks import ns``.

Loading it imports only Invoke and our light modules; Fabric, paramiko, YAML and voluptuous
load inside the task bodies that need them.
"""

from __future__ import annotations

import os
from pathlib import Path

from invoke import Collection

from kamal_tasks.options import DEFAULT_CONFIG_FILE
from kamal_tasks.tasks import (
    accessory,
    aliases,
    app,
    build,
    env,
    lock,
    main,
    prune,
    registry,
    server,
    traefik,
)

ns = Collection()
for _task in (
    main.setup, main.deploy, main.redeploy, main.rollback, main.details, main.audit,
    main.config, main.docs, main.init, main.remove, main.version,
):  # fmt: skip
    ns.add_task(_task)

for _module in (app, build, accessory, traefik, prune, registry, lock, env, server):
    ns.add_collection(Collection.from_module(_module), name=_module.__name__.rsplit(".", 1)[-1])

#: ``aliases:`` of the project's deploy.yml become top-level tasks.
aliases.add_to(ns, Path(os.environ.get("INVOKE_KAMAL_CONFIG_FILE") or DEFAULT_CONFIG_FILE))

#: ``kamal.*`` settings, declared so ``INVOKE_KAMAL_<NAME>`` variables are recognised. All are
#: None: Invoke would turn any env string but "0" into True for a boolean default, while
#: ``Options.resolve`` reads "false"/"no"/"0" as False.
#: Code reads every setting with its default too: a project's own ``configure({"kamal": ...})``
#: replaces this whole mapping.
ns.configure(
    {
        "kamal": {
            "destination": None,
            "hosts": None,
            "roles": None,
            "primary": None,
            "config_file": None,
            "skip_hooks": None,
            "verbose": None,
            "quiet": None,
            "version": None,
            "dry_run": None,
            "env_command_timeout": None,
            "hook_timeout": None,
        }
    }
)
