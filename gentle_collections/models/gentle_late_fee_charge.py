"""Charging a late fee on an overdue invoice: the fee invoice and its record."""

from collections import defaultdict

from markupsafe import Markup

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
        return self._gentle_charge_late_fees([(invoice, date, policy)])

    @api.model
    def _gentle_charge_late_fees(self, charges):
        """Charge late fees, ``[(invoice, date, policy)]``, each at most once a
        month, in one batch: the fee invoices created and posted together,
        their ``gentle.late.fee`` records and the notes on the invoices. Returns
        the new ``gentle.late.fee`` records."""
        LateFee = self.env["gentle.late.fee"].sudo()
        if not charges:
            return LateFee
        invoices = self.env["account.move"].union(*(c[0] for c in charges))
        periods = {fee_period(date) for _invoice, date, _policy in charges}
        done = {
            (fee.invoice_id.id, fee.period)
            for fee in LateFee.search(
                [("invoice_id", "in", invoices.ids), ("period", "in", list(periods))]
            )
        }
        todo = []
        for invoice, date, policy in charges:
            key = (invoice.id, fee_period(date))
            if key in done or self._gentle_fee_waiver(invoice, date, policy):
                continue
            amount = self._gentle_late_fee_amount(invoice, date, policy)
            if float_is_zero(amount, precision_rounding=invoice.currency_id.rounding):
                continue
            done.add(key)
            todo.append((invoice, date, policy, amount))
        if not todo:
            return LateFee
        fee_moves = self._gentle_fee_invoices(todo)
        fees = LateFee.create(
            [
                {
                    "invoice_id": invoice.id,
                    "period": fee_period(date),
                    "fee_move_id": fee_move.id,
                    "amount": amount,
                    "policy_id": policy.id,
                }
                for (invoice, date, policy, amount), fee_move in zip(
                    todo, fee_moves, strict=True
                )
            ]
        )
        notes = defaultdict(list)
        for (invoice, date, _policy, amount), fee_move in zip(
            todo, fee_moves, strict=True
        ):
            notes[invoice].append(
                self.env._(
                    "Late fee of %(amount)s charged for %(month)s: %(fee)s",
                    amount=invoice.currency_id.format(amount),
                    month=format_date(self.env, fee_period(date), date_format="MMMM y"),
                    fee=fee_move.name,
                )
            )
        bodies = {
            invoice.id: Markup("<br/>").join(texts) for invoice, texts in notes.items()
        }
        self.env["account.move"].browse(list(bodies))._gentle_log_notes(bodies)
        return fees

    @api.model
    def _gentle_fee_journal(self, invoice, policy):
        return policy.fee_journal_id or self.env["account.journal"].search(
            [
                *self.env["account.journal"]._check_company_domain(invoice.company_id),
                ("type", "=", "sale"),
            ],
            limit=1,
        )

    @api.model
    def _gentle_fee_invoice(self, invoice, date, policy, amount):
        """The posted invoice charging ``amount`` of late fee on ``invoice`` for
        the month of ``date``."""
        return self._gentle_fee_invoices([(invoice, date, policy, amount)])

    @api.model
    def _gentle_fee_invoices(self, charges):
        """The posted invoices charging the late fees ``[(invoice, date,
        policy, amount)]``, one each in the same order, created and posted in
        one batch per company."""
        journals = {}
        vals_by_company = defaultdict(list)
        for index, (invoice, date, policy, amount) in enumerate(charges):
            key = (invoice.company_id, policy)
            if key not in journals:
                journals[key] = self._gentle_fee_journal(invoice, policy)
            period = fee_period(date)
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
            vals_by_company[invoice.company_id].append(
                (
                    index,
                    {
                        "move_type": "out_invoice",
                        "partner_id": invoice.partner_id.id,
                        "company_id": invoice.company_id.id,
                        "journal_id": journals[key].id,
                        "currency_id": invoice.currency_id.id,
                        "invoice_date": date,
                        "invoice_date_due": date,
                        "invoice_origin": invoice.name,
                        "gentle_is_fee": True,
                        "invoice_line_ids": [Command.create(line)],
                    },
                    label,
                    policy,
                )
            )
        # No "created" log nor tracking on each fee invoice: the note on the
        # invoice charged says it, once.
        Move = (
            self.env["account.move"]
            .sudo()
            .with_context(mail_create_nolog=True, mail_notrack=True)
        )
        moves = [None] * len(charges)
        for company, items in vals_by_company.items():
            created = Move.with_company(company).create([item[1] for item in items])
            for (index, _vals, label, policy), fee_move in zip(
                items, created, strict=True
            ):
                moves[index] = fee_move
                if policy.fee_product_id:
                    # The product brings its own label and taxes: keep the policy's.
                    taxes = [Command.set(policy.fee_tax_ids.ids)]
                    fee_move.invoice_line_ids.write({"name": label, "tax_ids": taxes})
            created.action_post()
        return Move.concat(*moves).with_env(self.env)
