from odoo import fields, models


class GentleCaseCategory(models.Model):
    """What a customer's query is about; decides the first tier and the score."""

    _name = "gentle.case.category"
    _description = "Case Category"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Technical key used by features and data.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    is_dispute = fields.Boolean(
        string="Dispute",
        help="Cases of this category count as disputes in the customer's relationship "
        "score, unless resolved with a credit note (the seller's error).",
    )
    portal_visible = fields.Boolean(
        string="Offered on the Portal",
        default=True,
        help="Customers can choose this category when they ask a question about an "
        "invoice from the portal.",
    )
    tier_ids = fields.Many2many(
        "gentle.support.tier",
        "gentle_case_category_tier_rel",
        "category_id",
        "tier_id",
        string="Tiers",
    )

    _sql_constraints = [
        ("code_unique", "UNIQUE(code)", "A case category with this code exists."),
    ]

    def _gentle_first_tier(self, company):
        """The lowest tier of ``company`` handling this category, else the company's
        first tier."""
        self.ensure_one()
        tiers = self.env["gentle.support.tier"].search(
            [("company_id", "=", company.id)], order="sequence, id"
        )
        return tiers.filtered(lambda t: self in t.category_ids)[:1] or tiers[:1]
