"""Checking without a node: ``vcnode did resolve`` and ``vcnode verify`` where no node is initialised.

An employer verifying a file, or anyone resolving a DID, needs no key vault, store or passphrase: the
configuration is the defaults (plus ``VCNODE_*`` variables and a ``config.toml`` if the directory has one),
outbound fetches go through the guarded client, DIDs are resolved by the registered drivers over the network,
and status lists are fetched from their issuers. What only a node has — replicas of other nodes' lists and
DID logs, anchors, witnesses, trust statements, its own identities — is not used, and the output says so.
"""

from __future__ import annotations

import time
from typing import Any

from vcnode.config import Config
from vcnode.credentials.limits import VerifyLimits, check_limits
from vcnode.credentials.report import Report
from vcnode.credentials.verify import VerifyOptions, verify_credential, verify_presentation, verify_status_list
from vcnode.node import make_fetcher, make_resolver
from vcnode.status.check import StatusChecker
from vcnode.status.fetch import list_fetcher

NO_NODE_CODE = "noNode"


def no_node_note(config: Config) -> str:
    """What a check without a node did not use, for its output."""
    return (f"no node in {config.home}: default settings, DID documents and status lists fetched over the network "
            "from their sources; no node's replicas, anchors or trust statements were used")


class Nodeless:
    """A resolver and a verifier built from a configuration alone (no store, no keys). Close it when done."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.fetcher = make_fetcher(config)
        self.resolver = make_resolver(config, self.fetcher)
        status_options = VerifyOptions(allow_embedded_keys=config.allow_embedded_keys)
        self.status_checker = StatusChecker(
            list_fetcher(self.fetcher), lambda doc: verify_status_list(doc, self.resolver, status_options),
            default_ttl=config.status_list_ttl, fail_open=config.status_fail_open,
            max_entries=config.status_max_entries)
        self.limits = VerifyLimits(max_status_entries=config.status_max_entries,
                                   max_credentials=config.verify_max_credentials)

    async def verify(self, document: Any, *, presentation: bool, challenge: str | None = None,
                     domain: str | None = None, allow_holder_mismatch: bool = False) -> Report:
        """Verify a credential or presentation as a node would (same limits, checks and status deadline), then
        add a ``noNode`` warning naming what was not used."""
        check_limits(document, self.limits, presentation=presentation)
        binding = "allowMismatch" if allow_holder_mismatch else self.config.holder_binding
        options = VerifyOptions(challenge=challenge, domain=domain, allow_embedded_keys=self.config.allow_embedded_keys,
                                status=self.status_checker, holder_binding=binding,
                                issuer_binding=self.config.issuer_binding,
                                status_deadline=time.monotonic() + self.config.status_deadline,
                                key_binding_max_age=self.config.key_binding_max_age)
        verify = verify_presentation if presentation else verify_credential
        report = await verify(document, self.resolver, options)
        report.warn("status", NO_NODE_CODE, no_node_note(self.config))
        return report

    async def close(self) -> None:
        """Release the outbound connections."""
        await self.fetcher.close()
