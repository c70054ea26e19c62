"""Reminders of payment-plan instalments: a source of follow-up.

Each open instalment of an agreed plan is due for a friendly reminder
``PRE_DUE_DAYS`` before its due date and another on it. They travel with the
customer's invoice reminders of the same run (one message), or alone in the
plan reminder wording; the instalment's flags are the ledger that keeps each
reminder from being sent twice.
"""

from collections import defaultdict

from markupsafe import Markup

from odoo import Command, api, models
from odoo.tools import SQL, format_amount, format_date

from .gentle_payment_plan import PRE_DUE_DAYS
from .gentle_support_tier import OPEN_CASE_STATES


class GentleFollowupSourceInstalment(models.AbstractModel):
    _name = "gentle.followup.source.instalment"
    _inherit = "gentle.followup.source"
    _description = "Follow-up Source: Payment-Plan Instalments"

    _gentle_key = "instalments"
    _gentle_sequence = 20
    _gentle_template = "gentle_collections.mail_template_plan_instalment"
    # Its wording while no instalment of the plan was paid: no thanks yet.
    _gentle_first_template = "gentle_collections.mail_template_plan_first_instalment"
    _gentle_draft_field = "instalment_ids"
    _gentle_action_field = "plan_line_ids"

    @api.model
    def _gentle_instalments_sql(self, company, date, partner_ids=None):
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
    def _gentle_due_sql(self, company, date, partner_ids=None):
        return SQL(
            "SELECT due_instalments.partner_id FROM (%s) due_instalments",
            self._gentle_instalments_sql(company, date, partner_ids),
        )

    @api.model
    def _gentle_collect(self, company, date, partner_ids):
        """``{partner id: [(instalment, step)]}``, by due date."""
        rows = self.env.execute_query(
            self._gentle_instalments_sql(company, date, partner_ids)
        )
        Line = self.env["gentle.payment.plan.line"].with_context(gentle_plan_today=date)
        items = defaultdict(list)
        for line_id, partner_id, step in rows:
            items[partner_id].append((Line.browse(line_id), step))
        for instalments in items.values():
            instalments.sort(key=lambda item: (item[0].date_due, item[0].id))
        return dict(items)

    @api.model
    def _gentle_fill(self, communications, company, date, partner_ids):
        """Word a message of instalments alone without thanks for keeping to
        the plan while none of its instalments was paid."""
        super()._gentle_fill(communications, company, date, partner_ids)
        template = self.env.ref(self._gentle_template, raise_if_not_found=False)
        first = self.env.ref(self._gentle_first_template, raise_if_not_found=False)
        if not template or not first:
            return
        for communication in communications.values():
            items = communication.items.get(self._gentle_key)
            if communication.template != template or not items:
                continue
            lines = self._gentle_lines(communication)
            plans = lines.plan_id.with_context(gentle_plan_today=date)
            if not any(line.state == "paid" for line in plans.line_ids):
                communication.template = first

    @api.model
    def _gentle_claim_keys(self, items):
        return {(line.id, step) for line, step in items}

    @api.model
    def _gentle_mark(self, keys, date):
        """Flip the instalments' flags: only the run that flips a flag sends
        that reminder; a concurrent run finds it set and sends nothing."""
        due = sorted(line_id for line_id, step in keys if step == "due")
        pre_due = sorted(line_id for line_id, step in keys if step == "pre_due")
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
        flipped = {row[0] for row in rows}
        self.env["gentle.payment.plan.line"].browse(due + pre_due).invalidate_recordset(
            ["pre_due_sent", "due_sent", "write_uid", "write_date"]
        )
        return {(line_id, step) for line_id, step in keys if line_id in flipped}

    @api.model
    def _gentle_release(self, actions):
        """Instalment reminders are never prepared for approval: nothing to
        release."""

    @api.model
    def _gentle_item_ids(self, items):
        return [line.id for line, _step in items]

    @api.model
    def _gentle_action_values(self, communication, channel):
        lines = self._gentle_lines(communication)
        if not lines:
            return {}
        return {self._gentle_action_field: [Command.set(lines.ids)]}

    @api.model
    def _gentle_lines(self, communication):
        return self.env["gentle.payment.plan.line"].union(
            *(line for line, _step in communication.items.get(self._gentle_key, []))
        )

    @api.model
    def _gentle_amount_due(self, communication):
        lines = self._gentle_lines(communication).with_context(
            gentle_plan_today=communication.date
        )
        return sum(line.amount - line.paid_amount for line in lines)

    @api.model
    def _gentle_log(self, actions):
        """Note each reminder on the payment plan it was about."""
        labels, states = self._gentle_action_labels(actions)
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
            self.env["gentle.payment.plan"].browse(list(notes))._gentle_log_notes(
                {
                    plan_id: Markup("<ul>%s</ul>")
                    % Markup().join(Markup("<li>%s</li>") % text for text in texts)
                    for plan_id, texts in notes.items()
                }
            )
