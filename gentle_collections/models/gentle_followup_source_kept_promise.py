"""Thank-yous for kept promises to pay: a source of follow-up.

The promise cron only decides promises; a promise found kept in the last
``THANKS_RECENT_DAYS`` days is thanked by the follow-up run, whatever the
thank-you mode (kept promises are always thanked), in the thank-you wording and
in the customer's one message of the run. The promise's ``thanked_on`` is the
ledger that keeps it from being thanked twice.
"""

from datetime import timedelta

from odoo import api, models
from odoo.tools import SQL

from .gentle_followup_source_thanks import THANKS_RECENT_DAYS


class GentleFollowupSourceKeptPromise(models.AbstractModel):
    _name = "gentle.followup.source.kept_promise"
    _inherit = ["gentle.followup.source", "gentle.followup.promise.mixin"]
    _description = "Follow-up Source: Thank-yous for Kept Promises"

    _gentle_key = "thanked_promises"
    _gentle_sequence = 40
    _gentle_template = "gentle_collections.mail_template_thanks"
    _gentle_item_model = "gentle.payment.promise"
    _gentle_claim_field = "thanked_on"
    _gentle_draft_field = "thanked_promise_ids"
    _gentle_action_field = "thanked_promise_ids"

    @api.model
    def _gentle_promise_conditions(self, company, date):
        """The SQL conditions of the kept promises to pay to thank for on ``date``.

        Those of the promises of the
        company found kept in the last ``THANKS_RECENT_DAYS`` days and not
        thanked yet.
        """
        self.env["gentle.payment.promise"].flush_model(
            ["company_id", "partner_id", "state", "decided_on", "thanked_on"]
        )
        conditions = [
            SQL("gpp.company_id = %s", company.id),
            SQL("gpp.state = 'kept'"),
            SQL("gpp.thanked_on IS NULL"),
            SQL(
                "gpp.decided_on BETWEEN %s AND %s",
                date - timedelta(days=THANKS_RECENT_DAYS),
                date,
            ),
        ]
        return conditions

    @api.model
    def _gentle_due_sql(self, company, date, partner_ids=None):
        return self._gentle_promise_partners_sql(company, date, partner_ids)

    @api.model
    def _gentle_collect(self, company, date, partner_ids):
        return self._gentle_promises_by_partner(company, date, partner_ids)

    @api.model
    def _gentle_log(self, actions):
        """Note the thank-you on each promise it was for."""
        self._gentle_log_on_promises(
            actions,
            lambda channel, state: self.env._(
                "Thank-you for keeping the promise: %(channel)s (%(state)s)",
                channel=channel,
                state=state,
            ),
        )
