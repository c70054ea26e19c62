from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, float_repr, format_amount

TONES = [
    ("friendly", "Friendly"),
    ("neutral", "Neutral"),
    ("firm", "Firm"),
    ("final", "Final"),
]
TONE_RANK = {tone: rank for rank, (tone, _label) in enumerate(TONES)}
# The firmest tone a customer in hardship mode ever receives.
HARDSHIP_MAX_TONE = "neutral"
# How plainly a customer likes to be spoken to: the wording of reminders follows.
STYLES = [
    ("direct", "Direct"),
    ("subtle", "Subtle"),
]
# Countries whose customers get the subtle style by default (high-context
# business cultures, where a request is softened and relationship comes first).
# Only a default: each customer's style can be changed on its form.
SUBTLE_COUNTRIES = frozenset(
    "AE BH BN CN EG HK ID IN JO JP KR KW LB MA MY OM PH QA SA SG TH TW VN".split()
)


class GentleFollowupPolicy(models.Model):
    """A ladder of follow-up levels, from a friendly nudge to a final notice."""

    _name = "gentle.followup.policy"
    _description = "Follow-up Policy"
    _inherit = ["mail.thread"]
    _order = "company_id, sequence, id"

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    is_default = fields.Boolean(
        string="Default Policy",
        tracking=True,
        help="The policy used for customers and invoices that name no other policy "
        "and match no grade-specific policy. Exactly one per company.",
    )
    level_ids = fields.One2many(
        "gentle.followup.level", "policy_id", string="Levels", copy=True
    )
    template_ids = fields.One2many(
        "gentle.followup.template",
        "policy_id",
        string="Wording",
        copy=True,
        help="The email template used for each tone. A message to a customer takes "
        "the firmest tone among the invoices it lists.",
    )
    grade_ids = fields.Many2many(
        "gentle.grade",
        string="For Grades",
        help="Customers of these relationship grades follow this policy, unless "
        "they or their invoice name another one. Leave empty for a policy chosen "
        "only by hand or as the company default.",
    )
    catch_up_max_tone = fields.Selection(
        TONES,
        string="Catch-up Limit",
        default="neutral",
        required=True,
        help="An invoice seen for the first time when already late starts at the "
        "level matching its age, but never at a firmer tone than this one.",
    )
    level_count = fields.Integer(compute="_compute_level_count")
    discount_grade_ids = fields.Many2many(
        "gentle.grade",
        "gentle_followup_policy_discount_grade_rel",
        "policy_id",
        "grade_id",
        string="Discount Nudge for Grades",
        help="Customers of these grades are reminded of their early-payment "
        "discount before it expires. Leave empty for all grades.",
    )
    fee_mode = fields.Selection(
        [
            ("none", "No late fee"),
            ("fixed", "Fixed amount"),
            ("monthly_rate", "Interest per month"),
        ],
        string="Late Fee",
        default="none",
        required=True,
        tracking=True,
        help="What a level that charges a fee adds, once per invoice and calendar "
        "month: a fixed amount, or a percentage of the amount still due.",
    )
    fee_amount = fields.Monetary(
        currency_field="fee_currency_id",
        help="Fixed fee per overdue invoice and month, in the company currency; "
        "converted to the invoice currency.",
    )
    fee_currency_id = fields.Many2one(related="company_id.currency_id")
    fee_rate = fields.Float(
        string="Interest per Month (%)",
        digits=(16, 4),
        help="Percentage of the amount still due charged per month, e.g. 1.0.",
    )
    fee_grace_days = fields.Integer(
        help="No fee is charged until this many days after the due date.",
    )
    fee_product_id = fields.Many2one(
        "product.product",
        help="Product of the fee invoice line (its income account is used).",
    )
    fee_journal_id = fields.Many2one(
        "account.journal",
        domain="[('type', '=', 'sale'), ('company_id', '=', company_id)]",
        help="Sales journal of the fee invoices (default: the first sales journal).",
    )
    fee_tax_ids = fields.Many2many(
        "account.tax",
        "gentle_followup_policy_fee_tax_rel",
        "policy_id",
        "tax_id",
        string="Fee Taxes",
        domain="[('type_tax_use', '=', 'sale'), ('company_id', '=', company_id)]",
        help="Taxes applied to the fee (none if empty).",
    )
    fee_waived_grade_ids = fields.Many2many(
        "gentle.grade",
        "gentle_followup_policy_fee_waived_grade_rel",
        "policy_id",
        "grade_id",
        string="No Fee for Grades",
        help="Customers of these grades are never charged a late fee.",
    )

    _sql_constraints = [
        (
            "default_unique",
            "EXCLUDE USING btree (company_id WITH =) WHERE (is_default AND active)",
            "A company has exactly one default follow-up policy: unset the current "
            "default before choosing another.",
        ),
    ]

    @api.constrains("fee_amount", "fee_rate", "fee_grace_days", "company_id")
    def _check_fee(self):
        for policy in self:
            if policy.fee_amount < 0 or policy.fee_rate < 0:
                raise ValidationError(
                    self.env._(
                        "The late fee of %(policy)s is negative: enter an amount "
                        "and a monthly rate of 0 or more.",
                        policy=policy.display_name,
                    )
                )
            company = policy.company_id
            if policy.fee_rate > company.gentle_late_fee_max_rate:
                raise ValidationError(
                    self.env._(
                        "The monthly late-fee rate of %(policy)s (%(rate)s %%) is "
                        "above the company maximum of %(max)s %%: enter a lower "
                        "rate, or raise the maximum in Accounting settings if the "
                        "law allows it.",
                        policy=policy.display_name,
                        rate=policy.fee_rate,
                        max=company.gentle_late_fee_max_rate,
                    )
                )
            if policy.fee_amount > company.gentle_late_fee_max_amount:
                raise ValidationError(
                    self.env._(
                        "The fixed late fee of %(policy)s (%(amount)s) is above the "
                        "company maximum of %(max)s: enter a lower amount, or raise "
                        "the maximum in Accounting settings if the law allows it.",
                        policy=policy.display_name,
                        amount=policy.fee_amount,
                        max=company.gentle_late_fee_max_amount,
                    )
                )
            if policy.fee_grace_days < 0:
                raise ValidationError(
                    self.env._(
                        "The fee grace days of %(policy)s are negative: enter 0 or "
                        "more days after the due date.",
                        policy=policy.display_name,
                    )
                )

    def _gentle_fee_clause(self, currency=None):
        """The late-fee clause of this policy, in words (False if no fee).

        :param currency: currency to state a fixed fee in (default: company's)
        """
        self.ensure_one()
        if self.fee_mode == "fixed" and self.fee_amount:
            currency = currency or self.company_id.currency_id
            amount = self.company_id.currency_id._convert(
                self.fee_amount,
                currency,
                self.company_id,
                fields.Date.context_today(self),
            )
            fee = self.env._(
                "%(amount)s per invoice and month",
                amount=format_amount(self.env, amount, currency),
            )
        elif self.fee_mode == "monthly_rate" and self.fee_rate:
            fee = self.env._(
                "%(rate)s %% per month of the amount still due",
                rate=float_repr(self.fee_rate, 2).rstrip("0").rstrip("."),
            )
        else:
            return False
        if self.fee_grace_days:
            return self.env._(
                "Payments received more than %(days)s days after the due date bear "
                "a late fee of %(fee)s.",
                days=self.fee_grace_days,
                fee=fee,
            )
        return self.env._(
            "Payments received after the due date bear a late fee of %(fee)s.",
            fee=fee,
        )

    @api.depends("level_ids")
    def _compute_level_count(self):
        for policy in self:
            policy.level_count = len(policy.level_ids)

    @api.constrains("is_default", "active", "level_ids")
    def _check_default_has_levels(self):
        for policy in self.filtered(lambda p: p.is_default and p.active):
            if not policy.level_ids:
                raise ValidationError(
                    self.env._(
                        "The default policy %(policy)s has no level: add at least "
                        "one level before making it the default.",
                        policy=policy.display_name,
                    )
                )

    def _gentle_precheck_default(self, planned):
        """Refuse a second default policy in a company before the database does.

        :param planned: list of ``(company_id, name, policy)`` that will be active
            defaults once saved
        """
        seen = set()
        for company_id, name, _policy in planned:
            others = self.with_context(active_test=True).search(
                [
                    ("company_id", "=", company_id),
                    ("is_default", "=", True),
                    ("id", "not in", [p.id for _c, _n, p in planned if p.id]),
                ],
                limit=1,
            )
            if others or company_id in seen:
                company = self.env["res.company"].browse(company_id)
                raise ValidationError(
                    self.env._(
                        "%(company)s already has a default follow-up policy: unset "
                        "it before making %(policy)s the default.",
                        company=company.name,
                        policy=name,
                    )
                )
            seen.add(company_id)

    @api.model_create_multi
    def create(self, vals_list):
        self._gentle_precheck_default(
            [
                (
                    vals.get("company_id") or self.env.company.id,
                    vals.get("name"),
                    self,
                )
                for vals in vals_list
                if vals.get("is_default") and vals.get("active", True)
            ]
        )
        policies = super().create(vals_list)
        self.env.registry.clear_cache()
        policies.filtered("grade_ids")._gentle_refresh_open_lines(
            policies.filtered("grade_ids").company_id
        )
        return policies

    def write(self, vals):
        if {"is_default", "active", "company_id"} & set(vals):
            self._gentle_precheck_default(
                [
                    (
                        vals.get("company_id", policy.company_id.id),
                        policy.display_name,
                        policy,
                    )
                    for policy in self.with_context(active_test=False)
                    if vals.get("is_default", policy.is_default)
                    and vals.get("active", policy.active)
                ]
            )
        companies = self.company_id
        result = super().write(vals)
        if {"grade_ids", "active", "company_id", "sequence"} & set(vals):
            self.env.registry.clear_cache()
            self._gentle_refresh_open_lines(companies | self.company_id)
        return result

    def unlink(self):
        companies = self.company_id
        # Lines point at the policy and at its levels: let go of both first, or
        # PostgreSQL trips over the two "set null" cascades of one row.
        self.env["account.move.line"].flush_model(
            ["gentle_policy_id", "gentle_next_level_id"]
        )
        self.env.execute_query(
            SQL(
                """UPDATE account_move_line
                      SET gentle_policy_id = NULL, gentle_next_level_id = NULL
                    WHERE gentle_policy_id = ANY(%s)
                       OR gentle_next_level_id = ANY(%s)""",
                self.ids,
                self.level_ids.ids,
            )
        )
        self.env["account.move.line"].invalidate_model(
            ["gentle_policy_id", "gentle_next_level_id"]
        )
        result = super().unlink()
        self.env.registry.clear_cache()
        self._gentle_refresh_open_lines(companies)
        return result

    def _gentle_refresh_open_lines(self, companies):
        """Re-resolve the policy of the open receivable lines of ``companies``:
        which policy matches a grade, or exists at all, has changed."""
        if not companies:
            return
        lines = (
            self.env["account.move.line"]
            .sudo()
            .search(
                self.env["account.move.line"]._gentle_policy_refresh_domain()
                + [("company_id", "in", companies.ids)]
            )
        )
        lines._gentle_refresh_policy()

    def _get_template(self, tone, style=None):
        """Return the mail template for ``tone``, falling back to softer tones.

        Within a tone, the wording written for the customer's ``style`` comes
        first, then the wording without a style, then another style's: a
        customer's style never changes the tone they get.

        :param str tone: one of :data:`TONES`
        :param str style: the customer's communication style (:data:`STYLES`)
        :rtype: mail.template
        """
        self.ensure_one()
        by_tone = {}
        for wording in self.template_ids.sorted(
            lambda t: (t.style != style, bool(t.style), t.id), reverse=True
        ):
            by_tone[wording.tone] = wording.mail_template_id
        rank = TONE_RANK[tone]
        for candidate, _label in reversed(TONES[: rank + 1]):
            if by_tone.get(candidate):
                return by_tone[candidate]
        for candidate, _label in TONES[rank + 1 :]:
            if by_tone.get(candidate):
                return by_tone[candidate]
        return self.env["mail.template"]

    def action_view_levels(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Levels"),
            "res_model": "gentle.followup.level",
            "view_mode": "list,form",
            "domain": [("policy_id", "=", self.id)],
            "context": {"default_policy_id": self.id},
        }
