from odoo import fields, models


class PaymentTransaction(models.Model):
    """A statement's *Pay all* pays its invoices net of the customer's credits:
    the credits are applied to the invoices once the payment is made. A payment
    plan's instalment paid online settles the plan's invoices in due order."""

    _inherit = "payment.transaction"

    gentle_credit_line_ids = fields.Many2many(
        "account.move.line",
        "gentle_payment_transaction_credit_line_rel",
        "transaction_id",
        "line_id",
        string="Statement Credits",
        readonly=True,
        copy=False,
        help="The open credits (credit notes, unapplied payments) that the "
        "statement's amount asked nets off: applied to the transaction's "
        "invoices with its payment.",
    )

    def _create_payment(self, **extra_create_values):
        """Odoo reconciles the payment with the invoices; the credits the
        amount asked was net of then settle what the payment left open, and
        what is left of a payment on an invoice of a payment plan settles the
        plan's next invoices."""
        payment = super()._create_payment(**extra_create_values)
        self._gentle_settle_plans(payment)
        open_credits = self.gentle_credit_line_ids.filtered(
            lambda line: not line.reconciled
        )
        for account, account_credits in open_credits.grouped("account_id").items():
            debits = self.invoice_ids.line_ids.filtered(
                lambda line, account=account: (
                    line.account_id == account
                    and not line.reconciled
                    and line.amount_residual > 0
                )
            )
            if debits:
                (debits | account_credits).reconcile()
        return payment

    def _gentle_settle_plans(self, payment):
        """An instalment may be larger than what is left of the invoice its
        payment link names: what the payment has left after that invoice
        settles the other invoices of the same agreed plans, in due-date order
        (the instalment is paid, whichever invoices it covers)."""
        plans = self.invoice_ids.sudo().gentle_plan_ids.filtered(
            lambda plan: plan.state == "agreed"
        )
        if not plans:
            return
        credit = payment.move_id.line_ids.filtered(
            lambda line: (
                line.account_id.account_type == "asset_receivable"
                and not line.reconciled
                and line.amount_residual < 0
            )
        )
        if not credit:
            return
        debits = (
            (plans.move_ids - self.invoice_ids)
            .line_ids.filtered(
                lambda line: (
                    line.account_id == credit.account_id
                    and not line.reconciled
                    and line.amount_residual > 0
                )
            )
            .sorted(lambda line: (line.date_maturity or line.date, line.id))
        )
        # One line at a time, oldest first, so that the rest goes to the
        # earliest due invoice; a plan holds a handful of invoices.
        for debit in debits:
            (credit | debit).reconcile()
            if credit.reconciled:
                break
