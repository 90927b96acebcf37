"""Exchanges with wallets: VC API (VCALM) workflows and exchanges as stored state machines (``claim`` a
prepared credential, ``present`` credentials to a verifier), the links and QR codes that start them, the
challenges of standalone presentations, and what a presentation is evaluated for (pathways and their
stacked awards). The orchestration between the HTTP routes and the pure domain code."""
