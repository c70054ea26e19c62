from werkzeug.urls import url_encode

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.misc import hmac


class GentlePaymentPlanLine(models.Model):
    """One instalment of a payment plan."""

    _name = "gentle.payment.plan.line"
    _description = "Payment Plan Instalment"
    _order = "plan_id, date_due, sequence, id"

    plan_id = fields.Many2one(
        "gentle.payment.plan", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(related="plan_id.company_id", store=True)
    currency_id = fields.Many2one(related="plan_id.currency_id")
    partner_id = fields.Many2one(related="plan_id.partner_id")
    date_due = fields.Date(string="Due Date", required=True)
    amount = fields.Monetary(required=True, currency_field="currency_id")
    paid_amount = fields.Monetary(
        compute="_compute_paid",
        currency_field="currency_id",
        help="Payments on the plan's invoices, allocated to instalments in due "
        "date order.",
    )
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("paid", "Paid"),
            ("late", "Late"),
            ("missed", "Missed"),
        ],
        compute="_compute_paid",
        help="Late: past its due date, still within the plan's grace days. Missed: "
        "not paid within the grace days; this broke the plan.",
    )
    missed = fields.Boolean(readonly=True, copy=False)
    pre_due_sent = fields.Boolean(
        string="Pre-due Reminder Sent",
        readonly=True,
        copy=False,
        help="The friendly reminder a few days before the due date was sent.",
    )
    due_sent = fields.Boolean(
        string="Due Reminder Sent",
        readonly=True,
        copy=False,
        help="The reminder on the due date was sent.",
    )

    @api.depends(
        "amount",
        "date_due",
        "missed",
        "plan_id.amount_paid",
        "plan_id.line_ids.amount",
        "plan_id.line_ids.date_due",
    )
    @api.depends_context("gentle_plan_today")
    def _compute_paid(self):
        today = self.env.context.get("gentle_plan_today") or fields.Date.context_today(
            self
        )
        for plan in self.plan_id:
            left = plan.amount_paid
            for line in plan.line_ids.sorted(lambda x: (x.date_due, x.sequence, x.id)):
                paid = min(left, line.amount) if left > 0 else 0.0
                left -= paid
                if line not in self:
                    continue
                line.paid_amount = paid
                if plan.currency_id.compare_amounts(paid, line.amount) >= 0:
                    line.state = "paid"
                elif line.missed:
                    line.state = "missed"
                elif line.date_due and line.date_due < today:
                    line.state = "late"
                else:
                    line.state = "pending"
        for line in self.filtered(lambda x: not x.plan_id):
            line.paid_amount = 0.0
            line.state = "pending"

    @api.model_create_multi
    def create(self, vals_list):
        plans = self.env["gentle.payment.plan"].browse(
            [vals.get("plan_id") for vals in vals_list if vals.get("plan_id")]
        )
        plans._gentle_check_lines_editable()
        return super().create(vals_list)

    def write(self, vals):
        if {"plan_id", "amount", "date_due"} & set(vals):
            self.plan_id._gentle_check_lines_editable()
            if vals.get("plan_id"):
                self.env["gentle.payment.plan"].browse(
                    vals["plan_id"]
                )._gentle_check_lines_editable()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_agreed(self):
        self.plan_id._gentle_check_lines_editable()

    @api.constrains("amount")
    def _check_amount(self):
        self._gentle_check_positive()
        # Instalments of a running plan keep adding up to its total.
        for plan in self.plan_id.filtered(lambda p: p.state in ("agreed", "completed")):
            plan._gentle_check_sum()

    def _gentle_check_positive(self):
        for line in self:
            if line.currency_id.compare_amounts(line.amount, 0.0) <= 0:
                raise ValidationError(
                    self.env._(
                        "Each instalment of %(plan)s needs an amount above zero "
                        "(the one due %(date)s has %(amount)s).",
                        plan=line.plan_id.name,
                        date=fields.Date.to_string(line.date_due),
                        amount=line.currency_id.format(line.amount),
                    )
                )

    def _gentle_pay_url(self):
        """A link paying what is left of this instalment online (Odoo's payment
        link, ``/payment/pay``), on the plan's oldest invoice still owed, or
        ``False`` when nothing is left or no invoice can take it. An instalment
        larger than that invoice's balance is still paid whole: the payment
        settles the next invoices of the plan with the rest
        (``payment.transaction._gentle_settle_plans``)."""
        self.ensure_one()
        plan = self.plan_id.sudo()
        if plan.state != "agreed" or self.state == "paid":
            return False
        currency = plan.currency_id
        moves = plan.move_ids.filtered(
            lambda m: m.currency_id == currency and m.amount_residual > 0
        ).sorted(lambda m: (m.invoice_date_due or m.date, m.id))
        left = currency.round(self.amount - self.paid_amount)
        if not moves or currency.compare_amounts(left, 0.0) <= 0:
            return False
        move = moves[0]
        amount = left
        return "/payment/pay?" + url_encode(
            {
                "invoice_id": move.id,
                "amount": amount,
                # payment.utils.generate_access_token, which needs a request.
                "access_token": hmac(
                    self.env(su=True),
                    "generate_access_token",
                    f"{move.partner_id.id}|{amount}|{move.currency_id.id}",
                ),
            }
        )
