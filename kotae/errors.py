"""The small error hierarchy every stage raises from."""


class KotaeError(Exception):
    """Base class of every error Kotae raises on purpose."""


class SettingsError(KotaeError):
    """A setting is missing or invalid; the message names the setting and why."""


class LoadError(KotaeError):
    """A file could not be read into text; the message is a one-line reason for the admin."""


class EmbedderUnavailable(KotaeError):
    """The configured embedder cannot be loaded on this machine."""


class StoreError(KotaeError):
    """The index store is missing, locked or inconsistent."""
