"""Tests build settings from defaults: no KOTAE_* variable of the developer's shell may leak in."""

from __future__ import annotations

import os

import pytest


def clear_kotae_env(mp: pytest.MonkeyPatch) -> None:
    """Remove every KOTAE_* environment variable for the scope of `mp`."""
    for key in list(os.environ):
        if key.startswith("KOTAE_"):
            mp.delenv(key)
