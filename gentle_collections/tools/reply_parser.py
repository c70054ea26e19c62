"""Reading a customer's e-mail reply for a promise to pay: plain functions, no
ORM, so that they can be tested (and reasoned about) on their own.

Anyone can write to the company, so everything here reads hostile text: only the
start of a message is read (``REPLY_HTML_CHARS`` of its HTML, then
``REPLY_SCAN_CHARS`` of text), and every pattern is linear in what it reads:
each token has a bounded length and a pattern can only start where a token
starts, so that a long run of digits, letters or spaces is not rescanned from
each of its positions.
"""

import bisect
import functools
import re
import unicodedata
from datetime import date, timedelta

import lxml.html
from babel.dates import get_month_names
from lxml import etree

from odoo.tools import html2plaintext
from odoo.tools.misc import babel_locale_parse

# A promise read in a reply is for today up to this many days ahead.
REPLY_HORIZON_DAYS = 120
# A payment word must stand within this many characters of the date.
REPLY_CUE_DISTANCE = 80
# How much of the reply the collector sees on the activity and the promise.
REPLY_EXCERPT_CHARS = 300
# How much of a message's HTML is parsed at all (cut before parsing): a
# customer's own words come first, the quoted conversation after them.
REPLY_HTML_CHARS = 100_000
# How much of the subject and the customer's words is read for a promise.
REPLY_SCAN_CHARS = 8_000
# Payment words, matched at a word start on lower-case text without accents.
# English is always read (many customers reply in English whatever their
# language); the customer's language is read besides.
REPLY_PAYMENT_CUES = {
    "en": r"pay\w{0,12}|paid|transfer\w{0,12}|settl\w{0,12}",
    "fr": r"pay\w{0,12}|paie\w{0,12}|virement\w{0,4}|vir(?:e|er|erai|erons|erez)\b"
    r"|regl\w{0,12}",
    "de": r"(?:be)?zahl(?:e|en|st|t|te|ten|ung|ungen|bar)\b|uberw(?:ei|ie)s\w{0,12}",
    "es": r"pag[aou]\w{0,12}|transferenc\w{0,12}",
}
REPLY_CURRENCY_TOKENS = ("€", "$", "£", "eur", "usd", "gbp", "euro", "euros")
# Where the quoted conversation starts in a reply: "On ... wrote:", a
# forwarded header or a signature. Nothing below it is the customer's word.
REPLY_QUOTE_START = re.compile(
    r"^\s{0,40}(?:-{2,}|_{5,}|(?:from|de|von|envoye|gesendet|sent)\s{0,5}:)"
    r"|\b(?:wrote|a ecrit|schrieb|escribio)\s{0,5}:\s{0,40}$"
)
# E-mail addresses and links: a pattern starts at a token start only.
REPLY_NOISE = re.compile(
    r"(?<!\S)[^\s@]{1,256}@\S{1,256}|https?://\S{1,2048}|www\.\S{1,2048}"
)
# "Re: ..." or "Fwd: ...": the subject is the one we wrote, not the customer's.
REPLY_SUBJECT_PREFIX = re.compile(
    r"^\s{0,10}(?:re|aw|antw|sv|rv|fw|fwd|tr|wg)\s{0,3}:", re.I
)
# Digits glued to a letter, a slash or a dash belong to a reference
# (INV/2026/00012, SO-0042), a time or a date, not to an amount. The
# look-behind also keeps a pattern from starting inside a run of digits.
_NUMBER_BEFORE = r"(?<![\w/.,:-])"
_NUMBER_AFTER = r"(?![\w/:-]|[.,]\d)"
REPLY_AMOUNT = re.compile(
    _NUMBER_BEFORE
    + r"(\d{1,3}(?:[ ,.']\d{3}){1,5}(?:[.,]\d{1,2})?|\d{1,15}(?:[.,]\d{1,2})?)"
    + _NUMBER_AFTER
)
REPLY_ISO_DATE = re.compile(
    _NUMBER_BEFORE + r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?![\w/:-]|[.,]\d)"
)
REPLY_NUMERIC_DATE = re.compile(
    _NUMBER_BEFORE + r"(?P<first>\d{1,2})(?P<sep>[./-])(?P<second>\d{1,2})"
    r"(?P=sep)(?P<year>\d{4}|\d{2})" + _NUMBER_AFTER
)


