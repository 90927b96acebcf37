"""Key material: Multikey encoding, Ed25519 key pairs, JWK conversion and the encrypted key vault."""
