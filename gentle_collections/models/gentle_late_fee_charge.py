"""Charging a late fee on an overdue invoice: the fee invoice and its record."""

from odoo import Command, api, models
from odoo.tools import float_is_zero, format_date

from ..tools.late_fee import (
    capped_fixed_amount,
    capped_rate,
    fee_period,
    rate_fee,
    within_grace,
)
from .gentle_support_tier import OPEN_CASE_STATES


class GentleLateFeeCharge(models.AbstractModel):
    """Charges a follow-up policy's late fee on an invoice, at most once a
    month (``account.move._gentle_charge_late_fee``): whether it is waived, how
    much it is, the posted fee invoice and its ``gentle.late.fee``."""

    _name = "gentle.late.fee.charge"
    _description = "Late Fee Charging"

    @api.model
    def _gentle_fee_waiver(self, invoice, date, policy):
        """Why no late fee is charged on ``invoice`` on ``date`` (False:
        charge)."""
        invoice.ensure_one()
        partner = invoice.commercial_partner_id.with_company(invoice.company_id)
        if invoice.gentle_is_fee:
            return self.env._("A fee invoice is never charged a fee.")
        if policy.fee_mode == "none":
            return self.env._("The policy charges no late fee.")
        if partner.gentle_grade and partner.gentle_grade in (
            policy.fee_waived_grade_ids.mapped("code")
        ):
            return self.env._("Fees are waived for the customer's grade.")
        if invoice.gentle_case_ids.filtered(
            lambda c: c.state in OPEN_CASE_STATES and not c.needs_triage
        ):
            return self.env._("The invoice is under an open case.")
        if partner.gentle_hardship:
            return self.env._("The customer is in hardship mode.")
        due = max(
            invoice.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            ).mapped("date_maturity"),
            default=invoice.invoice_date_due,
        )
        if within_grace(date, due, policy.fee_grace_days):
            return self.env._("The invoice is still within the fee's grace days.")
        return False

    @api.model
    def _gentle_late_fee_amount(self, invoice, date, policy):
        """The fee for one month on ``invoice``, in its currency, capped by the
        company maxima (a cap lowered after the policy was set still applies)."""
        invoice.ensure_one()
        company = invoice.company_id
        if policy.fee_mode == "fixed":
            amount = capped_fixed_amount(
                policy.fee_amount, company.gentle_late_fee_max_amount
            )
            return company.currency_id._convert(
                amount, invoice.currency_id, company, date
            )
        rate = capped_rate(policy.fee_rate, company.gentle_late_fee_max_rate)
        residual = sum(
            invoice.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            ).mapped("amount_residual_currency")
        )
        return invoice.currency_id.round(rate_fee(residual, rate))

    @api.model
    def _gentle_charge_late_fee(self, invoice, date, policy):
        """Charge ``policy``'s late fee on ``invoice`` for the month of ``date``,
        once; returns the new ``gentle.late.fee`` (empty if waived or done)."""
        invoice.ensure_one()
        LateFee = self.env["gentle.late.fee"].sudo()
        period = fee_period(date)
        if self._gentle_fee_waiver(invoice, date, policy) or LateFee.search_count(
            [("invoice_id", "=", invoice.id), ("period", "=", period)], limit=1
        ):
            return LateFee
        amount = self._gentle_late_fee_amount(invoice, date, policy)
        if float_is_zero(amount, precision_rounding=invoice.currency_id.rounding):
            return LateFee
        fee_move = self._gentle_fee_invoice(invoice, date, policy, amount)
        fee = LateFee.create(
            {
                "invoice_id": invoice.id,
                "period": period,
                "fee_move_id": fee_move.id,
                "amount": amount,
                "policy_id": policy.id,
            }
        )
        invoice.message_post(
            body=self.env._(
                "Late fee of %(amount)s charged for %(month)s: %(fee)s",
                amount=invoice.currency_id.format(amount),
                month=format_date(self.env, period, date_format="MMMM y"),
                fee=fee_move.name,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return fee

    @api.model
    def _gentle_fee_invoice(self, invoice, date, policy, amount):
        """The posted invoice charging ``amount`` of late fee on ``invoice`` for
        the month of ``date``."""
        period = fee_period(date)
        journal = policy.fee_journal_id or self.env["account.journal"].search(
            [
                *self.env["account.journal"]._check_company_domain(invoice.company_id),
                ("type", "=", "sale"),
            ],
            limit=1,
        )
        label = self.env._(
            "Late fee on %(invoice)s (due %(due)s) for %(month)s",
            invoice=invoice.name,
            due=format_date(self.env, invoice.invoice_date_due),
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
            .with_company(invoice.company_id)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": invoice.partner_id.id,
                    "company_id": invoice.company_id.id,
                    "journal_id": journal.id,
                    "currency_id": invoice.currency_id.id,
                    "invoice_date": date,
                    "invoice_date_due": date,
                    "invoice_origin": invoice.name,
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
        return fee_move
