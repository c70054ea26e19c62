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

from markupsafe import Markup

from odoo import Command, api, models
from odoo.tools import SQL

from .gentle_followup_source_thanks import THANKS_RECENT_DAYS


class GentleFollowupSourceBrokenPromise(models.AbstractModel):
    _name = "gentle.followup.source.broken_promise"
    _inherit = "gentle.followup.source"
    _description = "Follow-up Source: Notes on Broken Promises to Pay"

    _gentle_key = "broken_promises"
    _gentle_sequence = 46
    _gentle_template = "gentle_collections.mail_template_promise_broken"
    _gentle_item_model = "gentle.payment.promise"
    _gentle_claim_field = "broken_noted_on"
    _gentle_draft_field = "broken_promise_ids"
    _gentle_action_field = "broken_promise_ids"

    @api.model
    def _gentle_broken_sql(self, company, date, partner_ids=None):
        """SQL selecting the broken promises to pay to write about on ``date``.

        Columns: ``promise_id``, ``partner_id`` (commercial): promises of the
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
        if partner_ids is not None:
            conditions.append(
                SQL("customer.commercial_partner_id = ANY(%s)", list(partner_ids))
            )
        return SQL(
            """SELECT gpp.id AS promise_id,
                      customer.commercial_partner_id AS partner_id
                 FROM gentle_payment_promise gpp
                 JOIN res_partner customer ON customer.id = gpp.partner_id
                WHERE %s""",
            SQL(" AND ").join(conditions),
        )

    @api.model
    def _gentle_due_sql(self, company, date, partner_ids=None):
        return SQL(
            "SELECT broken.partner_id FROM (%s) broken",
            self._gentle_broken_sql(company, date, partner_ids),
        )

    @api.model
    def _gentle_collect(self, company, date, partner_ids):
        """``{partner id: broken promises}``, by promised date."""
        Promise = self.env["gentle.payment.promise"]
        ids = {}
        for promise_id, partner_id in self.env.execute_query(
            self._gentle_broken_sql(company, date, partner_ids)
        ):
            ids.setdefault(partner_id, []).append(promise_id)
        return {
            partner_id: Promise.browse(promise_ids).sorted(
                lambda p: (p.date_promised, p.id)
            )
            for partner_id, promise_ids in ids.items()
        }

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
        promises = communication.items.get(self._gentle_key)
        if not promises or channel != "email":
            return {}
        return {self._gentle_action_field: [Command.set(promises.ids)]}

    @api.model
    def _gentle_recipients(self, communication):
        """The contacts of the promised invoices, as a reminder of them."""
        return (
            communication.broken_promise_ids.sudo()
            .move_ids.partner_id.filtered("email")
            .with_env(self.env)
        )

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
        labels, states = self._gentle_action_labels(actions)
        bodies = {}
        for action in actions:
            for promise in action.broken_promise_ids:
                bodies[promise.id] = Markup("<p>%s</p>") % self.env._(
                    "Customer written to about the broken promise: %(channel)s "
                    "(%(state)s)",
                    channel=labels[action.channel],
                    state=states[action.state],
                )
        if bodies:
            self.env["gentle.payment.promise"].sudo().browse(
                list(bodies)
            )._message_log_batch(bodies=bodies)
