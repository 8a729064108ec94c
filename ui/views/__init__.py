"""The pages' bodies: one module per page with a ``render()``; ``pages/*.py`` only call it."""
