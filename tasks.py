"""This repo's own tasks: our collection (dogfooding the embedding) plus the sandbox."""

from kamal_tasks import ns
