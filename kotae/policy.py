"""Provider policy: a deny-list of AI services the city must not send data to (municipal guidelines forbid,
for example, DeepSeek services). A rule matches an endpoint by its host name or a model by its name
(shell-style patterns, case-insensitive). Applied to every generation and embedding endpoint at start-up and
to the model a request asks for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from kotae.errors import PolicyError


@dataclass(frozen=True)
class DenyRule:
    """One denied provider: its name (quoted in refusals), host patterns and model-name patterns."""

    name: str
    hosts: tuple[str, ...] = ()
    models: tuple[str, ...] = ()


DEFAULT_DENY = (
    DenyRule(
        name="deepseek",
        hosts=("deepseek.com", "*.deepseek.com", "deepseek.ai", "*.deepseek.ai"),
        models=("*deepseek*",),
    ),
)


def denied_by(rules: Iterable[DenyRule], *, url: str | None = None, model: str | None = None) -> str | None:
    """A description of the first rule `url` or `model` matches (e.g. "rule 'deepseek': host api.deepseek.com
    matches *.deepseek.com"), or None when none does."""
    host = (urlsplit(url).hostname or "").lower() if url else ""
    name = (model or "").lower()
    for rule in rules:
        for pattern in rule.hosts:
            if host and fnmatchcase(host, pattern.lower()):
                return f"rule '{rule.name}': host {host} matches {pattern}"
        for pattern in rule.models:
            if name and fnmatchcase(name, pattern.lower()):
                return f"rule '{rule.name}': model {model} matches {pattern}"
    return None


def check_allowed(rules: Iterable[DenyRule], what: str, *, url: str | None = None, model: str | None = None) -> None:
    """Raise `PolicyError` naming `what` (e.g. "KOTAE_LLM_BASE_URL") and the rule when it is denied."""
    reason = denied_by(rules, url=url, model=model)
    if reason is not None:
        raise PolicyError(f"{what} is denied by the provider policy ({reason}); "
                          "see KOTAE_POLICY_DENY and KOTAE_POLICY_BUILTIN_DENY")
