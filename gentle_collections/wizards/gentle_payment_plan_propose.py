from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError

# Ten years of monthly instalments: more is a typing error.
MAX_INSTALMENTS = 120
# The first due date proposed: a week ahead, time for the customer to agree.
FIRST_DUE_DAYS = 7
FREQUENCIES = {
    "weekly": relativedelta(weeks=1),
    "biweekly": relativedelta(weeks=2),
    "monthly": relativedelta(months=1),
}


class GentlePaymentPlanPropose(models.TransientModel):
    """Proposes instalments for a customer's overdue invoices."""

    _name = "gentle.payment.plan.propose"
    _description = "Propose a Payment Plan"
    _inherit = ["gentle.invoice.owner.mixin"]

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    move_ids = fields.Many2many(
        "account.move",
        "gentle_payment_plan_propose_move_rel",
        "propose_id",
        "move_id",
        string="Invoices",
        check_company=True,
        domain="[('move_type', 'in', ('out_invoice', 'out_receipt')),"
        " ('state', '=', 'posted'), ('company_id', '=', company_id),"
        " ('commercial_partner_id', '=', partner_id), ('amount_residual', '>', 0)]",
    )
    case_id = fields.Many2one("gentle.collection.case")
    amount_total = fields.Monetary(
        string="Amount to spread",
        compute="_compute_amount_total",
        currency_field="currency_id",
        help="What the invoices still owe, in company currency.",
    )
    installment_count = fields.Integer(
        string="Instalments", default=3, help="Instalments after the down payment."
    )
    frequency = fields.Selection(
        [
            ("weekly", "Weekly"),
            ("biweekly", "Every two weeks"),
            ("monthly", "Monthly"),
        ],
        default="monthly",
        required=True,
    )
    date_first = fields.Date(
        string="First Due Date",
        required=True,
        default=lambda self: self._default_date_first(),
        help="Due date of the down payment, or of the first instalment without "
        "one; a week ahead by default.",
    )
    down_payment = fields.Monetary(
        currency_field="currency_id",
        help="Paid on the first due date; the instalments share the rest.",
    )
    grace_days = fields.Integer(default=5)
    preview_line_ids = fields.One2many(
        "gentle.payment.plan.propose.line",
        "propose_id",
        string="Proposed Instalments",
        compute="_compute_preview",
    )
    preview_error = fields.Char(
        compute="_compute_preview", help="Why no instalments can be proposed yet."
    )

    @api.model
    def _default_date_first(self):
        return fields.Date.context_today(self) + timedelta(days=FIRST_DUE_DAYS)

    @api.depends("move_ids")
    def _compute_amount_total(self):
        for wizard in self:
            wizard.amount_total = wizard.currency_id.round(
                sum(wizard.move_ids.mapped("amount_residual_signed"))
            )

    @api.depends(
        "amount_total", "installment_count", "frequency", "date_first", "down_payment"
    )
    def _compute_preview(self):
        for wizard in self:
            try:
                schedule = wizard._gentle_schedule()
            except (UserError, ValidationError) as error:
                wizard.preview_line_ids = [Command.clear()]
                wizard.preview_error = error.args[0]
                continue
            wizard.preview_error = False
            wizard.preview_line_ids = [Command.clear()] + [
                Command.create({"sequence": index, "date_due": day, "amount": amount})
                for index, (day, amount) in enumerate(schedule, 1)
            ]

    # ------------------------------------------------------------------
    # Opening
    # ------------------------------------------------------------------

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        model = self.env.context.get("active_model")
        ids = self.env.context.get("active_ids") or []
        if model == "res.partner" and ids and "partner_id" not in values:
            partner = self.env["res.partner"].browse(ids[:1]).commercial_partner_id
            values["partner_id"] = partner.id
            values["move_ids"] = [Command.set(self._gentle_overdue_moves(partner).ids)]
        elif model == "account.move" and ids and "move_ids" not in values:
            moves = self.env["account.move"].browse(ids)
            partners = moves.commercial_partner_id
            if len(partners) != 1:
                raise UserError(
                    self.env._(
                        "A payment plan is agreed with one customer: select invoices "
                        "of a single customer."
                    )
                )
            values["partner_id"] = partners.id
            values["move_ids"] = [Command.set(moves.ids)]
            values["company_id"] = moves.company_id[:1].id
        return values

    @api.model
    def _gentle_overdue_moves(self, partner):
        Move = self.env["account.move"]
        return Move.search(
            [
                *Move._gentle_owed_invoices_domain(
                    partner, self.env.company, self._gentle_allowed_move_types()
                ),
                ("invoice_date_due", "<", fields.Date.context_today(self)),
            ]
        )

    @api.model
    def _gentle_open(self, partner, moves=None, case=None):
        """The wizard's window action for ``partner`` (``moves``: its overdue
        invoices when not given)."""
        if not moves:
            moves = self._gentle_overdue_moves(partner)
        context = {
            "default_partner_id": partner.id,
            "default_move_ids": [Command.set(moves.ids)],
        }
        if case:
            context["default_case_id"] = case.id
            context["default_company_id"] = case.company_id.id
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Propose a Payment Plan"),
            "res_model": self._name,
            "view_mode": "form",
            "target": "new",
            "context": context,
        }

    # ------------------------------------------------------------------
    # Schedule
    # ------------------------------------------------------------------

    def _gentle_invoice_owner_error(self, problem, moves):
        return self.env._(
            "Only open, posted invoices of %(customer)s can be in the plan; "
            "remove %(moves)s.",
            customer=self.partner_id.display_name,
            moves=", ".join(moves.mapped("display_name")),
        )

    def _gentle_check(self):
        self.ensure_one()
        if not self.move_ids:
            raise UserError(
                self.env._(
                    "Choose the invoices the plan pays: %(customer)s has no open "
                    "invoice selected.",
                    customer=self.partner_id.display_name,
                )
            )
        self._check_owned_invoices()
        wrong = self.move_ids.filtered(lambda m: m.amount_residual <= 0)
        if wrong:
            raise UserError(self._gentle_invoice_owner_error("paid", wrong))
        if self.installment_count < 1:
            raise ValidationError(self.env._("Choose at least one instalment."))
        if self.date_first and self.date_first < fields.Date.context_today(self):
            raise ValidationError(
                self.env._(
                    "The first due date %(date)s is in the past: choose today or "
                    "later.",
                    date=fields.Date.to_string(self.date_first),
                )
            )
        currency = self.currency_id
        if currency.compare_amounts(self.down_payment, 0.0) < 0 or (
            self.down_payment
            and currency.compare_amounts(self.down_payment, self.amount_total) >= 0
        ):
            raise ValidationError(
                self.env._(
                    "The down payment must be between zero and the amount to "
                    "spread, %(total)s (not %(down)s).",
                    total=currency.format(self.amount_total),
                    down=currency.format(self.down_payment),
                )
            )
        rest = currency.round(self.amount_total - self.down_payment)
        share = currency.round(rest / self.installment_count)
        last = currency.round(rest - share * (self.installment_count - 1))
        if (
            self.installment_count > MAX_INSTALMENTS
            or currency.compare_amounts(last, 0.0) <= 0
        ):
            raise ValidationError(
                self.env._(
                    "%(rest)s cannot be split into %(count)s instalments: choose "
                    "fewer (at most %(max)s).",
                    rest=currency.format(rest),
                    count=self.installment_count,
                    max=MAX_INSTALMENTS,
                )
            )

    def _gentle_schedule(self):
        """``[(date, amount)]``: the down payment (if any) on the first date, then
        equal instalments at the frequency; the last one absorbs the rounding so
        that the amounts add up exactly to the amount to spread."""
        self.ensure_one()
        self._gentle_check()
        currency = self.currency_id
        step = FREQUENCIES[self.frequency]
        schedule = []
        day = self.date_first
        if not currency.is_zero(self.down_payment):
            schedule.append((day, currency.round(self.down_payment)))
            day = day + step
        rest = currency.round(self.amount_total - self.down_payment)
        share = currency.round(rest / self.installment_count)
        for index in range(self.installment_count):
            if index == self.installment_count - 1:
                amount = currency.round(rest - share * (self.installment_count - 1))
            else:
                amount = share
            schedule.append((day + step * index, amount))
        return schedule

    def action_create_plan(self):
        """Create the draft plan with the proposed instalments and open it."""
        self.ensure_one()
        schedule = self._gentle_schedule()
        plan = (
            self.env["gentle.payment.plan"]
            .with_company(self.company_id)
            .create(
                {
                    "partner_id": self.partner_id.commercial_partner_id.id,
                    "company_id": self.company_id.id,
                    "move_ids": [Command.set(self.move_ids.ids)],
                    "grace_days": self.grace_days,
                    "case_id": self.case_id.id,
                    "line_ids": [
                        Command.create(
                            {"sequence": index, "date_due": day, "amount": amount}
                        )
                        for index, (day, amount) in enumerate(schedule, 1)
                    ],
                }
            )
        )
        plan._gentle_check_sum()
        return {
            "type": "ir.actions.act_window",
            "res_model": "gentle.payment.plan",
            "res_id": plan.id,
            "view_mode": "form",
            "target": "current",
        }


class GentlePaymentPlanProposeLine(models.TransientModel):
    """One instalment the proposal would create, as the wizard shows it."""

    _name = "gentle.payment.plan.propose.line"
    _description = "Proposed Payment Plan Instalment"
    _order = "sequence, id"

    propose_id = fields.Many2one(
        "gentle.payment.plan.propose",
        string="Proposal",
        required=True,
        ondelete="cascade",
    )
    sequence = fields.Integer()
    currency_id = fields.Many2one(related="propose_id.currency_id")
    date_due = fields.Date(string="Due Date", readonly=True)
    amount = fields.Monetary(currency_field="currency_id", readonly=True)
