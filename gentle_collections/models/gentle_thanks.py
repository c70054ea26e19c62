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

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_amount, format_date

# Defines the engine and the base res.partner methods before the extensions
# below (models load in the order their classes are defined).
from . import gentle_followup_engine, res_partner  # noqa: F401

# A payment is thanked within this many days; older payments (e.g. from before
# thank-you notes were switched on) are never thanked.
THANKS_RECENT_DAYS = 7
# "First on-time payment": no other invoice paid on time in this many days.
THANKS_FIRST_ON_TIME_DAYS = 365
THANKS_MODES = [
    ("off", "Off"),
    ("always", "Every paid invoice"),
    ("after_reminder", "Invoices paid after a reminder"),
    ("first_on_time", "First on-time payment in a year"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    gentle_thanks_mode = fields.Selection(
        THANKS_MODES,
        string="Thank-you Notes",
        default="off",
        required=True,
        help="When customers get a short thank-you after paying, sent by the "
        "follow-up run in their contact window: for every paid invoice, only for "
        "invoices paid after a reminder, or only for the first invoice paid on "
        "time in a year (a customer who used to pay late).",
    )
    gentle_thanks_period_days = fields.Integer(
        string="At Most One Thank-you Every (days)",
        default=30,
        help="A customer is thanked at most once in this many days, however many "
        "invoices they pay.",
    )

    @api.constrains("gentle_thanks_period_days")
    def _check_gentle_thanks_period(self):
        for company in self:
            if company.gentle_thanks_period_days < 1:
                raise ValidationError(
                    self.env._(
                        "Thank-you notes of %(company)s: enter a period of at least "
                        "one day between two thank-yous to the same customer.",
                        company=company.name,
                    )
                )


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    gentle_thanks_mode = fields.Selection(
        related="company_id.gentle_thanks_mode", readonly=False
    )
    gentle_thanks_period_days = fields.Integer(
        related="company_id.gentle_thanks_period_days", readonly=False
    )


class AccountMove(models.Model):
    _inherit = "account.move"

    gentle_thanked_on = fields.Date(
        string="Thanked On",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="When the customer was thanked for paying this invoice.",
        groups="base.group_user",
    )


class GentleFollowupAction(models.Model):
    _inherit = "gentle.followup.action"

    thanked_move_ids = fields.Many2many(
        "account.move",
        "gentle_followup_action_thanked_move_rel",
        "action_id",
        "move_id",
        string="Thanked For",
        help="The paid invoices this action thanked the customer for.",
    )

    @api.depends("thanked_move_ids", "thanked_promise_ids")
    def _compute_name(self):
        return super()._compute_name()

    def _gentle_subject_label(self):
        if not self.level_id and (self.thanked_move_ids or self.thanked_promise_ids):
            return self.env._("Thank-you")
        return super()._gentle_subject_label()


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
