from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import RUN_NOW, GentleFollowupCommon


@tagged("post_install", "-at_install")
class TestFollowupCommunication(GentleFollowupCommon):
    """Issue 12, item 3: the message is saved before it is rendered; templates
    render on it, the table is a QWeb view another module extends."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.move = cls._gentle_invoice(
            cls.customer, date(2026, 10, 1), date(2026, 11, 7), amount=640.0
        )

    def test_run_records_the_message_it_rendered(self):
        with freeze_time(RUN_NOW):
            result = self._gentle_run()
        email = result["actions"].filtered(lambda a: a.channel == "email")
        message = email.communication_id
        self.assertEqual(message.state, "done")
        self.assertEqual(message.partner_id, self.customer)
        self.assertEqual(message.move_line_ids, self._gentle_receivables(self.move))
        self.assertEqual(message.step_ids.level_id, email.history_ids.level_id)
        self.assertEqual(
            message.mail_template_id, self.policy._get_template("friendly")
        )
        # What the customer received is what the message holds.
        self.assertEqual(email.mail_message_id.body, message.body_html)
        self.assertEqual(email.mail_message_id.subject, message.subject)
        # The template renders on the message again, to the same words.
        again = message.mail_template_id._render_field(
            "body_html", message.ids, compute_lang=True
        )[message.id]
        self.assertIn(self.move.name, again)
        self.assertIn("640.00", again)

    def test_template_editor_previews_on_a_message(self):
        with freeze_time(RUN_NOW):
            message = self._gentle_run()["actions"].communication_id
        template = message.mail_template_id
        preview = self.env["mail.template.preview"].create(
            {
                "mail_template_id": template.id,
                "resource_ref": f"{message._name},{message.id}",
            }
        )
        self.assertFalse(preview.error_msg)
        self.assertIn(self.move.name, preview.body_html)
        self.assertIn("Ann Customer", preview.body_html)
        self.assertIn(self.company.name, preview.subject)

    def test_table_extended_by_xpath(self):
        """Another module adds a column to the invoice table with xpath: every
        message lists it, nothing in Python changes."""
        table = self.env.ref("gentle_collections.gentle_followup_invoice_table")
        message = self._gentle_message(
            self.customer, date(2026, 11, 10), self._gentle_receivables(self.move)
        )
        self.assertNotIn("o_test_reference", message._gentle_followup_table())
        self.env["ir.ui.view"].create(
            {
                "name": "test: customer reference column",
                "type": "qweb",
                "inherit_id": table.id,
                "arch": """
                    <data>
                        <xpath expr="//thead/tr/th[1]" position="after">
                            <th>Reference</th>
                        </xpath>
                        <xpath expr="//tbody/tr/td[1]" position="after">
                            <td class="o_test_reference" t-out="line.move_id.ref"/>
                        </xpath>
                    </data>""",
            }
        )
        self.move.ref = "PO-4711"
        html = message._gentle_followup_table()
        self.assertIn("<th>Reference</th>", html)
        self.assertIn('<td class="o_test_reference">PO-4711</td>', html)

    def test_status_on_both_sides_of_the_due_date(self):
        line = self._gentle_receivables(self.move)
        due = line.date_maturity
        for offset, status in (
            (-3, "due in 3 days"),
            (-1, "due tomorrow"),
            (0, "due today"),
            (1, "1 day overdue"),
            (2, "2 days overdue"),
        ):
            message = self._gentle_message(
                self.customer, due + timedelta(days=offset), line
            )
            self.assertIn(status, message._gentle_followup_table())

    def test_dropped_and_stale_drafts_do_not_stay(self):
        with freeze_time(RUN_NOW):
            first = self.engine._gentle_prepare(
                self.company, RUN_NOW.date(), self.customer.ids
            )
            second = self.engine._gentle_prepare(
                self.company, RUN_NOW.date(), self.customer.ids
            )
            self.assertEqual(first[0].record.state, "draft")
            self.assertTrue(self.engine._gentle_execute(first))
            # The second run found the steps claimed: its draft goes.
            self.assertFalse(self.engine._gentle_execute(second))
        self.assertEqual(first[0].record.state, "done")
        self.assertFalse(second[0].record.exists())
        # A preview closed without sending: removed once a day old, not before.
        Message = self.env["gentle.followup.communication"]
        draft = self._gentle_message(self.customer, date(2026, 11, 10))
        draft.flush_recordset()
        self.env.cr.execute(
            "UPDATE gentle_followup_communication SET create_date = %s WHERE id = %s",
            (datetime(2026, 11, 10, 10, 0), draft.id),
        )
        draft.invalidate_recordset(["create_date"])
        with freeze_time(datetime(2026, 11, 11, 9, 59)):
            Message._gc_gentle_drafts()
            self.assertTrue(draft.exists())
        with freeze_time(datetime(2026, 11, 11, 10, 1)):
            Message._gc_gentle_drafts()
            self.assertFalse(draft.exists())
            self.assertTrue(first[0].record.exists())

    def test_users_read_messages_but_cannot_write_them(self):
        with freeze_time(RUN_NOW):
            message = self._gentle_run()["actions"].communication_id
        user = self.env["res.users"].create(
            {
                "name": "Colin Collector",
                "login": "colin_collector_comm",
                "company_id": self.company.id,
                "company_ids": [(6, 0, self.company.ids)],
                "groups_id": [
                    (6, 0, self.env.ref("gentle_collections.group_gentle_user").ids)
                ],
            }
        )
        mine = message.with_user(user)
        self.assertEqual(mine.subject, message.subject)
        with self.assertRaises(AccessError):
            mine.write({"subject": "Changed"})
        self.assertNotEqual(message.subject, "Changed")

    def test_links_get_the_base_url_of_the_moment_they_are_sent(self):
        """Issue 13, item 2: a reminder queued while the database answered on a
        temporary address links to the address it has when the mail goes out."""
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("web.base.url", "http://localhost:47271")
        with freeze_time(RUN_NOW):
            email = self._gentle_run()["actions"].filtered(
                lambda a: a.channel == "email"
            )
        mail = (
            self.env["mail.mail"]
            .sudo()
            .search([("mail_message_id", "=", email.mail_message_id.id)])
        )
        self.assertEqual(len(mail), 1)
        self.assertNotIn("47271", mail.body_html)
        params.set_param("web.base.url", "https://pay.example.com")
        outgoing = mail._prepare_outgoing_body()
        self.assertNotIn("47271", outgoing)
        self.assertIn(
            f'href="https://pay.example.com/my/invoices/{self.move.id}?access_token=',
            outgoing,
        )
        self.assertIn(
            f'href="https://pay.example.com/my/statement/{self.customer.id}?token=',
            outgoing,
        )
