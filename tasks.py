"""This repo's own tasks file: our collection, as any project would import it, plus the
sandbox (local server containers for the demo and the integration suite)."""

from integration.sandbox_tasks import sandbox
from kamal_tasks import ns

ns.add_collection(sandbox)