def _gentle_fold(text):
    """``text`` in lower case without accents, so that "Überweisung" reads
    "uberweisung" and "régler" reads "regler"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@functools.lru_cache(maxsize=32)
def _gentle_month_patterns(lang_code):
    """Month names (wide and abbreviated, English and ``lang_code``) and the two
    patterns reading "15 March" / "15. März" / "15 de marzo" and "March 15th"."""
    names = {}
    for locale in ("en", lang_code or "en"):
        parsed = babel_locale_parse(locale)
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for month, name in get_month_names(width, context, parsed).items():
                    name = _gentle_fold(name).strip(".")
                    if len(name) >= 3:
                        names[name] = month
    alternation = "|".join(
        re.escape(name) for name in sorted(names, key=len, reverse=True)
    )
    day_month = re.compile(
        _NUMBER_BEFORE + r"(?P<day>\d{1,2})(?:st|nd|rd|th|er|e|o)?\.?\s{0,3}"
        rf"(?:(?:de|of)\s{{1,3}})?(?P<month>{alternation})(?!\w)\.?"
        r"(?:,?\s{0,3}(?:de\s{1,3})?(?P<year>\d{4})(?!\d))?"
    )
    month_day = re.compile(
        rf"(?<!\w)(?P<month>{alternation})\.?\s{{1,3}}(?:the\s{{1,3}})?"
        r"(?P<day>\d{1,2})(?:st|nd|rd|th)?(?![\d/:]|[.,]\d)"
        r"(?:,?\s{1,3}(?P<year>\d{4})(?!\d))?"
    )
    return names, (day_month, month_day)


def _gentle_parse_number(raw, decimal_point, thousands_sep):
    """(value, number of decimals) of ``raw`` written with the language's
    separators (a space always separates thousands), or (None, 0)."""
    integer, decimals = raw, ""
    if decimal_point in raw:
        integer, _sep, decimals = raw.rpartition(decimal_point)
        if not decimals.isdigit() or len(decimals) > 2:
            return None, 0
    for separator in {thousands_sep, " "} - {"", decimal_point}:
        integer = integer.replace(separator, "")
    if not integer.isdigit():
        return None, 0
    return float(f"{integer}.{decimals or 0}"), len(decimals)


def _gentle_currency_patterns(currency):
    tokens = set(REPLY_CURRENCY_TOKENS)
    if currency:
        tokens |= {
            _gentle_fold(token).strip()
            for token in (currency.symbol, currency.name, currency.currency_unit_label)
            if token and token.strip()
        }
    pieces = []
    for token in sorted(tokens, key=len, reverse=True):
        piece = re.escape(token)
        if token[0].isalnum():
            piece = r"(?<!\w)" + piece
        if token[-1].isalnum():
            piece += r"(?!\w)"
        pieces.append(piece)
    alternation = "|".join(pieces)
    return (
        re.compile(rf"(?:{alternation})\s{{0,2}}$"),
        re.compile(rf"\s{{0,2}}(?:{alternation})"),
    )


def _gentle_resolve_date(day, month, year, today):
    """The date, or its next occurrence from ``today`` when no year is given;
    None when it does not exist."""
    try:
        if year is not None:
            return date(year, month, day)
        found = date(today.year, month, day)
        return found if found >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


def gentle_reply_excerpt(text):
    """The first words of ``text`` on one line, for a note or a summary."""
    text = " ".join((text or "")[: REPLY_EXCERPT_CHARS * 8].split())
    if len(text) <= REPLY_EXCERPT_CHARS:
        return text
    return text[:REPLY_EXCERPT_CHARS].rstrip() + "…"


def gentle_reply_subject(subject):
    """What a customer wrote in a subject, or "" for a "Re:"/"Fwd:" subject (the
    one we wrote); the start only."""
    subject = (subject or "")[:REPLY_SCAN_CHARS]
    return "" if REPLY_SUBJECT_PREFIX.match(subject) else subject


def gentle_reply_text(body):
    """The customer's own words in the HTML ``body`` of a message: without the
    quoted conversation, the signature, e-mail addresses and links; at most
    ``REPLY_SCAN_CHARS`` characters of them."""
    body = str(body or "")[:REPLY_HTML_CHARS]
    if body.strip():
        try:
            root = lxml.html.fragment_fromstring(body, create_parent="div")
        except (etree.ParserError, ValueError):
            root = None
        if root is not None:
            for node in root.xpath(
                ".//*[@data-o-mail-quote] | .//blockquote"
                " | .//*[contains(@class, 'gmail_quote')]"
            ):
                if node.getparent() is not None:
                    node.drop_tree()
            body = lxml.html.tostring(root, encoding="unicode")
    lines, size = [], 0
    for line in html2plaintext(body, include_references=False).splitlines():
        line = line[:REPLY_SCAN_CHARS]
        folded = _gentle_fold(line)
        if REPLY_QUOTE_START.search(folded):
            break
        if not folded.lstrip().startswith(">"):
            lines.append(line)
            size += len(line) + 1
            if size >= REPLY_SCAN_CHARS:
                break
    text = "\n".join(lines)[:REPLY_SCAN_CHARS]
    return REPLY_NOISE.sub(" ", text).strip()


def _gentle_overlaps(spans, ends, start, end):
    """Whether [start, end) overlaps one of the sorted, disjoint ``spans``
    (``ends`` their ends, in the same order)."""
    index = bisect.bisect_right(ends, start)
    return index < len(spans) and spans[index][0] < end


def gentle_read_promise(text, lang, currency, today):
    """Read a promise to pay in what a customer wrote, conservatively: a date
    from ``today`` to ``REPLY_HORIZON_DAYS`` days ahead with a payment word near
    it (the first such date wins), and the amount written closest to it, if any.
    Only the first ``REPLY_SCAN_CHARS`` characters of ``text`` are read.

    :param str text: the subject and the customer's own words
    :param lang: the customer's language (``res.lang._get_data()``): order of
        numeric dates, month names, number separators and payment words
    :param currency: the ``res.currency`` amounts are written in
    :param date today: the first date a promise may name
    :return: ``(date, amount)``, amount None when none is written; None when
        no promise is found
    """
    folded = _gentle_fold((text or "")[:REPLY_SCAN_CHARS])
    if not any(char.isdigit() for char in folded):
        return None
    date_format = lang.date_format or "%m/%d/%Y"
    decimal_point = _gentle_fold(lang.decimal_point or ".")
    thousands_sep = _gentle_fold(lang.thousands_sep or ",")
    month_first = date_format.find("%m") < date_format.find("%d")
    names, word_patterns = _gentle_month_patterns(lang.code or "en_US")

    readings = []
    for match in REPLY_ISO_DATE.finditer(folded):
        day, month, year = (
            int(match["day"]),
            int(match["month"]),
            int(match["year"]),
        )
        readings.append((match.start(), match.end(), day, month, year))
    for match in REPLY_NUMERIC_DATE.finditer(folded):
        first, second = int(match["first"]), int(match["second"])
        day, month = (second, first) if month_first else (first, second)
        year = int(match["year"])
        readings.append(
            (match.start(), match.end(), day, month, year + 2000 * (year < 100))
        )
    for pattern in word_patterns:
        for match in pattern.finditer(folded):
            year = int(match["year"]) if match["year"] else None
            readings.append(
                (
                    match.start(),
                    match.end(),
                    int(match["day"]),
                    names[match["month"]],
                    year,
                )
            )
    spans = []
    for start, end, day, month, year in sorted(readings, key=lambda r: (r[0], -r[1])):
        if not spans or start >= spans[-1][1]:
            spans.append((start, end, _gentle_resolve_date(day, month, year, today)))

    language = (lang.code or "en_US").split("_")[0]
    cues = {REPLY_PAYMENT_CUES["en"], REPLY_PAYMENT_CUES.get(language, "")} - {""}
    cue = re.compile(rf"(?<!\w)(?:{'|'.join(sorted(cues))})")
    horizon = today + timedelta(days=REPLY_HORIZON_DAYS)
    chosen = next(
        (
            (start, end, found)
            for start, end, found in spans
            if found
            and today <= found <= horizon
            and cue.search(
                folded,
                max(0, start - REPLY_CUE_DISTANCE),
                end + REPLY_CUE_DISTANCE,
            )
        ),
        None,
    )
    if not chosen:
        return None
    date_start, date_end, promised = chosen

    before, after = _gentle_currency_patterns(currency)
    ends = [span[1] for span in spans]
    best = None
    for match in REPLY_AMOUNT.finditer(folded):
        start, end = match.span()
        if _gentle_overlaps(spans, ends, start, end):
            continue
        value, decimals = _gentle_parse_number(match[1], decimal_point, thousands_sep)
        if value is None:
            continue
        with_currency = before.search(folded, max(0, start - 12), start) or (
            after.match(folded, end)
        )
        if not with_currency and decimals != 2:
            continue
        distance = max(start - date_end, date_start - end, 0)
        if best is None or distance < best[0]:
            best = (distance, value)
    return promised, best and best[1]
