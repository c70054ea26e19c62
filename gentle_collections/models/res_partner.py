# Over 400 lines on purpose: this file holds every res.partner extension of the
# addon (one model, one file), which is mostly field definitions: follow-up
# settings and work-queue status, the relationship-score components written by
# gentle.score.engine, hardship mode, the plan/promise/case counts and buttons,
# the statement fields and buttons (the statement logic is the gentle.statement
# service). What a follow-up message lists lives on gentle.followup.communication.
# Splitting it would bring back the import-order coupling between files.
from datetime import timedelta

import pytz
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, format_amount, format_date, format_datetime, format_time

from ..tools import contact_window
from .gentle_followup_engine import FAILURE_COOLDOWN_MINUTES
from .gentle_followup_policy import STYLES, SUBTLE_COUNTRIES
from .gentle_score_snapshot import GRADES

# Days a hardship period lasts when switched on from the customer form.
HARDSHIP_DAYS = 90

# Why a customer gets no reminder now (``gentle_followup_blocker_reason``).
BLOCKER_REASONS = [
    ("paused", "Paused"),
    ("window", "Outside contact window"),
    ("failed", "Last attempt failed"),
    ("approval", "Awaiting approval"),
    ("case", "Open case"),
    ("plan", "Payment plan"),
    ("promise", "Promise to pay"),
    ("hold", "Invoice on hold"),
    ("blocked", "Payment blocked"),
    ("done", "Every level sent"),
    ("nothing", "Nothing due"),
]
# Which hold of ``account.move._gentle_holds`` the blocker names first.
HOLD_RANK = {"case": 0, "plan": 1, "promise": 2, "hold": 3, "blocked": 4}


def _sparkline(values, width=120, height=24):
    """A tiny inline SVG line of scores (0-100), oldest first."""
    if len(values) < 2:
        return False
    step = width / (len(values) - 1)
    points = " ".join(
        f"{round(i * step, 1)},{round(height - value / 100 * height, 1)}"
        for i, value in enumerate(values)
    )
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" '
        'class="o_gentle_sparkline"><polyline fill="none" stroke="#26847d" '
        'stroke-width="2" points="%s"/></svg>'
    ) % (width, height, points)


