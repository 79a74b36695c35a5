"""Every text of the dashboard, Swedish first, English second, and how numbers are written.

The language is ``?lang=sv|en`` when given, else the best of the browser's
``Accept-Language``, else Swedish.
"""

from __future__ import annotations

from datetime import date

__all__ = ["LANGS", "STRINGS", "Texts", "pick_lang"]

LANGS = ("sv", "en")

STRINGS: dict[str, tuple[str, str]] = {
    # frame
    "app_name": ("Sidrespons", "Page feedback"),
    "skip": ("Hoppa till innehållet", "Skip to content"),
    "nav_label": ("Huvudmeny", "Main menu"),
    "nav_overview": ("Översikt", "Overview"),
    "nav_pages": ("Sämsta sidorna", "Worst pages"),
    "nav_sections": ("Sektioner", "Sections"),
    "signed_in_as": ("Inloggad som {user}", "Signed in as {user}"),
    "sign_out": ("Logga ut", "Sign out"),
    "other_lang": ("English", "Svenska"),
    "other_lang_code": ("en", "sv"),
    # login
    "login_title": ("Logga in", "Sign in"),
    "login_intro": (
        "Logga in för att se vad besökarna tycker om sidorna.",
        "Sign in to see what visitors think of the pages.",
    ),
    "user": ("Användarnamn", "User name"),
    "password": ("Lösenord", "Password"),
    "login_button": ("Logga in", "Sign in"),
    "login_failed": (
        "Fel användarnamn eller lösenord. Försök igen.",
        "Wrong user name or password. Try again.",
    ),
    "login_wait": (
        "För många misslyckade inloggningar. Vänta {minutes} minuter och försök igen.",
        "Too many failed sign-ins. Wait {minutes} minutes and try again.",
    ),
    "login_expired": (
        "Formuläret hade gått ut. Försök igen.",
        "The form had expired. Try again.",
    ),
    "off_title": ("Översikten är avstängd", "The dashboard is off"),
    "off_text": (
        "Inga konton är inställda. Skapa ett lösenord med kommandot "
        "ttsservice dashboard hash-password och ange kontot i TTS_DASHBOARD_USERS.",
        "No accounts are set up. Make a password hash with the command "
        "ttsservice dashboard hash-password and list the account in TTS_DASHBOARD_USERS.",
    ),
    # filters
    "filters": ("Filter", "Filters"),
    "since": ("Från och med", "From"),
    "until": ("Till och med", "To"),
    "section": ("Sektion", "Section"),
    "all_sections": ("Alla sektioner", "All sections"),
    "prefix": ("Adressen börjar med", "Address starts with"),
    "prefix_hint": ("t.ex. /vard", "e.g. /vard"),
    "apply": ("Visa", "Show"),
    "period": ("{since} – {until}", "{since} – {until}"),
    "compared_with": (
        "Trenden jämförs med perioden {since} – {until}.",
        "Trends compare with {since} – {until}.",
    ),
    "bad_filter": (
        "Filtret kunde inte användas: {message}",
        "The filter could not be used: {message}",
    ),
    # figures
    "votes": ("Svar", "Votes"),
    "yes": ("Ja", "Yes"),
    "no": ("Nej", "No"),
    "n": ("Antal svar", "Votes"),
    "share": ("Andel ja", "Share yes"),
    "interval": ("95 % konfidensintervall", "95% confidence interval"),
    "interval_text": ("{low} – {high}", "{low} – {high}"),
    "trend": ("Trend", "Trend"),
    "trend_up": ("Bättre: {diff} procentenheter", "Better: {diff} percentage points"),
    "trend_down": ("Sämre: {diff} procentenheter", "Worse: {diff} percentage points"),
    "trend_flat": ("Oförändrad", "Unchanged"),
    "trend_none": ("Inga svar förra perioden", "No votes in the previous period"),
    "too_few": ("för få svar", "too few votes"),
    "comments": ("Kommentarer", "Comments"),
    "pages": ("Sidor", "Pages"),
    "page": ("Sida", "Page"),
    "day": ("Dag", "Day"),
    "week": ("Vecka", "Week"),
    "week_of": ("vecka {week}", "week {week}"),
    "download_csv": ("Ladda ner som CSV", "Download as CSV"),
    "download_csv_named": ("Ladda ner {name} som CSV", "Download {name} as CSV"),
    "show_table": ("Visa som tabell", "Show as table"),
    "nothing": ("Inga svar under perioden.", "No votes in this period."),
    # overview
    "overview_title": ("Översikt", "Overview"),
    "total_votes": ("Svar under perioden", "Votes in the period"),
    "total_share": ("Andel som fick hjälp", "Share helped"),
    "new_comments": ("Nya kommentarer", "New comments"),
    "chart_daily": ("Svar per dag", "Votes per day"),
    "chart_daily_desc": (
        "Staplade staplar: ja och nej per dag, {since} – {until}. Samma siffror finns i tabellen.",
        "Stacked bars: yes and no per day, {since} – {until}. The table has the same figures.",
    ),
    "chart_share": ("Andel ja över tid", "Share yes over time"),
    "chart_share_desc": (
        "Linje: andel ja per dag, {since} – {until}. Dagar utan svar saknar punkt.",
        "Line: share of yes per day, {since} – {until}. Days without votes have no point.",
    ),
    "daily_table": ("svar per dag", "votes per day"),
    # worst pages
    "pages_title": ("Sämsta sidorna", "Worst pages"),
    "pages_intro": (
        "Sidorna sorteras efter den övre gränsen av konfidensintervallet: överst de sidor "
        "som säkert inte hjälper läsarna. Sidor med färre än {min_n} svar står sist.",
        "Pages are sorted by the upper bound of the confidence interval: first the pages "
        "that surely fail their readers. Pages with fewer than {min_n} votes come last.",
    ),
    "pages_table": ("sidlistan", "the page list"),
    "pages_caption": ("Sidor, sämst först", "Pages, worst first"),
    "rank": ("Plats", "Rank"),
    "page_nav": ("Bläddra i sidlistan", "Page through the list"),
    "previous": ("Föregående", "Previous"),
    "next": ("Nästa", "Next"),
    "showing": ("Visar {first}–{last} av {total}", "Showing {first}–{last} of {total}"),
    # one page
    "page_title": ("Sidan {url}", "The page {url}"),
    "open_page": ("Öppna sidan", "Open the page"),
    "chart_weekly": ("Svar per vecka", "Votes per week"),
    "chart_weekly_desc": (
        "Staplade staplar: ja och nej per vecka. Samma siffror finns i tabellen.",
        "Stacked bars: yes and no per week. The table has the same figures.",
    ),
    "weekly_table": ("svar per vecka", "votes per week"),
    "reasons": ("Skäl till nej", "Reasons for no"),
    "reasons_table": ("skälen", "the reasons"),
    "reason": ("Skäl", "Reason"),
    "times": ("Antal", "Times"),
    "no_reasons": ("Inga skäl angivna.", "No reasons given."),
    "changed": ("Sidan ändrades", "The page was changed"),
    "changed_intro": (
        "Ange när sidan ändrades för att se om ändringen hjälpte.",
        "Enter when the page was changed to see whether the edit helped.",
    ),
    "changed_date": ("Datum för ändringen", "Date of the edit"),
    "changed_button": ("Jämför före och efter", "Compare before and after"),
    "changed_mark": ("Ändrad {day}", "Changed {day}"),
    "changed_stated": (
        "Sidan anger själv att den ändrades (enligt tjänstens senaste uppläsningar):",
        "The page itself says it was changed (as read by the service):",
    ),
    "changed_shown": ("visas ovan", "shown above"),
    "changed_compare": ("Jämför före och efter {day}", "Compare before and after {day}"),
    "before_after_caption": ("Svar före och efter ändringen", "Votes before and after the edit"),
    "before_after_table": ("före och efter", "before and after"),
    "week_short": ("v{week}", "w{week}"),
    "before": ("Före", "Before"),
    "after": ("Efter", "After"),
    "before_after_period": (
        "Före: {b_since} – {b_until}. Efter: {a_since} – {a_until} (lika långa perioder).",
        "Before: {b_since} – {b_until}. After: {a_since} – {a_until} (periods of equal length).",
    ),
    "difference": ("Skillnad", "Difference"),
    "difference_pp": ("{diff} procentenheter", "{diff} percentage points"),
    "significant": (
        "Skillnaden är statistiskt säker (p = {p}).",
        "The difference is statistically significant (p = {p}).",
    ),
    "not_significant": (
        "Skillnaden är inte statistiskt säker (p = {p}); den kan vara slumpen.",
        "The difference is not statistically significant (p = {p}); it may be chance.",
    ),
    "test_note": (
        "Tvåsidigt z-test för två andelar, 5 % nivå.",
        "Two-sided two-proportion z-test, 5% level.",
    ),
    "comments_title": ("Kommentarer", "Comments"),
    "comments_table": ("kommentarerna", "the comments"),
    "no_comments": ("Inga kommentarer under perioden.", "No comments in this period."),
    "comment_on": ("Kommentar {day}", "Comment {day}"),
    "answer": ("Svar", "Answer"),
    "status": ("Status", "Status"),
    "status_now": ("Status: {status}", "Status: {status}"),
    "set_status": ("Ändra status", "Change status"),
    "status_reason": ("Anledning (krävs för ej åtgärdbar)", "Reason (needed for cannot be fixed)"),
    "scrubbed": ("Personuppgifter har tagits bort.", "Personal data was removed."),
    "triaged": ("Status sparad: {status}.", "Status saved: {status}."),
    "triage_too_long": (
        "Anledningen är för lång: högst 500 tecken.",
        "The reason is too long: at most 500 characters.",
    ),
    "triage_failed": (
        "Statusen kunde inte sparas. Välj en av knapparna.",
        "The status could not be saved. Choose one of the buttons.",
    ),
    "missing_reason": (
        "Skriv en anledning för att markera kommentaren som ej åtgärdbar.",
        "Write a reason to mark the comment as cannot be fixed.",
    ),
    # sections
    "sections_title": ("Sektioner", "Sections"),
    "sections_table": ("sektionerna", "the sections"),
    "sections_caption": ("Sektioner, sämst först", "Sections, worst first"),
    "show_pages": ("Visa sidor", "Show pages"),
    # errors
    "error_title": ("Något gick fel", "Something went wrong"),
    "bad_date": (
        "Skriv datum som ÅÅÅÅ-MM-DD, till exempel 2026-03-01.",
        "Write dates as YYYY-MM-DD, for example 2026-03-01.",
    ),
    "bad_range": (
        "Startdatumet ligger efter slutdatumet. Byt plats på dem.",
        "The start date is after the end date. Swap them.",
    ),
    "bad_changed": (
        "Ändringsdatumet kan inte ligga i framtiden.",
        "The date of the edit cannot be in the future.",
    ),
    "missing_url": ("Välj en sida i listan över sidor.", "Choose a page from the page list."),
    "not_found_text": ("Det finns inget här.", "There is nothing here."),
    "forbidden_text": (
        "Formuläret kom inte från översikten, eller hade gått ut. Ladda om sidan och försök igen.",
        "The form did not come from the dashboard, or had expired. Reload the page and try again.",
    ),
    "back_to_overview": ("Till översikten", "To the overview"),
}
"""Text key → (Swedish, English)."""


