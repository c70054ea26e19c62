from datetime import date, datetime, time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import format_amount, format_date

from .common import GentleFollowupCommon


@tagged("post_install", "-at_install")
class TestGentleEarlyDiscount(GentleFollowupCommon):
    """Early-payment discounts: annual cost, margin guard, nudge, reminders."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR")
        cls.term = cls._gentle_discount_term("2/10 net 30", 2.0, 10, 30)
        cls.product = cls.env["product.product"].create(
            {"name": "Widget", "list_price": 1000.0, "taxes_id": [Command.clear()]}
        )
        cls.grade_a = cls.env.ref("gentle_collections.gentle_grade_a")
        cls.grade_b = cls.env.ref("gentle_collections.gentle_grade_b")

    @classmethod
    def _gentle_discount_term(cls, name, percentage, days, net_days):
        return cls.env["account.payment.term"].create(
            {
                "name": name,
                "company_id": cls.company.id,
                "early_discount": True,
                "discount_percentage": percentage,
                "discount_days": days,
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 100, "nb_days": net_days}
                    )
                ],
            }
        )

    def _product_invoice(self, cost, post=False, **values):
        self.product.with_company(self.company).standard_price = cost
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": date(2026, 3, 2),
                "invoice_payment_term_id": self.term.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "quantity": 2,
                            "price_unit": 500.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
                **values,
            }
        )
        if post:
            move.action_post()
        return move

    def _nudges(self):
        return self.customer.message_ids.filtered(
            lambda m: m.subject and "by paying early" in m.subject
        )

    # ------------------------------------------------------------------
    # Payment term
    # ------------------------------------------------------------------

    def test_annual_cost(self):
        self.assertAlmostEqual(self.term.gentle_annual_cost, 37.24, places=2)
        self.term.early_discount = False
        self.assertEqual(self.term.gentle_annual_cost, 0.0)

    def test_bad_term_refused(self):
        Term = self.env["account.payment.term"]
        with self.assertRaises(ValidationError) as caught:
            self._gentle_discount_term("Too generous", 101.0, 10, 30)
        self.assertIn("less than 100", str(caught.exception))
        with self.assertRaises(ValidationError) as caught:
            self._gentle_discount_term("Too long", 2.0, 30, 30)
        self.assertIn("fewer days than the term", str(caught.exception))
        self.assertFalse(Term.search([("name", "in", ("Too generous", "Too long"))]))
        # Right under both limits: accepted.
        term = self._gentle_discount_term("Just fits", 99.0, 29, 30)
        self.assertTrue(term.exists())
        with self.assertRaises(ValidationError) as caught:
            self.term.discount_days = 31
        self.assertIn("fewer days than the term", str(caught.exception))
        self.assertEqual(self.term.discount_days, 10)

    # ------------------------------------------------------------------
    # Margin guard
    # ------------------------------------------------------------------

    def test_guard_boundary(self):
        """Discount 20 on 1000: half of a 40 margin passes, of a 38 margin not."""
        self.company.gentle_discount_max_margin_share = 0.5
        allowed = self._product_invoice(cost=480.0)  # margin 40, may give 20
        self.assertFalse(allowed.gentle_discount_guard_note)
        allowed.action_post()
        self.assertEqual(allowed.state, "posted")
        refused = self._product_invoice(cost=481.0)  # margin 38, may give 19
        self.assertIn("margin of $", refused.gentle_discount_guard_note)
        with self.assertRaises(UserError) as caught:
            refused.action_post()
        self.assertIn("Post without discount", str(caught.exception))
        currency = self.company.currency_id
        self.assertIn(format_amount(self.env, 20.0, currency), str(caught.exception))
        self.assertIn(format_amount(self.env, 38.0, currency), str(caught.exception))
        self.assertEqual(refused.state, "draft")

    def test_post_without_discount(self):
        self.company.gentle_discount_max_margin_share = 0.5
        move = self._product_invoice(cost=481.0)
        move.action_gentle_post_without_discount()
        self.assertEqual(move.state, "posted")
        receivable = self._gentle_receivables(move)
        self.assertFalse(receivable.discount_date)
        self.assertEqual(move.invoice_date_due, date(2026, 4, 1))
        self.assertEqual(move.amount_residual, 1000.0)
        self.assertFalse(move.invoice_payment_term_id)

    def test_guard_off_and_unknown_cost(self):
        self.company.gentle_discount_max_margin_share = 0.0
        self._product_invoice(cost=999.0, post=True)  # guard off: posts
        self.company.gentle_discount_max_margin_share = 0.01  # at most 10 of 1000
        unknown = self._product_invoice(cost=0.0)
        unknown.action_post()  # cost unknown, not guarded: posts
        self.company.gentle_discount_guard_unknown_cost = True
        guarded = self._product_invoice(cost=0.0)
        with self.assertRaises(UserError) as caught:
            guarded.action_post()
        self.assertIn("margin", str(caught.exception))
        self.assertEqual(guarded.state, "draft")

    # ------------------------------------------------------------------
    # Nudge
    # ------------------------------------------------------------------

    def _eur_invoice(self):
        return self._gentle_invoice(
            self.customer,
            date(2026, 3, 2),
            amount=1234.5,
            term=self.term,
            currency_id=self.eur.id,
        )

    def _nudge_run(self, day, window=False):
        """A follow-up run at 10:00 UTC on ``day`` (the nudge is the engine's)."""
        return self.engine._gentle_run(
            self.company,
            now=datetime.combine(day, time(10, 0)),
            partner_ids=self.customer.ids,
            window=window,
        )

    def test_nudge_day_and_saving_once(self):
        move = self._eur_invoice()
        self.assertEqual(
            self._gentle_receivables(move).discount_date, date(2026, 3, 12)
        )
        self.assertFalse(self._nudge_run(date(2026, 3, 8))["actions"])
        self.assertFalse(self._nudges())
        actions = self._nudge_run(date(2026, 3, 9))["actions"]
        self.assertEqual(actions.mapped("channel"), ["email"])
        self.assertEqual(actions.nudged_move_ids, move)
        self.assertFalse(actions.move_ids)
        self.assertIn("Early-payment discount", actions.name)
        nudge = self._nudges()
        self.assertEqual(nudge, actions.mail_message_id)
        self.assertEqual(nudge.message_type, "comment")
        self.assertEqual(nudge.partner_ids, self.customer)
        saving = format_amount(self.env, 24.69, self.eur)
        body = str(nudge.body).replace("&nbsp;", "\xa0")
        self.assertIn(f"save {saving}", body)
        self.assertIn(format_date(self.env, date(2026, 3, 12)), body)
        self.assertIn("A reminder that you can still save by paying early", body)
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", nudge.id)])
        self.assertIn(f"save {saving}", mail.body_html.replace("&nbsp;", "\xa0"))
        self.assertEqual(move.gentle_discount_nudged_on, date(2026, 3, 9))
        self.assertTrue(
            move.message_ids.filtered(
                lambda m: "Early-payment discount recalled" in str(m.body)
            )
        )
        self.assertFalse(self._nudge_run(date(2026, 3, 10))["actions"])
        self.assertEqual(len(self._nudges()), 1)

    def test_nudge_not_after_discount_date(self):
        self._eur_invoice()
        self.assertFalse(self._nudge_run(date(2026, 3, 13))["actions"])
        self.assertFalse(self._nudges())

    def test_nudge_in_contact_window_only(self):
        """Monday 9 March, Brussels: 07:00 UTC is 08:00 local, before the window."""
        move = self._eur_invoice()
        early = self.engine._gentle_run(
            self.company,
            now=datetime(2026, 3, 9, 7, 0),
            partner_ids=self.customer.ids,
        )
        self.assertFalse(early["actions"])
        self.assertFalse(move.gentle_discount_nudged_on)
        # 10:00 UTC is 11:00 in Brussels: inside the window.
        actions = self._nudge_run(date(2026, 3, 9), window=True)["actions"]
        self.assertEqual(actions.nudged_move_ids, move)

    def test_nudge_not_on_hold_nor_in_hardship(self):
        move = self._eur_invoice()
        move.gentle_hold_until = date(2026, 3, 10)
        self.assertFalse(self._nudge_run(date(2026, 3, 9))["actions"])
        self.customer.with_company(self.company).gentle_hardship_until = date(
            2026, 3, 31
        )
        self.assertFalse(self._nudge_run(date(2026, 3, 11))["actions"])
        self.customer.action_gentle_pause()
        self.customer.with_company(self.company).gentle_hardship_until = False
        self.assertFalse(self._nudge_run(date(2026, 3, 11))["actions"])
        self.assertFalse(self._nudges())
        self.assertFalse(move.gentle_discount_nudged_on)
        self.customer.action_gentle_resume()
        actions = self._nudge_run(date(2026, 3, 11))["actions"]
        self.assertEqual(actions.nudged_move_ids, move)

    def test_grade_not_eligible(self):
        self.policy.discount_grade_ids = self.grade_a
        self.customer.with_company(self.company).gentle_grade = "B"
        move = self._eur_invoice()
        self.assertFalse(self._nudge_run(date(2026, 3, 10))["actions"])
        self.assertFalse(self._nudges())
        # Not eligible: not due either, so the cron does not loop on it.
        self.assertFalse(
            self.engine._gentle_due_partner_ids(
                self.company, datetime(2026, 3, 10, 10, 0), window=False
            )
        )
        self.customer.with_company(self.company).gentle_grade = "A"
        actions = self._nudge_run(date(2026, 3, 10))["actions"]
        self.assertEqual(actions.nudged_move_ids, move)

    def test_pre_due_reminder_names_saving(self):
        move = self._eur_invoice()
        line = self._gentle_receivables(move)
        saving = format_amount(self.env, 24.69, self.eur)

        def table(day):
            message = self._gentle_message(self.customer, day, line)
            return message._gentle_followup_table()

        self.assertIn(f"save {saving}", table(date(2026, 3, 12)))
        self.assertIn(
            f"Pay by {format_date(self.env, date(2026, 3, 12))}",
            table(date(2026, 3, 5)),
        )
        self.assertNotIn("save", table(date(2026, 3, 13)))
