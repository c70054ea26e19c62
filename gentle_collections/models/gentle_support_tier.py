from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Case states in which a case holds its invoices and its SLA runs (except waiting).
# The states of a case still open: it holds its invoices and counts for its tier.
OPEN_CASE_STATES = ("new", "in_progress", "waiting")


class GentleSupportTier(models.Model):
    """A level of the support desk: who answers, within how many working hours."""

    _name = "gentle.support.tier"
    _description = "Support Tier"
    _order = "company_id, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(
        default=10,
        help="Cases escalate from a tier to the next one in this order.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    member_ids = fields.Many2many(
        "res.users",
        "gentle_support_tier_user_rel",
        "tier_id",
        "user_id",
        string="Members",
        domain=[("share", "=", False)],
        help="Users who handle this tier's cases; new cases go to the first of them "
        "with the fewest open cases, escalations schedule an activity for each.",
    )
    sla_hours = fields.Float(
        string="SLA (working hours)",
        default=8.0,
        help="Working hours, in the company's working-time calendar, within which a "
        "case must be resolved at this tier before it escalates to the next one. "
        "Time spent waiting on the customer does not count.",
    )
    category_ids = fields.Many2many(
        "gentle.case.category",
        "gentle_case_category_tier_rel",
        "tier_id",
        "category_id",
        string="Categories",
        help="Kinds of case this tier receives first.",
    )
    case_count = fields.Integer(compute="_compute_case_count", string="Open Cases")

    def _compute_case_count(self):
        groups = self.env["gentle.collection.case"]._read_group(
            [("tier_id", "in", self.ids), ("state", "in", OPEN_CASE_STATES)],
            ["tier_id"],
            ["__count"],
        )
        counts = {tier.id: count for tier, count in groups}
        for tier in self:
            tier.case_count = counts.get(tier.id, 0)

    @api.constrains("member_ids", "sla_hours", "active")
    def _check_members_and_sla(self):
        for tier in self.filtered("active"):
            if not tier.member_ids:
                raise ValidationError(
                    self.env._(
                        "Support tier “%(tier)s” has no members: add at least one "
                        "user who will handle its cases.",
                        tier=tier.name,
                    )
                )
            if tier.sla_hours <= 0:
                raise ValidationError(
                    self.env._(
                        "Support tier “%(tier)s” needs an SLA: enter the number of "
                        "working hours its cases may stay open (e.g. 8).",
                        tier=tier.name,
                    )
                )

    def _gentle_least_busy_member(self):
        """The member with the fewest open cases (the first on a tie)."""
        self.ensure_one()
        groups = self.env["gentle.collection.case"]._read_group(
            [("user_id", "in", self.member_ids.ids), ("state", "in", OPEN_CASE_STATES)],
            ["user_id"],
            ["__count"],
        )
        load = {user.id: count for user, count in groups}
        members = self.member_ids.sorted(lambda u: (load.get(u.id, 0), u.id))
        return members[:1]

    def _gentle_next_tier(self):
        """The tier a case escalates to from this one (empty for the last)."""
        self.ensure_one()
        return self.search(
            [
                ("company_id", "=", self.company_id.id),
                "|",
                ("sequence", ">", self.sequence),
                "&",
                ("sequence", "=", self.sequence),
                ("id", ">", self.id),
            ],
            order="sequence, id",
            limit=1,
        )
