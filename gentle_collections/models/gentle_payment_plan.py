from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_amount, format_date

from .gentle_support_tier import OPEN_CASE_STATES

# Each instalment gets a friendly reminder this many days before its due date.
PRE_DUE_DAYS = 3


# Fields of a plan that only a draft may change (agreed terms stay as agreed).
PLAN_LOCKED_FIELDS = {
    "partner_id",
    "company_id",
    "move_ids",
    "line_ids",
    "amount_total",
    "grace_days",
}


class GentlePaymentPlan(models.Model):
    """Instalments agreed with a customer for some of their open invoices."""

    _name = "gentle.payment.plan"
    _description = "Payment Plan"
    _inherit = [
        "portal.mixin",
        "mail.thread",
        "mail.activity.mixin",
        "gentle.invoice.owner.mixin",
    ]
    _order = "id desc"
    _mail_post_access = "read"

    name = fields.Char(
        string="Reference", required=True, copy=False, readonly=True, default="New"
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain=[("is_company", "=", True)],
        help="The customer (company) who pays the instalments.",
    )
    move_ids = fields.Many2many(
        "account.move",
        "gentle_payment_plan_move_rel",
        "plan_id",
        "move_id",
        string="Invoices",
        check_company=True,
        domain="[('move_type', 'in', ('out_invoice', 'out_receipt')),"
        " ('state', '=', 'posted'), ('company_id', '=', company_id),"
        " ('commercial_partner_id', '=', partner_id), ('amount_residual', '>', 0)]",
        help="Their follow-up is on hold while the plan is agreed.",
    )
    amount_total = fields.Monetary(
        string="Total",
        currency_field="currency_id",
        readonly=True,
        tracking=True,
        help="What the invoices still owed when the plan was set up (company "
        "currency); the instalments add up to exactly this amount.",
    )
    amount_paid = fields.Monetary(
        compute="_compute_amounts",
        currency_field="currency_id",
        help="Paid since the plan was set up: the total less what the invoices "
        "still owe.",
    )
    amount_due = fields.Monetary(
        string="Still Due", compute="_compute_amounts", currency_field="currency_id"
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("proposed", "Proposed"),
            ("agreed", "Agreed"),
            ("completed", "Completed"),
            ("broken", "Broken"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        tracking=True,
        index=True,
        copy=False,
    )
    grace_days = fields.Integer(
        default=5,
        help="Days after an instalment's due date before an unpaid instalment "
        "breaks the plan.",
    )
    line_ids = fields.One2many(
        "gentle.payment.plan.line", "plan_id", string="Instalments", copy=True
    )
    next_line_id = fields.Many2one(
        "gentle.payment.plan.line",
        string="Next Instalment",
        compute="_compute_next_line",
    )
    next_date = fields.Date(string="Next Due Date", compute="_compute_next_line")
    agreed_on = fields.Date(readonly=True, copy=False)
    agreement_sent_on = fields.Date(
        readonly=True,
        copy=False,
        help="When the follow-up sent the customer the confirmation of the "
        "agreement (its schedule and a link to pay each instalment).",
    )
    agreement_pdf_id = fields.Many2one(
        "ir.attachment",
        string="Agreement PDF",
        readonly=True,
        copy=False,
        help="The agreement as sent to the customer: rendered once, when its "
        "confirmation is first emailed, and reused.",
    )
    broken_on = fields.Date(
        readonly=True, copy=False, help="When a missed instalment broke the plan."
    )
    case_id = fields.Many2one(
        "gentle.collection.case",
        index="btree_not_null",
        copy=False,
        help="The customer's request this plan answers; resolved when the plan "
        "is agreed.",
    )

    # ------------------------------------------------------------------
    # Computes and constraints
    # ------------------------------------------------------------------

    @api.depends("amount_total", "move_ids.amount_residual_signed", "state")
    def _compute_amounts(self):
        for plan in self:
            if plan.state in ("draft", "proposed", "cancelled"):
                plan.amount_paid = 0.0
                plan.amount_due = plan.amount_total
                continue
            residual = sum(plan.move_ids.mapped("amount_residual_signed"))
            paid = plan.currency_id.round(plan.amount_total - residual)
            plan.amount_paid = min(max(paid, 0.0), plan.amount_total)
            plan.amount_due = plan.amount_total - plan.amount_paid

    @api.depends("line_ids.state", "line_ids.date_due")
    def _compute_next_line(self):
        for plan in self:
            lines = plan.line_ids.filtered(lambda line: line.state != "paid")
            plan.next_line_id = lines[:1]
            plan.next_date = lines[:1].date_due

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for plan in self:
            plan.access_url = f"/my/payment_plans/{plan.id}"
        return result

    @api.constrains("state", "line_ids", "amount_total")
    def _check_lines_sum(self):
        for plan in self.filtered(lambda p: p.state in ("agreed", "completed")):
            plan._gentle_check_sum()

    def _gentle_invoice_owner_error(self, problem, moves):
        return self.env._(
            "Plan %(plan)s may only cover posted customer invoices of "
            "%(customer)s in %(company)s; remove %(moves)s.",
            plan=self.name,
            customer=self.partner_id.display_name,
            company=self.company_id.name,
            moves=", ".join(moves.mapped("display_name")),
        )

    def _gentle_check_sum(self):
        self.ensure_one()
        total = sum(self.line_ids.mapped("amount"))
        if self.currency_id.compare_amounts(total, self.amount_total):
            raise ValidationError(
                self.env._(
                    "The instalments of %(plan)s add up to %(lines)s but the plan "
                    "total is %(total)s: adjust the amounts so that they match "
                    "exactly.",
                    plan=self.name,
                    lines=self.currency_id.format(total),
                    total=self.currency_id.format(self.amount_total),
                )
            )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "New") == "New":
                vals["name"] = (
                    self.env["ir.sequence"].next_by_code("gentle.payment.plan") or "New"
                )
        plans = super().create(vals_list)
        plans._gentle_refresh_total()
        return plans

    def write(self, vals):
        if not self.env.context.get("gentle_plan_action"):
            if "state" in vals and any(p.state != vals["state"] for p in self):
                raise UserError(
                    self.env._(
                        "The state of a payment plan is set by its actions: use "
                        "Agree, Cancel or Reset to Draft."
                    )
                )
            locked = set(vals) & PLAN_LOCKED_FIELDS
            running = self.filtered(lambda p: p.state != "draft")
            if locked and running:
                raise UserError(
                    self.env._(
                        "Plan %(plan)s is no longer a draft: its invoices and "
                        "instalments were agreed with the customer and cannot "
                        "change. Cancel it and propose a new plan instead.",
                        plan=running[0].name,
                    )
                )
        res = super().write(vals)
        if "move_ids" in vals:
            self.filtered(lambda p: p.state == "draft")._gentle_refresh_total()
        return res

    def _gentle_check_lines_editable(self):
        """Instalments of a plan past draft change only through its actions."""
        if self.env.context.get("gentle_plan_action"):
            return
        running = self.filtered(lambda p: p.state != "draft")
        if running:
            raise UserError(
                self.env._(
                    "Plan %(plan)s is no longer a draft: its instalments were "
                    "agreed with the customer and cannot be added, removed, moved "
                    "or changed. Cancel it and propose a new plan instead.",
                    plan=running[0].name,
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_running(self):
        running = self.filtered(lambda p: p.state not in ("draft", "cancelled"))
        if running:
            raise UserError(
                self.env._(
                    "Plan %(plans)s was agreed with the customer and is kept as a "
                    "record: cancel it instead of deleting it.",
                    plans=", ".join(running.mapped("name")),
                )
            )

    def _gentle_refresh_total(self):
        for plan in self:
            total = plan.currency_id.round(
                sum(plan.move_ids.mapped("amount_residual_signed"))
            )
            if plan.currency_id.compare_amounts(total, plan.amount_total):
                plan.amount_total = total

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _gentle_check_agreeable(self, states):
        """Raise unless the plan is in ``states`` with invoices and instalments
        due today or later."""
        today = fields.Date.context_today(self)
        for plan in self:
            if plan.state not in states:
                raise UserError(
                    self.env._(
                        "Plan %(plan)s is %(state)s: only a draft or proposed plan "
                        "can be agreed, and only a draft proposed.",
                        plan=plan.name,
                        state=dict(
                            self._fields["state"]._description_selection(self.env)
                        )[plan.state],
                    )
                )
            if not plan.move_ids:
                raise UserError(
                    self.env._(
                        "Plan %(plan)s covers no invoice: add the invoices it pays.",
                        plan=plan.name,
                    )
                )
            if not plan.line_ids:
                raise UserError(
                    self.env._(
                        "Plan %(plan)s has no instalment: add at least one.",
                        plan=plan.name,
                    )
                )
            early = plan.line_ids.filtered(lambda line: line.date_due < today)
            if early:
                raise ValidationError(
                    self.env._(
                        "Instalments of %(plan)s fall before today (%(dates)s): "
                        "move them to today or later.",
                        plan=plan.name,
                        dates=", ".join(
                            fields.Date.to_string(d) for d in early.mapped("date_due")
                        ),
                    )
                )

    def action_propose(self):
        """Propose the draft to the customer: its terms are frozen and the
        customer can accept it on the plan's portal page."""
        self._gentle_check_agreeable(("draft",))
        for plan in self:
            plan._gentle_refresh_total()
            plan._gentle_check_sum()
        self.with_context(gentle_plan_action=True).write({"state": "proposed"})
        for plan in self:
            plan.message_post(
                body=self.env._(
                    "Plan proposed to the customer, who can accept it on the "
                    "portal: %(url)s",
                    url=plan.get_base_url() + plan.access_url,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_agree(self):
        """Check the instalments, hold the invoices and resolve the case; the
        follow-up confirms the agreement to the customer at its next run."""
        today = fields.Date.context_today(self)
        self._gentle_check_agreeable(("draft", "proposed"))
        for plan in self:
            plan._gentle_refresh_total()
            plan.with_context(gentle_plan_action=True).write(
                {"state": "agreed", "agreed_on": today}
            )
            plan.message_post(
                body=self.env._(
                    "Plan agreed: %(count)s instalment(s), %(total)s in all. "
                    "Follow-up of the invoices is on hold while it runs.",
                    count=len(plan.line_ids),
                    total=plan.currency_id.format(plan.amount_total),
                ),
                subtype_xmlid="mail.mt_note",
            )
            case = plan.case_id
            if case and case.state in OPEN_CASE_STATES:
                case.write({"outcome": "plan_agreed"})
                case.action_resolve()
        return True

    def _gentle_report_texts(self):
        """``(summary, grace)``: the agreement's sentences in its PDF, in the
        customer's language."""
        self.ensure_one()
        env = self.with_context(lang=self.partner_id.lang or self.env.lang).env
        return (
            env._(
                "Agreed on %(date)s for a total of %(total)s.",
                date=format_date(env, self.agreed_on, date_format="long"),
                total=format_amount(env, self.amount_total, self.currency_id),
            ),
            env._(
                "An instalment not paid within %(days)s days of its due date ends "
                "the plan; the usual follow-up of the invoices then resumes.",
                days=self.grace_days,
            ),
        )

    def _gentle_agreement_pdf(self):
        """The agreement's PDF, rendered and stored on the plan the first time
        it is needed, reused after."""
        self.ensure_one()
        plan = self.sudo()
        if plan.agreement_pdf_id:
            return plan.agreement_pdf_id
        content, _type = (
            self.env["ir.actions.report"]
            .sudo()
            ._render_qweb_pdf("gentle_collections.gentle_payment_plan_report", plan.ids)
        )
        plan.agreement_pdf_id = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": f"{plan.name.replace('/', '-')}.pdf",
                    "raw": content,
                    "mimetype": "application/pdf",
                    "res_model": plan._name,
                    "res_id": plan.id,
                }
            )
        )
        return plan.agreement_pdf_id

    def _gentle_accept_online(self):
        """The customer accepts the proposed plan on the portal (``self`` is
        the plan as the portal checked it: sudo)."""
        self.ensure_one()
        if self.state != "proposed":
            raise UserError(
                self.env._(
                    "Plan %(plan)s is not waiting for your agreement.", plan=self.name
                )
            )
        self.action_agree()
        self.message_post(
            body=self.env._("The customer accepted the plan on the portal."),
            subtype_xmlid="mail.mt_note",
        )

    def action_cancel(self):
        """Cancel the plan; follow-up of its invoices resumes."""
        for plan in self:
            if plan.state not in ("draft", "proposed", "agreed"):
                raise UserError(
                    self.env._(
                        "Plan %(plan)s is already closed.",
                        plan=plan.name,
                    )
                )
        self.with_context(gentle_plan_action=True).write({"state": "cancelled"})
        return True

    def action_draft(self):
        self.filtered(lambda p: p.state in ("proposed", "cancelled")).with_context(
            gentle_plan_action=True
        ).write({"state": "draft"})
        return True

    # ------------------------------------------------------------------
    # Scheduled action: outcome (the reminders are sent by the follow-up engine)
    # ------------------------------------------------------------------

    @api.model
    def _cron_plan_outcomes(self, today=None):
        """Daily: close the plans whose instalments are all paid, break those
        with an instalment still unpaid after the grace days.

        Each instalment's pre-due and due reminders are not sent here: plans are
        a source of the follow-up engine (see ``gentle.followup.engine`` below),
        whose hourly run sends them in the customer's contact window.
        """
        today = today or fields.Date.context_today(self)
        plans = (
            self.sudo()
            .with_context(gentle_plan_today=today)
            .search([("state", "=", "agreed")])
        )
        plans._gentle_update_outcome(today)
        return True

    def _gentle_update_outcome(self, today):
        completed = self.browse()
        for plan in self:
            lines = plan.line_ids.sorted("date_due")
            if lines and all(line.state == "paid" for line in lines):
                completed |= plan
                continue
            missed = lines.filtered(
                lambda line, plan=plan: (
                    line.state != "paid"
                    and line.date_due + timedelta(days=plan.grace_days) < today
                )
            )
            if missed:
                plan._gentle_break(missed, today)
        if completed:
            completed.with_context(gentle_plan_action=True).write(
                {"state": "completed"}
            )
            for plan in completed:
                plan.message_post(
                    body=self.env._("All instalments paid: plan completed. Thank you!"),
                    subtype_xmlid="mail.mt_note",
                )

    def _gentle_break(self, missed, today):
        self.ensure_one()
        missed.write({"missed": True})
        self.with_context(gentle_plan_action=True).write(
            {"state": "broken", "broken_on": today}
        )
        dates = ", ".join(fields.Date.to_string(d) for d in missed.mapped("date_due"))
        self.message_post(
            body=self.env._(
                "Instalment(s) due %(dates)s not paid within %(grace)s day(s) of "
                "grace: plan broken. Normal follow-up of the invoices resumes.",
                dates=dates,
                grace=self.grace_days,
            ),
            subtype_xmlid="mail.mt_note",
        )
        user = self.create_uid
        if user and not user.share and user.active:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=today,
                summary=self.env._("Payment plan broken"),
                note=self.env._(
                    "%(customer)s missed the instalment(s) due %(dates)s of plan "
                    "%(plan)s. Call them before follow-up escalates.",
                    customer=self.partner_id.display_name,
                    dates=dates,
                    plan=self.name,
                ),
                user_id=user.id,
            )
