"""Demo data only: steps the demo data runs (``<function model="gentle.demo">``)
to tell its story, kept out of the production models."""

from datetime import timedelta

from odoo import api, fields, models


class GentleDemo(models.AbstractModel):
    _name = "gentle.demo"
    _description = "Collections Demo Data Steps"

    @api.model
    def _gentle_followup_now(self):
        """Demo data: run the follow-up once, as if a collector pressed the button,
        and show what a failed send looks like on one customer."""
        company = self.env.company
        engine = self.env["gentle.followup.engine"]
        result = engine._gentle_run(company, window=False, limit=1000)
        emails = result["actions"].filtered(
            lambda a: a.channel == "email" and a.mail_message_id
        )
        failing = (
            emails.filtered(lambda a: (a.partner_id.email or "").endswith(".invalid"))
            or emails[:1]
        )
        for action in failing[:1]:
            mails = (
                self.env["mail.mail"]
                .sudo()
                .search([("mail_message_id", "=", action.mail_message_id.id)])
            )
            mails._postprocess_sent_message(
                success_pids=[],
                failure_reason="550 5.1.1 Recipient address rejected (demo)",
                failure_type="mail_email_invalid",
            )
            mails.write({"state": "exception"})
        return result

    @api.model
    def _gentle_replay_followup(self, days=110):
        """Demo data: run the follow-up once a day over the past ``days`` days, as
        the hourly cron would have, so customers stand at every level of the
        ladder; score the customers; then run it today."""
        company = self.env.company
        engine = self.env["gentle.followup.engine"]
        now = fields.Datetime.now()
        for days_ago in range(days, 0, -1):
            engine._gentle_run(
                company, now=now - timedelta(days=days_ago), window=False, limit=1000
            )
        self.env["gentle.score.engine"]._gentle_recompute(company)
        return self._gentle_followup_now()

    @api.model
    def _gentle_thank_payments(self, move_ids):
        """Demo data: the follow-up reminded these invoices five days ago, their
        customer paid today, and today's run thanks them."""
        moves = self.env["account.move"].browse(move_ids)
        company = self.env.company
        engine = self.env["gentle.followup.engine"]
        customers = moves.commercial_partner_id.ids
        now = fields.Datetime.now()
        engine._gentle_run(
            company, now=now - timedelta(days=5), partner_ids=customers, window=False
        )
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=moves.ids
        ).create({})._create_payments()
        return engine._gentle_run(company, now=now, partner_ids=customers, window=False)
