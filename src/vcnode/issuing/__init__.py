"""Issuing with status: the VC API's credential service, batch issuing and the idempotency of issue requests.

Above both :mod:`vcnode.credentials` (the data model, signing and verification) and :mod:`vcnode.status`
(which issues its list credentials with the former), so neither of those imports the other in a circle.
"""
