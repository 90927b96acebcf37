"""DID resolver core: syntax, the driver interface, caching, resolution and dereferencing.

Method drivers live in the top-level ``did_methods`` package and are discovered through the
``vcnode.did_methods`` entry-point group.
"""

from vcnode.did.resolution import Resolution, ResolutionError
from vcnode.did.resolver import Resolver

__all__ = ["Resolution", "ResolutionError", "Resolver"]