class ResPartner(models.Model):
    """Customers carry their follow-up settings, history and work-queue status."""

    _inherit = "res.partner"

    gentle_policy_id = fields.Many2one(
        "gentle.followup.policy",
        string="Follow-up Policy",
        company_dependent=True,
        tracking=True,
        help="Follow this customer with another policy than the one matching their "
        "grade or the company default.",
        groups="base.group_user",
    )
    gentle_paused = fields.Boolean(
        string="Follow-up Paused",
        company_dependent=True,
        tracking=True,
        help="No automatic reminder is sent to this customer while paused.",
        groups="base.group_user",
    )
    gentle_style = fields.Selection(
        STYLES,
        string="Communication Style",
        compute="_compute_gentle_style",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="How plainly this customer likes to be addressed: reminders use the "
        "policy's wording for this style. Direct states the request plainly; "
        "subtle softens it and puts the relationship first. Defaulted from the "
        "country, change it to suit the customer.",
        groups="base.group_user",
    )
    gentle_followup_failed_at = fields.Datetime(
        string="Last Follow-up Failure",
        company_dependent=True,
        copy=False,
        help="Technical: a follow-up batch failed for this customer at this time; "
        "the customer is retried at the next hourly run.",
        groups="base.group_user",
    )
    gentle_action_ids = fields.One2many(
        "gentle.followup.action",
        "partner_id",
        string="Follow-up Actions",
        groups="base.group_user",
    )
    gentle_action_count = fields.Integer(
        compute="_compute_gentle_counts", groups="base.group_user"
    )
    gentle_failed_count = fields.Integer(
        string="Failed Actions",
        compute="_compute_gentle_counts",
        groups="base.group_user",
        help="Follow-up actions the engine could not carry out for this customer "
        "(for example no email address, or a letter that could not be rendered); "
        "emails that left but bounced or are stuck are counted in Emails to Check.",
    )
    gentle_outbox_count = fields.Integer(
        string="Emails to Check",
        compute="_compute_gentle_outbox_count",
        groups="base.group_user",
        help="Collections emails to this customer that failed, bounced or are "
        "stuck in the mail queue (Collections → Outbox).",
    )
    gentle_amount_due = fields.Monetary(
        string="Receivable Due",
        compute="_compute_gentle_amounts",
        currency_field="gentle_currency_id",
        help="Open receivables of this customer in the current company.",
        groups="base.group_user",
    )
    gentle_amount_overdue = fields.Monetary(
        string="Overdue",
        compute="_compute_gentle_amounts",
        currency_field="gentle_currency_id",
        groups="base.group_user",
    )
    gentle_currency_id = fields.Many2one(
        "res.currency", compute="_compute_gentle_amounts", groups="base.group_user"
    )
    gentle_next_followup_date = fields.Date(
        string="Next Follow-up",
        compute="_compute_gentle_amounts",
        groups="base.group_user",
    )
    gentle_needs_action = fields.Boolean(
        string="Follow-up Due",
        compute="_compute_gentle_amounts",
        search="_search_gentle_needs_action",
        help="An open invoice of this customer, not on hold, has reached its next "
        "follow-up date, or an instalment of an agreed payment plan is to be "
        "reminded.",
        groups="base.group_user",
    )

    # -- relationship score (written set-based by gentle.score.engine) ---------
    gentle_score = fields.Integer(
        string="Relationship Score",
        company_dependent=True,
        readonly=True,
        help="0 to 100, higher is better. Starts at 100 and loses: 1 point per "
        "average day late on payments of the last 12 months (at most 40), up to 25 "
        "points for the share of the amount not paid on time, 0.5 point per "
        "amount-weighted day overdue today (at most 20), 5 per dispute (at most 15), "
        "8 per broken promise (at most 16), 10 per broken payment plan (at most 20); "
        "gains 2 per kept promise (at most 6) and 2 per year as a customer (at most "
        "6). The result is rounded and kept between 0 and 100. Customers with fewer "
        "paid invoices in 12 months than the setting (3 by default) get a neutral "
        "50 and grade New. Computed per company, nightly, on demand and after each "
        "payment.",
        groups="base.group_user",
    )
    gentle_grade = fields.Selection(
        GRADES,
        string="Grade",
        company_dependent=True,
        readonly=True,
        help="A excellent (score 85 and up), B good (70 and up), C watch (50 and "
        "up), D at risk (below); thresholds in Accounting settings. New: too little "
        "payment history to judge, never punished.",
        groups="base.group_user",
    )
    gentle_is_new = fields.Boolean(
        string="New Customer (Score)",
        company_dependent=True,
        readonly=True,
        help="Fewer paid invoices in the last 12 months than the setting: the score "
        "is a neutral 50.",
        groups="base.group_user",
    )
    gentle_paid_invoice_count = fields.Integer(
        string="Invoices Paid (12 months)",
        company_dependent=True,
        readonly=True,
        help="Invoices fully paid with a payment dated in the last 12 months.",
        groups="base.group_user",
    )
    gentle_avg_days_late = fields.Float(
        string="Average Days Late",
        company_dependent=True,
        readonly=True,
        help="Days between each instalment's due date and its payment (0 when paid "
        "on time), averaged over the payments of the last 12 months weighted by "
        "their amount in company currency. The payment date is the date of the "
        "reconciliation (or of the payment, for payments without journal entry); "
        "credit notes and reversals are not payments. 1 point off per day, at most "
        "40.",
        groups="base.group_user",
    )
    gentle_on_time_ratio = fields.Float(
        string="Paid on Time",
        company_dependent=True,
        readonly=True,
        help="Share of the amount paid in the last 12 months that was paid on or "
        "before its due date (0 to 1). The score loses 25 points times the share "
        "paid late.",
        groups="base.group_user",
    )
    gentle_overdue_days = fields.Float(
        string="Overdue Days (Weighted)",
        company_dependent=True,
        readonly=True,
        help="Days past due of each open amount on the score date (0 when not due "
        "yet), averaged weighted by the open amounts. 0.5 point off per day, at "
        "most 20.",
        groups="base.group_user",
    )
    gentle_overdue_exposure = fields.Float(
        string="Overdue Exposure",
        company_dependent=True,
        readonly=True,
        help="Open amount past its due date on the score date, in company currency.",
        groups="base.group_user",
    )
    gentle_dispute_count = fields.Integer(
        string="Disputes (12 months)",
        company_dependent=True,
        readonly=True,
        help="Disputes of the last 12 months, except those settled as the seller's "
        "error. 5 points off each, at most 15.",
        groups="base.group_user",
    )
    gentle_promises_kept = fields.Integer(
        string="Promises Kept",
        company_dependent=True,
        readonly=True,
        help="Promises to pay kept in the last 12 months. 2 points each, at most 6.",
        groups="base.group_user",
    )
    gentle_promises_broken = fields.Integer(
        string="Promises Broken",
        company_dependent=True,
        readonly=True,
        help="Promises to pay broken in the last 12 months. 8 points off each, at "
        "most 16.",
        groups="base.group_user",
    )
    gentle_plans_broken = fields.Integer(
        string="Plans Broken",
        company_dependent=True,
        readonly=True,
        help="Payment plans broken in the last 12 months. 10 points off each, at "
        "most 20.",
        groups="base.group_user",
    )
    gentle_tenure_days = fields.Integer(
        string="Customer for (days)",
        company_dependent=True,
        readonly=True,
        help="Days since the first invoice. 2 points per year, at most 6.",
        groups="base.group_user",
    )
    gentle_volume = fields.Float(
        string="Invoiced (12 months)",
        company_dependent=True,
        readonly=True,
        help="Amount invoiced in the last 12 months in company currency, before "
        "credit notes, reversed invoices excluded. Shown for context, not scored.",
        groups="base.group_user",
    )
    gentle_score_date = fields.Date(
        string="Score Computed On",
        company_dependent=True,
        readonly=True,
        groups="base.group_user",
    )
    gentle_score_explanation = fields.Text(
        string="Why this score",
        compute="_compute_gentle_score_explanation",
        groups="base.group_user",
    )
    gentle_snapshot_ids = fields.One2many(
        "gentle.score.snapshot",
        "partner_id",
        string="Score History",
        groups="base.group_user",
    )
    gentle_score_trend = fields.Html(
        string="Score Trend",
        compute="_compute_gentle_score_trend",
        sanitize=False,
        groups="base.group_user",
    )

    gentle_score_label = fields.Char(
        string="Score",
        compute="_compute_gentle_score_label",
        help='The relationship score out of 100, or "Not scored yet" before '
        "the first computation (which is not a score of 0).",
        groups="base.group_user",
    )
    gentle_applied_policy_id = fields.Many2one(
        "gentle.followup.policy",
        string="Policy Applied",
        compute="_compute_gentle_applied_policy_id",
        help="The follow-up policy this customer's invoices follow: the customer's "
        "own, else the one matching their grade, else the company default (an "
        "invoice may still set its own).",
        groups="base.group_user",
    )

    @api.depends("gentle_score", "gentle_score_date")
    @api.depends_context("company")
    def _compute_gentle_score_label(self):
        for partner in self:
            partner.gentle_score_label = partner._gentle_score_text()

    def _gentle_score_text(self):
        """The score out of 100, or that there is none yet."""
        self.ensure_one()
        if not self.gentle_score_date:
            return self.env._("Not scored yet")
        return self.env._("%(score)s / 100", score=self.gentle_score)

    @api.depends("commercial_partner_id.gentle_policy_id", "gentle_grade")
    @api.depends_context("company")
    def _compute_gentle_applied_policy_id(self):
        company = self.env.company
        engine = self.env["gentle.followup.engine"]
        for partner in self:
            partner.gentle_applied_policy_id = engine._gentle_resolve_policy(
                partner, company
            )

    @api.depends_context("company")
    def _compute_gentle_score_explanation(self):
        for partner in self:
            partner.gentle_score_explanation = partner._gentle_explain_score()

    def _gentle_explain_score(self):
        """The score in plain words, from its stored components."""
        self.ensure_one()
        env = self.env
        if not self.gentle_score_date:
            return env._("Not scored yet: scores are computed every night.")
        if self.gentle_is_new:
            return env._(
                "Too little payment history to judge (%(count)s invoice(s) paid in "
                "the last 12 months): a neutral score of 50 until there is more.",
                count=self.gentle_paid_invoice_count,
            )
        parts = [
            env._(
                "Pays %(days)s days late on average, %(share)s %% of the amount on "
                "time, over the last 12 months (%(count)s invoices paid).",
                days=round(self.gentle_avg_days_late),
                share=round(self.gentle_on_time_ratio * 100),
                count=self.gentle_paid_invoice_count,
            )
        ]
        if self.gentle_overdue_exposure:
            parts.append(
                env._(
                    "%(amount)s overdue today; what is open is %(days)s days "
                    "overdue on average.",
                    amount=env.company.currency_id.format(self.gentle_overdue_exposure),
                    days=round(self.gentle_overdue_days),
                )
            )
        if self.gentle_dispute_count:
            parts.append(
                env._("%(count)s dispute(s).", count=self.gentle_dispute_count)
            )
        if self.gentle_promises_broken:
            parts.append(
                env._("%(count)s broken promise(s).", count=self.gentle_promises_broken)
            )
        if self.gentle_promises_kept:
            parts.append(
                env._("%(count)s kept promise(s).", count=self.gentle_promises_kept)
            )
        if self.gentle_plans_broken:
            parts.append(
                env._(
                    "%(count)s broken payment plan(s).", count=self.gentle_plans_broken
                )
            )
        years = self.gentle_tenure_days // 365
        if years:
            parts.append(env._("Customer for %(years)s year(s).", years=years))
        return " ".join(parts)

    @api.depends("gentle_snapshot_ids.score")
    @api.depends_context("company")
    def _compute_gentle_score_trend(self):
        company = self.env.company
        for partner in self:
            points = partner.gentle_snapshot_ids.filtered(
                lambda s: s.company_id == company
            ).sorted("month")[-12:]
            partner.gentle_score_trend = _sparkline([s.score for s in points])

    def action_gentle_recompute_score(self):
        """Recompute the relationship score of these customers now, in the
        current company (the nightly recompute does it for everyone)."""
        if not (
            self.env.su
            or self.env.user.has_group("gentle_collections.group_gentle_user")
        ):
            raise AccessError(
                self.env._(
                    "Only Collections users can recompute relationship scores: ask "
                    "a Collections manager for that access, or wait for the nightly "
                    "recompute."
                )
            )
        company = self.env.company
        customers = self.commercial_partner_id
        self.env["gentle.score.engine"]._gentle_recompute(
            company, partner_ids=customers.ids
        )
        customers.invalidate_recordset()
        if len(customers) == 1:
            grade = dict(
                self._fields["gentle_grade"]._description_selection(self.env)
            ).get(customers.gentle_grade)
            message = self.env._(
                "%(customer)s: %(score)s, grade %(grade)s.",
                customer=customers.display_name,
                score=customers._gentle_score_text(),
                grade=grade or "-",
            )
        else:
            message = self.env._(
                "Scores of %(count)s customers recomputed.", count=len(customers)
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Score recomputed"),
                "message": message,
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _compute_gentle_counts(self):
        groups = self.env["gentle.followup.action"]._read_group(
            [("partner_id", "in", self.ids)],
            ["partner_id", "state"],
            ["__count"],
        )
        total, failed = {}, {}
        for partner, state, count in groups:
            total[partner.id] = total.get(partner.id, 0) + count
            if state == "failed":
                failed[partner.id] = count
        for partner in self:
            partner.gentle_action_count = total.get(partner.id, 0)
            partner.gentle_failed_count = failed.get(partner.id, 0)

    @api.depends_context("company")
    def _compute_gentle_amounts(self):
        today = fields.Date.context_today(self)
        company = self.env.company
        domain = self.env["account.move.line"]._gentle_open_domain() + [
            ("partner_id", "in", self.ids),
            ("company_id", "=", company.id),
        ]
        groups = self.env["account.move.line"]._read_group(
            domain,
            ["partner_id"],
            ["amount_residual:sum", "gentle_next_date:min"],
        )
        overdue = dict(
            self.env["account.move.line"]._read_group(
                domain + [("date_maturity", "<", today)],
                ["partner_id"],
                ["amount_residual:sum"],
            )
        )
        due = {partner: (amount, next_date) for partner, amount, next_date in groups}
        needing = set(
            self.search(
                [("id", "in", self.ids), ("gentle_needs_action", "=", True)]
            ).ids
        )
        for partner in self:
            amount, next_date = due.get(partner, (0.0, False))
            partner.gentle_amount_due = amount
            partner.gentle_amount_overdue = overdue.get(partner, 0.0)
            partner.gentle_currency_id = company.currency_id
            partner.gentle_next_followup_date = next_date
            partner.gentle_needs_action = partner.id in needing

    @api.depends("country_id")
    def _compute_gentle_style(self):
        for partner in self:
            code = partner.country_id.code
            partner.gentle_style = "subtle" if code in SUBTLE_COUNTRIES else "direct"

    def _search_gentle_needs_action(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(operator)
        wanted = operator == "=" and value or operator == "!=" and not value
        engine = self.env["gentle.followup.engine"]
        for model in ("account.move.line", "account.move", "res.partner"):
            self.env[model].flush_model()
        query = engine._gentle_due_partners_sql(
            self.env.company, fields.Date.context_today(self)
        )
        # Parenthesised: the ORM writes ``IN %s`` around a sub-query.
        partners = SQL("(SELECT DISTINCT due.partner_id FROM (%s) due)", query)
        return [("id", "in" if wanted else "not in", partners)]

    def action_gentle_schedule_call(self):
        """Propose call times that suit the collector and this customer."""
        self.ensure_one()
        return self.env["gentle.call.schedule"]._gentle_open(self)

    def action_gentle_followup_now(self):
        """Open "Follow up now" with its preview already prepared: the wizard is
        created at once, so the dialog shows exactly what would be sent."""
        wizard = self.env["gentle.followup.send"].create(
            {"partner_ids": [Command.set(self.commercial_partner_id.ids)]}
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Follow up now"),
            "res_model": "gentle.followup.send",
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_gentle_pause(self):
        self.commercial_partner_id.gentle_paused = True

    def action_gentle_resume(self):
        self.commercial_partner_id.gentle_paused = False

    def _compute_gentle_outbox_count(self):
        self.gentle_outbox_count = 0
        if not self.env["gentle.outbox"].has_access("read"):
            return
        counts = dict(
            self.env["gentle.outbox"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.gentle_outbox_count = counts.get(partner.commercial_partner_id, 0)

    def action_gentle_outbox(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "gentle_collections.gentle_outbox_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        return action

    def action_gentle_actions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "gentle_collections.gentle_followup_action_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # Support cases
    # ------------------------------------------------------------------

    gentle_case_count = fields.Integer(
        string="Case Count",
        compute="_compute_gentle_case_count",
        groups="base.group_user",
    )

    def _gentle_count_per_customer(self, model):
        """``{commercial partner id: count}`` of the ``model`` records (cases,
        plans, promises: all keyed by the commercial partner) of these partners,
        in one query."""
        groups = self.env[model]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids)],
            ["partner_id"],
            ["__count"],
        )
        return {partner.id: count for partner, count in groups}

    def _gentle_customer_action(self, xmlid):
        """The window action ``xmlid`` on this customer's records, creating new
        ones for this customer."""
        self.ensure_one()
        customer = self.commercial_partner_id
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("partner_id", "=", customer.id)]
        action["context"] = {"default_partner_id": customer.id}
        return action

    def _compute_gentle_case_count(self):
        counts = self._gentle_count_per_customer("gentle.collection.case")
        for partner in self:
            partner.gentle_case_count = counts.get(partner.commercial_partner_id.id, 0)

    def action_gentle_cases(self):
        return self._gentle_customer_action(
            "gentle_collections.gentle_collection_case_action"
        )

    # ------------------------------------------------------------------
    # Hardship mode: softer follow-up for a customer going through hard
    # times. While on, reminders never get firmer than neutral (the
    # follow-up engine caps the tone), late fees are suspended and each
    # reminder offers a payment plan.
    # ------------------------------------------------------------------

    gentle_hardship_until = fields.Date(
        string="Hardship Until",
        company_dependent=True,
        copy=False,
        help="Hardship mode lasts until this date included: reminders stay at a "
        "neutral tone at most, late fees are suspended and each reminder offers a "
        "payment plan.",
        groups="base.group_user",
    )
    gentle_hardship = fields.Boolean(
        string="Hardship Mode",
        compute="_compute_gentle_hardship",
        search="_search_gentle_hardship",
        help="The customer is in hardship mode today.",
        groups="base.group_user",
    )

    @api.depends("gentle_hardship_until", "commercial_partner_id")
    @api.depends_context("company")
    def _compute_gentle_hardship(self):
        today = fields.Date.context_today(self)
        for partner in self:
            partner.gentle_hardship = partner._gentle_in_hardship(today)

    def _gentle_in_hardship(self, date):
        """Whether the customer is in hardship mode on ``date`` (current company)."""
        self.ensure_one()
        until = self.commercial_partner_id.gentle_hardship_until
        return bool(until and until >= date)

    def _search_gentle_hardship(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(operator)
        today = fields.Date.context_today(self)
        on = [("commercial_partner_id.gentle_hardship_until", ">=", today)]
        if (operator == "=") == value:
            return on
        return ["!", *on]

    def action_gentle_hardship_on(self, until=None):
        """Switch hardship mode on until ``until`` (default: in 90 days)."""
        until = until or fields.Date.context_today(self) + timedelta(days=HARDSHIP_DAYS)
        for customer in self.commercial_partner_id:
            customer.gentle_hardship_until = until
            customer.message_post(
                body=self.env._(
                    "Hardship mode on until %(date)s: reminders stay at a neutral "
                    "tone at most, late fees are suspended and a payment plan is "
                    "offered.",
                    date=format_date(self.env, until),
                ),
                subtype_xmlid="mail.mt_note",
            )

    def action_gentle_hardship_off(self):
        for customer in self.commercial_partner_id.filtered("gentle_hardship_until"):
            customer.gentle_hardship_until = False
            customer.message_post(
                body=self.env._(
                    "Hardship mode off as of %(date)s: the usual follow-up resumes.",
                    date=format_date(self.env, fields.Date.context_today(self)),
                ),
                subtype_xmlid="mail.mt_note",
            )

    # ------------------------------------------------------------------
    # Payment plans and promises to pay
    # ------------------------------------------------------------------

    gentle_plan_count = fields.Integer(
        string="Payment Plans",
        compute="_compute_gentle_plan_count",
        groups="base.group_user",
    )

    def _compute_gentle_plan_count(self):
        counts = self._gentle_count_per_customer("gentle.payment.plan")
        for partner in self:
            partner.gentle_plan_count = counts.get(partner.commercial_partner_id.id, 0)

    def action_gentle_payment_plans(self):
        return self._gentle_customer_action(
            "gentle_collections.gentle_payment_plan_action"
        )

    def action_gentle_propose_plan(self):
        self.ensure_one()
        return self.env["gentle.payment.plan.propose"]._gentle_open(
            self.commercial_partner_id
        )

    gentle_promise_count = fields.Integer(
        string="Promises to Pay",
        compute="_compute_gentle_promise_count",
        groups="base.group_user",
    )

    def _compute_gentle_promise_count(self):
        counts = self._gentle_count_per_customer("gentle.payment.promise")
        for partner in self:
            partner.gentle_promise_count = counts.get(
                partner.commercial_partner_id.id, 0
            )

    def _message_post_after_hook(self, message, msg_values):
        result = super()._message_post_after_hook(message, msg_values)
        if msg_values.get("message_type") == "email":
            self.env["gentle.payment.promise"]._gentle_promise_from_reply(self, message)
        return result

    def action_gentle_promise(self):
        self.ensure_one()
        return self.env["gentle.payment.promise"]._gentle_open_form(self, source="form")

    def action_gentle_promises(self):
        return self._gentle_customer_action(
            "gentle_collections.gentle_payment_promise_action"
        )

    # ------------------------------------------------------------------
    # Statement of account (the logic is the gentle.statement service)
    # ------------------------------------------------------------------

    gentle_statement_url = fields.Char(
        string="Statement Link",
        compute="_compute_gentle_statement_url",
        help="The customer's statement on the portal: open invoices, ageing and "
        "pay-now links. Works without a login for whoever has the link, until it "
        "expires (Accounting settings) or is revoked; it is included in "
        "reminders.",
        groups="base.group_user",
    )
    gentle_statement_link_version = fields.Integer(
        string="Statement Link Version",
        default=0,
        copy=False,
        readonly=True,
        groups="base.group_user",
        help="Signed into every statement link of this customer: revoking the "
        "links raises it, so that the links sent before stop working.",
    )

    def _compute_gentle_statement_url(self):
        statement = self.env["gentle.statement"]
        for partner in self:
            customer = partner.commercial_partner_id
            partner.gentle_statement_url = (
                customer.id and statement._gentle_statement_url(customer)
            )

    def action_gentle_print_statement(self):
        return self.env.ref("gentle_collections.gentle_statement_report").report_action(
            self.commercial_partner_id
        )

    def action_gentle_revoke_statement_links(self):
        """Every statement link sent to these customers stops working."""
        return self.env["gentle.statement"]._gentle_revoke_statement_links(self)

    # ------------------------------------------------------------------
    # Why no reminder now (the blocker): the engine's own rules, in words.
    # Nothing here decides anything: who is due is the engine's query
    # (_gentle_due_partner_ids), a hold is account.move._gentle_holds, the
    # contact window is tools/contact_window.py through the engine's helpers,
    # open lines are account.move.line._gentle_open_domain.
    # ------------------------------------------------------------------

    gentle_followup_blocker = fields.Char(
        string="Why No Reminder",
        compute="_compute_gentle_followup_blocker",
        help="Why this customer gets no reminder now, in one sentence; empty "
        "when a reminder is due and the scheduled follow-up will send it.",
        groups="base.group_user",
    )
    gentle_followup_blocker_reason = fields.Selection(
        BLOCKER_REASONS,
        string="No Reminder Because",
        compute="_compute_gentle_followup_blocker",
        search="_search_gentle_followup_blocker_reason",
        groups="base.group_user",
    )
    gentle_next_step = fields.Char(
        string="Next Step",
        compute="_compute_gentle_followup_blocker",
        help="The next follow-up level of this customer's open invoices and the "
        "day it is due.",
        groups="base.group_user",
    )

    @api.depends_context("company")
    def _compute_gentle_followup_blocker(self):
        customers = self.commercial_partner_id.filtered(lambda p: isinstance(p.id, int))
        blockers, steps = customers._gentle_blockers(fields.Datetime.now())
        for partner in self:
            customer_id = partner.commercial_partner_id.id
            reason, text = blockers.get(customer_id, (False, False))
            partner.gentle_followup_blocker = text
            partner.gentle_followup_blocker_reason = reason
            partner.gentle_next_step = steps.get(customer_id, False)

    def _search_gentle_followup_blocker_reason(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise NotImplementedError(operator)
        values = value if isinstance(value, (list, tuple)) else [value]
        wanted = {value or False for value in values}
        now = fields.Datetime.now()
        blockers, _steps = self.browse(
            self._gentle_blocker_candidates(now)
        )._gentle_blockers(now)
        if "nothing" in wanted:
            # Every customer left out of the candidates has nothing due.
            others = [pid for pid, (r, _t) in blockers.items() if r not in wanted]
            domain = [("commercial_partner_id", "not in", others)]
        else:
            matching = [pid for pid, (r, _t) in blockers.items() if r in wanted]
            domain = [("commercial_partner_id", "in", matching)]
        if operator in ("!=", "not in"):
            return ["!", *domain]
        return domain

    @api.model
    def _gentle_blocker_candidates(self, now):
        """Ids of the customers of the current company whose blocker may be
        something else than "Nothing due": with open receivables, paused, with
        a reminder awaiting approval or due from any source."""
        company = self.env.company
        engine = self.env["gentle.followup.engine"].with_company(company)
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT am.commercial_partner_id
                     FROM account_move_line aml
                     JOIN account_move am ON am.id = aml.move_id
                    WHERE aml.company_id = %s AND %s""",
                company.id,
                self.env["account.move.line"]._gentle_open_sql(),
            )
        )
        ids = {row[0] for row in rows}
        ids.update(
            self.with_company(company).search([("gentle_paused", "=", True)]).ids
        )
        ids.update(self._gentle_awaiting_approval(None, company))
        ids.update(engine._gentle_due_partner_ids(company, now, window=False))
        return sorted(ids)

    @api.model
    def _gentle_awaiting_approval(self, partner_ids, company):
        """``{customer id: date of the oldest reminder awaiting approval}``."""
        domain = [
            ("state", "=", "awaiting_approval"),
            ("company_id", "=", company.id),
        ]
        if partner_ids is not None:
            domain.append(("partner_id", "in", list(partner_ids)))
        # Counted for the blocker only; collectors may not read every action.
        groups = (
            self.env["gentle.followup.action"]
            .sudo()
            ._read_group(domain, ["partner_id"], ["date:min"])
        )
        return {partner.id: oldest for partner, oldest in groups}

    def _gentle_blockers(self, now):
        """Why each of these customers (commercial partners) gets no reminder at
        ``now`` (naive UTC) in the current company, and their next step.

        :returns: ``({customer id: (reason, sentence)}, {customer id: next
            step})``; the reason and sentence are ``False`` for a customer
            the scheduled follow-up would send to at ``now``.
        """
        if not self:
            return {}, {}
        company = self.env.company
        engine = self.env["gentle.followup.engine"].with_company(company)
        customers = self.with_company(company)
        date = engine._gentle_run_date(company, now)
        due = set(engine._gentle_due_partner_ids(company, now, customers.ids))
        waiting = set(
            engine._gentle_due_partner_ids(company, now, customers.ids, window=False)
        )
        approvals = self._gentle_awaiting_approval(customers.ids, company)
        lines = self.env["account.move.line"].search_fetch(
            self.env["account.move.line"]._gentle_open_domain()
            + [
                ("company_id", "=", company.id),
                ("move_id.commercial_partner_id", "in", customers.ids),
            ],
            ["move_id", "date_maturity", "gentle_next_date", "gentle_next_level_id"],
            order="date_maturity, id",
        )
        by_customer = lines.grouped(lambda line: line.move_id.commercial_partner_id.id)
        holds = {move.id: move._gentle_holds(date) for move in lines.move_id}
        no_lines = self.env["account.move.line"]
        blockers, steps = {}, {}
        for customer in customers:
            open_lines = by_customer.get(customer.id, no_lines)
            steps[customer.id] = customer._gentle_next_step_text(
                open_lines.filtered(lambda line: not holds[line.move_id.id]), date
            )
            if customer.id in due:
                blockers[customer.id] = (False, False)
            elif customer.gentle_paused:
                blockers[customer.id] = (
                    "paused",
                    self.env._("Paused: no reminder until follow-up is resumed"),
                )
            elif customer.id in waiting and (
                window := customer._gentle_window_blocker(now)
            ):
                blockers[customer.id] = window
            elif customer.id in approvals:
                blockers[customer.id] = (
                    "approval",
                    self.env._(
                        "Reminder awaiting approval since %(date)s",
                        date=format_date(self.env, approvals[customer.id]),
                    ),
                )
            else:
                blockers[customer.id] = customer._gentle_hold_blocker(
                    open_lines, holds
                ) or customer._gentle_nothing_due(open_lines, date)
        return blockers, steps

    def _gentle_next_step_text(self, lines, date):
        """The next follow-up level of ``lines`` (open receivables not on
        hold) and its day; a line already due on ``date`` names the level the
        engine sends it at (catch-up: ``_gentle_next_step(today=date)``)."""
        upcoming = lines.filtered("gentle_next_date").sorted(
            lambda line: (line.gentle_next_date, line.id)
        )[:1]
        if not upcoming:
            return False
        if upcoming.gentle_next_date > date:
            return self.env._(
                "%(level)s on %(date)s",
                level=upcoming.gentle_next_level_id.name,
                date=format_date(self.env, upcoming.gentle_next_date),
            )
        step = upcoming._gentle_next_step(today=date)
        level = self.env["gentle.followup.level"].browse(step.level.id)
        return self.env._("%(level)s, due now", level=level.name)

    def _gentle_window_blocker(self, now):
        """Why a customer due at ``now`` is not followed up: its contact window
        is closed (and when it opens, on its clock), or its last batch failed
        and it is left alone until the cooldown is over (False: neither)."""
        self.ensure_one()
        company = self.env.company
        engine = self.env["gentle.followup.engine"].with_company(company)
        win = engine._gentle_window(company)
        tz = engine._gentle_customer_tz(self, company)
        if contact_window.is_open(win, tz, now):
            if not self.gentle_followup_failed_at:
                return False
            retry = self.gentle_followup_failed_at + timedelta(
                minutes=FAILURE_COOLDOWN_MINUTES
            )
            return (
                "failed",
                self.env._(
                    "The last attempt failed: tried again after %(time)s",
                    time=format_datetime(self.env, retry, dt_format="short"),
                ),
            )
        opens = contact_window.open_intervals(win, tz, now, now + timedelta(days=8))
        if not opens:
            return "window", self.env._("Outside their contact window")
        zone = pytz.timezone(tz)
        local_now = pytz.utc.localize(now).astimezone(zone)
        local_open = pytz.utc.localize(opens[0][0]).astimezone(zone)
        time = format_time(self.env, opens[0][0], tz=tz, time_format="short")
        if local_open.date() == local_now.date():
            text = self.env._(
                "Outside their contact window: next at %(time)s their time (%(tz)s)",
                time=time,
                tz=tz,
            )
        else:
            text = self.env._(
                "Outside their contact window: next on %(date)s at %(time)s their "
                "time (%(tz)s)",
                date=format_date(self.env, local_open.date()),
                time=time,
                tz=tz,
            )
        return "window", text

    def _gentle_hold_blocker(self, lines, holds):
        """The hold that keeps the invoices of ``lines`` from being chased,
        firmest kind first; False when none is held.

        :param dict holds: ``{invoice id: account.move._gentle_holds(date)}``
        """
        holds = [
            hold
            for move in lines.move_id
            for hold in holds[move.id]
            if hold.kind != "paused"
        ]
        if not holds:
            return False
        hold = min(holds, key=lambda h: (HOLD_RANK[h.kind], h.record.id))
        env, record = self.env, hold.record
        if hold.kind == "case":
            text = env._(
                "On hold: case %(case)s (%(category)s) until resolved",
                case=record.name,
                category=record.category_id.name,
            )
        elif hold.kind == "plan":
            text = env._("Payment plan %(plan)s running", plan=record.name)
        elif hold.kind == "promise":
            text = env._(
                "Promise to pay %(amount)s by %(date)s",
                amount=format_amount(env, record.amount, record.currency_id),
                date=format_date(env, record.date_promised),
            )
        elif hold.kind == "hold":
            text = env._(
                "%(invoice)s on hold until %(date)s",
                invoice=record.name,
                date=format_date(env, record.gentle_hold_until),
            )
            if record.gentle_hold_note:
                text = f"{text} ({record.gentle_hold_note})"
        else:
            text = env._("Payment blocked on %(invoice)s", invoice=record.name)
        return hold.kind, text

    def _gentle_nothing_due(self, lines, date):
        """Why nothing of ``lines`` (open, not held) is due on ``date``."""
        env = self.env
        if not lines:
            return "nothing", env._("Nothing due")
        upcoming = [d for d in lines.mapped("gentle_next_date") if d and d > date]
        if upcoming:
            return "nothing", env._(
                "Nothing due: next reminder on %(date)s",
                date=format_date(env, min(upcoming)),
            )
        go_live = env.company.gentle_go_live_date
        if go_live and all(line.date_maturity < go_live for line in lines):
            return "nothing", env._(
                "Nothing due: invoices due before the go-live date (%(date)s) are "
                "not chased",
                date=format_date(env, go_live),
            )
        if not any(lines.mapped("gentle_next_date")):
            return "done", env._(
                "Every reminder level was sent: the next step is yours"
            )
        return "nothing", env._("Nothing due")
