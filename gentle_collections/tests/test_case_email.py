"""Reading the e-mail that opens a case on its own: text in, invoice numbers
and subject out, no database and no transaction (issue 12 item 4)."""

from odoo.tests import BaseCase, tagged

from ..tools import case_email
from ..tools.reply_parser import REPLY_HTML_CHARS, REPLY_SCAN_CHARS


@tagged("post_install", "-at_install")
class TestGentleCaseEmail(BaseCase):
    """Which tokens of an e-mail are looked up as invoice numbers, how much of
    it is read, and the subject a case gets from it."""

    def test_invoice_numbers_are_distinct_tokens_in_order(self):
        self.assertEqual(
            case_email.invoice_numbers(
                "About INV/2026/00012 and inv-7, again INV/2026/00012; not ABC."
            ),
            ["INV/2026/00012", "inv-7"],
        )
        # A token ends with a digit and is at most 42 characters long.
        self.assertEqual(case_email.invoice_numbers("INV/ X1Y"), [])
        self.assertEqual(case_email.invoice_numbers("INV/2026/ X"), ["INV/2026"])
        self.assertEqual(case_email.invoice_numbers("A" + "1" * 41), ["A" + "1" * 41])
        self.assertEqual(case_email.invoice_numbers("A" + "1" * 42), [])
        self.assertEqual(case_email.invoice_numbers(""), [])
        self.assertEqual(case_email.invoice_numbers(None), [])

    def test_at_most_so_many_numbers_are_read(self):
        read = case_email.INVOICE_NUMBERS_READ
        text = " ".join(f"N{index}" for index in range(read + 5))
        numbers = case_email.invoice_numbers(text)
        self.assertEqual(len(numbers), read)
        self.assertEqual(numbers[-1], f"N{read - 1}")

    def test_numbers_only_read_at_the_start(self):
        # " INV/1" is 6 characters: it ends on the last one read, or after.
        filler = "x" * (REPLY_SCAN_CHARS - 6)
        self.assertEqual(case_email.invoice_numbers(f"{filler} INV/1"), ["INV/1"])
        self.assertEqual(case_email.invoice_numbers(f"{filler}x INV/1"), [])

    def test_text_is_the_subject_then_the_start_of_the_body(self):
        subject, text = case_email.case_email_text(
            "Question INV/1", "<p>About <b>INV/2</b></p>"
        )
        self.assertEqual(subject, "Question INV/1")
        self.assertEqual(text, "Question INV/1\nAbout *INV/2*")
        subject, text = case_email.case_email_text(None, None)
        self.assertEqual((subject, text), ("", "\n"))

    def test_text_cuts_the_html_before_parsing_and_the_text_after(self):
        _subject, text = case_email.case_email_text(
            "", "<p>" + "a" * REPLY_HTML_CHARS + " INV/9</p>"
        )
        self.assertNotIn("INV/9", text)
        self.assertEqual(len(text), REPLY_SCAN_CHARS)
        # A long subject is cut too, leaving room for the body.
        subject, text = case_email.case_email_text("s" * 9000, "<p>INV/9</p>")
        self.assertEqual(len(subject), case_email.SUBJECT_READ_CHARS)
        self.assertTrue(text.endswith("\nINV/9"))

    def test_subject_is_one_printable_line(self):
        self.assertEqual(
            case_email.case_subject("Re:\tour\ninvoice \x00 INV/1  "),
            "Re: our invoice INV/1",
        )
        self.assertEqual(
            len(case_email.case_subject("word " * 100)), case_email.SUBJECT_CHARS
        )
        self.assertEqual(case_email.case_subject("\x00\n\t "), "")
        self.assertEqual(case_email.case_subject(None), "")
