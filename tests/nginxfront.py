"""Run the shipped ``deploy/nginx/ttsservice.conf`` in front of a service, on plain HTTP.

Only what a test machine cannot have is changed: the TLS listener becomes a
local port, the cache folder and the upstream address are the test's. Each
change must find its line, so a reshaped config fails here instead of being
tested half.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.procutil import REPO, free_port

SHIPPED = REPO / "deploy" / "nginx" / "ttsservice.conf"


def local_site(text: str, *, port: int, upstream: str, cache: Path) -> str:
    """The shipped site config with a plain-HTTP listener, the test's cache and upstream."""
    changes = [
        ("    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{port};\n"),
        ("    ssl_certificate /etc/ssl/certs/tts.example.se.pem;\n", ""),
        ("    ssl_certificate_key /etc/ssl/private/tts.example.se.key;\n", ""),
        ("/var/cache/nginx/ttsservice", str(cache)),
        ("    server 127.0.0.1:8080;\n", f"    server {upstream};\n"),
    ]
    for old, new in changes:
        if text.count(old) != 1:
            raise AssertionError(f"deploy/nginx/ttsservice.conf no longer has {old.strip()!r}")
        text = text.replace(old, new)
    return text


@contextmanager
def run_nginx(folder: Path, port: int, server: str, probe: str) -> Iterator[str]:
    """nginx, one worker, with ``server`` (config text for the http block) on ``port``.

    Waits until ``probe`` (a path) answers and yields the base URL; stops nginx after.
    """
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if nginx is None:
        raise AssertionError("nginx is missing: install Debian's nginx package (.ci/run does)")
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / "tmp"
    temp.mkdir(exist_ok=True)
    site = folder / "site.conf"
    site.write_text(server)
    # As root nginx hands requests to an unprivileged worker user, which cannot enter
    # private temporary folders: keep the workers as root here.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"""{user}worker_processes 1;
error_log {folder}/error.log;
pid {folder}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {site};
}}
"""
    )
    errors = folder / "stderr.log"
    with errors.open("wb") as sink:
        proc = subprocess.Popen(
            [nginx, "-c", str(folder / "nginx.conf"), "-p", str(folder), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"nginx did not start: {errors.read_text()}")
            try:
                urllib.request.urlopen(base + probe, timeout=1).close()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise AssertionError("nginx did not answer in 20 s") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


@contextmanager
def nginx_in_front(upstream: str, folder: Path) -> Iterator[str]:
    """nginx with the shipped site config proxying to ``upstream``; yields its base URL."""
    port = free_port()
    site = local_site(SHIPPED.read_text(), port=port, upstream=upstream, cache=folder / "cache")
    with run_nginx(folder, port, site, "/healthz") as base:
        yield base
