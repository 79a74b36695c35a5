"""Abbreviated adjectives agree with their noun: en-word, ett-word, plural, definite; or adverb."""

from __future__ import annotations

import pytest

from ttsservice.swedish import Normalizer
from ttsservice.swedish.agreement import form_between, neuter

NORMALIZER = Normalizer()


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        # the word before decides
        ("en s.k. karenstid", "en så kallad karenstid"),
        ("Vi har en s.k. öppen förskola.", "Vi har en så kallad öppen förskola."),
        ("ett s.k. bostadstillägg", "ett så kallat bostadstillägg"),
        ("De s.k. trygghetsvärdarna", "De så kallade trygghetsvärdarna"),
        ("Det s.k. frikortet gäller", "Det så kallade frikortet gäller"),
        ("kommunens s.k. boendeplan", "kommunens så kallade boendeplan"),
        ("Den nuv. ordföranden", "Den nuvarande ordföranden"),
        # the noun decides: its ending, the gender of its last part
        ("Sök s.k. aktivitetsstöd", "Sök så kallat aktivitetsstöd"),
        ("rätt till s.k. modersmålsundervisning", "rätt till så kallad modersmålsundervisning"),
        ("Kommunen inför s.k. miljözoner", "Kommunen inför så kallade miljözoner"),
        ("Ev. frågor besvaras", "Eventuella frågor besvaras"),
        ("Ev. avgift faktureras", "Eventuell avgift faktureras"),
        ("Ev. beslut skickas", "Eventuellt beslut skickas"),
        ("Meddela oss ev. ändringar", "Meddela oss eventuella ändringar"),
        ("i en tillf. lokal", "i en tillfällig lokal"),
        ("Skolan har tillf. lokaler", "Skolan har tillfälliga lokaler"),
        ("av leg. sjuksköterskor", "av legitimerade sjuksköterskor"),
        ("leg. psykolog Anna Lind", "legitimerad psykolog Anna Lind"),
        ("Kontakta ansv. handläggare", "Kontakta ansvarig handläggare"),
        ("överklagas till allm. förvaltningsdomstol", "överklagas till allmän förvaltningsdomstol"),
        ("ett gem. kök", "ett gemensamt kök"),
        ("en särsk. mottagning", "en särskild mottagning"),
        ("behov av särsk. stöd", "behov av särskilt stöd"),
        # an adjective between shows the form
        ("Ansök om s.k. ekonomiskt bistånd", "Ansök om så kallat ekonomiskt bistånd"),
        (
            "Vi behöver ev. kompletterande uppgifter",
            "Vi behöver eventuella kompletterande uppgifter",
        ),
        ("s.k. särskilda boenden", "så kallade särskilda boenden"),
        ("för ev. extra tjänster", "för eventuella extra tjänster"),
        ("ev. nya regler", "eventuella nya regler"),
        ("om s.k. personlig assistans", "om så kallad personlig assistans"),
        ("Kommunen erbjuder s.k. trygghetslarm.", "Kommunen erbjuder så kallat trygghetslarm."),
        # no noun after it: an adverb, or the word alone
        ("Vi kommer ev. att flytta", "Vi kommer eventuellt att flytta"),
        ("Biblioteket är tillf. stängt", "Biblioteket är tillfälligt stängt"),
        ("tillf. stängd", "tillfälligt stängd"),
        ("s.k.", "så kallad"),
        ("ev.", "eventuellt"),
        # words that do not inflect
        ("Han är f.d. rektor", "Han är före detta rektor"),
        ("kvinnor resp. män", "kvinnor respektive män"),
        ("en tf. rektor", "en tillförordnad rektor"),
    ],
)
def test_agreement(written: str, spoken: str) -> None:
    assert NORMALIZER.normalize(written) == spoken


def test_form_between() -> None:
    assert form_between("Du söker ett", " bidrag") == "ett"
    assert form_between("", " ändringar i tid") == "plural"
    assert form_between("", " att") == "adverb"
    assert form_between("", ".") == "alone"
    assert form_between("", " okändord") == "en"  # unknown nouns: the larger class


@pytest.mark.parametrize(
    ("noun", "is_neuter"),
    [
        ("bidrag", True),
        ("bostadstillägg", True),
        ("aktivitetsstöd", True),
        ("äldreboende", True),
        ("sjukhus", True),
        ("avgift", False),
        ("karenstid", False),
        ("färdtjänst", False),
        ("mottagning", False),
        ("LSS-boende", True),
    ],
)
def test_gender_of_compounds_is_their_last_part(noun: str, is_neuter: bool) -> None:
    assert neuter(noun) is is_neuter
