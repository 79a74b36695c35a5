"""The Swedish abbreviations the normaliser expands: the reference list, as data.

The list follows Språkrådet's list of common abbreviations (Svenska skrivregler, and
"Förkortningar" in Språkrådets frågelåda), with the titles, public-sector and law-text
abbreviations that Swedish public sites use. Each entry is written once, in its standard
dotted form; :func:`spellings` makes every other spelling people use: without the final
dot ("fr.o.m"), with spaces ("t. ex."), without dots ("t ex", when the letters cannot be
taken for a word), and capitalised at the start of a sentence ("Enl.", "T.ex.").

Flags of an entry:

- ``F`` the abbreviation may end a sentence (a noun: "… och sekr."); without it the dot
  never ends one ("enl.", "t.ex.");
- ``B`` also written without dots ("enl", "inkl", "t ex");
- ``W`` its letters are also a word ("bil", "el", "ung", "red"): expanded only where the
  word cannot be meant: inside a sentence, before a number, or standing alone; never at the
  end of a sentence ("Vi tog en bil.");
- ``N`` only before a number ("bet. 2023/24:SoU5", "åk 7", and "åk F–9"); ``Y`` only before
  a year ("f. 1594", "d. 1718": "d. 5 maj" may be "den");
- ``A`` an adjective or participle, spoken in three forms that agree with the noun after it:
  ``en-word|ett-word|plural or definite[|alone]`` ("så kallad|så kallat|så kallade");
- ``T`` a title before a name ("fil.dr Karin Berg").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "ABBREVIATIONS",
    "NON_FINAL_ABBREVIATIONS",
    "SPELLINGS",
    "Abbreviation",
    "spellings",
]


@dataclass(frozen=True, slots=True)
class Abbreviation:
    """One entry of the reference list."""

    forms: tuple[str, ...]
    """The standard written forms ("t.ex.", "dvs."); other spellings are derived."""
    spoken: str
    """What is said; for an adjective the en-word form."""
    flags: str = ""
    """Letters F, B, W, N, A, T (see the module's docstring)."""
    inflected: tuple[str, str, str, str] | None = None
    """An adjective's forms: before an en-word, an ett-word, a plural or definite noun, and
    with no word after it at all (the dictionary form, or the adverb: "ev." → "eventuellt")."""
    before_number: str | None = None
    """What is said instead when a number follows ("dir. 2022:45" → "direktiv")."""


def _entry(
    forms: str, spoken: str, flags: str = "", before_number: str | None = None
) -> Abbreviation:
    inflected = None
    if "A" in flags:
        en, ett, plural, *alone = spoken.split("|")
        inflected = (en, ett, plural, alone[0] if alone else en)
        spoken = en
    return Abbreviation(tuple(forms.split("  ")), spoken, flags, inflected, before_number)


# Written forms are separated by two spaces (a form may hold one: "i st.f.").
_LIST: tuple[tuple[str, ...], ...] = (
    # --- Språkrådet's common abbreviations ------------------------------------------
    ("adr.", "adress", "F"),
    ("anm.", "anmärkning", "FB"),
    ("ang.", "angående", "B"),
    ("avd.", "avdelning"),
    ("avs.", "avsändare", "F"),
    ("bil.", "bilaga", "FW"),
    ("bl.a.", "bland annat", "B"),
    ("ca  ca.  c:a", "cirka"),
    ("d.v.s.  dvs.  dvs", "det vill säga", "B"),
    ("d.ä.", "den äldre", "F"),
    ("d.y.", "den yngre", "F"),
    ("dyl.", "dylikt", "F"),
    ("e.d.", "eller dylikt", "FB"),
    ("e.Kr.", "efter Kristus", "FB"),
    ("e.m.", "eftermiddagen", "F"),
    ("e.o.", "extra ordinarie"),
    ("el.", "eller", "W"),
    ("enl.", "enligt", "B"),
    ("etc.", "etcetera", "FB"),
    ("ev.", "eventuell|eventuellt|eventuella|eventuellt", "AB"),
    ("exkl.", "exklusive", "B"),
    ("f.d.  fd", "före detta", "B"),
    ("f.Kr.", "före Kristus", "FB"),
    ("f.m.", "förmiddagen", "F"),
    ("f.n.", "för närvarande", "FB"),
    ("f.ö.  fö.", "för övrigt"),
    ("ff.", "och följande", "F"),
    ("fig.", "figur", "F"),
    ("forts.", "fortsättning", "FB"),
    ("fr.a.  ffa", "framför allt", "B"),
    ("fr.o.m.", "från och med", "B"),
    ("följ.", "följande"),
    ("förf.", "författare", "F"),
    ("g.m.", "gift med"),
    ("i st.f.  istf.  istf", "i stället för"),
    ("inkl.", "inklusive", "B"),
    ("jfr  jfr.  jmf.  jmf  jmfr", "jämför"),
    ("kap.", "kapitel"),
    ("kl.", "klockan"),
    ("m.a.o.  mao", "med andra ord"),
    ("i o f s  iofs", "i och för sig"),
    ("m.v.h.  mvh  Mvh  MVH", "med vänliga hälsningar", "F"),
    ("m.fl.  mfl.  mfl", "med flera", "FB"),
    ("m.h.a.  mha", "med hjälp av"),
    ("m.h.t.  mht", "med hänsyn till"),
    ("m.m.  mm", "med mera", "FB"),
    ("mom.", "moment"),
    ("N.B.  NB", "nota bene"),
    ("nr.", "nummer"),
    ("o.a.", "och andra", "F"),
    ("o.d.  o.dyl.", "och dylikt", "FB"),
    ("o.s.a.  OSA", "om svar anhålles", "F"),
    ("o.s.v.  osv.  osv", "och så vidare", "FB"),
    ("obs.  obs!  OBS!  OBS", "observera", "B"),
    ("omkr.", "omkring"),
    ("p.g.a.  pga.  pga", "på grund av", "B"),
    ("p.s.s.", "på samma sätt"),
    ("resp.", "respektive", "B"),
    ("s.a.s.", "så att säga", "F"),
    ("s.k.  sk", "så kallad|så kallat|så kallade", "AB"),
    ("s.u.", "svar utbedes", "F"),
    ("sid.", "sidan"),
    ("t.ex.  tex", "till exempel", "B"),
    ("t.h.", "till höger", "F"),
    ("t.o.m.", "till och med", "B"),
    ("t.v.", "tills vidare", "F"),
    ("tel.  tfn.  tfn", "telefon", "B"),
    ("u.a.", "utan anmärkning", "F"),
    ("ung.", "ungefär", "W"),
    ("uppl.", "upplaga", "F"),
    ("utg.", "utgiven"),
    ("v.g.v.", "var god vänd", "F"),
    ("vard.", "vardagar", "F"),
    ("vol.", "volym"),
    ("vs.  vs", "mot"),
    ("äv.", "även"),
    ("ö.h.", "över havet", "FB"),
    ("m.ö.h.", "meter över havet", "F"),
    ("f.v.b.  fvb", "för vidare befordran", "F"),
    ("ex.", "exempel"),
    ("alt.", "alternativt", "W"),
    ("tab.", "tabell", "F"),
    ("uppg.", "uppgift", "F"),
    ("ekon.", "ekonomi"),
    ("mob.", "mobil", "F"),
    ("pers.", "personer", "F"),
    ("proc.", "procent", "F"),
    ("max.", "max"),
    ("c/o", "care of"),
    ("ggr", "gånger", "F"),
    ("ngn", "någon"),
    ("ngt", "något"),
    ("ngr", "några"),
    ("lgh  lgh.", "lägenhet", "F"),
    ("vån.", "våning", "F"),
    ("kv.", "kvarteret", "", "kvartal"),
    ("r.o.k.  rok", "rum och kök", "F"),
    ("åk.", "årskurs"),
    ("åk", "årskurs", "N"),  # "Åk till Stockholm!" is a verb: only "åk 7", "åk F–9"
    ("VT", "vårterminen"),
    ("HT", "höstterminen"),
    ("S:t", "Sankt"),
    ("S:ta", "Sankta"),
    ("Sthlm  sthlm", "Stockholm", "F"),
    ("Gbg  gbg", "Göteborg", "F"),
    ("Kungl.", "Kungliga"),
    # --- adjectives and participles (they agree with their noun) ---------------------
    ("allm.", "allmän|allmänt|allmänna", "A"),
    ("ansv.", "ansvarig|ansvarigt|ansvariga", "A"),
    ("auktor.", "auktoriserad|auktoriserat|auktoriserade", "A"),
    ("beh.", "behörig|behörigt|behöriga", "A"),
    ("fullst.", "fullständig|fullständigt|fullständiga", "A"),
    ("gem.", "gemensam|gemensamt|gemensamma", "A"),
    ("godk.", "godkänd|godkänt|godkända", "A"),
    ("obl.", "obligatorisk|obligatoriskt|obligatoriska", "A"),
    ("offentl.", "offentlig|offentligt|offentliga", "A"),
    ("statl.", "statlig|statligt|statliga", "A"),
    ("särsk.", "särskild|särskilt|särskilda", "A"),
    ("tillf.", "tillfällig|tillfälligt|tillfälliga", "A"),
    ("internat.", "internationell|internationellt|internationella", "A"),
    ("bitr.", "biträdande"),
    ("föreg.", "föregående"),
    ("kompl.", "kompletterande"),
    ("motsv.", "motsvarande"),
    ("nuv.", "nuvarande"),
    ("ordin.", "ordinarie"),
    # --- titles and professions before a name ----------------------------------------
    ("dr  dr.  Dr.", "doktor", "T"),
    ("doc.", "docent", "T"),
    ("prof.  prof", "professor", "T"),
    ("prof. em.  prof.em.", "professor emeritus", "T"),
    ("fil.dr", "filosofie doktor", "FT"),
    ("fil.kand.", "filosofie kandidat", "FT"),
    ("fil.mag.", "filosofie magister", "FT"),
    ("fil.lic.", "filosofie licentiat", "FT"),
    ("med.dr", "medicine doktor", "FT"),
    ("med.kand.", "medicine kandidat", "FT"),
    ("odont.dr", "odontologie doktor", "FT"),
    ("jur.kand.", "juris kandidat", "FT"),
    ("jur.dr", "juris doktor", "FT"),
    ("tekn.dr", "teknologie doktor", "FT"),
    ("tekn.lic.", "teknologie licentiat", "FT"),
    ("ekon.dr", "ekonomie doktor", "FT"),
    ("teol.dr", "teologie doktor", "FT"),
    ("pol.mag.", "politices magister", "FT"),
    ("civ.ing.", "civilingenjör", "FT"),
    ("civ.ek.", "civilekonom", "FT"),
    ("kand.", "kandidat", "FT"),
    ("lic.", "licentiat", "FT"),
    ("ordf.", "ordförande", "BFT"),
    ("v.ordf.  vice ordf.", "vice ordförande", "FT"),
    ("sekr.", "sekreterare", "FT"),
    ("ledam.", "ledamot", "FT"),
    ("ers.", "ersättare", "FT"),
    ("handl.", "handläggare", "FT"),
    ("överl.", "överläkare", "FT"),
    ("läk.", "läkare", "FT"),
    ("leg.", "legitimerad|legitimerat|legitimerade", "AT"),
    ("tf.  t.f.", "tillförordnad|tillförordnat|tillförordnade", "ABT"),
    ("ssk", "sjuksköterska", "FT"),
    ("usk", "undersköterska", "FT"),
    ("hr.  hr", "herr", "T"),
    ("dir.", "direktör", "FT", "direktiv"),
    ("red.", "redaktör", "FW"),
    ("kapt.", "kapten", "FT"),
    ("ing.", "ingenjör", "FT"),
    # --- law texts and public records ------------------------------------------------
    ("prop.", "proposition", "F"),
    ("bet.", "betänkande", "N"),
    ("rskr.", "riksdagsskrivelse", "F"),
    ("dnr  Dnr", "diarienummer"),
    ("org.nr  org. nr  orgnr  org.nr.", "organisationsnummer"),
    ("tel.nr  telnr  tel.nr.", "telefonnummer"),
    ("reg.nr  regnr", "registreringsnummer"),
    ("pers.nr", "personnummer"),
    ("f.", "född", "NY"),
    ("d.", "död", "NY"),
)

ABBREVIATIONS: tuple[Abbreviation, ...] = tuple(_entry(*row) for row in _LIST)
"""The reference list, one entry per abbreviation."""


def _capitalised(form: str) -> str:
    return form[:1].upper() + form[1:]


def spellings(entry: Abbreviation) -> set[str]:
    """Every written form of ``entry``: dotted, without its last dot, spaced, dotless (``B``),
    each also capitalised."""
    out: set[str] = set()
    for form in entry.forms:
        out.add(form)
        if "." not in form or any(c in form for c in ": /!"):
            continue
        parts = [p for p in form.split(".") if p]
        final = "." if form.endswith(".") else ""
        if len(parts) >= 2:
            out.add(". ".join(parts) + final)  # "t. ex.", "fil. dr"
            out.add(form[:-1] if final else form + ".")  # "fr.o.m", "fil.dr."
        if "B" in entry.flags:
            out.add(" ".join(parts))  # "t ex", "enl"
    out |= {_capitalised(f) for f in out}
    return out


def _spelling_table() -> Mapping[str, Abbreviation]:
    table: dict[str, Abbreviation] = {}
    for entry in ABBREVIATIONS:
        for form in spellings(entry):
            table.setdefault(form, entry)
    return MappingProxyType(table)


SPELLINGS: Mapping[str, Abbreviation] = _spelling_table()
"""Every spelling → its entry."""

NON_FINAL_ABBREVIATIONS: frozenset[str] = frozenset(
    form.lower()
    for form, entry in SPELLINGS.items()
    if ("F" not in entry.flags or "T" in entry.flags)
    and "W" not in entry.flags
    and form.endswith(".")
) | frozenset(
    {
        "s.",
        "v.",
        "nr.",
        "mån.",
        "tis.",
        "ons.",
        "tors.",
        "fre.",
        "lör.",
        "sön.",
        "jan.",
        "feb.",
        "febr.",
        "apr.",
        "aug.",
        "sep.",
        "sept.",
        "okt.",
        "nov.",
        "dec.",
        "kv.",
        "mr.",
        "mrs.",
        "ms.",
        "e.g.",
        "i.e.",
        "no.",
        "vol.",
        "pp.",
        "p.",
        "dr.",
    }
)
"""Abbreviations after which a sentence never ends (lower case, with their final dot).

A title ends one only at the end of the text: before a capital it is followed by a name
("ordf. Eva Lund")."""

BEFORE_NUMBER_ABBREVIATIONS: frozenset[str] = frozenset(
    {"bil.", "kap.", "avd.", "vån.", "fig.", "tab.", "mom.", "bet.", "prop.", "dir.", "f.", "d."}
)
"""Abbreviations that stand before a number ("bil. 3"): no sentence ends between them."""
