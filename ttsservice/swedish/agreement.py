"""Agreement: which form an adjective takes before the noun that follows it.

An abbreviation that stands for an adjective or participle ("s.k.", "ev.", "tillf.") is said
in the form its noun asks for: "en så kallad karenstid", "ett så kallat bostadstillägg", "så
kallade miljözoner", "det så kallade frikortet". Without a dictionary the noun's form is
read from what surrounds it, most reliable first:

1. the word before: an article, pronoun or number decides ("en", "ett", "det", "de",
   "dessa", "två", a genitive "kommunens");
2. an adjective between the abbreviation and its noun shows the form in its ending
   ("ekonomiskt bistånd", "kompletterande uppgifter" skips to the noun);
3. the noun itself: plural and definite endings ("-or", "-ar", "-er", "-na", "-et"), the
   gender of its last part ("bostads|tillägg": ett), as numbers use it ("ett år").

Where the word after is no noun (a verb, "att", a participle: "ev. att", "tillf. stängt"),
the abbreviation is an adverb and takes the ett-form ("eventuellt", "tillfälligt").
Unknown nouns are en-words, the larger class.
"""

from __future__ import annotations

import re
from typing import Literal

from ttsservice.swedish import tables as tb

__all__ = ["Form", "form_between", "neuter"]

Form = Literal["en", "ett", "plural", "adverb", "alone"]
"""Which form: before an en-word, an ett-word, a plural or definite noun, as an adverb (before
a verb, "att", a participle), or alone (nothing follows)."""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EN_BEFORE = _words("en någon ingen varje varenda vilken annan sådan en annan")
_ETT_BEFORE = _words("ett något inget vart vartenda vilket annat sådant")
_WEAK_BEFORE = _words(
    """den det de denna detta dessa min mitt mina din ditt dina sin sitt sina vår vårt våra
    er ert era hans hennes deras dess alla flera några många inga båda bägge samtliga
    övriga andra två tre fyra fem sex sju åtta nio tio tolv hundra tusen olika vissa
    somliga fler färre nämnda ovannämnda"""
)
_NOT_NOUNS = _words(
    """att inte och eller men som om för på i av till med från hos vid under över efter
    före utan mot genom mellan så då när där också även redan bara endast mycket mer
    kan kunna ska skall kommer måste behöver bör får fick vill blir blev är var vara
    har hade finns fanns gäller gällde sker skedde tillkommer ingår ändras
    stängd stängt stängda öppen öppet öppna inställd inställt inställda flyttad flyttat
    flyttade avstängd avstängt avstängda ändrad ändrat ändrade begränsad begränsat
    begränsade nedlagd nedlagt ledig ledigt lediga"""
)
_NEUTER_LAST_PARTS = frozenset(
    tb.NEUTER_NOUNS
    | _words(
        """tillägg stöd bistånd bidrag beslut intyg kort boende ärende avtal tillstånd besök
    medlemskap konto underlag förslag yttrande protokoll sammanträde möte råd organ
    utskott arbete ansvar uppdrag projekt program schema system material innehåll
    resultat mål syfte område centrum fält stadium behov problem ämne skäl krav villkor
    belopp pris arvode bolag företag förbund samhälle hem läge fall val ord svar namn
    nummer datum dokument formulär recept pass kvitto utlåtande uttalande kapitel
    avsnitt stycke moment tema evenemang seminarium museum bibliotek galleri sjukhus
    kontor torg kvarter land län landsting universitet gymnasium institut departement
    verk parti barn folk djur liv hjärta öga öra blod huvud tillfälle ögonblick år
    halvår kvartal dygn skede steg försök test prov betyg bevis tillträde inträde
    avdrag anslag lån lager paket brev meddelande avgörande ingripande omhändertagande
    bemötande skydd hjälpmedel medel redskap verktyg fordon tåg flyg fartyg hinder
    läger fönster ljus ljud väder vatten avlopp nät bredband kök rum hus bad lag
    fritidshem äldreboende gruppboende serviceboende korttidsboende vårdboende
    parkeringstillstånd ombud bygglov lov tak golv kansli register regemente
    samråd samarbete arrangemang engagemang åtagande uppehållstillstånd
    medborgarskap bostadstillägg kontrakt hyreskontrakt larm sätt värde ställe intresse
    inflytande deltagande underhåll ägande brott straff våld missbruk beroende hot
    slag avslag förslag servicehus hyreshus flerbostadshus radhus kollektiv nätverk
    kapital tillskott stipendium lotteri bageri apotek kafé café sjukintyg läkarintyg
    postnummer personnummer id-kort körkort gym bad badhus torg konto lösenord
    inlägg svar nyhetsbrev e-postmeddelande samtal telefonsamtal besked utlåtande
    tandvårdsstöd bostadsbidrag barnbidrag underhållsstöd försörjningsstöd
    ansvarsområde verksamhetsområde distrikt sjukdomsfall ämne språk kvitto recept
    tillstånd godkännande medgivande samtycke klagomål ärende överklagande
    utbildningsprogram schema läsår"""
    )
)
_SINGULAR_ER = _words(
    """nummer fönster semester syster dotter moster faster läger hinder teater meter liter
    center minister filter kvarter register parameter kilometer kammare vatten väder
    lager tiger ansvar cancer"""
)
_SINGULAR_AR_OR = _words(
    """sommar par altar hangar doktor professor motor sektor faktor lektor revisor dator
    major humor rektor direktor inspektor kurator moderator indikator operator traktor
    monitor ambassadör tumör"""
)
_ADJECTIVE_ENDINGS = (
    *("ig", "iga", "igt", "isk", "iska", "iskt", "ande", "ende", "ell", "ella", "ellt"),
    *("iv", "iva", "ivt", "ära", "ärt", "lös", "lösa", "löst", "sam", "samma", "samt"),
    *("bar", "bara", "bart", "ad", "ade", "at"),
)
_ADJECTIVES = _words(
    """ny nya nytt stor stora stort liten litet små egen eget egna hel hela helt annan
    annat andra övrig övriga övrigt fri fria fritt gammal gamla gammalt ung unga ungt viss
    vissa visst särskild särskilda särskilt enskild enskilda enskilt extra bra mindre
    större högre lägre äldre yngre längre kortare fler färre lokal lokala lokalt
    kommunal kommunala kommunalt regional regionala regionalt statlig statliga statligt
    digital digitala digitalt fysisk fysiska fysiskt akut akuta ordinarie"""
)
_INVARIANT_ADJECTIVES = _words("extra bra ordinarie")
_WORD = re.compile(r"[\"'”“«»(]*([A-ZÅÄÖÉÜa-zåäöéü][\wåäöéü-]*)")


