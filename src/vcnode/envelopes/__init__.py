"""Enveloped credentials and presentations (VC-JOSE-COSE): formats that secure a whole document by signing its
bytes, each a plug-in implementing :class:`vcnode.envelopes.base.EnvelopeFormat`."""
