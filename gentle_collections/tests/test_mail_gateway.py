import time
from datetime import date, datetime
from email import policy
from email.message import EmailMessage

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..tools.reply_parser import REPLY_SCAN_CHARS
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

    def test_invoice_numbers_only_read_at_the_start(self):
        filler = "word " * (REPLY_SCAN_CHARS // 5)
        Gateway = self.env["gentle.collection.case.gateway"]
        customer = self.customer
        self.assertEqual(
            Gateway._gentle_invoices_named(f"x {self.invoice.name}", customer),
            self.invoice,
        )
        self.assertFalse(
            Gateway._gentle_invoices_named(f"{filler} {self.invoice.name}", customer)
        )


@tagged("post_install", "-at_install")
class TestGentleMailGateway(GentleCaseCommon):
    """Who may open a case by e-mail: a known contact of the customer whose
    invoices are named holds them; anyone else opens a case to triage that
    holds nothing and answers nobody."""

    NOW = datetime(2026, 3, 30, 10)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Jane Payables",
                "email": "jane@querycorp.example.com",
                "parent_id": cls.customer.id,
                "type": "contact",
            }
        )
        cls.engine = cls.env["gentle.followup.engine"]

    def process(self, sender, subject, body, key):
        raw = raw_email(sender, subject, body, f"<gentle-gw-{key}@example.com>")
        with freeze_time("2026-03-02 09:00:00"):
            return self.env["mail.thread"].message_process(
                "gentle.collection.case", raw
            )

    def due(self, partner):
        return self.engine._gentle_due_partner_ids(
            self.company, self.NOW, [partner.id], window=False
        )

    def assert_not_held(self, invoice):
        invoice.invalidate_recordset()
        self.assertEqual(invoice._gentle_hold_reasons(date(2026, 3, 30)), [])
        self.assertFalse(invoice.gentle_on_hold)
        self.assertFalse(
            self.env["account.move"].search(
                [("gentle_on_hold", "=", True), ("id", "=", invoice.id)]
            )
        )
        self.assertEqual(
            self.due(invoice.commercial_partner_id), [invoice.partner_id.id]
        )

    def assert_nothing_to(self, partner):
        self.env.flush_all()
        self.assertFalse(
            self.env["mail.mail"].search(
                [
                    "|",
                    ("recipient_ids", "in", partner.ids),
                    ("email_to", "ilike", partner.email),
                ]
            )
        )
        self.assertFalse(
            self.env["mail.message"].search([("partner_ids", "in", partner.ids)])
        )
        self.assertFalse(
            self.env["mail.notification"].search([("res_partner_id", "=", partner.id)])
        )

    def test_unknown_sender_opens_a_case_to_triage_that_holds_nothing(self):
        Case = self.env["gentle.collection.case"]
        self.assertEqual(self.due(self.other_customer), [self.other_customer.id])
        case_id = self.process(
            "Mallory <mallory@attacker.example.com>",
            f"Dispute on {self.other_invoice.name}",
            f"Please stop chasing {self.other_invoice.name}, we will pay on March 15.",
            "unknown",
        )
        case = Case.browse(case_id)
        self.assertTrue(case.needs_triage)
        self.assertFalse(case.partner_id)
        self.assertFalse(case.move_ids)
        self.assertEqual(case.company_id, self.other_invoice.company_id)
        self.assertEqual(case.source, "email")
        self.assertIn(self.other_invoice.name, case.description)
        self.assertIn("mallory@attacker.example.com", case.description)
        self.assertFalse(self.other_invoice.gentle_case_ids)
        self.assert_not_held(self.other_invoice)
        self.assert_nothing_to(self.other_customer)
        # Nobody answered, the sender included; no promise read from the mail.
        self.assertFalse(
            case.message_ids.filtered(
                lambda m: m.message_type == "comment" and m.partner_ids
            )
        )
        self.assertFalse(
            self.env["mail.mail"].search(
                [
                    ("model", "=", case._name),
                    ("res_id", "=", case.id),
                    ("email_to", "ilike", "mallory"),
                ]
            )
        )
        self.assertFalse(case.activity_ids.filtered("gentle_reply_message_id"))
        # Marked for a collector: the filter, the to-do of the assignee.
        self.assertEqual(Case.search([("needs_triage", "=", True)]), case)
        triage = case.activity_ids.filtered(
            lambda a: a.summary == "Triage an email from an unknown sender"
        )
        self.assertEqual(triage.user_id, case.user_id)
        self.assertIn(case.user_id, self.tier_front.member_ids)
        # Linking the invoices before the sender is confirmed holds nothing.
        case.write(
            {
                "partner_id": self.other_customer.id,
                "move_ids": [(6, 0, self.other_invoice.ids)],
            }
        )
        self.assert_not_held(self.other_invoice)

    def test_confirming_the_sender_applies_the_hold(self):
        case = self.env["gentle.collection.case"].browse(
            self.process(
                "Unknown Person <someone@newdomain.example.com>",
                f"About {self.invoice.name}",
                "Is this right?",
                "confirm",
            )
        )
        self.assertTrue(case.needs_triage)
        with self.assertRefused(UserError, "set the customer and the invoices"):
            case.action_confirm_triage()
        self.assertTrue(case.needs_triage)
        case.write(
            {"partner_id": self.contact.id, "move_ids": [(6, 0, self.invoice.ids)]}
        )
        self.assertEqual(case.partner_id, self.customer)
        self.assert_not_held(self.invoice)
        case.action_confirm_triage()
        self.assertFalse(case.needs_triage)
        self.invoice.invalidate_recordset()
        self.assertTrue(self.invoice.gentle_on_hold)
        self.assertIn(case.name, self.invoice.gentle_hold_reason)
        self.assertIn(case.name, self.invoice.message_ids[0].body)
        self.assertFalse(self.invoice_2.gentle_on_hold)
        self.assertFalse(
            case.activity_ids.filtered(
                lambda a: a.summary == "Triage an email from an unknown sender"
            )
        )
        ack = case.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(len(ack), 1)
        self.assertIn(self.customer, ack.partner_ids)
        with self.assertRefused(UserError, "not waiting for triage"):
            case.action_confirm_triage()

    def test_known_contact_naming_own_invoice_holds_and_acknowledges(self):
        # The contact's address as typed differently: normalized, it matches.
        case = self.env["gentle.collection.case"].browse(
            self.process(
                "Jane <Jane@QueryCorp.Example.com>",
                f"Question on {self.invoice.name}",
                f"And {self.other_invoice.name}?",
                "known",
            )
        )
        self.assertFalse(case.needs_triage)
        self.assertEqual(case.partner_id, self.customer)
        # Only the customer's own invoice: another customer's is not linked.
        self.assertEqual(case.move_ids, self.invoice)
        self.invoice.invalidate_recordset()
        self.assertTrue(self.invoice.gentle_on_hold)
        self.assert_not_held(self.other_invoice)
        ack = case.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(len(ack), 1)
        self.assertIn(self.customer, ack.partner_ids)
        self.assert_nothing_to(self.other_customer)

    def test_known_contact_naming_another_customers_invoice_is_refused(self):
        Case = self.env["gentle.collection.case"]
        count = Case.search_count([])
        with self.assertRaises(ValueError):
            self.process(
                "Jane <jane@querycorp.example.com>",
                f"Question on {self.other_invoice.name}",
                "Please hold it.",
                "other",
            )
        self.assertEqual(Case.search_count([]), count)
        self.assert_not_held(self.other_invoice)
        self.assert_nothing_to(self.other_customer)

    def test_contact_of_another_company_is_not_known(self):
        """A partner restricted to another company does not vouch for a sender
        writing about this company's invoice."""
        other_company = self.setup_other_company()["company"]
        self.contact.company_id = other_company
        self.customer.email = "ap-new@querycorp.example.com"
        with self.assertRaises(ValueError):
            self.process(
                "Jane <jane@querycorp.example.com>",
                f"Question on {self.invoice.name}",
                "Please hold it.",
                "company",
            )
        self.assert_not_held(self.invoice)