def neuter(noun: str) -> bool:
    """Whether ``noun`` (indefinite singular, maybe a compound) is an ett-word."""
    w = noun.lower().rsplit("-", 1)[-1]
    if w in _NEUTER_LAST_PARTS or w.endswith(("ande", "ende", "eri", "um", "skap", "ment")):
        return True
    # a compound takes the gender of its last part: "bostads|tillägg", "aktivitets|stöd"
    return any(w.endswith(part) for part in _NEUTER_LAST_PARTS if len(part) >= 4)


def _noun_form(noun: str) -> Form:
    w = noun.lower().rsplit("-", 1)[-1]
    if any(w.endswith(s) for s in _SINGULAR_ER | _SINGULAR_AR_OR):
        return "ett" if neuter(w) else "en"
    if w.endswith(("arna", "erna", "orna", "na", "ena")) and len(w) > 4:
        return "plural"  # definite plural: "trygghetsvärdarna"
    if w.endswith(("ar", "or", "er")) and len(w) > 3:
        return "plural"
    if w.endswith(("et", "en")) and len(w) > 4 and not w.endswith(("het", "itet")):
        stem = w[:-2]
        if neuter(stem) or neuter(stem[:-1]) or neuter(stem + "e"):
            return "plural"  # definite: "frikortet", "ärendet"
        if w.endswith("anden"):
            return "plural"  # "ordföranden"
    return "ett" if neuter(w) else "en"


def form_between(before: str, after: str) -> Form:
    """The form for an adjective between ``before`` and ``after`` (text on either side)."""
    prev = re.findall(r"[\wåäöéü]+", before[-40:])
    last = prev[-1].lower() if prev else ""
    words = [m.group(1) for m in _WORD.finditer(after[:80])][:3]
    if not words or not after[:1].isspace():
        return "alone"
    first = words[0].lower()
    if last in _EN_BEFORE:
        return "en"
    if last in _ETT_BEFORE:
        return "ett"
    if first in _NOT_NOUNS:
        return "adverb"
    if last in _WEAK_BEFORE or last.endswith(("ens", "ets", "arnas", "ernas", "ornas")):
        return "plural"
    if (
        len(words) >= 2
        and words[1][:1].islower()
        and words[1].lower() not in _NOT_NOUNS
        and (first in _ADJECTIVES or first.endswith(_ADJECTIVE_ENDINGS))
    ):
        # an adjective between shows the form in its ending: "ekonomiskt bistånd", "nya
        # regler"; one that does not inflect leaves it to the noun ("extra tjänster")
        if first.endswith("t") and not first.endswith(("ant", "ent")):
            return "ett"
        if first.endswith("a") and first not in _INVARIANT_ADJECTIVES:
            return "plural"
        return _noun_form(words[1])
    return _noun_form(first)
