"""Confirmations of promises to pay: a source of follow-up.

However a promise is recorded (the promise form, a call, a customer's reply
read by ``gentle.payment.promise.reply``), the customer is told what was noted
– the amount and the date – by the follow-up run: in their contact window and
language, in their one message of the run (with the day's reminder of other
invoices, say), never while they are paused, and only when the company asks for
it (``res.company.gentle_promise_confirm``). The promise's ``confirmed_on`` is
the ledger that keeps it from being confirmed twice.

Only an open promise recorded in the last ``CONFIRM_RECENT_DAYS`` days whose
date has not passed is confirmed, and not once its invoices received the
promised amount: a promise kept before its confirmation went out is thanked
(``gentle.followup.source.kept_promise``), never confirmed after the fact.
"""

from datetime import datetime, time, timedelta

from odoo import api, models
from odoo.tools import SQL

from .gentle_followup_source_thanks import THANKS_RECENT_DAYS

# A promise is confirmed within this many days of being recorded; an older one
# (recorded while confirmations were off) is not confirmed after the fact.
CONFIRM_RECENT_DAYS = THANKS_RECENT_DAYS


class GentleFollowupSourcePromiseConfirm(models.AbstractModel):
    _name = "gentle.followup.source.promise_confirm"
    _inherit = ["gentle.followup.source", "gentle.followup.promise.mixin"]
    _description = "Follow-up Source: Confirmations of Promises to Pay"

    _gentle_key = "confirmed_promises"
    _gentle_sequence = 45
    _gentle_template = "gentle_collections.mail_template_promise_confirm"
    _gentle_item_model = "gentle.payment.promise"
    _gentle_claim_field = "confirmed_on"
    _gentle_draft_field = "confirmed_promise_ids"
    _gentle_action_field = "confirmed_promise_ids"

    @api.model
    def _gentle_promise_conditions(self, company, date):
        """The SQL conditions of the promises to pay to confirm on ``date``.

        Those of the open promises of
        the company, not confirmed yet, recorded in the last
        ``CONFIRM_RECENT_DAYS`` days, promised for ``date`` or later, whose
        invoices have not received the promised amount yet, of a customer not
        paused.
        """
        if not company.gentle_promise_confirm:
            return None
        self.env["gentle.payment.promise"].flush_model(
            [
                "company_id",
                "partner_id",
                "state",
                "confirmed_on",
                "date_promised",
                "amount",
                "residual_at_promise",
                "move_ids",
            ]
        )
        self.env["account.move"].flush_model(["amount_residual_signed"])
        self.env["res.partner"].flush_model(["commercial_partner_id", "gentle_paused"])
        recent = datetime.combine(date - timedelta(days=CONFIRM_RECENT_DAYS), time())
        conditions = [
            SQL("gpp.company_id = %s", company.id),
            SQL("gpp.state = 'open'"),
            SQL("gpp.confirmed_on IS NULL"),
            SQL("gpp.date_promised >= %s", date),
            SQL("gpp.create_date >= %s", recent),
            SQL(
                "NOT COALESCE((customer.gentle_paused ->> %s)::boolean, FALSE)",
                str(company.id),
            ),
            # Paid as promised already: the thank-you follows the decision.
            SQL(
                """gpp.residual_at_promise - (
                       SELECT COALESCE(SUM(am.amount_residual_signed), 0)
                         FROM gentle_payment_promise_move_rel gpmr
                         JOIN account_move am ON am.id = gpmr.move_id
                        WHERE gpmr.promise_id = gpp.id
                   ) < gpp.amount - %s""",
                company.currency_id.rounding / 2,
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
        """A confirmation travels by email, and never waits for a manager's
        approval of the reminder it would join: it then goes alone, in the
        customer's next run."""
        return "email" in communication.channels and not communication.approval

    @api.model
    def _gentle_rendered(self, communications):
        """Confirm the promises in a message whose wording does not (a payment
        plan's, a template of the company's own): at its end."""
        self.env["gentle.followup.communication"]._gentle_insert_promise_view(
            communications,
            self._gentle_key,
            "o_gentle_promise_confirm",
            "_gentle_promise_confirm_list",
        )

    @api.model
    def _gentle_action_values(self, communication, channel):
        return self._gentle_promise_email_values(communication, channel)

    @api.model
    def _gentle_recipients(self, communication):
        return self._gentle_promise_contacts(communication)

    @api.model
    def _gentle_approval_changes(self, action):
        """A promise cancelled or decided since: nothing to confirm."""
        return [
            self.env._(
                "the promise %(promise)s is no longer open",
                promise=promise.display_name,
            )
            for promise in action.confirmed_promise_ids.sudo()
            if promise.state != "open"
        ]

    @api.model
    def _gentle_log(self, actions):
        """Note the confirmation on each promise it confirmed."""
        self._gentle_log_on_promises(
            actions,
            lambda channel, state: self.env._(
                "Promise confirmed to the customer: %(channel)s (%(state)s)",
                channel=channel,
                state=state,
            ),
        )
