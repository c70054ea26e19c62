"""The reply parser read on its own: plain text in, ``(date, amount)`` out, no
database and no transaction (issue 12 item 4)."""

import time
from collections import namedtuple
from datetime import date

from odoo.tests import BaseCase, tagged

from odoo.addons.base.models.res_lang import LangData

from ..tools import reply_parser
from ..tools.case_email import INVOICE_NUMBER

TODAY = date(2026, 3, 2)
PROMISED = date(2026, 3, 15)
MEGABYTE = 1024 * 1024
# A complexity check, not a benchmark: a quadratic scan of a megabyte takes
# minutes, a linear one well under a second.
BOUND_SECONDS = 5.0

# What the parser reads of a language and a currency, as Odoo ships them
# (base/data/res.lang.csv, base/data/res_currency_data.xml).
LANGS = {
    "en_US": ("%m/%d/%Y", ".", ","),
    "fr_FR": ("%d/%m/%Y", ",", "\u00a0"),
    "de_DE": ("%d.%m.%Y", ",", "."),
    "es_ES": ("%d/%m/%Y", ",", "."),
}
Currency = namedtuple("Currency", "symbol name currency_unit_label")
USD = Currency("$", "USD", "Dollars")


def lang_data(code):
    """The language as ``res.lang._get_data(code=code)`` returns it."""
    date_format, decimal_point, thousands_sep = LANGS[code]
    return LangData(
        {
            "id": 1,
            "code": code,
            "date_format": date_format,
            "decimal_point": decimal_point,
            "thousands_sep": thousands_sep,
        }
    )


@tagged("post_install", "-at_install")
class TestGentleReplyParser(BaseCase):
    """Reading a promise to pay in a customer's words: the window, the date
    formats and month names of each language, amounts and references, and only
    the start of a message, in time linear in its size."""

    def reading(self, text, lang="en_US", today=TODAY):
        return reply_parser.gentle_read_promise(text, lang_data(lang), USD, today)

    def test_read_window_today_to_120_days(self):
        self.assertEqual(self.reading("We will pay on 2026-03-02"), (TODAY, None))
        self.assertIsNone(self.reading("We will pay on 2026-03-01"))
        self.assertEqual(
            self.reading("We will pay on 2026-06-30"), (date(2026, 6, 30), None)
        )
        self.assertIsNone(self.reading("We will pay on 2026-07-01"))
        # Without a year: the next 1 March is next year, too far.
        self.assertIsNone(self.reading("We will pay on 1 March"))
        self.assertEqual(self.reading("We will pay on 2 March"), (TODAY, None))
        # The first date in the window with a payment word wins.
        self.assertEqual(
            self.reading("Paid on 2026-02-20; we will pay the rest on 2026-03-20"),
            (date(2026, 3, 20), None),
        )

    def test_read_numeric_dates_by_language(self):
        text = "We will pay on 04/03/2026"
        self.assertEqual(self.reading(text), (date(2026, 4, 3), None))
        self.assertEqual(self.reading(text, "fr_FR"), (date(2026, 3, 4), None))
        self.assertIsNone(self.reading("We will pay on 15/03/2026"))
        self.assertEqual(
            self.reading("Virement le 15.03.26", "fr_FR"), (PROMISED, None)
        )
        self.assertEqual(self.reading("Payment 03-15-2026"), (PROMISED, None))

    def test_read_month_names_and_amounts(self):
        cases = [
            ("en_US", "We will pay $1,234.56 by 15 March.", 1234.56),
            ("en_US", "Payment: March 15th, 2026, 800 EUR", 800.0),
            ("en_US", "We'll transfer 99.90 on Mar 15", 99.9),
            ("fr_FR", "Virement prévu le 15 mars : 1 234,56 €", 1234.56),
            ("fr_FR", "Nous allons payer 700 euros le 15 mars", 700.0),
        ]
        for lang, text, amount in cases:
            with self.subTest(text):
                self.assertEqual(self.reading(text, lang), (PROMISED, amount))
        # German and Spanish customers: their number separators and words.
        self.assertIsNone(self.reading("Wir überweisen am 15. März", "en_US"))
        self.assertEqual(
            self.reading("Wir überweisen am 15. März 1.234,56 €", "de_DE"),
            (PROMISED, 1234.56),
        )
        self.assertEqual(
            self.reading("Pagaremos el 15 de marzo 300,50 €", "es_ES"),
            (PROMISED, 300.5),
        )

    def test_read_ignores_references_and_bare_numbers(self):
        self.assertEqual(
            self.reading("We will pay INV/2026/00012 and 1500 units on 2026-03-20"),
            (date(2026, 3, 20), None),
        )
        # Amounts written with a currency, the one closest to the date wins.
        self.assertEqual(
            self.reading("Of the 900.00 owed, we pay 300 USD on 2026-03-20"),
            (date(2026, 3, 20), 300.0),
        )
        self.assertIsNone(self.reading("Invoice 2026-03-20 remains unpaid?"))

    def test_reader_only_reads_the_start(self):
        filler = "word " * (reply_parser.REPLY_SCAN_CHARS // 5)
        self.assertEqual(
            self.reading("We will pay on March 15."), (date(2026, 3, 15), None)
        )
        self.assertIsNone(self.reading(filler + "We will pay on March 15."))
        self.assertNotIn(
            "March", reply_parser.gentle_reply_text(f"<p>{filler}March</p>")
        )

    def test_patterns_are_linear_on_pathological_runs(self):
        """Each pattern of the reader on runs that make a backtracking pattern
        rescan from each position: a megabyte in well under the bound."""
        reader = reply_parser
        _names, (day_month, month_day) = reader._gentle_month_patterns("fr_FR")
        before, after = reader._gentle_currency_patterns(USD)
        patterns = {
            "invoice number": INVOICE_NUMBER,
            "noise": reader.REPLY_NOISE,
            "quote start": reader.REPLY_QUOTE_START,
            "subject prefix": reader.REPLY_SUBJECT_PREFIX,
            "amount": reader.REPLY_AMOUNT,
            "iso date": reader.REPLY_ISO_DATE,
            "numeric date": reader.REPLY_NUMERIC_DATE,
            "day month": day_month,
            "month day": month_day,
            "currency before": before,
            "currency after": after,
        }
        size = MEGABYTE
        runs = {
            "letters": "a" * size,
            "digits": "1" * size,
            "spaces": " " * size,
            "reference characters": "a-" * (size // 2),
            "digit then letters": "1" + "a" * size,
            "month then spaces": "march" + " " * size,
            "day then spaces": "15" + " " * size,
            "months": "march " * (size // 6),
            "days": "15 " * (size // 3),
            "thousands": "1" + " 123" * (size // 4) + "x",
            "decimals": "1,11 " * (size // 5),
            "at signs": "a@" * (size // 2),
            "wrote": "wrote: " * (size // 7) + "x",
        }
        for run_name, text in runs.items():
            for pattern_name, pattern in patterns.items():
                with self.subTest(pattern=pattern_name, run=run_name):
                    start = time.monotonic()
                    for _match in pattern.finditer(text):
                        pass
                    self.assertLess(time.monotonic() - start, BOUND_SECONDS)
        # The reader as a whole, past its cut.
        text = "pay 03/15/2026 1.00 " * (size // 20)
        start = time.monotonic()
        reading = self.reading(text)
        self.assertLess(time.monotonic() - start, BOUND_SECONDS)
        self.assertEqual(reading, (date(2026, 3, 15), 1.0))
