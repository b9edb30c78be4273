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


class PolicyError(KotaeError):
    """A provider or model is denied by the provider policy; the message names the rule."""


class GeneratorError(KotaeError):
    """The configured language model endpoint failed (unreachable, refused, rate-limited, malformed reply)."""


class GeneratorTimeout(GeneratorError):
    """The language model endpoint did not answer in time."""
