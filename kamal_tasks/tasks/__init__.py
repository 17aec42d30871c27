"""The Invoke collection: ``from kamal_tasks import ns``.

Loading it imports only Invoke and our light modules; Fabric, paramiko, YAML and voluptuous
load inside the task bodies that need them.
"""

from __future__ import annotations

from invoke import Collection

from kamal_tasks.tasks import accessory, app, build, main, small, traefik

ns = Collection()
for _task in (
    main.setup, main.deploy, main.redeploy, main.rollback, main.details, main.audit,
    main.config, main.docs, main.init, main.remove, main.version,
):  # fmt: skip
    ns.add_task(_task)

ns.add_collection(Collection.from_module(app), name="app")
ns.add_collection(Collection.from_module(build), name="build")
ns.add_collection(Collection.from_module(accessory), name="accessory")
ns.add_collection(Collection.from_module(traefik), name="traefik")
ns.add_collection(Collection("prune", small.prune_all, small.prune_containers, small.prune_images))
ns.add_collection(Collection("registry", small.registry_login, small.registry_logout))
ns.add_collection(Collection("lock", small.lock_status, small.lock_acquire, small.lock_release))
ns.add_collection(Collection("env", small.env_push, small.env_delete))
ns.add_collection(Collection("server", small.server_exec, small.server_bootstrap))

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
        }
    }
)
