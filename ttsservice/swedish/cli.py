"""``ttsservice normalize``: show how the service will say a text (and check a lexicon)."""

from __future__ import annotations

import argparse
import io
import sys

from ttsservice.settingsflags import add_settings_flags, settings_from_args
from ttsservice.swedish.lexicon import LexiconError, load_default_lexicon, load_lexicon
from ttsservice.swedish.normalizer import Normalizer
from ttsservice.swedish.sentences import split_sentences

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``normalize`` command."""
    parser = sub.add_parser(
        "normalize",
        help="print the spoken form of Swedish text",
        description="Print TEXT as the service will say it: numbers, dates, times, phone "
        "numbers, units, abbreviations and acronyms written out, with the shipped lexicon and "
        "the site lexicon (TTS_LEXICON_PATH) applied. With '-' or no TEXT, read standard "
        "input and print one spoken line per input line. A site lexicon that cannot be "
        "used is an error (exit status 2), so this also checks a lexicon before it goes live.",
    )
    parser.add_argument(
        "text",
        nargs="?",
        default="-",
        metavar="TEXT",
        help="the text to normalise; '-' (the default) reads lines from standard input",
    )
    parser.add_argument(
        "--sentences",
        action="store_true",
        help="split into sentences first and print one line per sentence: "
        "START-END (character offsets into the input line), a tab, the spoken form",
    )
    parser.add_argument(
        "--lang",
        default="sv",
        metavar="LANG",
        help="language of the text (default sv); other languages are only tidied",
    )
    add_settings_flags(parser, names=["lexicon_path"])
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    for stream in (sys.stdin, sys.stdout):
        if isinstance(stream, io.TextIOWrapper):  # Swedish text whatever the locale says
            stream.reconfigure(encoding="utf-8", errors="replace")
    settings = settings_from_args(args)
    lexicon = load_default_lexicon()
    if settings.lexicon_path is not None:
        try:
            lexicon = lexicon.merged(load_lexicon(settings.lexicon_path))
        except LexiconError as exc:
            print(f"ttsservice: error: {exc}", file=sys.stderr)
            return 2
    normalizer = Normalizer(lexicon)
    lines = sys.stdin if args.text == "-" else [args.text]
    for line in lines:
        text = line.rstrip("\r\n")
        if args.sentences:
            for span in split_sentences(text, args.lang):
                spoken = normalizer.normalize(span.text, args.lang)
                print(f"{span.start}-{span.end}\t{spoken}", flush=False)
        else:
            print(" ".join(normalizer.normalize(text, args.lang).split("\n")))
    sys.stdout.flush()
    return 0
