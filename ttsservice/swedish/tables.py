"""Word lists the normaliser and the sentence splitter share.

Everything here is immutable (tuples, frozensets and read-only mappings).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "LETTER_NAMES",
    "MONTHS",
    "NEUTER_NOUNS",
    "SERVICE_NUMBERS",
    "SPELLED_ACRONYMS",
    "UNITS",
    "WEEKDAYS",
    "WORD_ACRONYMS",
]


def _ro(d: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(d)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


MONTHS: Mapping[str, str] = _ro(
    {
        "januari": "januari",
        "jan": "januari",
        "februari": "februari",
        "feb": "februari",
        "febr": "februari",
        "mars": "mars",
        "mar": "mars",
        "april": "april",
        "apr": "april",
        "maj": "maj",
        "juni": "juni",
        "jun": "juni",
        "juli": "juli",
        "jul": "juli",
        "augusti": "augusti",
        "aug": "augusti",
        "september": "september",
        "sep": "september",
        "sept": "september",
        "oktober": "oktober",
        "okt": "oktober",
        "november": "november",
        "nov": "november",
        "december": "december",
        "dec": "december",
    }
)
"""Month names and their abbreviations → the full name."""

MONTH_NAMES: tuple[str, ...] = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)

WEEKDAYS: Mapping[str, str] = _ro(
    {
        "mån": "måndag",
        "må": "måndag",
        "tis": "tisdag",
        "ti": "tisdag",
        "ons": "onsdag",
        "on": "onsdag",
        "tors": "torsdag",
        "tor": "torsdag",
        "to": "torsdag",
        "fre": "fredag",
        "fr": "fredag",
        "lör": "lördag",
        "lö": "lördag",
        "sön": "söndag",
        "sö": "söndag",
        "måndag": "måndag",
        "tisdag": "tisdag",
        "onsdag": "onsdag",
        "torsdag": "torsdag",
        "fredag": "fredag",
        "lördag": "lördag",
        "söndag": "söndag",
        "vardagar": "vardagar",
        "helgdagar": "helgdagar",
    }
)
"""Weekday abbreviations (as used in opening hours) → the full name."""

# (singular, plural, gender of the noun)
Unit = tuple[str, str, str]

UNITS: Mapping[str, Unit] = MappingProxyType(
    {
        "kr": ("krona", "kronor", "en"),
        "kr.": ("krona", "kronor", "en"),
        "kronor": ("krona", "kronor", "en"),
        "krona": ("krona", "kronor", "en"),
        "SEK": ("krona", "kronor", "en"),
        ":-": ("krona", "kronor", "en"),
        "öre": ("öre", "öre", "ett"),
        "tkr": ("tusen kronor", "tusen kronor", "ett"),
        "mkr": ("miljon kronor", "miljoner kronor", "en"),
        "Mkr": ("miljon kronor", "miljoner kronor", "en"),
        "mnkr": ("miljon kronor", "miljoner kronor", "en"),
        "MSEK": ("miljon kronor", "miljoner kronor", "en"),
        "mdkr": ("miljard kronor", "miljarder kronor", "en"),
        "mdr": ("miljard", "miljarder", "en"),
        "milj.": ("miljon", "miljoner", "en"),
        "milj": ("miljon", "miljoner", "en"),
        "€": ("euro", "euro", "en"),
        "EUR": ("euro", "euro", "en"),
        "euro": ("euro", "euro", "en"),
        "$": ("dollar", "dollar", "en"),
        "USD": ("dollar", "dollar", "en"),
        "£": ("pund", "pund", "ett"),
        "%": ("procent", "procent", "en"),
        "‰": ("promille", "promille", "en"),
        "km/h": ("kilometer i timmen", "kilometer i timmen", "en"),
        "m/s": ("meter per sekund", "meter per sekund", "en"),
        "km²": ("kvadratkilometer", "kvadratkilometer", "en"),
        "km2": ("kvadratkilometer", "kvadratkilometer", "en"),
        "m²": ("kvadratmeter", "kvadratmeter", "en"),
        "m2": ("kvadratmeter", "kvadratmeter", "en"),
        "kvm": ("kvadratmeter", "kvadratmeter", "en"),
        "m³": ("kubikmeter", "kubikmeter", "en"),
        "m3": ("kubikmeter", "kubikmeter", "en"),
        "km": ("kilometer", "kilometer", "en"),
        "mil": ("mil", "mil", "en"),
        "m": ("meter", "meter", "en"),
        "dm": ("decimeter", "decimeter", "en"),
        "cm": ("centimeter", "centimeter", "en"),
        "mm": ("millimeter", "millimeter", "en"),
        "kg": ("kilo", "kilo", "ett"),
        "hg": ("hekto", "hekto", "ett"),
        "g": ("gram", "gram", "ett"),
        "mg": ("milligram", "milligram", "ett"),
        "µg": ("mikrogram", "mikrogram", "ett"),
        "l": ("liter", "liter", "en"),
        "dl": ("deciliter", "deciliter", "en"),
        "cl": ("centiliter", "centiliter", "en"),
        "ml": ("milliliter", "milliliter", "en"),
        "°C": ("grad", "grader", "en"),
        "° C": ("grad", "grader", "en"),
        "°": ("grad", "grader", "en"),
        "grader": ("grad", "grader", "en"),
        "h": ("timme", "timmar", "en"),
        "tim": ("timme", "timmar", "en"),
        "tim.": ("timme", "timmar", "en"),
        "min": ("minut", "minuter", "en"),
        "min.": ("minut", "minuter", "en"),
        "sek": ("sekund", "sekunder", "en"),
        "sek.": ("sekund", "sekunder", "en"),
        "s": ("sekund", "sekunder", "en"),
        "mån": ("månad", "månader", "en"),
        "mån.": ("månad", "månader", "en"),
        "mnd": ("månad", "månader", "en"),
        "st": ("styck", "stycken", "ett"),
        "st.": ("styck", "stycken", "ett"),
        "pers.": ("person", "personer", "en"),
        "v.": ("vecka", "veckor", "en"),
        "proc.": ("procent", "procent", "en"),
        "tr": ("trappa", "trappor", "en"),
        "tr.": ("trappa", "trappor", "en"),
        "ggr": ("gång", "gånger", "en"),
        "ha": ("hektar", "hektar", "en"),
        "hp": ("högskolepoäng", "högskolepoäng", "ett"),
        "kWh": ("kilowattimme", "kilowattimmar", "en"),
        "MWh": ("megawattimme", "megawattimmar", "en"),
        "kW": ("kilowatt", "kilowatt", "en"),
        "MW": ("megawatt", "megawatt", "en"),
        "W": ("watt", "watt", "en"),
        "V": ("volt", "volt", "en"),
        "kcal": ("kilokalori", "kilokalorier", "en"),
        "dB": ("decibel", "decibel", "en"),
        "Hz": ("hertz", "hertz", "en"),
        "kB": ("kilobyte", "kilobyte", "en"),
        "MB": ("megabyte", "megabyte", "en"),
        "GB": ("gigabyte", "gigabyte", "en"),
        "TB": ("terabyte", "terabyte", "en"),
        "Mbit/s": ("megabit per sekund", "megabit per sekund", "en"),
        "§": ("paragraf", "paragrafer", "en"),
    }
)
"""Units and currencies written after a number → (singular, plural, noun gender)."""

PREFIX_CURRENCIES: Mapping[str, str] = _ro({"€": "€", "$": "$", "£": "£", "SEK": "SEK"})

NEUTER_NOUNS: frozenset[str] = frozenset(
    _words(
        """år barn bibliotek kilo gram hekto hus rum ärende land län möte tillfälle exemplar
    nummer ord steg svar besök jobb lån mål kort dygn kvartal halvår program projekt avsnitt
    kapitel fall tal pris beslut förslag alternativ företag område kontor sjukhus team
    seminarium semester-dag stycke styck öre pund kvarter lag sekel decennium århundrade
    årtionde exempel procent-enheter par dussin objekt konto ärenden fönster lopp varv
    e-postmeddelande meddelande brev paket ställe ögonblick liv folk träd djur äpple ägg
    körkort recept intyg dokument formulär avtal möten tillstånd bidrag stipendium
    arbete uppdrag evenemang event tåg plan bord rum kök badrum kapitel stadium"""
    )
)
"""Neuter nouns common in public text: "ett år", "tjugoett barn"."""

FUNCTION_WORDS: frozenset[str] = frozenset(
    _words(
        """och eller till av i på om för med att som men samt från under över efter före
    inom utan mot vid hos per eller än där när då så den det de är var blir blev kan
    ska skall får har hade av ur the and or to of"""
    )
)
"""Words after which a number is counted, not a quantity of that word ("1 och 2")."""

YEAR_BEFORE: frozenset[str] = frozenset(
    _words(
        """år året åren sedan sen från till i under inför efter före mellan våren hösten
    sommaren vintern vår höst sommar vinter början slutet mitten om fram med och per
    budgetåret verksamhetsåret läsåret januari februari mars april maj juni juli
    augusti september oktober november december född födda född grundad grundades
    byggd byggdes invigd invigdes startade startad version upplaga utgåva"""
    )
)
"""Words before which a four-digit number reads as a year ("våren 2022")."""

COUNT_NOUNS: frozenset[str] = frozenset(
    _words(
        """år personer människor invånare barn kronor dagar timmar minuter sekunder veckor
    månader gånger platser böcker bibliotek besökare medlemmar anställda elever
    patienter exemplar sidor meter kilometer kilo liter stycken deltagare lån
    ansökningar ärenden tillfällen kommuner"""
    )
)
"""Plural nouns after which a four-digit number is a quantity, not a year ("2000 personer")."""

SERVICE_NUMBERS: Mapping[str, str] = _ro(
    {
        "112": "ett ett två",
        "1177": "elva sjuttiosju",
        "114 14": "ett ett fyra fjorton",
        "11414": "ett ett fyra fjorton",
        "113 13": "ett ett tre tretton",
        "11313": "ett ett tre tretton",
        "116 111": "ett ett sex ett ett ett",
        "116 006": "ett ett sex noll noll sex",
        "118 118": "ett ett åtta ett ett åtta",
        "90 200": "nittio tvåhundra",
        "020-91 91 91": "noll två noll, nittioett, nittioett, nittioett",
    }
)
"""Emergency and public service numbers, as people say them."""

LETTER_NAMES: Mapping[str, str] = _ro(
    {
        "A": "a",
        "B": "be",
        "C": "se",
        "D": "dé",
        "E": "e",
        "F": "eff",
        "G": "gé",
        "H": "hå",
        "I": "i",
        "J": "ji",
        "K": "kå",
        "L": "ell",
        "M": "emm",
        "N": "enn",
        "O": "o",
        "P": "pe",
        "Q": "ku",
        "R": "ärr",
        "S": "ess",
        "T": "te",
        "U": "u",
        "V": "ve",
        "W": "dubbelvé",
        "X": "eks",
        "Y": "y",
        "Z": "säta",
        "Å": "å",
        "Ä": "ä",
        "Ö": "ö",
        "É": "e",
    }
)
"""Swedish names of the letters, for acronyms spelled out."""

SPELLED_ACRONYMS: frozenset[str] = frozenset(
    _words(
        """BVC MVC SL MIK EU FN SVT SR UR KTH SCB SKR MSB CSN SMHI HBTQ AI IT PDF URL SMS
    ID KBT ADHD LSS HVB LVU LVM GDPR USA KB IKT VGR TV DN SVD SJ VD HR BUP RS SOS
    ABF SFI MC UD JO KI SU SOU EES MR AF AB HB SEK EUR USD IVO PFAS BNP
    AKU SFS OECD WHO LO TCO CV FAQ SÖ NT NK PT AT ST"""
    )
)
"""Acronyms read letter by letter (when the site lexicon does not say otherwise)."""

WORD_ACRONYMS: Mapping[str, str] = _ro(
    {
        "NATO": "nato",
        "UNESCO": "unesco",
        "UNICEF": "unicef",
        "SIDA": "sida",
        "IKEA": "ikea",
        "SÄPO": "säpo",
        "SAS": "sass",
        "ALMI": "almi",
        "COVID": "covid",
        "AIDS": "aids",
        "JAS": "jass",
        "ROT": "rot",
        "RUT": "rut",
        "SISU": "sisu",
        "SIPRI": "sipri",
    }
)
"""Acronyms read as words, with the spoken form."""

CAPS_WORDS: frozenset[str] = frozenset(
    _words(
        """OCH I PÅ OM OSS FÖR MED ATT EN ETT AV TILL DET DEN DE VI DU ÄR SOM INTE NU NY NYA
    MER HÄR JA NEJ ALLA VAD HUR VEM NÄR VAR LÄS SE MIN DIN VÅR ERA TA GÅ BO"""
    )
)
"""Short Swedish words that are words even in capitals (headings in upper case)."""

TLD_NAMES: Mapping[str, str] = _ro(
    {
        "se": "ess e",
        "nu": "nu",
        "com": "komm",
        "org": "org",
        "net": "nett",
        "eu": "e u",
        "info": "info",
        "io": "i o",
        "gov": "gov",
        "edu": "edu",
    }
)
"""How the end of a web address is said (".se" → "punkt ess e")."""
