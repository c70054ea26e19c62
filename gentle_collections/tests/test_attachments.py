import base64
from datetime import date

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import GentleFollowupCommon


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

    def test_stored_pdfs_attached_within_the_limit(self):
        self.assertEqual(self.company.gentle_attachment_limit_mb, 20.0)
        pdfs = (self.first | self.second).invoice_pdf_report_id
        self.assertEqual(len(pdfs), 2)
        before = self.env["ir.attachment"].search_count(
            [("res_model", "=", "account.move"), ("res_id", "=", self.no_pdf.id)]
        )
        self.assertEqual(self.attached(), pdfs)
        # The invoice without a stored PDF gets none rendered for the reminder.
        self.assertFalse(self.no_pdf.invoice_pdf_report_id)
        self.assertEqual(
            self.env["ir.attachment"].search_count(
                [("res_model", "=", "account.move"), ("res_id", "=", self.no_pdf.id)]
            ),
            before,
        )
        # Still the invoices' own files, not copies moved to the customer.
        self.assertEqual(pdfs.mapped("res_model"), ["account.move"] * 2)

    def test_over_the_limit_the_rest_goes_by_portal_link(self):
        self.company.gentle_attachment_limit_mb = 1.0  # room for one 600 KiB PDF
        attachments = self.attached()
        self.assertEqual(attachments, self.first.invoice_pdf_report_id)

    def test_no_attachment_at_zero(self):
        self.company.gentle_attachment_limit_mb = 0.0
        self.assertFalse(self.attached())

    def test_limit_must_be_sensible(self):
        with self.assertRefused(
            ValidationError, records=self.company, message="between 0"
        ):
            self.company.write({"gentle_attachment_limit_mb": -1})
