"""The processes of a scaled-out deployment, started on loopback: a Chroma server (`chroma run`, from the chromadb
package) and `kotae serve` replicas sharing it. Used by the load benchmark and the tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

BIN = Path(sys.executable).parent  # the environment's scripts: `chroma` comes with the chromadb package


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without any KOTAE_* variable, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOTAE_")}
    env.update(extra)
    return env


class Process:
    """A child process with its output in a log file, killed with the whole group when stopped."""

    name = "process"

    def __init__(self, log: Path) -> None:
        self.log = log
        self._proc: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None

    def _spawn(self, argv: list[str], env: dict[str, str]) -> None:
        self._out = open(self.log, "ab")  # noqa: SIM115 (open for the child's lifetime, closed in `_signal`)
        self._proc = subprocess.Popen(argv, env=env, stdout=self._out, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    @property
    def pid(self) -> int:
        assert self._proc is not None, f"{self.name} not started"
        return self._proc.pid

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _wait_for(self, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise RuntimeError(f"{self.name} exited while starting; see {self.log}:\n{self.tail()}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer {url} within {timeout:.0f} s; see {self.log}:\n{self.tail()}")

    def tail(self, lines: int = 20) -> str:
        """The last lines of the process's output, for failure messages."""
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self) -> None:
        """kill -9, as a crash would."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """Terminate and wait."""
        self._signal(signal.SIGTERM)

    def _signal(self, sig: int) -> None:
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, sig)
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()
        if self._out is not None:
            self._out.close()
            self._out = None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()


class ChromaServer(Process):
    """`chroma run --path DIR --host 127.0.0.1 --port N`; restartable on the same folder and port."""

    name = "chroma server"

    def __init__(self, path: Path, log: Path, port: int | None = None) -> None:
        super().__init__(log)
        self.path = path
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> ChromaServer:
        self._spawn([str(BIN / "chroma"), "run", "--path", str(self.path), "--host", "127.0.0.1",
                     "--port", str(self.port)], clean_env({}))
        self._wait_for(f"{self.url}/api/v2/heartbeat", timeout)
        return self

    def __enter__(self) -> ChromaServer:
        return self.start()


class ServiceProcess(Process):
    """`kotae serve` on its own port, with its own local store folder and the given KOTAE_* settings."""

    name = "kotae serve"

    def __init__(self, store: Path, log: Path, env: dict[str, str], port: int | None = None) -> None:
        super().__init__(log)
        self.store = store
        self.env = env
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> ServiceProcess:
        self._spawn([sys.executable, "-m", "cli.main", "serve", "--store", str(self.store), "--port",
                     str(self.port)], clean_env(self.env))
        self._wait_for(f"{self.url}/healthz", timeout)
        return self

    def __enter__(self) -> ServiceProcess:
        return self.start()
