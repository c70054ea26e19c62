"""Issue 14: an agreed payment plan is confirmed to the customer – its
schedule, what a missed instalment does, a link to pay – by the follow-up
engine, once."""

import re
from datetime import date, datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common import RUN_DATE, GentleFollowupCommon

# Monday 9 November 2026, 19:00 in Brussels: the plan is agreed after the
# customer's contact window closed.
AGREED = datetime(2026, 11, 9, 18, 0)
FIRST_DUE = date(2026, 11, 20)
# Tuesday 10 November 2026 in Brussels (UTC+1): 08:59 and 09:00.
BEFORE_WINDOW = datetime(2026, 11, 10, 7, 59)
WINDOW_OPENS = datetime(2026, 11, 10, 8, 0)

AGREEMENT_EN = "Thank you for agreeing the payment plan"


@tagged("post_install", "-at_install")
class TestGentlePlanConfirm(GentleFollowupCommon):
    """Agreeing a plan sends its confirmation through the engine, once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Due Monday 2 November: overdue, held by the plan once agreed.
        cls.invoice = cls._gentle_invoice(
            cls.customer, date(2026, 10, 3), due=date(2026, 11, 2), amount=2000.0
        )

    def agree(self, partner=None, moves=None, at=AGREED, first=FIRST_DUE):
        """A plan of three monthly instalments proposed by the wizard and
        agreed at ``at``."""
        partner = partner or self.customer
        moves = moves or self.invoice
        with freeze_time(at):
            wizard = (
                self.env["gentle.payment.plan.propose"]
                .with_context(active_model="account.move", active_ids=moves.ids)
                .create(
                    {
                        "installment_count": 3,
                        "frequency": "monthly",
                        "date_first": first,
                    }
                )
            )
            plan = self.env["gentle.payment.plan"].browse(
                wizard.action_create_plan()["res_id"]
            )
            plan.action_agree()
        return plan

    @staticmethod
    def body(message):
        return message["body"].replace("&nbsp;", "\xa0")

    def agreements(self, trap, partner=None):
        return [
            m
            for m in trap.messages(partner or self.customer)
            if "o_gentle_plan_agreement" in m["body"]
        ]

    # ------------------------------------------------------------------
    # Sent once, in the window
    # ------------------------------------------------------------------

    def test_agreement_confirmed_once_inside_the_contact_window(self):
        plan = self.agree()
        self.assertEqual(plan.state, "agreed")
        self.assertFalse(plan.agreement_sent_on)
        self.assert_followup_sends_nothing(now=BEFORE_WINDOW)
        self.assertFalse(plan.agreement_sent_on)
        email, trap = self.assert_followup_sends(now=WINDOW_OPENS)
        self.assertEqual(email.agreed_plan_ids, plan)
        self.assertFalse(email.history_ids, "a confirmation is no reminder")
        self.assertIn("Payment plan agreement", email.name)
        self.assertEqual(plan.agreement_sent_on, RUN_DATE)
        [message] = trap.messages(self.customer)
        body = self.body(message)
        self.assertIn(f"{AGREEMENT_EN} {plan.name}", body)
        for day, amount in (
            ("November 20, 2026", "$\xa0666.67"),
            ("December 20, 2026", "$\xa0666.67"),
            ("January 20, 2027", "$\xa0666.66"),
        ):
            self.assertRegex(
                body, f"{re.escape(day)}</td>\\s*<td[^>]*>{re.escape(amount)}</td>"
            )
        self.assertIn("$\xa02,000.00 in 3 instalments:", body)
        self.assertIn(self.invoice.name, body)
        self.assertIn("not paid within 5 days of its due date", body)
        self.assertIn(f"/my/payment_plans/{plan.id}?access_token=", body)
        self.assertIn(plan.sudo().access_token, body)
        self.assertEqual(message["subject"], f"{self.company.name}: your payment plan")
        # The agreement's PDF, stored on the plan once and attached.
        pdf = plan.sudo().agreement_pdf_id
        self.assertTrue(pdf)
        self.assertEqual(message["attachments"], [pdf.name])
        self.assertEqual(pdf.name, f"{plan.name.replace('/', '-')}.pdf")
        self.assertEqual(plan._gentle_agreement_pdf(), pdf, "never rendered again")
        # (Tests render the report as HTML: no wkhtmltopdf in test mode.)
        self.assertIn(
            "Agreed on November 9, 2026 for a total of $\xa02,000.00.",
            pdf.raw.decode().replace("&nbsp;", "\xa0"),
        )
        self.assertEqual(message["emails"], ["ann.customer@example.com"])
        self.assertEqual(
            email.communication_id.mail_template_id,
            self.env.ref("gentle_collections.mail_template_plan_confirm"),
        )
        self.assertTrue(
            plan.message_ids.filtered(
                lambda m: "Agreement confirmed to the customer" in str(m.body)
            )
        )
        # Later the same day, and the next day: never again.
        self.assert_followup_sends_nothing(now=datetime(2026, 11, 10, 13, 0))
        self.assert_followup_sends_nothing(now=datetime(2026, 11, 11, 9, 0))

    def test_agreement_confirmed_in_the_customer_s_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search(
            [("name", "=", "gentle_collections")]
        )._update_translations(["fr_FR"])
        french = self._gentle_customer("Claire Client", lang="fr_FR")
        invoice = self._gentle_invoice(
            french, date(2026, 10, 3), due=date(2026, 11, 2), amount=2000.0
        )
        self.company.name = "Ma Société"
        plan = self.agree(french, invoice)
        _email, trap = self.assert_followup_sends(french, now=WINDOW_OPENS)
        [message] = trap.messages(french)
        body = self.body(message)
        self.assertIn("Bonjour Claire Client", body)
        self.assertIn(
            f"Merci d’avoir convenu avec nous de l’échéancier {plan.name}", body
        )
        self.assertIn("vous paierez $\xa02\xa0000,00 en 3 échéances", body)
        self.assertIn("Voir votre échéancier et payer chaque échéance en ligne", body)
        for day, amount in (
            ("20 novembre 2026", "$\xa0666,67"),
            ("20 décembre 2026", "$\xa0666,67"),
            ("20 janvier 2027", "$\xa0666,66"),
        ):
            self.assertRegex(
                body, f"{re.escape(day)}</td>\\s*<td[^>]*>{re.escape(amount)}</td>"
            )
        self.assertIn("dans les 5 jours", body)
        self.assertNotIn("Dear", body)
        self.assertNotIn(AGREEMENT_EN, body)
        self.assertEqual(message["subject"], "Ma Société\xa0: votre échéancier")
        self.assertIn(
            "Convenu le 9 novembre 2026 pour un total de $\xa02\xa0000,00.",
            plan.sudo().agreement_pdf_id.raw.decode().replace("&nbsp;", "\xa0"),
        )

    def test_paused_customer_is_not_confirmed(self):
        plan = self.agree()
        self.customer.action_gentle_pause()
        self.assert_followup_sends_nothing(now=WINDOW_OPENS)
        self.assertFalse(plan.agreement_sent_on)
        self.customer.action_gentle_resume()
        email, _trap = self.assert_followup_sends(now=datetime(2026, 11, 10, 9, 0))
        self.assertEqual(email.agreed_plan_ids, plan)

    def test_joins_the_reminder_of_the_same_run(self):
        # Due Saturday 7 November, not in the plan: its first reminder is today.
        other = self._gentle_invoice(
            self.customer, date(2026, 10, 8), due=date(2026, 11, 7), amount=300.0
        )
        plan = self.agree()
        email, trap = self.assert_followup_sends(now=WINDOW_OPENS, lines=1)
        self.assertEqual(email.history_ids.move_id, other)
        self.assertEqual(email.agreed_plan_ids, plan)
        [message] = trap.messages(self.customer)
        self.assertIn(other.name, message["body"])
        self.assertEqual(len(self.agreements(trap)), 1)
        self.assertEqual(message["body"].count("o_gentle_plan_agreement"), 1)
        self.assertEqual(plan.agreement_sent_on, RUN_DATE)

    def test_first_instalment_near_travels_with_the_agreement(self):
        """Agreed with the first instalment due in two days: one message, the
        agreement's wording, listing the instalment reminder too."""
        plan = self.agree(first=date(2026, 11, 12))
        email, trap = self.assert_followup_sends(now=WINDOW_OPENS)
        self.assertEqual(email.agreed_plan_ids, plan)
        first = plan.line_ids.sorted("date_due")[0]
        self.assertEqual(email.plan_line_ids, first)
        self.assertEqual(
            email.communication_id.mail_template_id,
            self.env.ref("gentle_collections.mail_template_plan_confirm"),
        )
        [message] = trap.messages(self.customer)
        self.assertIn("due in 2 days", message["body"])
        self.assertTrue(first.pre_due_sent)

    def test_only_recently_agreed_plans_are_confirmed(self):
        """Both sides of the week: agreed 7 days before the run is confirmed,
        8 days before (the customer was paused since) is not."""
        week = self._gentle_customer("Wendy Week")
        older = self._gentle_customer("Olga Older")
        plans = {}
        for partner, day in ((week, date(2026, 11, 3)), (older, date(2026, 11, 2))):
            move = self._gentle_invoice(
                partner, date(2026, 9, 1), due=date(2026, 10, 1), amount=900.0
            )
            partner.action_gentle_pause()
            plans[partner] = self.agree(
                partner, move, at=datetime(day.year, day.month, day.day, 10)
            )
            partner.action_gentle_resume()
        with self.trap_followups() as trap:
            self.run_followup(now=WINDOW_OPENS)
        self.assertEqual(len(self.agreements(trap, week)), 1)
        self.assertFalse(self.agreements(trap, older))
        self.assertEqual(plans[week].agreement_sent_on, RUN_DATE)
        self.assertFalse(plans[older].agreement_sent_on)

    def test_plan_cancelled_before_the_run_is_not_confirmed(self):
        """Cancelled before the window opened: the invoice's reminder resumes,
        without a word of the plan."""
        plan = self.agree()
        plan.action_cancel()
        email, trap = self.assert_followup_sends(now=WINDOW_OPENS, lines=1)
        self.assertFalse(email.agreed_plan_ids)
        self.assertFalse(self.agreements(trap))
        self.assertFalse(plan.agreement_sent_on)

    def test_source_is_declared(self):
        names = [
            source._name
            for source in self.env["gentle.followup.engine"]._gentle_sources()
        ]
        self.assertIn("gentle.followup.source.plan_confirm", names)
        self.assertLess(
            names.index("gentle.followup.source.plan_confirm"),
            names.index("gentle.followup.source.instalment"),
        )
