"""vcnode: a lightweight asyncio node for verifiable micro-credentials with no central registry."""

__version__ = "0.1.0"
