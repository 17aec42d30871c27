"""Command builders: pure functions from configuration to shell command strings.

Nothing here connects, prints or reads the clock: randomness (cord ids, rename tokens) and
time come in as parameters, so every builder is testable to the byte. Values are quoted by
one mechanism (``base``): builders pass them as words, and mark shell syntax ``Raw``.
One module per idea of the deploy domain: ``app``, ``assets``, ``cord``, ``builder``,
``registry``, ``lock``, ``auditor``, ``prune``, ``traefik``, ``accessory``, ``env_files``,
``hooks``.
"""
