from odoo import fields, models


class PaymentTransaction(models.Model):
    """A statement's *Pay all* pays its invoices net of the customer's credits:
    the credits are applied to the invoices once the payment is made."""

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
        amount asked was net of then settle what the payment left open."""
        payment = super()._create_payment(**extra_create_values)
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
