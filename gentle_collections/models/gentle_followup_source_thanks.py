"""Thank-you notes for paid invoices: a source of follow-up.

A customer who pays is thanked in their contact window, by the same run that
sends reminders: for every paid invoice, only for invoices paid after a
reminder, or only for the first on-time payment in a year, as the company
chooses (``res.company.gentle_thanks_mode``); never more than once per period.
The invoice's ``gentle_thanked_on`` is the ledger that keeps a thank-you from
being sent twice. An invoice paid under a promise still open waits for the
promise to be decided, so that a customer who kept a promise and paid its
invoices gets one thank-you naming both (see
``gentle.followup.source.kept_promise``).
"""

from datetime import timedelta

from markupsafe import Markup

from odoo import api, models
from odoo.tools import SQL

from .account_move_line import PAID_PAYMENT_STATES

# A payment is thanked within this many days; older payments (e.g. from before
# thank-you notes were switched on) are never thanked.
THANKS_RECENT_DAYS = 7
# "First on-time payment": no other invoice paid on time in this many days.
THANKS_FIRST_ON_TIME_DAYS = 365


class GentleFollowupSourceThanks(models.AbstractModel):
    _name = "gentle.followup.source.thanks"
    _inherit = "gentle.followup.source"
    _description = "Follow-up Source: Thank-yous for Payments"

    _gentle_key = "thanks"
    _gentle_sequence = 30
    _gentle_template = "gentle_collections.mail_template_thanks"
    _gentle_item_model = "account.move"
    _gentle_claim_field = "gentle_thanked_on"
    _gentle_draft_field = "thanked_move_ids"
    _gentle_action_field = "thanked_move_ids"

    @api.model
    def _gentle_paid_sql(self, company, date, partner_ids=None):
        """SQL selecting the paid invoices to thank for on ``date``.

        Columns: ``move_id``, ``partner_id`` (commercial). An invoice qualifies
        when it was fully paid in the last ``THANKS_RECENT_DAYS`` days (the date
        of its last matched payment), is not thanked yet, matches the company's
        mode, and its customer was not thanked within the period.
        """
        mode = company.gentle_thanks_mode
        if mode == "off":
            return SQL(
                "SELECT NULL::int AS move_id, NULL::int AS partner_id WHERE FALSE"
            )
        for model in ("account.move", "account.move.line", "account.partial.reconcile"):
            self.env[model].flush_model()
        self.env["gentle.followup.history"].flush_model(["move_id"])
        recent = date - timedelta(days=THANKS_RECENT_DAYS)
        history_from = recent
        if mode == "first_on_time":
            history_from = recent - timedelta(days=THANKS_FIRST_ON_TIME_DAYS)
        paid_conditions = [
            SQL("am.company_id = %s", company.id),
            SQL("am.move_type = 'out_invoice'"),
            SQL("am.state = 'posted'"),
            SQL("am.payment_state IN %s", PAID_PAYMENT_STATES),
        ]
        if partner_ids is not None:
            paid_conditions.append(
                SQL("am.commercial_partner_id = ANY(%s)", list(partner_ids))
            )
        self.env["gentle.payment.promise"].flush_model(["state", "move_ids"])
        conditions = [
            SQL("am.gentle_thanked_on IS NULL"),
            SQL("p.paid_on BETWEEN %s AND %s", recent, date),
            # Paid under a promise still to be decided: thanked with the
            # promise once it is found kept, in one thank-you.
            SQL(
                """NOT EXISTS (
                    SELECT 1
                      FROM gentle_payment_promise_move_rel gpmr
                      JOIN gentle_payment_promise gpp ON gpp.id = gpmr.promise_id
                     WHERE gpmr.move_id = p.move_id AND gpp.state = 'open'
                )"""
            ),
            SQL(
                """NOT EXISTS (
                    SELECT 1 FROM account_move thanked
                     WHERE thanked.commercial_partner_id = p.partner_id
                       AND thanked.company_id = %s
                       AND thanked.gentle_thanked_on > %s
                )""",
                company.id,
                date - timedelta(days=company.gentle_thanks_period_days),
            ),
        ]
        if company.gentle_go_live_date:
            conditions.append(SQL("p.paid_on >= %s", company.gentle_go_live_date))
        if mode == "after_reminder":
            conditions.append(
                SQL(
                    """EXISTS (SELECT 1 FROM gentle_followup_history gfh
                                WHERE gfh.move_id = p.move_id)"""
                )
            )
        elif mode == "first_on_time":
            conditions.append(SQL("p.paid_on <= p.due_on"))
            conditions.append(
                SQL(
                    """NOT EXISTS (
                        SELECT 1 FROM paid earlier
                         WHERE earlier.partner_id = p.partner_id
                           AND earlier.move_id <> p.move_id
                           AND earlier.paid_on <= earlier.due_on
                           AND earlier.paid_on < p.paid_on
                           AND earlier.paid_on >= p.paid_on - %s
                    )""",
                    THANKS_FIRST_ON_TIME_DAYS,
                )
            )
        return SQL(
            """WITH paid AS (
                   SELECT am.id AS move_id, am.commercial_partner_id AS partner_id,
                          MAX(apr.max_date) AS paid_on,
                          am.invoice_date_due AS due_on
                     FROM account_move am
                     JOIN account_move_line aml
                       ON aml.move_id = am.id AND aml.display_type = 'payment_term'
                     JOIN account_partial_reconcile apr
                       ON apr.debit_move_id = aml.id
                    WHERE %(paid_conditions)s
                 GROUP BY am.id
                   HAVING MAX(apr.max_date) >= %(history_from)s
               )
               SELECT p.move_id, p.partner_id
                 FROM paid p
                 JOIN account_move am ON am.id = p.move_id
                WHERE %(conditions)s""",
            paid_conditions=SQL(" AND ").join(paid_conditions),
            history_from=history_from,
            conditions=SQL(" AND ").join(conditions),
        )

    @api.model
    def _gentle_due_sql(self, company, date, partner_ids=None):
        return SQL(
            "SELECT thanks.partner_id FROM (%s) thanks",
            self._gentle_paid_sql(company, date, partner_ids),
        )

    @api.model
    def _gentle_collect(self, company, date, partner_ids):
        """``{partner id: invoices}``, by invoice number."""
        Move = self.env["account.move"]
        ids = {}
        for move_id, partner_id in self.env.execute_query(
            self._gentle_paid_sql(company, date, partner_ids)
        ):
            ids.setdefault(partner_id, []).append(move_id)
        return {
            partner_id: Move.browse(sorted(move_ids)).sorted("name")
            for partner_id, move_ids in ids.items()
        }

    @api.model
    def _gentle_log(self, actions):
        """Note the thank-you on each invoice it was for."""
        labels, states = self._gentle_action_labels(actions)
        bodies = {}
        for action in actions:
            for move in action.thanked_move_ids:
                bodies[move.id] = Markup("<p>%s</p>") % self.env._(
                    "Thank-you for the payment: %(channel)s (%(state)s)",
                    channel=labels[action.channel],
                    state=states[action.state],
                )
        if bodies:
            self.env["account.move"].browse(list(bodies))._gentle_log_notes(bodies)
