"""A stand-in for an external OpenAI-compatible LLM API: a real HTTP server on 127.0.0.1 (an ephemeral port) in a
thread. It serves POST /v1/chat/completions, records every request, and answers with the behaviour the test
scripted: a reply text (fixed, or computed from the request), an HTTP error, a malformed body, or a delay.

    with StubLLM() as llm:
        llm.script(reply("…[1]"))          # or http_error(429, retry_after="7"), malformed(), delayed(5, reply(...))
        ... KOTAE_LLM_BASE_URL = llm.base_url ...
        llm.requests[-1].body["messages"]

Helpers at the end read the prompt back: `user_message`, `passages`, `passage_number`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

COMPLETIONS_PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class Recorded:
    """One request the stub received."""

    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # the parsed JSON body (None when it was not JSON)


@dataclass(frozen=True)
class Response:
    """What the stub sends back: after `delay` seconds, `status` with `headers` and `body`."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


# A behaviour turns the request body into the response.
Behaviour = Callable[[Any], Response]


def completion(text: str, model: str = "stub-model") -> Response:
    """A well-formed OpenAI chat completion whose one choice says `text`."""
    payload = {"id": "chatcmpl-stub", "object": "chat.completion", "model": model,
               "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
               "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    return Response(200, json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                    {"content-type": "application/json"})


def reply(text: str | Callable[[Any], str]) -> Behaviour:
    """Answer every request with `text`, or with `text(request_body)` when it is a function of the prompt."""
    return lambda body: completion(text(body) if callable(text) else text)


def http_error(status: int, body: str = '{"error": {"message": "stub error"}}',
               retry_after: str | None = None) -> Behaviour:
    """Answer with HTTP `status` (and a Retry-After header when given)."""
    headers = {"content-type": "application/json"}
    if retry_after is not None:
        headers["retry-after"] = retry_after
    return lambda _body: Response(status, body.encode("utf-8"), headers)


def malformed(body: bytes = b"<html><body>502 Bad Gateway (proxy)</body></html>") -> Behaviour:
    """Answer 200 with a body that is not a chat completion."""
    return lambda _body: Response(200, body, {"content-type": "application/json"})


def delayed(seconds: float, then: Behaviour) -> Behaviour:
    """Wait `seconds` (cut short when the stub stops), then behave as `then`."""
    def behave(body: Any) -> Response:
        inner = then(body)
        return Response(inner.status, inner.body, inner.headers, seconds)
    return behave


class StubLLM:
    """The stub server; a context manager that starts it on entry and stops it (promptly) on exit."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._behaviour: Behaviour = reply("資料からは回答できません。")
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True  # a handler still sleeping never blocks the test run
        self._thread = threading.Thread(target=self._server.serve_forever, name="stub-llm", daemon=True)

    @property
    def port(self) -> int:
        """The ephemeral port the stub listens on."""
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The value for KOTAE_LLM_BASE_URL."""
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, behaviour: Behaviour) -> None:
        """Answer the following requests with `behaviour`; forget the requests recorded so far."""
        with self._lock:
            self._behaviour = behaviour
            self.requests.clear()

    def __enter__(self) -> StubLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    body = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    body = None
                with stub._lock:
                    stub.requests.append(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    behaviour = stub._behaviour
                if self.path != COMPLETIONS_PATH:
                    response = Response(404, b'{"error": "not found"}', {"content-type": "application/json"})
                else:
                    response = behaviour(body)
                if response.delay and stub._stopping.wait(response.delay):
                    return  # the stub is stopping: nobody waits for this reply any more
                try:
                    self.send_response(response.status)
                    for name, value in response.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(response.body)))
                    self.end_headers()
                    self.wfile.write(response.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout), as a real server would see

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


# --- reading the prompt back ---------------------------------------------------------------------------------------

_BLOCK = re.compile(r'<資料 番号="(\d+)"[^>\n]*>\n(.*?)\n</資料>', re.S)


def message(body: Any, role: str) -> str:
    """The content of the (first) message with `role` in a recorded chat request."""
    return next(str(m["content"]) for m in body["messages"] if m["role"] == role)


def user_message(body: Any) -> str:
    """The user message: the passages as <資料> blocks, then the question."""
    return message(body, "user")


def passages(body: Any) -> dict[int, str]:
    """The passages of a recorded request by their number, as the model saw them."""
    return {int(n): text for n, text in _BLOCK.findall(user_message(body))}


def passage_number(body: Any, fragment: str) -> int:
    """The number of the passage that contains `fragment`; fails loudly when none does."""
    found = [n for n, text in passages(body).items() if fragment in text]
    if not found:
        raise AssertionError(f"no passage of the prompt contains {fragment!r}")
    return found[0]
