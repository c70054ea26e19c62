from odoo import api, fields, models


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
        self.env["gentle.late.fee.charge"]._gentle_charge_late_fees(
            [
                (history.move_id, communication.date, history.level_id.policy_id)
                for communication in communications
                for history in communication.history
                if history.level_id.charge_fee
            ]
        )