def pick_lang(query_lang: str | None, accept_language: str | None) -> str:
    """``sv`` or ``en``: the query wins, then the browser's preference, else Swedish."""
    if query_lang in LANGS:
        return query_lang
    best, best_q = "sv", -1.0
    for part in (accept_language or "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if primary in LANGS and quality > best_q:
            best, best_q = primary, quality
    return best


class Texts:
    """Texts and number formats in one language (given to every template as ``t``)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else "sv"
        self._index = LANGS.index(self.lang)

    def __call__(self, key: str, **values: object) -> str:
        """The text ``key`` with ``{name}`` placeholders filled."""
        text = STRINGS[key][self._index]
        return text.format(**values) if values else text

    def pct(self, share: float, digits: int = 0) -> str:
        """A share as a percentage: ``72 %`` in Swedish, ``72%`` in English."""
        number = f"{share * 100:.{digits}f}"
        if self.lang == "sv":
            return number.replace(".", ",") + "\u00a0%"
        return number + "%"

    def num(self, value: float, digits: int = 0) -> str:
        """A number with the language's digit grouping and decimal mark."""
        text = f"{value:,.{digits}f}"
        if self.lang == "sv":
            return text.replace(",", "\u00a0").replace(".", ",")
        return text

    def day(self, value: date) -> str:
        """A date as ISO 8601 (what Swedish writing uses, and unambiguous in English)."""
        return value.isoformat()

    def status(self, code: str) -> str:
        """A comment status's label."""
        from feedback.stats import COMMENT_STATUSES

        labels = COMMENT_STATUSES.get(code)
        return labels[self.lang] if labels else code

    def reason(self, code: str) -> str:
        """A reason code's label."""
        from feedback.stats import REASONS

        labels = REASONS.get(code)
        return labels[self.lang] if labels else code
