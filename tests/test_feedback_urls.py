"""Page URL normalisation, the allow-list and sections."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from feedback.urls import Sections, check_page_url, normalize_url
from ttsservice.errors import ServiceError
from ttsservice.settings import Settings


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://WWW.Example.SE/Vard", "https://www.example.se/Vard/"),
        ("https://www.example.se:443/a/", "https://www.example.se/a/"),
        ("http://www.example.se:80/a/", "http://www.example.se/a/"),
        ("https://www.example.se:8443/a/", "https://www.example.se:8443/a/"),
        ("https://www.example.se/a/#del-2", "https://www.example.se/a/"),
        ("https://www.example.se/a/?utm=1", "https://www.example.se/a/"),
        ("https://www.example.se", "https://www.example.se/"),
        ("https://www.example.se/vård", "https://www.example.se/v%C3%A5rd/"),
        ("https://www.example.se/v%c3%a5rd/", "https://www.example.se/v%C3%A5rd/"),
        ("https://www.example.se/%7Eola/%41", "https://www.example.se/~ola/A/"),
        ("https://www.example.se/a/./b/../c", "https://www.example.se/a/c/"),
        ("https://www.example.se/blankett.pdf", "https://www.example.se/blankett.pdf"),
        ("  https://www.example.se/a/  ", "https://www.example.se/a/"),
        ("https://www.example.se/100%", "https://www.example.se/100%25/"),
    ],
)
def test_normalisation(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


def test_trailing_slash_rules_and_kept_query() -> None:
    assert normalize_url("https://e.se/a/", trailing_slash="strip") == "https://e.se/a"
    assert normalize_url("https://e.se/", trailing_slash="strip") == "https://e.se/"
    assert normalize_url("https://e.se/a", trailing_slash="keep") == "https://e.se/a"
    assert normalize_url("https://e.se/a/", trailing_slash="keep") == "https://e.se/a/"
    kept = normalize_url("https://e.se/sok?q=v%c3%a5rd&x=%41#f", keep_query=True)
    assert kept == "https://e.se/sok/?q=v%C3%A5rd&x=A"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "javascript:alert(1)",
        "/relative/path",
        "ftp://www.example.se/a",
        "https://user:pw@www.example.se/",
        "https://www.example.se:99999/",
        "https://www.example.se/a b",
        "https://www.example.se/" + "a" * 2001,
    ],
)
def test_bad_urls_are_400(raw: str) -> None:
    with pytest.raises(ServiceError) as error:
        normalize_url(raw)
    assert (error.value.status, error.value.code) == (400, "bad_url")


def test_allow_list(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(TTS_ALLOWED_ORIGINS="https://www.regionstockholm.se", TTS_DEMO="0")
    assert check_page_url("https://WWW.regionstockholm.se/a", settings).endswith("/a/")
    for url in (
        "http://www.regionstockholm.se/a",  # other scheme is another origin
        "https://regionstockholm.se/a",
        "https://www.regionstockholm.se.evil.com/a",
        "https://www.regionstockholm.se:8443/a",
    ):
        with pytest.raises(ServiceError) as error:
            check_page_url(url, settings)
        assert (error.value.status, error.value.code) == (403, "page_not_allowed")


def test_sections_are_bounded_labels() -> None:
    sections = Sections.parse(["vard", "Kultur=/kultur-och-fritid", "akut=/vard/akut"])
    assert sections.names == ("Kultur", "akut", "vard", "other")
    assert sections.label("https://e.se/vard/barn/") == "vard"
    assert sections.label("https://e.se/vard/akut/x/") == "akut"  # longest prefix wins
    assert sections.label("https://e.se/kultur-och-fritid/") == "Kultur"
    assert sections.label("https://e.se/kultur-och-fritidsgard/") == "other"
    assert sections.label("https://e.se/om-oss/") == "other"
    assert sections.group("https://e.se/om-oss/") == "other"
    unconfigured = Sections.parse([])
    assert unconfigured.label("https://e.se/om-oss/") == "other"
    assert unconfigured.group("https://e.se/om-oss/a/") == "om-oss"
    assert unconfigured.group("https://e.se/") == "/"
    assert unconfigured.group("https://e.se/v%C3%A5rd/") == "vård"
