"""What OpenID4VCI issuance needs of the store: pre-authorised and authorisation codes, access tokens and
c_nonces, each redeemed once inside a store transaction. Implemented by :mod:`vcnode.store`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

from vcnode.exchanges.repository import ChallengeState

#: What redeeming an OpenID4VCI pre-authorised code came to: an access token stored (``issued``); a code never
#: minted, past its time or already redeemed; its exchange no longer open; a wrong tx_code (counted); the
#: exchange's tx_code attempts used up (``locked``).
RedeemState = Literal["issued", "unknown", "expired", "used", "exchangeClosed", "wrongTxCode", "locked"]
#: Outcomes of the login page's code check (:meth:`OpenIdIssuanceRepository.authorize_oid4vci`).
LoginState = Literal["authorized", "exchangeClosed", "wrongTxCode", "locked", "tooMany"]
#: Outcomes of redeeming an authorisation code (:meth:`OpenIdIssuanceRepository.redeem_oid4vci_auth_code`).
AuthCodeState = Literal["issued", "unknown", "expired", "used", "exchangeClosed", "mismatch"]


class OpenIdIssuanceRepository(Protocol):
    """OpenID4VCI codes, tokens and nonces."""

    async def add_oid4vci_code(self, code_hash: str, exchange_id: str, now: float, expires: float,
                               limit: int) -> bool:
        """Store a new pre-authorised code (its hash) for an open exchange, purging expired codes first; False
        (nothing stored) when the exchange is not open or already has ``limit`` unexpired, unused codes."""
        ...

    async def redeem_oid4vci_code(self, code_hash: str, now: float, tx_code_ok: Callable[[str], bool],
                                  max_failures: int, token_hash: str, token_expires: float,
                                  token_details: str | None = None) -> tuple[RedeemState, str | None, int]:
        """In one transaction: check the code (unused, unexpired), its exchange (open), the exchange's tx_code
        failures (under ``max_failures``) and the tx_code (``tx_code_ok(exchange_id)``); a wrong one is
        counted, a right one marks the code used, stores the access token's hash (with its granted
        ``token_details``, JSON) and starts the exchange.
        Returns the outcome, the exchange id (when the code is known) and the tx_code attempts left."""
        ...

    async def authorize_oid4vci(self, exchange_id: str, now: float, code_ok: Callable[[], bool], max_failures: int,
                                code_hash: str, binding: tuple[str, str, str], expires: float, limit: int,
                                details: str | None = None) -> tuple[LoginState, int]:
        """The login page's check, in one transaction: the exchange open, its wrong-code count (shared with the
        pre-authorised flow's tx_code) under ``max_failures``, fewer than ``limit`` unused authorisation codes,
        then ``code_ok()``: a wrong code is counted, a right one stores the authorisation code's hash bound to
        ``binding`` = (client_id, redirect_uri, code_challenge) and the approved ``details`` (JSON). Returns the
        outcome and the attempts left."""
        ...

    async def redeem_oid4vci_auth_code(self, code_hash: str, now: float, binding_ok: Callable[[str, str, str], bool],
                                       token_hash: str, token_expires: float, purge_before: float,
                                       token_details: str | None = None) -> tuple[AuthCodeState, str | None]:
        """In one transaction: an authorisation code (by hash) unused, unexpired, its exchange open and
        ``binding_ok(client_id, redirect_uri, code_challenge)``: stores the access token's hash (with its
        granted ``token_details``, JSON), marks the code
        used and starts the exchange. A code presented again revokes the token it gave; one whose binding does
        not match is spent. Codes that expired before ``purge_before`` are purged first."""
        ...

    async def oid4vci_code_exchange(self, code_hash: str) -> str | None:
        """The exchange a stored pre-authorised code (by hash) was minted for, whatever its state."""
        ...

    async def oid4vci_auth_code_grant(self, code_hash: str) -> tuple[str, str | None] | None:
        """The exchange a stored authorisation code (by hash) was issued for and the authorisation details
        approved with it (JSON, or None), whatever its state; None for an unknown code."""
        ...

    async def oid4vci_token_grant(self, token_hash: str, now: float) -> tuple[str, str | None] | None:
        """The exchange an unexpired access token (by hash) is bound to and the authorisation details it was
        granted with (JSON, or None); None for an unknown or expired token."""
        ...

    async def add_oid4vci_nonce(self, nonce: str, created: float, expires: float, limit: int) -> bool:
        """Store a new c_nonce, purging expired ones, in one transaction; False when ``limit`` are held."""
        ...

    async def consume_oid4vci_nonce(self, nonce: str, now: float) -> ChallengeState:
        """Use a c_nonce once (``consumed``), a compare-and-set in one transaction; otherwise why not."""
        ...
