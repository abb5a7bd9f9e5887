"""Shared p2p fixtures: fast observer settings for loopback peers."""

from __future__ import annotations

import pytest

from vigilant.p2p.confirm import ConfirmSettings
from vigilant.p2p.observer import ObserverSettings


@pytest.fixture
def fast_settings() -> ObserverSettings:
    """Short windows: loopback peers answer in milliseconds, and every test must stay bounded."""
    return ObserverSettings(
        confirm=ConfirmSettings(connect_timeout=2.0, have_window=1.0, timeout=8.0),
        retries=1,
        backoff=0.1,
        operator="test-examiner",
        case_id="TEST-1",
    )
