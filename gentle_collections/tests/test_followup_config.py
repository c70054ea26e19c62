from datetime import date

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import GentleFollowupCommon


@tagged("post_install", "-at_install")
class TestFollowupConfig(GentleFollowupCommon):
    """Item 1 and 2: bad configuration is refused, the shipped policy is sound."""

    def _new_policy(self, **values):
        return self.env["gentle.followup.policy"].create(
            {"name": "Test ladder", "company_id": self.company.id, **values}
        )

    def _level(self, policy, offset, **values):
        return self.env["gentle.followup.level"].create(
            {"policy_id": policy.id, "name": f"Day {offset}", "day_offset": offset}
            | values
        )

    def test_two_levels_same_offset(self):
        policy = self._new_policy()
        self._level(policy, 5)
        with self.assertRaisesRegex(ValidationError, "own day"):
            with self.env.cr.savepoint():
                self._level(policy, 5, tone="firm")
        self.assertEqual(policy.level_ids.mapped("day_offset"), [5])
        # Two new levels on the same day in one save are refused too.
        with self.assertRaisesRegex(ValidationError, "own day"):
            with self.env.cr.savepoint():
                policy.level_ids = [
                    Command.create({"name": "A", "day_offset": 7}),
                    Command.create({"name": "B", "day_offset": 7}),
                ]
        self.assertEqual(policy.level_ids.mapped("day_offset"), [5])
        # Moving an existing level onto another's day is refused too.
        other = self._level(policy, 10)
        with self.assertRaises(ValidationError):
            with self.env.cr.savepoint():
                other.day_offset = 5
        other.invalidate_recordset()
        self.assertEqual(other.day_offset, 10)
        with self.assertRaisesRegex(ValidationError, "between -365 and 365"):
            with self.env.cr.savepoint():
                other.day_offset = -400
        # The same offset in another policy is fine.
        self._level(self._new_policy(), 5)

    def test_offset_out_of_range(self):
        policy = self._new_policy()
        for offset in (366, -366, 1000):
            with self.assertRaisesRegex(ValidationError, "between -365 and 365"):
                with self.env.cr.savepoint():
                    self._level(policy, offset)
        self.assertFalse(policy.level_ids)
        # The boundaries themselves are accepted.
        self._level(policy, 365)
        self._level(policy, -365)
        self.assertEqual(sorted(policy.level_ids.mapped("day_offset")), [-365, 365])

    @mute_logger("odoo.sql_db")
    def test_offset_range_database_check(self):
        policy = self._new_policy()
        level = self._level(policy, 10)
        with self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    "UPDATE gentle_followup_level SET day_offset = 400 WHERE id = %s",
                    [level.id],
                )

    def test_level_without_action(self):
        policy = self._new_policy()
        with self.assertRaisesRegex(ValidationError, "does nothing"):
            with self.env.cr.savepoint():
                self._level(policy, 3, send_email=False)
        self.assertFalse(policy.level_ids)
        level = self._level(policy, 3)
        with self.assertRaisesRegex(ValidationError, "does nothing"):
            with self.env.cr.savepoint():
                level.send_email = False
        # An "other activity" needs its type.
        with self.assertRaisesRegex(ValidationError, "choose its type"):
            with self.env.cr.savepoint():
                self._level(policy, 8, send_email=False, create_activity=True)
        todo = self.env.ref("mail.mail_activity_data_todo")
        level = self._level(
            policy, 8, send_email=False, create_activity=True, activity_type_id=todo.id
        )
        self.assertEqual(level._channels(), ["activity"])
        # Each action alone is enough.
        for offset, field in enumerate(
            ("send_sms", "print_letter", "create_call_activity"), start=20
        ):
            self._level(policy, offset, send_email=False, **{field: True})
        self.assertEqual(len(policy.level_ids), 5)

    def test_template_on_other_model(self):
        policy = self._new_policy()
        invoice_template = self.env["mail.template"].create(
            {
                "name": "Invoice wording",
                "model_id": self.env.ref("account.model_account_move").id,
                "subject": "Invoice",
            }
        )
        with self.assertRaisesRegex(ValidationError, "gentle.followup.communication"):
            with self.env.cr.savepoint():
                self.env["gentle.followup.template"].create(
                    {
                        "policy_id": policy.id,
                        "tone": "friendly",
                        "mail_template_id": invoice_template.id,
                    }
                )
        self.assertFalse(policy.template_ids)
        friendly = self.env.ref("gentle_collections.mail_template_followup_friendly")
        self.env["gentle.followup.template"].create(
            {
                "policy_id": policy.id,
                "tone": "friendly",
                "mail_template_id": friendly.id,
            }
        )
        self.assertEqual(policy._get_template("final"), friendly)

    def test_default_without_levels(self):
        self.policy.is_default = False
        with self.assertRaisesRegex(ValidationError, "has no level"):
            with self.env.cr.savepoint():
                self._new_policy(is_default=True)
        self.assertFalse(
            self.env["gentle.followup.policy"].search(
                [("company_id", "=", self.company.id), ("name", "=", "Test ladder")]
            )
        )
        # Removing the last level of the default policy is refused as well.
        self.policy.is_default = True
        with self.assertRaisesRegex(ValidationError, "has no level"):
            with self.env.cr.savepoint():
                self.policy.level_ids = [Command.clear()]
        self.assertEqual(len(self.policy.level_ids), 5)

    def test_two_defaults_in_company(self):
        policy = self._new_policy(
            level_ids=[Command.create({"name": "D", "day_offset": 1})]
        )
        with self.assertRaisesRegex(ValidationError, "already has a default"):
            with self.env.cr.savepoint():
                policy.is_default = True
        policy.invalidate_recordset()
        self.assertFalse(policy.is_default)
        self.assertEqual(self.company.gentle_default_policy_id, self.policy)
        # Creating a second default directly is refused as well.
        with self.assertRaisesRegex(ValidationError, "already has a default"):
            with self.env.cr.savepoint():
                self._new_policy(
                    is_default=True,
                    level_ids=[Command.create({"name": "D", "day_offset": 1})],
                )
        # An archived default does not count.
        self.assertEqual(self.policy.level_count, 5)
        # Switching the default in two steps works.
        self.policy.is_default = False
        policy.is_default = True
        self.assertEqual(self.company.gentle_default_policy_id, policy)

    @mute_logger("odoo.sql_db")
    def test_two_defaults_database_constraint(self):
        policy = self._new_policy(
            level_ids=[Command.create({"name": "D", "day_offset": 1})]
        )
        self.env.flush_all()
        with self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    "UPDATE gentle_followup_policy SET is_default = TRUE WHERE id = %s",
                    [policy.id],
                )

    def test_tone_unique_per_policy(self):
        friendly = self.env.ref("gentle_collections.mail_template_followup_friendly")
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self.env["gentle.followup.template"].create(
                    {
                        "policy_id": self.policy.id,
                        "tone": "friendly",
                        "mail_template_id": friendly.id,
                    }
                )

    def test_shipped_default_policy(self):
        shipped = self.env.ref(
            "gentle_collections.gentle_followup_policy_default"
        ).sudo()
        self.assertTrue(shipped.is_default)
        self.assertEqual(shipped.company_id, self.env.ref("base.main_company"))
        # New companies receive their own copy, made default.
        self.assertNotEqual(self.policy, shipped)
        for policy in (shipped, self.policy):
            levels = policy.level_ids.sorted("day_offset")
            self.assertEqual(levels.mapped("day_offset"), [-5, 3, 15, 30, 45])
            self.assertEqual(
                levels.mapped("tone"),
                ["friendly", "friendly", "neutral", "firm", "final"],
            )
            self.assertTrue(all(levels.mapped("send_email")))
            self.assertEqual(
                [lv.create_call_activity for lv in levels],
                [False, False, True, False, False],
            )
            self.assertEqual(
                [lv.requires_approval for lv in levels],
                [False, False, False, False, True],
            )
            self.assertTrue(levels[-1].print_letter)
            # One wording per tone for every customer, one for subtle customers.
            self.assertEqual(
                sorted((t.tone, t.style or "") for t in policy.template_ids),
                [
                    (tone, style)
                    for tone in ("final", "firm", "friendly", "neutral")
                    for style in ("", "subtle")
                ],
            )
            self.assertEqual(policy.level_count, 5)
        self.assertEqual(self.policy.company_id, self.company)
        self.assertEqual(self.policy.name, shipped.name)
        self.assertEqual(
            self.levels[-5].display_name, "Friendly heads-up (5 days before due)"
        )
        self.assertEqual(
            self.levels[3].display_name, "First reminder (3 days after due)"
        )
        action = self.policy.action_view_levels()
        self.assertEqual(action["domain"], [("policy_id", "=", self.policy.id)])

    def test_level_on_due_date_display(self):
        policy = self._new_policy()
        self.assertEqual(self._level(policy, 0).display_name, "Day 0 (on the due date)")

    def test_template_fallback_by_tone(self):
        policy = self._new_policy()
        self.assertFalse(policy._get_template("firm"))
        neutral = self.env.ref("gentle_collections.mail_template_followup_neutral")
        self.env["gentle.followup.template"].create(
            {"policy_id": policy.id, "tone": "neutral", "mail_template_id": neutral.id}
        )
        # Softer tones borrow the next firmer wording, firmer ones the softer.
        self.assertEqual(policy._get_template("friendly"), neutral)
        self.assertEqual(policy._get_template("final"), neutral)

    def test_default_templates_render_invoices(self):
        """Each shipped wording names every invoice, its amount due and due date,
        and offers help."""
        first = self._gentle_invoice(
            self.customer, date(2026, 9, 1), date(2026, 10, 1), amount=1234.5
        )
        second = self._gentle_invoice(
            self.customer, date(2026, 9, 15), date(2026, 10, 20), amount=800.0
        )
        # A partial payment: the reminder shows what is still due.
        self.pay(second, amount=300.0, date=date(2026, 10, 5))
        lines = self._gentle_receivables(first) | self._gentle_receivables(second)
        message = self._gentle_message(self.customer, date(2026, 11, 10), lines)
        for tone in ("friendly", "neutral", "firm", "final"):
            template = self.policy._get_template(tone)
            body = template._render_field("body_html", message.ids, compute_lang=True)[
                message.id
            ]
            subject = template._render_field("subject", message.ids)[message.id]
            self.assertIn(self.company.name, subject)
            self.assertIn("Ann Customer", body)
            for move in (first, second):
                self.assertIn(move.name, body)
                self.assertIn(move.get_portal_url(), body)
            self.assertIn("1,234.50", body)
            self.assertIn("500.00", body)
            self.assertNotIn("800.00", body)
            self.assertIn("10/01/2026", body)
            self.assertIn("10/20/2026", body)
            self.assertIn("40 days overdue", body)
            self.assertIn("21 days overdue", body)
            # Offers help: a reply or contact, a call or a payment plan.
            self.assertRegex(body.lower(), "reply|contact us")
            self.assertRegex(body.lower(), "call|plan")
        # Before the due date the table says so.
        template = self.policy._get_template("friendly")
        for day, status in (
            (date(2026, 9, 26), "due in 5 days"),
            (date(2026, 10, 1), "due today"),
            (date(2026, 9, 30), "due tomorrow"),
            (date(2026, 10, 2), "1 day overdue"),
            (date(2026, 10, 3), "2 days overdue"),
        ):
            message = self._gentle_message(self.customer, day, lines[:1])
            body = template._render_field("body_html", message.ids)[message.id]
            self.assertIn(status, body)

    def test_company_settings_refused(self):
        for values, message in (
            ({"gentle_batch_size": 0}, "batch size"),
            ({"gentle_batch_size": 10001}, "batch size"),
            ({"gentle_window_start": 17.0, "gentle_window_end": 9.0}, "open before"),
            ({"gentle_window_start": 9.0, "gentle_window_end": 25.0}, "open before"),
            ({"gentle_grade_a_min": 60, "gentle_grade_b_min": 70}, "decrease"),
            ({"gentle_score_min_paid": -1}, "cannot be negative"),
        ):
            with self.assertRaisesRegex(ValidationError, message):
                with self.env.cr.savepoint():
                    self.company.sudo().write(values)
        self.company.sudo().write({"gentle_batch_size": 1, "gentle_window_end": 24.0})
        self.assertEqual(self.company.gentle_batch_size, 1)

    def test_new_company_gets_default_policy(self):
        company = self.env["res.company"].sudo().create({"name": "Gentle New Co"})
        policy = company.gentle_default_policy_id
        self.assertTrue(policy.is_default)
        self.assertEqual(policy.company_id, company)
        self.assertEqual(len(policy.level_ids), 5)
        self.assertEqual(len(policy.template_ids), 8)
