"""Personal data is replaced before storage; numbers failing the checksum are kept."""

from __future__ import annotations

import pytest

from feedback.scrub import clean_comment, luhn_ok, scrub


@pytest.mark.parametrize(
    "number",
    [
        "19811218-9876",  # 12 digits with separator
        "198112189876",  # 12 digits without
        "811218-9876",  # 10 digits with
        "8112189876",  # 10 digits without
        "811218+9876",  # over 100 years old: plus sign
        "20051218 2387",  # 2000s, space separator
    ],
)
def test_personnummer_with_valid_checksum_is_replaced(number: str) -> None:
    result = scrub(f"Mitt personnummer är {number}, hjälp!")
    assert result.text == "Mitt personnummer är [personnummer], hjälp!"
    assert result.kinds == ("personnummer",)


@pytest.mark.parametrize("number", ["701063-2391", "197010632391", "7010632391"])
def test_samordningsnummer_with_valid_checksum_is_replaced(number: str) -> None:
    result = scrub(f"samordningsnummer {number}")
    assert result.text == "samordningsnummer [samordningsnummer]"
    assert result.kinds == ("samordningsnummer",)


@pytest.mark.parametrize(
    "number",
    [
        "19811218-9875",  # checksum fails
        "811218-9875",
        "701063-2392",  # coordination number, checksum fails
        "19811318-9876",  # month 13
        "8112189875",
    ],
)
def test_numbers_failing_the_checks_are_not_scrubbed(number: str) -> None:
    text = f"Ärendenummer {number} gäller"
    result = scrub(text)
    assert result.text == text
    assert result.kinds == ()


def test_luhn() -> None:
    assert luhn_ok("8112189876") and not luhn_ok("8112189875")
    assert luhn_ok("7010632391")


@pytest.mark.parametrize(
    "address",
    ["asa.svensson@example.se", "Ola+tips@region-stockholm.se", "åsa@sub.domän.se"],
)
def test_email_addresses_are_replaced(address: str) -> None:
    result = scrub(f"Skriv till {address} tack")
    assert result.text == "Skriv till [e-post] tack"
    assert result.kinds == ("email",)


@pytest.mark.parametrize(
    "phone",
    [
        "070-123 45 67",
        "0701234567",
        "08-123 456 78",
        "08 123 45 67",
        "+46 70 123 45 67",
        "+46701234567",
        "0046 8 123 456 78",
        "0771-11 11 11",
    ],
)
def test_phone_numbers_are_replaced(phone: str) -> None:
    result = scrub(f"Ring {phone} efter kl. 16")
    assert result.text == "Ring [telefon] efter kl. 16"
    assert result.kinds == ("phone",)


@pytest.mark.parametrize(
    "text",
    [
        "Öppet kl. 08.00-17.00 vardagar",
        "Gäller 2020-2023 och 2024",
        "Plan 3, rum 12",
        "Ring 1177 om du behöver råd",
        "Kostar 1 200 kronor, ordernummer 123456789",
        "Se sidan 45 i broschyren från 2019-05-12",
    ],
)
def test_ordinary_numbers_are_kept(text: str) -> None:
    assert scrub(text).text == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jag bor på Storgatan 12B i stan", "Jag bor på [adress] i stan"),
        ("adress: Sveavägen 44 lgh 1102", "adress: [adress]"),
        ("Hornsgatan 1", "[adress]"),
        ("Box, 114 52 Stockholm", "Box, [postnummer] Stockholm"),
        ("SE-11452 Stockholm", "[postnummer] Stockholm"),
    ],
)
def test_street_addresses_and_postcodes_are_replaced(text: str, expected: str) -> None:
    assert scrub(text).text == expected


def test_several_kinds_at_once_are_all_reported() -> None:
    result = scrub("Åsa 811218-9876, asa@example.se, 070-123 45 67, Storgatan 1")
    assert result.text == "Åsa [personnummer], [e-post], [telefon], [adress]"
    assert result.kinds == ("address", "email", "personnummer", "phone")
    assert result.changed


def test_clean_comment_removes_controls_keeps_line_breaks_and_trims() -> None:
    raw = "  Hej\u0000 där\u202e!\r\nNy rad\tmed tabb\u200b \n"
    assert clean_comment(raw) == "Hej där!\nNy rad med tabb"
    assert clean_comment("e\u0301") == "é"  # NFC
