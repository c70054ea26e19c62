"""Thank-you notes: the follow-up engine's third source.

A customer who pays is thanked in their contact window, by the same hourly run
that sends reminders: for every paid invoice, only for invoices paid after a
reminder, or only for the first on-time payment in a year, as the company
chooses; never more than once per period. The invoice's ``gentle_thanked_on`` is
the ledger that keeps a thank-you from being sent twice.

A kept promise to pay is thanked by the same source rather than by a source of
its own: the promise cron only decides promises, and a promise found kept in the
last ``THANKS_RECENT_DAYS`` days is an item of the customer's thank-you, whatever
the thank-you mode (kept promises were always thanked). An invoice paid under a
promise still open waits for the promise to be decided, so a customer who kept a
promise and paid its invoices gets one thank-you naming both; the promise's
``thanked_on`` is its ledger, claimed like the invoices'.
"""

from markupsafe import Markup

from odoo import models
from odoo.tools import format_amount, format_date

# Defines the engine and the base res.partner methods before the extensions
# below (models load in the order their classes are defined).
from . import gentle_followup_engine, res_partner  # noqa: F401

# A payment is thanked within this many days; older payments (e.g. from before
# thank-you notes were switched on) are never thanked.
THANKS_RECENT_DAYS = 7
# "First on-time payment": no other invoice paid on time in this many days.
THANKS_FIRST_ON_TIME_DAYS = 365


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _gentle_thanked_moves(self):
        """The paid invoices a follow-up message to this customer thanks for: the
        engine puts them in the rendering context."""
        self.ensure_one()
        move_ids = (self.env.context.get("gentle_followup_thanks") or {}).get(
            self.id, []
        )
        return self.env["account.move"].browse(move_ids)

    def _gentle_thanked_promises(self):
        """The kept promises to pay a follow-up message to this customer thanks
        for: the engine puts them in the rendering context."""
        self.ensure_one()
        promise_ids = (
            self.env.context.get("gentle_followup_thanked_promises") or {}
        ).get(self.id, [])
        return self.env["gentle.payment.promise"].browse(promise_ids)

    def _gentle_thanks_list(self):
        """What a thank-you thanks for, as the thank-you template lists it; and
        the early-payment discounts a message of its own recalls."""
        self.ensure_one()
        items = self._gentle_thanks_items()
        if not self._gentle_followup_lines():
            items += self._gentle_nudge_paragraph()
        return items

    def _gentle_thanks_items(self):
        """The invoices and kept promises of a thank-you as an HTML list, in the
        customer's language: number, amount and due date of each invoice; amount
        and date of each promise."""
        self.ensure_one()
        env = self.env
        items = [
            Markup("<li>%s</li>")
            % env._(
                "%(invoice)s of %(amount)s, due %(date)s",
                invoice=move.name,
                amount=format_amount(env, move.amount_total, move.currency_id),
                date=format_date(env, move.invoice_date_due),
            )
            for move in self._gentle_thanked_moves()
        ]
        items += [
            Markup("<li>%s</li>")
            % env._(
                "the %(amount)s you promised to pay by %(date)s: thank you for "
                "keeping your word",
                amount=format_amount(env, promise.amount, promise.currency_id),
                date=format_date(env, promise.date_promised),
            )
            for promise in self._gentle_thanked_promises().sudo()
        ]
        if not items:
            return Markup()
        return Markup("<ul>%s</ul>") % Markup().join(items)

    def _gentle_followup_table(self):
        table = super()._gentle_followup_table()
        thanks = self._gentle_thanks_items()
        if thanks:
            table = (
                Markup("<p>%s</p>")
                % self.env._("First of all, thank you for settling:")
                + thanks
                + table
            )
        return table
