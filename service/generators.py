"""Language models behind one small protocol. The only adapter is an OpenAI-compatible chat client (vLLM,
Ollama, llama.cpp server, LiteLLM and commercial APIs all speak it); httpx is imported here and nowhere else.

Every failure becomes a `GeneratorError` (or `GeneratorTimeout`) whose message says what happened in words an
admin can act on; nothing hangs longer than the model's `timeout_s`.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from kotae.errors import GeneratorError, GeneratorTimeout, KotaeError, PolicyError
from kotae.policy import check_allowed
from kotae.settings import ModelConfig, Settings

Message = dict[str, str]


class Generator(Protocol):
    """A chat model: messages in, the reply text out."""

    name: str

    def chat(self, messages: list[Message]) -> str:
        """The model's reply to `messages` ({"role", "content"} dicts)."""
        ...


class OpenAICompatible:
    """POST {base_url}/chat/completions, temperature 0, one reply."""

    def __init__(self, config: ModelConfig) -> None:
        self.config = config
        self.name = config.name
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self._client = httpx.Client(base_url=config.base_url, headers=headers, timeout=config.timeout_s,
                                    trust_env=False)

    def chat(self, messages: list[Message]) -> str:
        """The reply text; raises `GeneratorError`/`GeneratorTimeout` with a reason on any failure."""
        where = f"model '{self.name}' at {self.config.base_url}"
        body = {"model": self.config.model, "messages": messages, "temperature": 0,
                "max_tokens": self.config.max_tokens, "stream": False}
        try:
            response = self._client.post("/chat/completions", json=body)
        except httpx.TimeoutException as exc:
            raise GeneratorTimeout(f"{where} did not answer within {self.config.timeout_s:g} s") from exc
        except httpx.HTTPError as exc:
            raise GeneratorError(f"cannot reach {where}: {exc}") from exc
        if response.status_code == 429:
            after = response.headers.get("retry-after")
            raise GeneratorError(f"{where} is rate-limiting requests (HTTP 429)"
                                 + (f"; retry after {after} s" if after else "; retry later"))
        if response.status_code in (401, 403):
            raise GeneratorError(f"{where} refused the request (HTTP {response.status_code}): check the API key")
        if response.status_code >= 400:
            raise GeneratorError(f"{where} failed (HTTP {response.status_code}): {_excerpt(response.text)}")
        return _reply_text(response, where)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def _reply_text(response: httpx.Response, where: str) -> str:
    try:
        data: Any = response.json()
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise GeneratorError(f"{where} sent a reply that is not an OpenAI chat completion: "
                             f"{_excerpt(response.text)}") from exc
    if not isinstance(content, str) or not content.strip():
        raise GeneratorError(f"{where} sent an empty reply")
    return content


def _excerpt(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text[:limit] + ("…" if len(text) > limit else "")


class Generators:
    """The named models of the settings; `get` applies the provider policy to each request's choice."""

    def __init__(self, settings: Settings) -> None:
        self.models = dict(settings.models)
        self.default = settings.default_model
        self.rules = settings.policy.rules()
        self._clients: dict[str, OpenAICompatible] = {}

    def names(self) -> list[str]:
        """The model names a request may pick."""
        return list(self.models)

    def get(self, name: str | None) -> Generator:
        """The generator called `name` (None: the default). Raises `PolicyError` for a denied name and
        `ModelChoiceError` when no model is configured or the name is unknown."""
        if name is not None:
            check_allowed(self.rules, f"model '{name}'", model=name)
        if not self.models:
            raise ModelChoiceError("no language model is configured: set KOTAE_LLM_BASE_URL and KOTAE_LLM_MODEL "
                                 "(or KOTAE_LLM_MODELS_FILE), or use the extractive composer")
        key = name or self.default
        if key not in self.models:
            raise ModelChoiceError(f"unknown model {name!r}; configured: {', '.join(self.models)}")
        config = self.models[key]
        check_allowed(self.rules, f"model '{key}' ({config.base_url})", url=config.base_url, model=config.model)
        if key not in self._clients:
            self._clients[key] = OpenAICompatible(config)
        return self._clients[key]


class ModelChoiceError(KotaeError):
    """A request asked for the LLM composer when no model is configured, or named a model the settings lack."""


__all__ = ["Generator", "GeneratorError", "GeneratorTimeout", "Generators", "ModelChoiceError", "OpenAICompatible",
           "PolicyError"]
