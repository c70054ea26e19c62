"""A customer's promise to pay some open invoices by a date
(``gentle.payment.promise``).

Reading a promise in a customer's e-mail reply is its own service
(``gentle.payment.promise.reply``); :meth:`_gentle_promise_from_reply` is the
entry point that the threads call.

Over 400 lines because what is left is the promise itself: its fields with
their help texts, the checks on its terms (amount, date, grace, invoices), the
write lock on a decided promise, the quick form and the daily decision (kept
or broken, with its note and follow-up to-do).
"""

import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_compare, format_amount, format_date
from odoo.tools.sql import column_exists

from .account_move import PROMISE_INVOICE_TYPES

_logger = logging.getLogger(__name__)

# Most grace days a promise may give after its promised date.
PROMISE_MAX_GRACE_DAYS = 60
# Furthest a company may let promises be dated, in days ahead (five years).
PROMISE_MAX_HORIZON_DAYS = 1825
# Fields of a decided promise that only its actions may change.
PROMISE_LOCKED_FIELDS = {
    "company_id",
    "partner_id",
    "move_ids",
    "date_promised",
    "amount",
    "grace_days",
    "source",
    "decided_on",
    "residual_at_promise",
    "thanked_on",
    "confirmed_on",
    "broken_noted_on",
}


