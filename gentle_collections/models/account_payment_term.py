from odoo import api, fields, models
from odoo.exceptions import ValidationError


class AccountPaymentTerm(models.Model):
    """Payment terms show what an early-payment discount costs a year."""

    _inherit = "account.payment.term"

    gentle_annual_cost = fields.Float(
        string="Implied Annual Cost (%)",
        compute="_compute_gentle_annual_cost",
        digits=(16, 2),
        help="What the early-payment discount costs, as a yearly interest rate: "
        "d / (1 - d) x 365 / (net days - discount days). 2 % within 10 days, net "
        "30 costs about 37 % a year.",
    )

    def _gentle_net_days(self):
        """Days from the invoice date to the (last) due date of the term."""
        self.ensure_one()
        return max(self.line_ids.mapped("nb_days"), default=0)

    @api.depends(
        "early_discount", "discount_percentage", "discount_days", "line_ids.nb_days"
    )
    def _compute_gentle_annual_cost(self):
        for term in self:
            share = term.discount_percentage / 100.0
            span = term._gentle_net_days() - term.discount_days
            if not term.early_discount or not 0 < share < 1 or span <= 0:
                term.gentle_annual_cost = 0.0
                continue
            term.gentle_annual_cost = share / (1 - share) * 365.0 / span * 100.0

    @api.constrains(
        "early_discount", "discount_percentage", "discount_days", "line_ids"
    )
    def _check_gentle_discount(self):
        for term in self.filtered("early_discount"):
            if not 0 < term.discount_percentage < 100:
                raise ValidationError(
                    self.env._(
                        "The early-payment discount of %(term)s is %(pct)s %%: a "
                        "discount must be more than 0 and less than 100 %% (100 %% "
                        "would make the invoice free). Enter a percentage between "
                        "0 and 100.",
                        term=term.display_name,
                        pct=term.discount_percentage,
                    )
                )
            net_days = term._gentle_net_days()
            if term.discount_days >= net_days:
                raise ValidationError(
                    self.env._(
                        "The early-payment discount of %(term)s runs %(days)s days "
                        "but the invoice is due after %(net)s days: give the "
                        "discount fewer days than the term.",
                        term=term.display_name,
                        days=term.discount_days,
                        net=net_days,
                    )
                )
