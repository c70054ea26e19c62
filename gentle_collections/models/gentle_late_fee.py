from odoo import Command, api, fields, models
from odoo.tools import float_is_zero, format_date

from .gentle_support_tier import OPEN_CASE_STATES


class GentleLateFee(models.Model):
    """A late fee charged on an overdue invoice for one calendar month."""

    _name = "gentle.late.fee"
    _description = "Late Fee"
    _order = "period desc, id desc"
    _rec_name = "fee_move_id"

    invoice_id = fields.Many2one(
        "account.move",
        string="Overdue Invoice",
        required=True,
        ondelete="cascade",
        index=True,
        help="The invoice paid late that the fee is charged for.",
    )
    partner_id = fields.Many2one(
        related="invoice_id.commercial_partner_id", string="Customer", store=True
    )
    company_id = fields.Many2one(
        related="invoice_id.company_id", store=True, index=True
    )
    period = fields.Date(
        required=True, help="First day of the calendar month the fee is for."
    )
    fee_move_id = fields.Many2one(
        "account.move",
        string="Fee Invoice",
        ondelete="restrict",
        help="The invoice charging the fee to the customer.",
    )
    amount = fields.Monetary(help="The fee, in the invoice currency, before tax.")
    currency_id = fields.Many2one(related="invoice_id.currency_id", store=True)
    policy_id = fields.Many2one(
        "gentle.followup.policy",
        help="The follow-up policy whose fee was charged.",
    )

    _sql_constraints = [
        (
            "invoice_period_unique",
            "UNIQUE(invoice_id, period)",
            "An invoice is charged at most one late fee per month.",
        ),
    ]

    @api.model
    def _gentle_charge_claimed(self, communications):
        """Charge the late fee of the levels that charge one, for the steps the
        follow-up just claimed (``gentle.followup.engine._gentle_claimed``)."""
        for communication in communications:
            for history in communication.history:
                if history.level_id.charge_fee:
                    history.move_id._gentle_charge_late_fee(
                        communication.date, history.level_id.policy_id
                    )


class AccountMove(models.Model):
    _inherit = "account.move"

    def _gentle_fee_waiver(self, date, policy):
        """Why no late fee is charged on this invoice on ``date`` (False: charge)."""
        self.ensure_one()
        partner = self.commercial_partner_id.with_company(self.company_id)
        if self.gentle_is_fee:
            return self.env._("A fee invoice is never charged a fee.")
        if policy.fee_mode == "none":
            return self.env._("The policy charges no late fee.")
        if partner.gentle_grade and partner.gentle_grade in (
            policy.fee_waived_grade_ids.mapped("code")
        ):
            return self.env._("Fees are waived for the customer's grade.")
        if self.gentle_case_ids.filtered(
            lambda c: c.state in OPEN_CASE_STATES and not c.needs_triage
        ):
            return self.env._("The invoice is under an open case.")
        if partner.gentle_hardship:
            return self.env._("The customer is in hardship mode.")
        due = max(
            self.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            ).mapped("date_maturity"),
            default=self.invoice_date_due,
        )
        if due and (date - due).days <= policy.fee_grace_days:
            return self.env._("The invoice is still within the fee's grace days.")
        return False

    def _gentle_late_fee_amount(self, date, policy):
        """The fee for one month, in the invoice currency, capped by the
        company maxima (a cap lowered after the policy was set still applies)."""
        self.ensure_one()
        company = self.company_id
        if policy.fee_mode == "fixed":
            amount = max(
                0.0, min(policy.fee_amount, company.gentle_late_fee_max_amount)
            )
            return company.currency_id._convert(amount, self.currency_id, company, date)
        rate = max(0.0, min(policy.fee_rate, company.gentle_late_fee_max_rate, 100.0))
        residual = sum(
            self.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            ).mapped("amount_residual_currency")
        )
        return self.currency_id.round(abs(residual) * rate / 100.0)

    def _gentle_charge_late_fee(self, date, policy):
        """Charge ``policy``'s late fee on this invoice for the month of ``date``,
        once; returns the new ``gentle.late.fee`` (empty if waived or done)."""
        self.ensure_one()
        LateFee = self.env["gentle.late.fee"].sudo()
        period = date.replace(day=1)
        if self._gentle_fee_waiver(date, policy) or LateFee.search_count(
            [("invoice_id", "=", self.id), ("period", "=", period)], limit=1
        ):
            return LateFee
        amount = self._gentle_late_fee_amount(date, policy)
        if float_is_zero(amount, precision_rounding=self.currency_id.rounding):
            return LateFee
        journal = policy.fee_journal_id or self.env["account.journal"].search(
            [
                *self.env["account.journal"]._check_company_domain(self.company_id),
                ("type", "=", "sale"),
            ],
            limit=1,
        )
        label = self.env._(
            "Late fee on %(invoice)s (due %(due)s) for %(month)s",
            invoice=self.name,
            due=format_date(self.env, self.invoice_date_due),
            month=format_date(self.env, period, date_format="MMMM y"),
        )
        line = {
            "name": label,
            "quantity": 1.0,
            "price_unit": amount,
            "tax_ids": [Command.set(policy.fee_tax_ids.ids)],
        }
        if policy.fee_product_id:
            line["product_id"] = policy.fee_product_id.id
        fee_move = (
            self.env["account.move"]
            .sudo()
            .with_company(self.company_id)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.partner_id.id,
                    "company_id": self.company_id.id,
                    "journal_id": journal.id,
                    "currency_id": self.currency_id.id,
                    "invoice_date": date,
                    "invoice_date_due": date,
                    "invoice_origin": self.name,
                    "gentle_is_fee": True,
                    "invoice_line_ids": [Command.create(line)],
                }
            )
        )
        if policy.fee_product_id:
            # The product brings its own label and taxes: keep the policy's.
            fee_move.invoice_line_ids.write(
                {"name": label, "tax_ids": [Command.set(policy.fee_tax_ids.ids)]}
            )
        fee_move.action_post()
        fee = LateFee.create(
            {
                "invoice_id": self.id,
                "period": period,
                "fee_move_id": fee_move.id,
                "amount": amount,
                "policy_id": policy.id,
            }
        )
        self.message_post(
            body=self.env._(
                "Late fee of %(amount)s charged for %(month)s: %(fee)s",
                amount=self.currency_id.format(amount),
                month=format_date(self.env, period, date_format="MMMM y"),
                fee=fee_move.name,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return fee
