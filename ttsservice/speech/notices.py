"""The spoken notice for a passage no voice here can read: "Här följer ett avsnitt på arabiska
som inte kan läsas upp."

The notice is in the reading's main language when that is Swedish or English,
else in Swedish (the portal's language). Language names are those the
portals' visitors and minority languages need most often; any other language
is "ett annat språk" / "another language".
"""

from __future__ import annotations

__all__ = ["NOTICE_LANGUAGES", "language_name", "notice_language", "unreadable_notice"]

NOTICE_LANGUAGES = ("sv", "en")
"""Languages a notice is written in."""

_NAMES: dict[str, tuple[str, str]] = {
    "am": ("amhariska", "Amharic"),
    "ar": ("arabiska", "Arabic"),
    "bg": ("bulgariska", "Bulgarian"),
    "bn": ("bengali", "Bengali"),
    "bs": ("bosniska", "Bosnian"),
    "ckb": ("soranî", "Sorani"),
    "cs": ("tjeckiska", "Czech"),
    "da": ("danska", "Danish"),
    "de": ("tyska", "German"),
    "el": ("grekiska", "Greek"),
    "en": ("engelska", "English"),
    "es": ("spanska", "Spanish"),
    "et": ("estniska", "Estonian"),
    "fa": ("persiska", "Persian"),
    "fi": ("finska", "Finnish"),
    "fit": ("meänkieli", "Meänkieli"),
    "fr": ("franska", "French"),
    "he": ("hebreiska", "Hebrew"),
    "hi": ("hindi", "Hindi"),
    "hr": ("kroatiska", "Croatian"),
    "hu": ("ungerska", "Hungarian"),
    "is": ("isländska", "Icelandic"),
    "it": ("italienska", "Italian"),
    "ja": ("japanska", "Japanese"),
    "ko": ("koreanska", "Korean"),
    "ku": ("kurdiska", "Kurdish"),
    "kmr": ("kurmanji", "Kurmanji"),
    "lt": ("litauiska", "Lithuanian"),
    "lv": ("lettiska", "Latvian"),
    "nl": ("nederländska", "Dutch"),
    "no": ("norska", "Norwegian"),
    "pl": ("polska", "Polish"),
    "prs": ("dari", "Dari"),
    "ps": ("pashto", "Pashto"),
    "pt": ("portugisiska", "Portuguese"),
    "ro": ("rumänska", "Romanian"),
    "rom": ("romani", "Romani"),
    "rmy": ("romani", "Romani"),
    "ru": ("ryska", "Russian"),
    "se": ("nordsamiska", "Northern Sami"),
    "sma": ("sydsamiska", "Southern Sami"),
    "smj": ("lulesamiska", "Lule Sami"),
    "sk": ("slovakiska", "Slovak"),
    "so": ("somaliska", "Somali"),
    "sq": ("albanska", "Albanian"),
    "sr": ("serbiska", "Serbian"),
    "sv": ("svenska", "Swedish"),
    "sw": ("swahili", "Swahili"),
    "th": ("thailändska", "Thai"),
    "ti": ("tigrinja", "Tigrinya"),
    "tr": ("turkiska", "Turkish"),
    "uk": ("ukrainska", "Ukrainian"),
    "ur": ("urdu", "Urdu"),
    "vi": ("vietnamesiska", "Vietnamese"),
    "yi": ("jiddisch", "Yiddish"),
    "zh": ("kinesiska", "Chinese"),
}


def notice_language(main_lang: str) -> str:
    """The language a reading in ``main_lang`` gives its notices in."""
    return main_lang if main_lang in NOTICE_LANGUAGES else "sv"


def language_name(lang: str, in_lang: str) -> str | None:
    """The name of language ``lang`` in ``in_lang`` (``sv`` or ``en``), if we know it."""
    names = _NAMES.get(lang)
    if names is None:
        return None
    return names[1] if in_lang == "en" else names[0]


def unreadable_notice(lang: str, in_lang: str) -> str:
    """The notice for a passage in ``lang`` no voice can read, written in ``in_lang``."""
    name = language_name(lang, in_lang)
    if in_lang == "en":
        return f"Here follows a passage in {name or 'another language'} that cannot be read aloud."
    return f"Här följer ett avsnitt på {name or 'ett annat språk'} som inte kan läsas upp."
