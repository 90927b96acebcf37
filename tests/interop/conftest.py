"""Fixtures shared by the interop tests."""

from __future__ import annotations

import pytest

from did_methods.key import KeyDriver
from vcnode.did.resolver import Resolver


@pytest.fixture
def resolver() -> Resolver:
    """vcnode's resolver with did:key only: nothing the interop tests verify needs the network."""
    return Resolver([KeyDriver()])
