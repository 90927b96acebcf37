"""Outbound networking: the one guarded HTTP client every fetch goes through."""
