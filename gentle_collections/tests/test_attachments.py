import base64
import io
from datetime import date, timedelta
from unittest.mock import patch

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from odoo.exceptions import ValidationError
from odoo.tests import BaseCase, tagged
from odoo.tools.pdf import PdfReaderBase

from ..tools.pdf_compress import compress_pdf
from .common import RUN_NOW, GentleFollowupCommon


def _uncompressed_pdf(title):
    """A real PDF of about 700 KiB whose pages are stored uncompressed, as some
    PDF generators and scanners write them."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
    for page in range(120):
        for row in range(60):
            pdf.drawString(
                40,
                800 - row * 12,
                f"{title} page {page} line {row}: consulting, 1,250.00 EUR",
            )
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@tagged("post_install", "-at_install")
class TestGentleAttachments(GentleFollowupCommon):
    """Reminders attach the invoice PDFs already stored, within a size limit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.first = cls._gentle_invoice(
            cls.customer, date(2026, 9, 25), due=date(2026, 10, 25)
        )
        cls.second = cls._gentle_invoice(
            cls.customer, date(2026, 10, 1), due=date(2026, 10, 31)
        )
        cls.no_pdf = cls._gentle_invoice(
            cls.customer, date(2026, 10, 2), due=date(2026, 10, 31)
        )
        for move in cls.first | cls.second:
            # A stored invoice PDF of 600 KiB, as Odoo keeps it once sent.
            move.invoice_pdf_report_file = base64.b64encode(
                b"%PDF-1.4 " + b"x" * (600 * 1024)
            )

    def attached(self):
        """The files the reminder's email carried to the customer."""
        with self.trap_followups() as trap:
            self.run_followup()
        email = trap.assert_sent(self.customer)
        self.assertEqual(email.move_ids, self.first | self.second | self.no_pdf)
        [message] = trap.messages(self.customer)
        attachments = message["message"].attachment_ids
        self.assertEqual(message["attachments"], attachments.mapped("name"))
        # The outgoing mail carries them too.
        self.assertEqual(trap.mails.attachment_ids, attachments)
        return attachments

    def _pdf_files(self, move):
        return self.env["ir.attachment"].search(
            [
                ("res_model", "=", "account.move"),
                ("res_id", "=", move.id),
                ("res_field", "=", "invoice_pdf_report_file"),
            ]
        )

    def test_stored_pdfs_attached_and_a_missing_one_stored_once(self):
        self.assertEqual(self.company.gentle_attachment_limit_mb, 20.0)
        pdfs = (self.first | self.second).invoice_pdf_report_id
        self.assertEqual(len(pdfs), 2)
        self.assertFalse(self._pdf_files(self.no_pdf))
        attachments = self.attached()
        # The invoice without a PDF got one, stored on it like Odoo's Send does.
        generated = self.no_pdf.invoice_pdf_report_id
        self.assertTrue(generated)
        self.assertEqual(self._pdf_files(self.no_pdf), generated)
        self.assertEqual(attachments, pdfs | generated)
        # Still the invoices' own files, not copies moved to the customer.
        self.assertEqual(attachments.mapped("res_model"), ["account.move"] * 3)
        # The next reminder (Monday 23 November: the invoices due on 31 October
        # reach their 15-day level, 12 days after the 3-day one) reuses it: no
        # second rendering.
        with self.trap_followups() as trap:
            self.run_followup(now=RUN_NOW + timedelta(days=13))
        trap.assert_sent(self.customer)
        [message] = trap.messages(self.customer)
        self.assertEqual(
            message["message"].attachment_ids,
            self.second.invoice_pdf_report_id | generated,
        )
        self.assertEqual(self._pdf_files(self.no_pdf), generated)

    def test_over_the_limit_pdfs_are_compressed_before_any_is_left_out(self):
        for move in self.first | self.second:
            move.invoice_pdf_report_id.raw = _uncompressed_pdf(move.name)
        sizes = (self.first | self.second).invoice_pdf_report_id.mapped("file_size")
        self.assertTrue(all(size > 600 * 1024 for size in sizes), sizes)
        # Room for one of them as they are, for both once compressed.
        self.company.gentle_attachment_limit_mb = 1.0
        attachments = self.attached()
        self.assertEqual(len(attachments), 3, "nothing left out")
        self.assertLessEqual(sum(attachments.mapped("file_size")), 1024 * 1024)
        # The largest first, and only as much as needed: one copy compressed.
        copy = attachments.filtered(lambda a: a.res_model == "res.partner")
        self.assertEqual(len(copy), 1)
        self.assertTrue(copy.raw.startswith(b"%PDF"))
        self.assertLess(copy.file_size, min(sizes) * 0.5)
        self.assertIn(
            copy.name, (self.first | self.second).invoice_pdf_report_id.mapped("name")
        )
        self.assertFalse(
            self.customer.message_ids.filtered(
                lambda m: "Not attached" in (m.body or "")
            )
        )
        # The invoices keep their own files, untouched.
        self.assertEqual(
            (self.first | self.second).invoice_pdf_report_id.mapped("file_size"), sizes
        )

    def test_what_still_does_not_fit_is_linked_instead(self):
        # 600 KiB files that do not compress: room for one within 1 MB.
        self.company.gentle_attachment_limit_mb = 1.0
        attachments = self.attached()
        self.assertEqual(
            attachments,
            self.first.invoice_pdf_report_id | self.no_pdf.invoice_pdf_report_id,
            "the first in due order, and the small one after the one left out",
        )
        message = self.customer.message_ids.filtered(
            lambda m: m.gentle_mail_kind == "follow_up"
        )
        self.assertIn("Not attached", message.body)
        self.assertIn(f'href="{self.second.get_portal_url()}"', message.body)
        self.assertNotIn(
            f'href="{self.first.get_portal_url()}">',
            message.body.split("Not attached")[1],
        )

    def test_pdfs_rendered_one_by_one_when_several_at_once_fail(self):
        """wkhtmltopdf without Odoo's patched Qt renders one document per run:
        several invoices at once give an empty file. Each is then rendered on
        its own, and the reminder carries them all."""
        for move in self.first | self.second:
            move.invoice_pdf_report_id.unlink()
        self.env.invalidate_all()
        sender = self.env.registry["account.move.send"]
        original = sender._prepare_invoice_pdf_report
        runs = []

        def one_document_per_run(self, invoices_data):
            runs.append(len(invoices_data))
            if len(invoices_data) > 1:
                raise ValueError("Cannot read an empty file")
            return original(self, invoices_data)

        with (
            patch.object(sender, "_prepare_invoice_pdf_report", one_document_per_run),
            self.assertLogs(
                "odoo.addons.gentle_collections.models.gentle_followup_channel",
                "WARNING",
            ) as logs,
        ):
            attachments = self.attached()
        self.assertEqual(runs, [3, 1, 1, 1])
        self.assertIn("could not be rendered", logs.output[0])
        moves = self.first | self.second | self.no_pdf
        self.assertTrue(all(moves.mapped("invoice_pdf_report_id")))
        self.assertEqual(attachments, moves.invoice_pdf_report_id)

    def test_pdf_that_cannot_be_rendered_is_linked_and_nothing_lost(self):
        sender = self.env.registry["account.move.send"]

        def broken(self, invoices_data):
            raise ValueError("Exit with code 1 due to network error")

        with (
            patch.object(sender, "_prepare_invoice_pdf_report", broken),
            self.assertLogs(
                "odoo.addons.gentle_collections.models.gentle_followup_channel",
                "WARNING",
            ),
        ):
            attachments = self.attached()
        # The reminder went, with the PDFs it had; the one that could not be
        # rendered is linked instead, and is rendered by a later run.
        self.assertEqual(attachments, (self.first | self.second).invoice_pdf_report_id)
        self.assertFalse(self.no_pdf.invoice_pdf_report_id)
        message = self.customer.message_ids.filtered(
            lambda m: m.gentle_mail_kind == "follow_up"
        )
        self.assertIn("Not attached", message.body)
        self.assertIn(f'href="{self.no_pdf.get_portal_url()}"', message.body)

    def test_no_attachment_at_zero(self):
        self.company.gentle_attachment_limit_mb = 0.0
        self.assertFalse(self.attached())
        self.assertFalse(self.no_pdf.invoice_pdf_report_id, "nothing rendered")

    def test_limit_must_be_sensible(self):
        with self.assertRefused(
            ValidationError, records=self.company, message="between 0"
        ):
            self.company.write({"gentle_attachment_limit_mb": -1})


class TestGentlePdfCompress(BaseCase):
    """The PDF compression on real PDFs, without a database."""

    def test_uncompressed_pdf_shrinks_and_stays_the_same_document(self):
        original = _uncompressed_pdf("INV/2026/00042")
        compressed = compress_pdf(original)
        self.assertLess(len(compressed), len(original) * 0.5)
        reader = PdfReaderBase(io.BytesIO(compressed))
        self.assertEqual(len(reader.pages), 120)
        self.assertIn(
            "INV/2026/00042 page 119 line 59", reader.pages[119].extract_text()
        )

    def test_never_larger_and_unreadable_left_as_is(self):
        once = compress_pdf(_uncompressed_pdf("INV/2026/00043"))
        self.assertEqual(compress_pdf(once), once, "already compressed: unchanged")
        junk = b"%PDF-1.4 " + b"x" * 1000
        self.assertIs(compress_pdf(junk), junk)
