"""The envelope formats vcnode ships, each a plug-in registered in the ``vcnode.credential_formats``
entry-point group (see :mod:`vcnode.envelopes`): JOSE (``vc+jwt``, ``vc+sd-jwt``), VC-JWT 1.1 and COSE
(``vc+cose``).

They live outside :mod:`vcnode.envelopes` because they read credentials (issuer, holder) and SD-JWT
disclosures, while credential verification opens envelopes through the registry: the core knows formats only
through entry points, as the resolver knows DID method drivers.
"""
