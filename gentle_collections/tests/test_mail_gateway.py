import time
from datetime import date
from email import policy
from email.message import EmailMessage

from freezegun import freeze_time

from odoo.tests import tagged

from ..models import gentle_collection_case, gentle_reply_reader
from .test_support_case import GentleCaseCommon

MEGABYTE = 1024 * 1024
# A complexity check, not a benchmark: a quadratic scan of a megabyte takes
# minutes, a linear one well under a second.
BOUND_SECONDS = 5.0


def raw_email(sender, subject, body, message_id, reply_to=None):
    """An RFC 2822 message as a mail server hands it over."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = "collections@example.com"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    if reply_to:
        message["In-Reply-To"] = reply_to
        message["References"] = reply_to
    message.set_content(body)
    # Headers as long as they come: folding a megabyte is the sender's work.
    return message.as_string(policy=policy.SMTP.clone(max_line_length=0))


@tagged("post_install", "-at_install")
class TestGentleMailGatewayRedos(GentleCaseCommon):
    """Issue 11 item 3: what is read in an incoming e-mail costs time in
    proportion to its size, and only its start is read."""

    def process(self, raw, model="gentle.collection.case"):
        start = time.monotonic()
        result = self.env["mail.thread"].message_process(model, raw)
        elapsed = time.monotonic() - start
        self.assertLess(elapsed, BOUND_SECONDS, "the mail gateway took too long")
        return result

    def test_megabyte_email_to_the_case_alias(self):
        # Runs of invoice-number characters without a digit at their end: the
        # former scan restarted at each position of the run.
        subject = f"Question on {self.invoice.name} " + "a-" * (MEGABYTE // 2)
        body = f"About {self.invoice_2.name}: " + "b" * MEGABYTE
        with freeze_time("2026-03-02 09:00:00"):
            case_id = self.process(
                raw_email(
                    "Query Corp AP <ap@querycorp.example.com>",
                    subject,
                    body,
                    "<gentle-redos-case@querycorp.example.com>",
                )
            )
        case = self.env["gentle.collection.case"].browse(case_id)
        self.assertEqual(case.partner_id, self.customer)
        self.assertEqual(case.move_ids, self.invoice | self.invoice_2)
        self.assertLessEqual(len(case.subject), 200)
        self.assertTrue(case.subject.startswith(f"Question on {self.invoice.name}"))
        self.assertRegex(case.name, r"^CASE/")

    def test_megabyte_reply_to_a_reminder(self):
        partner = self.customer
        with freeze_time("2026-03-02 09:00:00"):
            reminder = partner.message_post(
                body="Friendly reminder: invoice still open.",
                subject="Your invoice",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
            # The promise reader: a run without "@" (e-mail addresses), digits
            # and spaces (amounts, dates), month names.
            subject = "We will pay on March 15 " + "1" * MEGABYTE
            body = (
                "We will pay 500.00 USD on March 15th.\n"
                + "x" * (MEGABYTE // 2)
                + " 1" * (MEGABYTE // 8)
                + " march" * (MEGABYTE // 24)
            )
            thread_id = self.process(
                raw_email(
                    "Query Corp AP <ap@querycorp.example.com>",
                    subject,
                    body,
                    "<gentle-redos-reply@querycorp.example.com>",
                    reply_to=reminder.message_id,
                ),
                model=False,
            )
        self.assertEqual(thread_id, partner.id)
        reply = partner.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(len(reply), 1)
        activity = partner.activity_ids.filtered("gentle_reply_message_id")
        self.assertEqual(activity.gentle_reply_message_id, reply)
        self.assertEqual(activity.gentle_promise_date, date(2026, 3, 15))

    def test_reader_only_reads_the_start(self):
        reader = gentle_reply_reader
        filler = "word " * (reader.REPLY_SCAN_CHARS // 5)
        lang = self.env["res.lang"]._get_data(code="en_US")
        today = date(2026, 3, 2)
        currency = self.company.currency_id
        self.assertEqual(
            reader.gentle_read_promise(
                "We will pay on March 15.", lang, currency, today
            ),
            (date(2026, 3, 15), None),
        )
        self.assertIsNone(
            reader.gentle_read_promise(
                filler + "We will pay on March 15.", lang, currency, today
            )
        )
        self.assertNotIn("March", reader.gentle_reply_text(f"<p>{filler}March</p>"))
        Case = self.env["gentle.collection.case"]
        customer = self.customer
        self.assertEqual(
            Case._gentle_invoices_named(f"x {self.invoice.name}", customer),
            self.invoice,
        )
        self.assertFalse(
            Case._gentle_invoices_named(f"{filler} {self.invoice.name}", customer)
        )

    def test_patterns_are_linear_on_pathological_runs(self):
        """Each pattern of the reader on runs that make a backtracking pattern
        rescan from each position: a megabyte in well under the bound."""
        reader = gentle_reply_reader
        _names, (day_month, month_day) = reader._gentle_month_patterns("fr_FR")
        currency = self.company.currency_id
        before, after = reader._gentle_currency_patterns(currency)
        patterns = {
            "invoice number": gentle_collection_case.INVOICE_NUMBER,
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
        lang = self.env["res.lang"]._get_data(code="en_US")
        text = "pay 03/15/2026 1.00 " * (size // 20)
        start = time.monotonic()
        reading = reader.gentle_read_promise(text, lang, currency, date(2026, 3, 2))
        self.assertLess(time.monotonic() - start, BOUND_SECONDS)
        self.assertEqual(reading, (date(2026, 3, 15), 1.0))
