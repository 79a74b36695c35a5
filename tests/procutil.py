"""Starting the real ``ttsservice serve`` in a subprocess for process-level tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_service(
    env: Mapping[str, str], *args: str, timeout: float = 60.0
) -> tuple[subprocess.Popen[str], str]:
    """Start ``python -m ttsservice serve`` and wait until /healthz answers.

    Returns the process and its base URL. The caller terminates it.
    """
    port = free_port()
    full_env = {**os.environ, "TTS_OFFLINE": "1", "TTS_PORT": str(port), **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ttsservice", "serve", *args],
        cwd=REPO,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise RuntimeError(f"service exited early ({proc.returncode}):\n{out}\n{err}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return proc, base
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("service did not answer /healthz in time")


def run_ttsservice(
    *args: str, env: Mapping[str, str], stdin: str | None = None, timeout: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ttsservice ARGS`` from the repository with exactly ``env``.

    Output is captured as text; a non-zero exit status is the caller's to check.
    """
    return subprocess.run(
        [sys.executable, "-m", "ttsservice", *args],
        cwd=REPO,
        env=dict(env),
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )


@contextlib.contextmanager
def tmpfs(folder: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted on ``folder`` with mount ``options`` (root only; else the test skips).

    Real file-system faults (a full disk, a read-only one) for the tests, not mocks.
    """
    import pytest

    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr!r}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill_disk(folder: Path) -> Path:
    """Write zeros into ``folder/filler`` until the disk refuses more; the filler's path."""
    filler = folder / "filler"
    with filler.open("wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler
