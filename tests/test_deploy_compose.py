"""deploy/compose.yaml holds together (no Docker engine here: its structure is checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.procutil import REPO
from ttsservice.settings import env_name, setting_fields

DEPLOY = REPO / "deploy"
COPIES = ("copy1", "copy2")


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def test_compose_has_postgres_two_copies_and_nginx_with_existing_files() -> None:
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"db", "secret", "nginx", *COPIES}
    assert services["db"]["image"].startswith("postgres:")
    for name in ("secret", *COPIES):
        build = services[name]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == REPO / "Dockerfile"
    known = {env_name(f.name) for f in setting_fields()}
    cache_volumes = set()
    for name in COPIES:
        service = services[name]
        env = service["environment"]
        assert env["TTS_DATABASE_URL"].startswith("postgresql://")
        assert env["TTS_SECRET_FILE"].startswith("/run/tts-secret/")
        assert set(env) <= known, set(env) - known
        conditions = {dep: spec["condition"] for dep, spec in service["depends_on"].items()}
        assert conditions == {
            "db": "service_healthy",
            "secret": "service_completed_successfully",
        }
        mounts = dict(volume.split(":")[:2][::-1] for volume in service["volumes"])
        assert mounts["/run/tts-secret"] == "secret"
        cache_volumes.add(mounts["/srv/tts/var"])  # TTS_DATA_DIR in the image
    assert len(cache_volumes) == 2  # a cache volume per copy
    assert cache_volumes | {"pgdata", "secret"} <= set(compose["volumes"])

    nginx = services["nginx"]
    assert set(nginx["depends_on"]) == set(COPIES)
    proxy = nginx["networks"]["tts"]["ipv4_address"]
    assert all(services[name]["environment"]["TTS_TRUSTED_PROXIES"] == proxy for name in COPIES)
    for volume in nginx["volumes"]:
        source = volume.split(":")[0]
        assert (DEPLOY / source).is_file(), source


def test_compose_nginx_config_is_the_shipped_one_on_plain_http() -> None:
    shipped = (DEPLOY / "nginx" / "ttsservice-copies.conf").read_text()
    compose = (DEPLOY / "compose" / "nginx.conf").read_text()

    def body(text: str) -> list[str]:
        lines = text.split("\n\n", 1)[1].splitlines()  # after the header comment
        return [line for line in lines if "ssl_certificate" not in line]

    expected = [
        line.replace("listen 443 ssl http2;", "listen 80;")
        .replace("server_name tts.example.se;", "server_name _;")
        .replace("10.0.0.11:8080", "copy1:8080")
        .replace("10.0.0.12:8080", "copy2:8080")
        for line in body(shipped)
    ]
    assert body(compose) == expected


def test_the_secret_job_writes_a_long_enough_secret(tmp_path: Path) -> None:
    script = _compose()["services"]["secret"]["entrypoint"][2]
    target = tmp_path / "key"
    code = script.replace('"/run/tts-secret/key"', repr(str(target)))
    code = code.replace("os.chown(path, 10001, 10001)", "pass")
    assert code.count(repr(str(target))) == 1
    subprocess.run([sys.executable, "-c", code], check=True)
    first = target.read_text()
    subprocess.run([sys.executable, "-c", code], check=True)  # a restart keeps the secret
    assert target.read_text() == first and len(first.strip()) >= 32
    assert target.stat().st_mode & 0o777 == 0o400