class GentlePaymentPromise(models.Model):
    """A customer's promise to pay an amount of some open invoices by a date."""

    _name = "gentle.payment.promise"
    _description = "Promise to Pay"
    _inherit = ["mail.thread", "mail.activity.mixin", "gentle.invoice.owner.mixin"]
    _order = "date_promised desc, id desc"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        help="The customer (company) who promised to pay.",
    )
    move_ids = fields.Many2many(
        "account.move",
        "gentle_payment_promise_move_rel",
        "promise_id",
        "move_id",
        string="Invoices",
        check_company=True,
        domain="[('move_type', 'in', ('out_invoice', 'out_receipt')),"
        " ('state', '=', 'posted'), ('company_id', '=', company_id),"
        " ('commercial_partner_id', '=', partner_id), ('amount_residual', '>', 0)]",
        help="Their follow-up is on hold until the promised date plus the grace "
        "days while the promise is open.",
    )
    date_promised = fields.Date(
        string="Promised Date",
        required=True,
        tracking=True,
        help="The date by which the customer promised to pay.",
    )
    amount = fields.Monetary(
        string="Promised Amount",
        currency_field="currency_id",
        required=True,
        tracking=True,
        help="What the customer promised to pay, in company currency: at most what "
        "the invoices still owe.",
    )
    grace_days = fields.Integer(
        default=lambda self: self.env.company.gentle_promise_grace_days,
        required=True,
        help="Days after the promised date before the promise is decided; the "
        "follow-up of the invoices waits until then.",
    )
    date_deadline = fields.Date(
        string="Decided After",
        compute="_compute_date_deadline",
        store=True,
        help="Promised date plus grace days: the invoices are on hold until this "
        "date included, and the promise is decided the day after.",
    )
    source = fields.Selection(
        [
            ("call", "Phone call"),
            ("form", "Customer form"),
            ("reply", "Customer reply"),
        ],
        default="call",
        required=True,
        help="How the customer made the promise.",
    )
    state = fields.Selection(
        [
            ("open", "Open"),
            ("kept", "Kept"),
            ("broken", "Broken"),
            ("cancelled", "Cancelled"),
        ],
        default="open",
        required=True,
        tracking=True,
        index=True,
    )
    decided_on = fields.Date(
        copy=False,
        readonly=True,
        help="When the promise was found kept or broken.",
    )
    thanked_on = fields.Date(
        copy=False,
        readonly=True,
        help="When the follow-up thanked the customer for keeping this promise "
        "(in their contact window, with their other news of the day).",
    )
    confirmed_on = fields.Date(
        copy=False,
        readonly=True,
        help="When the follow-up confirmed this promise to the customer (in their "
        "contact window, with their other news of the day).",
    )
    broken_noted_on = fields.Date(
        copy=False,
        readonly=True,
        help="When the follow-up wrote to the customer about this broken promise.",
    )
    residual_at_promise = fields.Monetary(
        string="Owed at Promise",
        currency_field="currency_id",
        readonly=True,
        copy=False,
        help="What the invoices owed when the promise was made (company currency): "
        "the promise is kept when they owe at least the promised amount less.",
    )
    amount_residual = fields.Monetary(
        string="Still Owed",
        currency_field="currency_id",
        compute="_compute_amount_residual",
        help="What the invoices owe now, in company currency.",
    )
    note = fields.Text(help="What was said, for the collections team.")

    _sql_constraints = [
        (
            "grace_days_positive",
            "CHECK (grace_days >= 0)",
            "Grace days cannot be negative: use 0 for no grace.",
        ),
    ]

    def _auto_init(self):
        # Promises kept before the follow-up thanked them were thanked by the
        # promise cron itself: never thank them a second time. Promises recorded
        # before confirmations and broken-promise notes existed are not written
        # about after the fact.
        cr = self.env.cr
        new = {
            column: not column_exists(cr, self._table, column)
            for column in ("thanked_on", "confirmed_on", "broken_noted_on")
        }
        result = super()._auto_init()
        if new["thanked_on"]:
            cr.execute(
                SQL(
                    """UPDATE gentle_payment_promise SET thanked_on = decided_on
                        WHERE state = 'kept'"""
                )
            )
        if new["confirmed_on"]:
            cr.execute(
                SQL(
                    """UPDATE gentle_payment_promise
                          SET confirmed_on = create_date::date"""
                )
            )
        if new["broken_noted_on"]:
            cr.execute(
                SQL(
                    """UPDATE gentle_payment_promise SET broken_noted_on = decided_on
                        WHERE state = 'broken'"""
                )
            )
        return result

    @api.depends("date_promised", "grace_days")
    def _compute_date_deadline(self):
        for promise in self:
            promise.date_deadline = promise.date_promised and (
                promise.date_promised + timedelta(days=promise.grace_days)
            )

    @api.depends("move_ids.amount_residual_signed")
    def _compute_amount_residual(self):
        for promise in self:
            promise.amount_residual = sum(
                promise.move_ids.mapped("amount_residual_signed")
            )

    @api.depends("amount", "date_promised", "partner_id")
    def _compute_display_name(self):
        for promise in self:
            if not promise.date_promised:
                promise.display_name = self.env._("New promise")
                continue
            promise.display_name = self.env._(
                "%(customer)s: %(amount)s by %(date)s",
                customer=promise.partner_id.display_name or "",
                amount=format_amount(self.env, promise.amount, promise.currency_id),
                date=format_date(self.env, promise.date_promised),
            )

    # ------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------

    @api.constrains(
        "move_ids", "partner_id", "company_id", "amount", "date_promised", "grace_days"
    )
    def _check_promise(self):
        self._check_invoices()
        self._check_amount_and_date()

    def _check_invoices(self):
        for promise in self:
            if not promise.move_ids:
                raise ValidationError(
                    self.env._(
                        "A promise to pay names the invoice(s) it pays: add at least "
                        "one open invoice of %(customer)s.",
                        customer=promise.partner_id.display_name,
                    )
                )

    def _gentle_invoice_owner_error(self, problem, moves):
        move = moves[:1]
        if problem == "customer":
            return self.env._(
                "Invoice %(invoice)s belongs to %(other)s, not to "
                "%(customer)s: record a separate promise for that "
                "customer.",
                invoice=move.display_name,
                other=move.commercial_partner_id.display_name,
                customer=self.partner_id.commercial_partner_id.display_name,
            )
        if problem == "company":
            return self.env._(
                "Invoice %(invoice)s belongs to company %(company)s: a "
                "promise only covers invoices of its own company.",
                invoice=move.display_name,
                company=move.company_id.name,
            )
        return self.env._(
            "%(move)s is not a posted customer invoice: a promise "
            "to pay covers posted customer invoices only.",
            move=move.display_name,
        )

    def _check_amount_and_date(self):
        today = fields.Date.context_today(self)
        for promise in self.filtered(lambda p: p.state == "open"):
            currency = promise.currency_id
            if (
                float_compare(promise.amount, 0.0, precision_rounding=currency.rounding)
                <= 0
            ):
                raise ValidationError(
                    self.env._(
                        "Enter the amount the customer promised to pay: it must be "
                        "more than zero."
                    )
                )
            if promise.date_promised and promise.date_promised < today:
                raise ValidationError(
                    self.env._(
                        "The promised date %(date)s is in the past: enter today or a "
                        "later date.",
                        date=format_date(self.env, promise.date_promised),
                    )
                )
            company = promise.company_id
            horizon = today + timedelta(days=company.gentle_promise_max_days)
            if promise.date_promised and promise.date_promised > horizon:
                raise ValidationError(
                    self.env._(
                        "The promised date %(date)s is too far ahead: a promise to "
                        "pay is dated at most %(days)s days from today, i.e. by "
                        "%(horizon)s. Agree on a payment plan for a longer delay.",
                        date=format_date(self.env, promise.date_promised),
                        days=company.gentle_promise_max_days,
                        horizon=format_date(self.env, horizon),
                    )
                )
            if not 0 <= promise.grace_days <= PROMISE_MAX_GRACE_DAYS:
                raise ValidationError(
                    self.env._(
                        "The grace days of a promise must be between 0 and %(max)s.",
                        max=PROMISE_MAX_GRACE_DAYS,
                    )
                )
            residual = promise.amount_residual
            if (
                float_compare(
                    promise.amount, residual, precision_rounding=currency.rounding
                )
                > 0
            ):
                raise ValidationError(
                    self.env._(
                        "The promised amount %(amount)s is more than the invoices "
                        "still owe (%(residual)s): enter at most %(residual)s.",
                        amount=format_amount(self.env, promise.amount, currency),
                        residual=format_amount(self.env, residual, currency),
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        Partner = self.env["res.partner"]
        for vals in vals_list:
            if vals.get("partner_id"):
                vals["partner_id"] = Partner.browse(
                    vals["partner_id"]
                ).commercial_partner_id.id
        promises = super().create(vals_list)
        for promise in promises:
            promise.residual_at_promise = promise.amount_residual
            promise.message_post(
                body=self.env._(
                    "Promise to pay %(amount)s by %(date)s recorded (%(origin)s): "
                    "follow-up of %(invoices)s on hold until %(deadline)s.",
                    amount=format_amount(self.env, promise.amount, promise.currency_id),
                    date=format_date(self.env, promise.date_promised),
                    origin=dict(
                        self._fields["source"]._description_selection(self.env)
                    )[promise.source],
                    invoices=", ".join(promise.move_ids.mapped("name")),
                    deadline=format_date(self.env, promise.date_deadline),
                ),
                subtype_xmlid="mail.mt_note",
            )
        promises._gentle_close_call_activity()
        return promises

    def write(self, vals):
        """Only the actions decide a promise, and a decided promise is kept as
        it was decided (the score and the history rely on it)."""
        if not self.env.context.get("gentle_promise_action"):
            if "state" in vals and any(p.state != vals["state"] for p in self):
                raise UserError(
                    self.env._(
                        "The state of a promise to pay is set by its actions: use "
                        "Cancel, or let the daily check decide it."
                    )
                )
            locked = set(vals) & PROMISE_LOCKED_FIELDS
            decided = self.filtered(lambda p: p.state != "open")
            if locked and decided:
                raise UserError(
                    self.env._(
                        "%(promise)s is already decided (%(state)s): its terms can "
                        "no longer change. Record a new promise instead.",
                        promise=decided[0].display_name,
                        state=dict(
                            self._fields["state"]._description_selection(self.env)
                        )[decided[0].state],
                    )
                )
        return super().write(vals)

    def _gentle_close_call_activity(self):
        """A promise recorded from a call activity marks that call done, with the
        promise as its feedback."""
        activity = (
            self.env["mail.activity"]
            .browse(self.env.context.get("gentle_activity_id"))
            .exists()
        )
        if not activity or not self:
            return
        promise = self[:1]
        activity.action_feedback(
            feedback=self.env._(
                "Promise to pay %(amount)s by %(date)s recorded.",
                amount=format_amount(self.env, promise.amount, promise.currency_id),
                date=format_date(self.env, promise.date_promised),
            )
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_cancel(self):
        for promise in self:
            if promise.state != "open":
                raise UserError(
                    self.env._(
                        "Only an open promise can be cancelled; %(promise)s is "
                        "already decided.",
                        promise=promise.display_name,
                    )
                )
        self.with_context(gentle_promise_action=True).write({"state": "cancelled"})

    def action_save(self):
        """Close the small "Promise to Pay" dialog (the record is saved)."""
        return {"type": "ir.actions.act_window_close"}

    @api.model
    def _gentle_open_form(self, partner, moves=None, source="call"):
        """The small promise form, prefilled for ``partner`` and its open invoices."""
        partner = partner.commercial_partner_id
        if moves is None:
            Move = self.env["account.move"]
            moves = Move.search(
                Move._gentle_owed_invoices_domain(
                    partner, self.env.company, PROMISE_INVOICE_TYPES
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Promise to Pay"),
            "res_model": "gentle.payment.promise",
            "view_mode": "form",
            "views": [
                (
                    self.env.ref(
                        "gentle_collections.gentle_payment_promise_view_form_quick"
                    ).id,
                    "form",
                )
            ],
            "target": "new",
            "context": {
                "default_partner_id": partner.id,
                "default_move_ids": [Command.set(moves.ids)],
                "default_amount": sum(moves.mapped("amount_residual_signed")),
                "default_source": source,
            },
        }

    # ------------------------------------------------------------------
    # Promises read in customer replies
    # ------------------------------------------------------------------

    @api.model
    def _gentle_promise_from_reply(self, record, message):
        """Read ``message`` for a promise (see
        ``gentle.payment.promise.reply._gentle_reply_promise``), never at the
        cost of the message: an incoming email is kept whatever happens while
        reading it."""
        if message.message_type != "email":
            return False
        try:
            with self.env.cr.savepoint():
                return self.env["gentle.payment.promise.reply"]._gentle_reply_promise(
                    record, message
                )
        except Exception:
            _logger.exception(
                "Reading a promise to pay in message %s failed; the message is kept",
                message.id,
            )
            return False

    # ------------------------------------------------------------------
    # Deciding
    # ------------------------------------------------------------------

    @api.model
    def _cron_decide(self, today=None):
        """Scheduled action: decide the open promises whose grace has run out."""
        today = today or fields.Date.context_today(self)
        promises = self.search(
            [("state", "=", "open"), ("date_deadline", "<", today)], order="id"
        )
        for promise in promises:
            promise._gentle_decide(today)
        return promises

    def _gentle_decide(self, today):
        self.ensure_one()
        paid = self.residual_at_promise - self.amount_residual
        kept = (
            float_compare(
                paid, self.amount, precision_rounding=self.currency_id.rounding
            )
            >= 0
        )
        self.with_context(gentle_promise_action=True).write(
            {"state": "kept" if kept else "broken", "decided_on": today}
        )
        amount = format_amount(self.env, self.amount, self.currency_id)
        date = format_date(self.env, self.date_promised)
        if kept:
            # The customer is thanked by the follow-up run, in their contact
            # window and their one message of the run (see gentle_thanks).
            self.message_post(
                body=self.env._(
                    "Promise kept: %(amount)s promised by %(date)s was paid. The "
                    "customer is thanked in the next follow-up run.",
                    amount=amount,
                    date=date,
                ),
                subtype_xmlid="mail.mt_note",
            )
            return
        self.message_post(
            body=self.env._(
                "Promise broken: %(amount)s promised by %(date)s was not paid "
                "(%(paid)s received). The follow-up resumes.",
                amount=amount,
                date=date,
                paid=format_amount(self.env, max(paid, 0.0), self.currency_id),
            ),
            subtype_xmlid="mail.mt_note",
        )
        user = self.move_ids.invoice_user_id[:1] or self.create_uid
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=today,
            summary=self.env._("Promise to pay broken: contact the customer"),
            note=Markup("<p>%s</p>")
            % self.env._(
                "%(customer)s did not pay %(amount)s by %(date)s as promised. Call "
                "them to understand what happened and agree on the next step.",
                customer=self.partner_id.display_name,
                amount=amount,
                date=date,
            ),
            user_id=user.id,
        )
