from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import RUN_DATE, GentleFollowupCommon


@tagged("post_install", "-at_install")
class TestFollowupWizard(GentleFollowupCommon):
    """Item 10: "Follow up now" previews exactly what it then sends."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.second = cls._gentle_customer("Bea Second")
        cls.idle = cls._gentle_customer("Ivy Idle")
        cls.move = cls._gentle_invoice(
            cls.customer, date(2026, 10, 1), date(2026, 11, 7)
        )
        cls.move2 = cls._gentle_invoice(
            cls.second, date(2026, 9, 1), date(2026, 10, 20)
        )
        # Not due yet: nothing to send for this customer.
        cls._gentle_invoice(cls.idle, date(2026, 11, 1), date(2026, 12, 31))

    def _wizard(self, partners):
        action = partners.action_gentle_followup_now()
        self.assertEqual(action["res_model"], "gentle.followup.send")
        # The dialog opens on a wizard whose preview is already prepared.
        return self.env["gentle.followup.send"].browse(action["res_id"])

    @freeze_time("2026-11-10 10:00:00")
    def test_preview_identical_to_sent(self):
        wizard = self._wizard(self.customer | self.second | self.idle)
        self.assertEqual(wizard.date, RUN_DATE)
        self.assertEqual(
            wizard.communication_ids.partner_id, self.customer | self.second
        )
        self.assertIn("Ivy Idle", wizard.nothing_due)
        previews = {p.partner_id: p for p in wizard.communication_ids}
        self.assertEqual(previews[self.customer].tone, "friendly")
        self.assertEqual(previews[self.customer].channels, "email")
        self.assertEqual(previews[self.second].tone, "neutral")
        self.assertEqual(previews[self.second].channels, "email, call")
        self.assertEqual(
            previews[self.customer].move_line_ids, self._gentle_receivables(self.move)
        )
        self.assertIn(self.move.name, previews[self.customer].body_html)
        # Previewing records nothing: the preview shows unrecorded drafts.
        self.assertFalse(self._gentle_history(self.move | self.move2))
        self.assertEqual(set(wizard.communication_ids.mapped("state")), {"draft"})
        self.assertFalse(wizard.communication_ids.action_ids)
        bodies = {p: v.body_html for p, v in previews.items()}
        subjects = {p: v.subject for p, v in previews.items()}
        result = wizard.action_send()
        self.assertEqual(result["params"]["type"], "success")
        actions = self.env["gentle.followup.action"].search(
            [("partner_id", "in", (self.customer | self.second).ids)]
        )
        emails = actions.filtered(lambda a: a.channel == "email")
        self.assertEqual(len(emails), 2)
        for email in emails:
            self.assertEqual(email.body_html, bodies[email.partner_id])
            self.assertEqual(email.subject, subjects[email.partner_id])
            self.assertEqual(email.mail_message_id.body, bodies[email.partner_id])
            self.assertEqual(email.mail_message_id.subject, subjects[email.partner_id])
        self.assertEqual(len(self._gentle_history(self.move | self.move2)), 2)
        # One recorded message per customer, its actions on each channel; the
        # preview's drafts are gone.
        messages = actions.communication_id
        self.assertEqual(messages.partner_id, self.customer | self.second)
        self.assertEqual(set(messages.mapped("state")), {"done"})
        self.assertEqual(messages.action_ids, actions)
        self.assertEqual(
            messages.filtered(lambda m: m.partner_id == self.customer).move_line_ids,
            self._gentle_receivables(self.move),
        )
        self.assertFalse(wizard.communication_ids.exists())
        # Once sent, nothing is left to send today.
        again = self._wizard(self.customer | self.second)
        self.assertFalse(again.communication_ids)
        with self.assertRaisesRegex(UserError, "Nothing to send"):
            again.action_send()

    @freeze_time("2026-11-10 10:00:00")
    def test_preview_matches_the_run(self):
        """The wizard and the hourly run render the same message."""
        wizard = self._wizard(self.customer)
        preview = wizard.communication_ids.body_html
        result = self._gentle_run()
        email = result["actions"].filtered(lambda a: a.channel == "email")
        self.assertEqual(email.body_html, preview)
        self.assertEqual(email.mail_message_id.body, preview)

    @freeze_time("2026-11-10 10:00:00")
    def test_sent_in_the_meantime(self):
        wizard = self._wizard(self.customer)
        self.assertTrue(wizard.communication_ids)
        self._gentle_run()
        with self.assertRaisesRegex(UserError, "sent in the meantime"):
            wizard.action_send()
        self.assertEqual(len(self._gentle_history(self.move)), 1)

    @freeze_time("2026-11-10 10:00:00")
    def test_overlapping_previews(self):
        """Issue 11, item 4: two previews of one customer, an invoice posted in
        between. The older one no longer matches: sending it sends nothing and
        says why; the newer one sends every invoice, each with its reminder."""
        older = self._wizard(self.customer)
        new_move = self._gentle_invoice(
            self.customer, date(2026, 10, 2), date(2026, 11, 6)
        )
        newer = self._wizard(self.customer)
        self.assertEqual(len(older.communication_ids.move_line_ids), 1)
        self.assertEqual(len(newer.communication_ids.move_line_ids), 2)
        with self.assertRaisesRegex(UserError, "changed since this preview"):
            older.action_send()
        self.assertFalse(self._gentle_history(self.move | new_move))
        newer.action_send()
        history = self._gentle_history(self.move | new_move)
        self.assertEqual(history.move_id, self.move | new_move)
        email = history.action_ids.filtered(lambda a: a.channel == "email")
        self.assertEqual(len(email), 1)
        self.assertEqual(history.action_ids.move_ids, self.move | new_move)
        self.assertTrue(email.mail_message_id)

    @freeze_time("2026-11-10 10:00:00")
    def test_contact_person_selected(self):
        """Selecting a contact of the company follows up the company."""
        contact = self.env["res.partner"].create(
            {"name": "Ann's accountant", "parent_id": self.customer.id}
        )
        wizard = self._wizard(contact)
        self.assertEqual(wizard.communication_ids.partner_id, self.customer)
        self.assertFalse(wizard.nothing_due)

    @freeze_time("2026-11-10 10:00:00")
    def test_wizard_form(self):
        form = Form(
            self.env["gentle.followup.send"].with_context(
                default_partner_ids=[(6, 0, self.customer.ids)]
            )
        )
        wizard = form.save()
        self.assertEqual(len(wizard.communication_ids), 1)

    @freeze_time("2026-11-10 10:00:00")
    def test_settings_preview_the_next_run(self):
        """Before going live, the settings preview what the next run sends."""
        settings = self.env["res.config.settings"].create({})
        action = settings.action_gentle_preview_run()
        wizard = self.env["gentle.followup.send"].browse(action["res_id"])
        self.assertEqual(
            wizard.communication_ids.partner_id, self.customer | self.second
        )
        self.assertFalse(self._gentle_history(self.move | self.move2))
        # Go live after every due date: nothing would be sent, and it says why.
        self.company.gentle_go_live_date = date(2026, 12, 1)
        settings = self.env["res.config.settings"].create({})
        with self.assertRaises(UserError) as caught:
            settings.action_gentle_preview_run()
        self.assertIn("go-live date", str(caught.exception))


@tagged("post_install", "-at_install")
class TestFollowupWizardWords(GentleFollowupCommon):
    """Issue 13, item 5: the preview says who receives each message and in
    which language, the collector may rewrite one message, and the outcome
    says what was sent and what was only queued."""

    PAYLOAD = '<p>Dear Ann, we can wait until Friday.</p><img src=x onerror="alert(1)">'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.french = cls._gentle_customer("Claire Martin", lang="fr_FR")
        cls.move = cls._gentle_invoice(
            cls.customer, date(2026, 10, 1), date(2026, 11, 7)
        )
        cls.move_fr = cls._gentle_invoice(
            cls.french, date(2026, 10, 1), date(2026, 11, 7)
        )
        cls.collector = cls.env["res.users"].create(
            {
                "name": "Colin Collector",
                "login": "colin_words",
                "company_id": cls.company.id,
                "company_ids": [(6, 0, cls.company.ids)],
                "groups_id": [
                    (
                        6,
                        0,
                        (
                            cls.env.ref("base.group_user")
                            | cls.env.ref("gentle_collections.group_gentle_user")
                            | cls.env.ref("account.group_account_invoice")
                        ).ids,
                    )
                ],
            }
        )

    def _wizard(self, partners):
        action = (
            partners.with_user(self.collector)
            .with_company(self.company)
            .action_gentle_followup_now()
        )
        return (
            self.env["gentle.followup.send"]
            .with_user(self.collector)
            .with_company(self.company)
            .browse(action["res_id"])
        )

    def _edit(self, message, subject, body):
        action = message.action_gentle_edit()
        edit = (
            self.env[action["res_model"]]
            .with_user(self.collector)
            .browse(action["res_id"])
        )
        self.assertEqual(edit.subject, message.subject)
        edit.write({"subject": subject, "body_html": body})
        return edit.action_save()

    @freeze_time("2026-11-10 10:00:00")
    def test_recipients_and_language_shown(self):
        wizard = self._wizard(self.customer | self.french)
        previews = {p.partner_id: p for p in wizard.communication_ids}
        self.assertIn("ann.customer@example.com", previews[self.customer].recipients)
        self.assertIn("English", previews[self.customer].recipients)
        self.assertIn("claire.martin@example.com", previews[self.french].recipients)
        self.assertIn("French", previews[self.french].recipients)

    @freeze_time("2026-11-10 10:00:00")
    def test_edited_words_are_sent_exactly_and_recorded(self):
        wizard = self._wizard(self.customer | self.french)
        previews = {p.partner_id: p for p in wizard.communication_ids}
        mine = previews[self.customer]
        self._edit(mine, "About your invoice", self.PAYLOAD)
        mine.invalidate_recordset()
        # Kept as written, sanitized as the chatter would: no script survives.
        self.assertIn("we can wait until Friday", mine.body_html)
        self.assertNotIn("onerror", mine.body_html)
        self.assertEqual(mine.subject, "About your invoice")
        self.assertEqual(mine.edited_by_id, self.collector)
        edited = mine.body_html
        untouched = previews[self.french].body_html
        result = wizard.action_send()
        emails = self.env["gentle.followup.action"].search(
            [
                ("partner_id", "in", (self.customer | self.french).ids),
                ("channel", "=", "email"),
            ]
        )
        sent = {email.partner_id: email for email in emails}
        self.assertEqual(sent[self.customer].body_html, edited)
        self.assertEqual(sent[self.customer].mail_message_id.body, edited)
        self.assertEqual(sent[self.customer].subject, "About your invoice")
        self.assertEqual(
            sent[self.customer].communication_id.edited_by_id, self.collector
        )
        # The other customer's message went out as the engine wrote it.
        self.assertEqual(sent[self.french].body_html, untouched)
        self.assertFalse(sent[self.french].communication_id.edited_by_id)
        # The outcome says the two emails were queued, not that they arrived.
        self.assertEqual(set(emails.mapped("state")), {"queued"})
        self.assertIn(
            "Handed to the outgoing mail queue, sent within minutes: 2.",
            result["params"]["message"],
        )
        self.assertNotIn("Delivered", result["params"]["message"])

    @freeze_time("2026-11-10 10:00:00")
    def test_edits_refused_change_nothing(self):
        wizard = self._wizard(self.customer)
        message = wizard.communication_ids
        body, subject = message.body_html, message.subject
        with self.assertRaisesRegex(UserError, "too long"):
            self._edit(message, "Long", "<p>%s</p>" % ("x" * 100_001))
        with self.assertRaisesRegex(UserError, "too long"):
            self._edit(message, "s" * 256, "<p>Fine</p>")
        message.invalidate_recordset()
        self.assertEqual((message.body_html, message.subject), (body, subject))
        self.assertFalse(message.edited_by_id)
        wizard.action_send()
        recorded = (
            self.env["gentle.followup.action"]
            .search([("partner_id", "=", self.customer.id)])
            .communication_id
        )
        self.assertEqual(recorded.state, "done")
        with self.assertRaisesRegex(UserError, "sent already"):
            self._edit(recorded.with_user(self.collector), "Late", "<p>Too late</p>")
        recorded.invalidate_recordset()
        self.assertEqual(recorded.body_html, body)
        self.assertFalse(recorded.edited_by_id)
