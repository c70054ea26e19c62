"""Small helpers the screens and the demo data need."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .gentle_score_snapshot import GRADES


def _subquery_domain(domain):
    """Parenthesise SQL sub-queries of a domain: ``IN (SELECT ...)``."""
    return [
        (name, operator, SQL("(%s)", value) if isinstance(value, SQL) else value)
        for name, operator, value in domain
    ]


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _search_gentle_needs_action(self, operator, value):
        return _subquery_domain(super()._search_gentle_needs_action(operator, value))

    def action_gentle_followup_now(self):
        """Open "Follow up now" with its preview already prepared.

        A wizard record is created at once, so the dialog shows exactly what
        would be sent before the user presses Send.
        """
        action = super().action_gentle_followup_now()
        wizard = self.env["gentle.followup.send"].create(
            {"partner_ids": [(6, 0, self.commercial_partner_id.ids)]}
        )
        action["res_id"] = wizard.id
        action["context"] = {}
        return action


class AccountMove(models.Model):
    _inherit = "account.move"

    def _search_gentle_on_hold(self, operator, value):
        return _subquery_domain(super()._search_gentle_on_hold(operator, value))

    gentle_partner_grade = fields.Selection(
        GRADES,
        string="Customer Grade",
        compute="_compute_gentle_partner_grade",
        help="The customer's relationship grade in the invoice's company.",
    )

    @api.depends("commercial_partner_id", "company_id")
    @api.depends_context("company")
    def _compute_gentle_partner_grade(self):
        for move in self:
            partner = move.commercial_partner_id.with_company(move.company_id)
            move.gentle_partner_grade = partner.gentle_grade


class GentleFollowupEngine(models.AbstractModel):
    _inherit = "gentle.followup.engine"

    @api.model
    def _gentle_demo_replay(self, days=110):
        """Demo data: run the follow-up once a day over the past ``days`` days, as
        the hourly cron would have, so customers stand at every level of the
        ladder; score the customers; then run it today."""
        company = self.env.company
        now = fields.Datetime.now()
        for days_ago in range(days, 0, -1):
            self._gentle_run(
                company, now=now - timedelta(days=days_ago), window=False, limit=1000
            )
        self.env["gentle.score.engine"]._gentle_recompute(company)
        return self._gentle_demo_run()
