from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_amount, format_date

# Defines the base res.partner methods before the extension below (models load
# in the order their classes are defined; this module sorts before it).
from . import res_partner  # noqa: F401
from .account_move import PLAN_INVOICE_TYPES
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
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin"]
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
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'),"
        " ('company_id', '=', company_id), ('commercial_partner_id', '=', partner_id),"
        " ('amount_residual', '>', 0)]",
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
            if plan.state in ("draft", "cancelled"):
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

    @api.constrains("partner_id", "move_ids", "company_id")
    def _check_move_ids(self):
        for plan in self:
            wrong = plan.move_ids.filtered(
                lambda m, plan=plan: (
                    m.move_type not in PLAN_INVOICE_TYPES
                    or m.state != "posted"
                    or m.company_id != plan.company_id
                    or m.commercial_partner_id != plan.partner_id.commercial_partner_id
                )
            )
            if wrong:
                raise ValidationError(
                    self.env._(
                        "Plan %(plan)s may only cover posted customer invoices of "
                        "%(customer)s in %(company)s; remove %(moves)s.",
                        plan=plan.name,
                        customer=plan.partner_id.display_name,
                        company=plan.company_id.name,
                        moves=", ".join(wrong.mapped("display_name")),
                    )
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

    def action_agree(self):
        """Check the instalments, hold the invoices and resolve the case."""
        today = fields.Date.context_today(self)
        for plan in self:
            if plan.state != "draft":
                raise UserError(
                    self.env._(
                        "Plan %(plan)s is not a draft: only a draft plan can be "
                        "agreed.",
                        plan=plan.name,
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

    def action_cancel(self):
        """Cancel the plan; follow-up of its invoices resumes."""
        for plan in self:
            if plan.state not in ("draft", "agreed"):
                raise UserError(
                    self.env._(
                        "Plan %(plan)s is already closed.",
                        plan=plan.name,
                    )
                )
        self.with_context(gentle_plan_action=True).write({"state": "cancelled"})
        return True

    def action_draft(self):
        self.filtered(lambda p: p.state == "cancelled").with_context(
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


class GentleFollowupEngine(models.AbstractModel):
    """Payment plans are the engine's second source of follow-up: each open
    instalment of an agreed plan is due for a friendly reminder
    ``PRE_DUE_DAYS`` before its due date and another on it. They travel with the
    customer's invoice reminders of the same run (one message), or alone in the
    plan reminder wording; the instalment's flags are the ledger that keeps each
    reminder from being sent twice."""

    _inherit = "gentle.followup.engine"

    @api.model
    def _gentle_due_instalments_sql(self, company, date, partner_ids=None):
        """SQL selecting the instalments to remind on ``date``.

        Columns: ``plan_line_id``, ``partner_id`` (commercial), ``step``
        (``pre_due`` or ``due``). An instalment is open while the payments on the
        plan's invoices, allocated in due-date order, do not cover it: its
        running total is above what was paid. Held like invoices: not while the
        customer is paused or a case on one of the plan's invoices is open.
        """
        for model in (
            "gentle.payment.plan",
            "gentle.payment.plan.line",
            "gentle.collection.case",
        ):
            self.env[model].flush_model()
        plan_conditions = [
            SQL("gpp.company_id = %s", company.id),
            SQL("gpp.state = 'agreed'"),
        ]
        if partner_ids is not None:
            plan_conditions.append(
                SQL("rp.commercial_partner_id = ANY(%s)", list(partner_ids))
            )
        return SQL(
            """WITH plan_paid AS (
                   SELECT gpp.id AS plan_id, rp.commercial_partner_id AS partner_id,
                          gpp.amount_total
                              - COALESCE(SUM(am.amount_residual_signed), 0) AS paid
                     FROM gentle_payment_plan gpp
                     JOIN res_partner rp ON rp.id = gpp.partner_id
                LEFT JOIN gentle_payment_plan_move_rel gppr
                       ON gppr.plan_id = gpp.id
                LEFT JOIN account_move am ON am.id = gppr.move_id
                    WHERE %(plan_conditions)s
                 GROUP BY gpp.id, rp.commercial_partner_id
               ), plan_lines AS (
                   SELECT gppl.id, gppl.plan_id, gppl.date_due,
                          COALESCE(gppl.pre_due_sent, FALSE) AS pre_due_sent,
                          COALESCE(gppl.due_sent, FALSE) AS due_sent,
                          SUM(gppl.amount) OVER (
                              PARTITION BY gppl.plan_id
                              ORDER BY gppl.date_due, gppl.sequence, gppl.id
                          ) AS running_total
                     FROM gentle_payment_plan_line gppl
                     JOIN plan_paid pp ON pp.plan_id = gppl.plan_id
               )
               SELECT pl.id AS plan_line_id, pp.partner_id,
                      CASE WHEN pl.date_due <= %(date)s THEN 'due'
                           ELSE 'pre_due' END AS step
                 FROM plan_lines pl
                 JOIN plan_paid pp ON pp.plan_id = pl.plan_id
                 JOIN res_partner rp ON rp.id = pp.partner_id
                WHERE pl.running_total > pp.paid
                  AND ((NOT pl.due_sent AND pl.date_due <= %(date)s)
                       OR (NOT pl.pre_due_sent AND NOT pl.due_sent
                           AND pl.date_due > %(date)s
                           AND pl.date_due - %(pre_due_days)s <= %(date)s))
                  AND NOT COALESCE((rp.gentle_paused ->> %(key)s)::boolean, FALSE)
                  AND NOT EXISTS (
                      SELECT 1
                        FROM gentle_payment_plan_move_rel held
                        JOIN gentle_collection_case_move_rel gcr
                          ON gcr.move_id = held.move_id
                        JOIN gentle_collection_case gcc ON gcc.id = gcr.case_id
                       WHERE held.plan_id = pl.plan_id
                         AND gcc.state = ANY(%(open_states)s)
                         AND NOT COALESCE(gcc.needs_triage, FALSE)
                  )""",
            plan_conditions=SQL(" AND ").join(plan_conditions),
            open_states=list(OPEN_CASE_STATES),
            date=date,
            pre_due_days=PRE_DUE_DAYS,
            key=str(company.id),
        )

    @api.model
    def _gentle_due_partners_sql(self, company, date, partner_ids=None):
        return SQL(
            """(%s) UNION (SELECT due_instalments.partner_id
                             FROM (%s) due_instalments)""",
            super()._gentle_due_partners_sql(company, date, partner_ids),
            self._gentle_due_instalments_sql(company, date, partner_ids),
        )

    @api.model
    def _gentle_prepare_sources(self, company, date, partner_ids, communications):
        rows = self.env.execute_query(
            self._gentle_due_instalments_sql(company, date, partner_ids)
        )
        Line = self.env["gentle.payment.plan.line"].with_context(gentle_plan_today=date)
        items_by_partner = defaultdict(list)
        for line_id, partner_id, step in rows:
            items_by_partner[partner_id].append((Line.browse(line_id), step))
        by_partner = self._gentle_source_communications(
            communications,
            company,
            date,
            items_by_partner,
            "gentle_collections.mail_template_plan_instalment",
        )
        for partner_id, items in items_by_partner.items():
            items.sort(key=lambda item: (item[0].date_due, item[0].id))
            by_partner[partner_id]["instalments"] = items
        return super()._gentle_prepare_sources(
            company, date, partner_ids, communications
        )

    @api.model
    def _gentle_render_context(self, communications):
        context = super()._gentle_render_context(communications)
        context["gentle_followup_instalments"] = {
            c["partner"].id: [line.id for line, _step in c.get("instalments", [])]
            for c in communications
        }
        return context

    @api.model
    def _gentle_record_history(self, communications):
        kept = super()._gentle_record_history(communications)
        items = [item for c in kept for item in c.get("instalments", [])]
        if not items:
            return kept
        due = [line.id for line, step in items if step == "due"]
        pre_due = [line.id for line, step in items if step == "pre_due"]
        # Like the history's UNIQUE constraint: only the run that flips a flag
        # sends that reminder; a concurrent run finds it set and sends nothing.
        rows = self.env.execute_query(
            SQL(
                """UPDATE gentle_payment_plan_line
                      SET pre_due_sent = TRUE,
                          due_sent = COALESCE(due_sent, FALSE) OR id = ANY(%(due)s),
                          write_uid = %(uid)s,
                          write_date = %(now)s
                    WHERE (id = ANY(%(due)s) AND NOT COALESCE(due_sent, FALSE))
                       OR (id = ANY(%(pre_due)s)
                           AND NOT COALESCE(pre_due_sent, FALSE)
                           AND NOT COALESCE(due_sent, FALSE))
                RETURNING id""",
                due=due,
                pre_due=pre_due,
                uid=self.env.uid,
                now=self.env.cr.now(),
            )
        )
        marked = {row[0] for row in rows}
        self.env["gentle.payment.plan.line"].browse(due + pre_due).invalidate_recordset(
            ["pre_due_sent", "due_sent", "write_uid", "write_date"]
        )
        return [
            c
            for c in kept
            if all(line.id in marked for line, _step in c.get("instalments", []))
        ]

    @api.model
    def _gentle_action_values(self, communication, channel):
        values = super()._gentle_action_values(communication, channel)
        lines = self.env["gentle.payment.plan.line"].union(
            *(line for line, _step in communication.get("instalments", []))
        )
        if lines:
            values["plan_line_ids"] = [Command.set(lines.ids)]
            values["amount_due"] += sum(
                line.amount - line.paid_amount
                for line in lines.with_context(gentle_plan_today=communication["date"])
            )
        return values

    @api.model
    def _gentle_dump(self, communication):
        data = super()._gentle_dump(communication)
        data["instalments"] = [
            [line.id, step] for line, step in communication.get("instalments", [])
        ]
        return data

    @api.model
    def _gentle_load(self, data):
        values = super()._gentle_load(data)
        Line = self.env["gentle.payment.plan.line"]
        values["instalments"] = [
            (Line.browse(line_id), step)
            for line_id, step in data.get("instalments", [])
        ]
        return values

    @api.model
    def _gentle_log_on_invoices(self, actions):
        """Also note each reminder on the payment plan it was about."""
        result = super()._gentle_log_on_invoices(actions)
        labels = dict(actions._fields["channel"]._description_selection(self.env))
        states = dict(actions._fields["state"]._description_selection(self.env))
        notes = defaultdict(list)
        for action in actions:
            for line in action.plan_line_ids:
                notes[line.plan_id.id].append(
                    self.env._(
                        "Reminder of the instalment of %(amount)s due %(date)s: "
                        "%(channel)s (%(state)s)",
                        amount=format_amount(self.env, line.amount, line.currency_id),
                        date=format_date(self.env, line.date_due),
                        channel=labels[action.channel],
                        state=states[action.state],
                    )
                )
        if notes:
            self.env["gentle.payment.plan"].browse(list(notes))._message_log_batch(
                bodies={
                    plan_id: Markup("<ul>%s</ul>")
                    % Markup().join(Markup("<li>%s</li>") % text for text in texts)
                    for plan_id, texts in notes.items()
                }
            )
        return result

    @api.model
    def _gentle_hold_sql(self, date):
        self.env["gentle.payment.plan"].flush_model(["state", "move_ids"])
        return SQL(
            """(%s OR EXISTS (
                    SELECT 1
                      FROM gentle_payment_plan_move_rel gppr
                      JOIN gentle_payment_plan gpp ON gpp.id = gppr.plan_id
                     WHERE gppr.move_id = am.id AND gpp.state = 'agreed'
                ))""",
            super()._gentle_hold_sql(date),
        )


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _gentle_instalment_lines(self):
        """The payment-plan instalments a follow-up message to this customer
        reminds of: the engine puts them in the rendering context."""
        self.ensure_one()
        line_ids = (self.env.context.get("gentle_followup_instalments") or {}).get(
            self.id, []
        )
        return self.env["gentle.payment.plan.line"].browse(line_ids)

    def _gentle_instalment_table(self):
        """The instalments of a follow-up message as an HTML table in the
        customer's language, with a link to the plan on the portal."""
        self.ensure_one()
        env = self.env
        today = env.context.get("gentle_followup_date") or fields.Date.context_today(
            self
        )
        lines = self._gentle_instalment_lines().with_context(gentle_plan_today=today)
        rows = []
        for line in lines.sorted(lambda x: (x.date_due, x.id)):
            plan = line.plan_id
            days = (line.date_due - today).days
            if days > 0:
                status = env._("due in %(days)s days", days=days)
            elif days == 0:
                status = env._("due today")
            else:
                status = env._("%(days)s days late", days=-days)
            rows.append(
                Markup(
                    "<tr><td><a href='%s'>%s</a></td><td>%s</td>"
                    "<td style='text-align:right'>%s</td><td>%s</td></tr>"
                )
                % (
                    plan.get_base_url() + plan.get_portal_url(),
                    plan.name,
                    format_date(env, line.date_due),
                    format_amount(
                        env, line.amount - line.paid_amount, line.currency_id
                    ),
                    status,
                )
            )
        if not rows:
            return Markup()
        header = Markup(
            "<tr><th style='text-align:left'>%s</th><th style='text-align:left'>%s"
            "</th><th style='text-align:right'>%s</th><th style='text-align:left'>%s"
            "</th></tr>"
        ) % (
            env._("Payment plan"),
            env._("Instalment due"),
            env._("Amount"),
            env._("Status"),
        )
        return Markup(
            "<table style='border-collapse:collapse;margin:8px 0' cellpadding='4'>"
            "<thead>%s</thead><tbody>%s</tbody></table>"
        ) % (header, Markup().join(rows))

    def _gentle_followup_table(self):
        table = super()._gentle_followup_table()
        instalments = self._gentle_instalment_table()
        if instalments:
            table += (
                Markup("<p>%s</p>")
                % self.env._(
                    "And a reminder about the payment plan we agreed: thank you for "
                    "keeping to it."
                )
                + instalments
            )
        return table
