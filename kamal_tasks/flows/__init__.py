"""Flows: commands composed into the steps of a deploy, run on hosts through the runner."""
