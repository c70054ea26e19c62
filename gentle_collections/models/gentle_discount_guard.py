"""The margin guard of early-payment discounts: how much of an invoice's
margin its discount takes, and whether that is too much to post it."""

from odoo import api, models
from odoo.tools import format_amount


class GentleDiscountGuard(models.AbstractModel):
    """Measures an invoice's early-payment discount against its margin (sales
    less the products' cost) and the share of it the company allows
    (``account.move._gentle_discount_guard_message``)."""

    _name = "gentle.discount.guard"
    _description = "Early-Payment Discount Margin Guard"

    @api.model
    def _gentle_figures(self, invoice):
        """``(discount, margin, allowed)`` of ``invoice`` in company currency, or
        None when the guard does not apply (off, no discount, or cost unknown
        and unguarded)."""
        invoice.ensure_one()
        company = invoice.company_id
        share = company.gentle_discount_max_margin_share
        if not share or invoice.move_type != "out_invoice" or invoice.gentle_is_fee:
            return None
        terms = invoice.line_ids.filtered(
            lambda line: line.display_type == "payment_term" and line.discount_date
        )
        discount = sum(line.balance - line.discount_balance for line in terms)
        if company.currency_id.compare_amounts(discount, 0) <= 0:
            return None
        cost = 0.0
        for line in invoice.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        ):
            product = line.product_id.with_company(company)
            if not product or not product.standard_price:
                if not company.gentle_discount_guard_unknown_cost:
                    return None
                continue
            quantity = (
                line.product_uom_id._compute_quantity(line.quantity, product.uom_id)
                if line.product_uom_id
                else line.quantity
            )
            cost += product.standard_price * quantity
        margin = invoice.amount_untaxed_signed - cost
        allowed = company.currency_id.round(max(margin, 0.0) * share)
        return discount, margin, allowed

    @api.model
    def _gentle_refusal(self, invoice):
        """Why posting ``invoice`` with its discount is refused (False: it
        isn't)."""
        figures = self._gentle_figures(invoice)
        if not figures:
            return False
        discount, margin, allowed = figures
        currency = invoice.company_id.currency_id
        if currency.compare_amounts(discount, allowed) <= 0:
            return False
        return self.env._(
            "The early-payment discount of %(discount)s takes more than "
            "%(share)s %% of the margin of %(margin)s (at most %(allowed)s).",
            discount=format_amount(self.env, discount, currency),
            share=round(invoice.company_id.gentle_discount_max_margin_share * 100, 2),
            margin=format_amount(self.env, margin, currency),
            allowed=format_amount(self.env, allowed, currency),
        )
