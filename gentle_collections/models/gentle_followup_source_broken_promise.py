"""A gentle word about a broken promise to pay: a source of follow-up.

When the promise cron finds a promise broken, the follow-up of its invoices
resumes; the customer's next message (usually the reminder of those very
invoices, in the same run) opens with a gentle note: what was promised, that it
has not arrived, and an offer to help. With nothing else due, the note goes
alone (``mail_template_promise_broken``). It is sent once per promise (the
promise's ``broken_noted_on`` is the ledger), only within
``THANKS_RECENT_DAYS`` days of the decision, only while one of the promise's
invoices is still owed and not on hold (the engine's hold: a paused customer,
a new promise, an open case...). A promise is either kept (thanked by
``gentle.followup.source.kept_promise``) or broken, never both: its state is
locked once decided, and this source also passes over a promise thanked for.
"""

from datetime import timedelta

from odoo import api, models
from odoo.tools import SQL

from .gentle_followup_source_thanks import THANKS_RECENT_DAYS


class GentleFollowupSourceBrokenPromise(models.AbstractModel):
    _name = "gentle.followup.source.broken_promise"
    _inherit = ["gentle.followup.source", "gentle.followup.promise.mixin"]
    _description = "Follow-up Source: Notes on Broken Promises to Pay"

    _gentle_key = "broken_promises"
    _gentle_sequence = 46
    _gentle_template = "gentle_collections.mail_template_promise_broken"
    _gentle_item_model = "gentle.payment.promise"
    _gentle_claim_field = "broken_noted_on"
    _gentle_draft_field = "broken_promise_ids"
    _gentle_action_field = "broken_promise_ids"

    @api.model
    def _gentle_promise_conditions(self, company, date):
        """The SQL conditions of the broken promises to pay to write about on ``date``.

        Those of the promises of the
        company found broken in the last ``THANKS_RECENT_DAYS`` days, not
        written about nor thanked for, with an invoice still owed and not on
        hold on ``date``.
        """
        self.env["gentle.payment.promise"].flush_model(
            [
                "company_id",
                "partner_id",
                "state",
                "decided_on",
                "broken_noted_on",
                "thanked_on",
                "move_ids",
            ]
        )
        self.env["account.move"].flush_model()
        self.env["res.partner"].flush_model()
        engine = self.env["gentle.followup.engine"].with_company(company)
        conditions = [
            SQL("gpp.company_id = %s", company.id),
            SQL("gpp.state = 'broken'"),
            SQL("gpp.broken_noted_on IS NULL"),
            SQL("gpp.thanked_on IS NULL"),
            SQL(
                "gpp.decided_on BETWEEN %s AND %s",
                date - timedelta(days=THANKS_RECENT_DAYS),
                date,
            ),
            SQL(
                """EXISTS (
                    SELECT 1
                      FROM gentle_payment_promise_move_rel gpmr
                      JOIN account_move am ON am.id = gpmr.move_id
                      JOIN res_partner rp ON rp.id = am.commercial_partner_id
                     WHERE gpmr.promise_id = gpp.id
                       AND am.state = 'posted'
                       AND am.amount_residual > 0
                       AND NOT %s
                )""",
                engine._gentle_hold_sql(date),
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
    def _gentle_joins(self, communication):
        """The note is words of an email: a letter or a call waits for the
        customer's next email."""
        return "email" in communication.channels

    @api.model
    def _gentle_rendered(self, communications):
        """Write about the broken promises in a message whose wording does not
        (a payment plan's, a template of the company's own): at its end."""
        self.env["gentle.followup.communication"]._gentle_insert_promise_view(
            communications,
            self._gentle_key,
            "o_gentle_promise_broken",
            "_gentle_promise_broken_list",
        )

    @api.model
    def _gentle_action_values(self, communication, channel):
        return self._gentle_promise_email_values(communication, channel)

    @api.model
    def _gentle_recipients(self, communication):
        return self._gentle_promise_contacts(communication)

    @api.model
    def _gentle_approval_changes(self, action):
        """The invoices of the broken promise paid since: nothing to say."""
        return [
            self.env._(
                "the invoices of the broken promise %(promise)s were paid",
                promise=promise.display_name,
            )
            for promise in action.broken_promise_ids.sudo()
            if not any(move.amount_residual > 0 for move in promise.move_ids)
        ]

    @api.model
    def _gentle_log(self, actions):
        """Note on each broken promise that the customer was written to."""
        self._gentle_log_on_promises(
            actions,
            lambda channel, state: self.env._(
                "Customer written to about the broken promise: %(channel)s (%(state)s)",
                channel=channel,
                state=state,
            ),
        )
