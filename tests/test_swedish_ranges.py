"""A range written before a compound is read as a range; plain ranges stay as they were."""

from __future__ import annotations

import pytest

from ttsservice.swedish import Normalizer

NORMALIZER = Normalizer()


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("3–5-rumslägenheter", "tre till femrumslägenheter"),
        ("3-5-rumslägenheter", "tre till femrumslägenheter"),
        ("3 – 5-rumslägenheter", "tre till femrumslägenheter"),
        ("3—5-rumslägenheter", "tre till femrumslägenheter"),
        ("Gruppen är för 2–3-åringar.", "Gruppen är för två till treåringar."),
        ("10–12-timmarspass", "tio till tolvtimmarspass"),
        ("1–2-plansvillor", "en till tvåplansvillor"),
        ("1–2-rumslägenheter", "en till tvårumslägenheter"),
        ("1–6-åringar", "ett till sexåringar"),
        ("16–18-åringar", "sexton till artonåringar"),
        ("6–8-veckorsvikarier", "sex till åttaveckorsvikarier"),
        ("2 – 4-rummare", "två till fyrarummare"),
        ("1-rumslägenhet", "enrumslägenhet"),
        ("3-rumslägenhet", "trerumslägenhet"),
        # plain ranges, as before
        ("kl. 9–17", "klockan nio till sjutton"),
        ("s. 12–15", "sidan tolv till femton"),
        ("2020–2024", "tjugotjugo till tjugotjugofyra"),
        ("10–20 %", "tio till tjugo procent"),
        ("Boendet har 20–25 platser.", "Boendet har tjugo till tjugofem platser."),
        ("Resultatet blev 3–1.", "Resultatet blev tre ett."),
    ],
)
def test_ranges(written: str, spoken: str) -> None:
    assert NORMALIZER.normalize(written) == spoken
