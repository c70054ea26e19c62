from odoo import api, fields, models
from odoo.tools import SQL

from .gentle_score_snapshot import GRADES


class AccountMove(models.Model):
    """Invoices show a summary of the follow-up of their receivable lines."""

    _inherit = "account.move"

    gentle_policy_id = fields.Many2one(
        "gentle.followup.policy",
        string="Follow-up Policy",
        copy=False,
        tracking=True,
        domain="[('company_id', '=', company_id)]",
        help="Follow this invoice with another policy than its customer's.",
    )
    gentle_hold_until = fields.Date(
        string="Follow-up on Hold Until",
        copy=False,
        tracking=True,
        help="No reminder is sent for this invoice up to and including this date; "
        "follow-up then resumes at the next level, without jumping ahead.",
    )
    gentle_hold_note = fields.Char(
        string="Hold Reason", copy=False, help="Why the follow-up is on hold."
    )
    gentle_history_ids = fields.One2many(
        "gentle.followup.history", "move_id", string="Follow-up History"
    )
    gentle_last_level_id = fields.Many2one(
        "gentle.followup.level",
        string="Last Follow-up Level",
        compute="_compute_gentle_summary",
        store=True,
    )
    gentle_last_followup_date = fields.Date(
        string="Last Follow-up", compute="_compute_gentle_summary", store=True
    )
    gentle_next_followup_date = fields.Date(
        string="Next Follow-up",
        compute="_compute_gentle_summary",
        store=True,
        index=True,
        help="The earliest next follow-up date of the invoice's instalments.",
    )
    gentle_on_hold = fields.Boolean(
        string="Follow-up on Hold",
        compute="_compute_gentle_hold",
        search="_search_gentle_on_hold",
    )
    gentle_hold_reason = fields.Char(
        string="Follow-up Hold", compute="_compute_gentle_hold"
    )
    gentle_partner_grade = fields.Selection(
        GRADES,
        string="Customer Grade",
        compute="_compute_gentle_partner_grade",
        help="The customer's relationship grade in the invoice's company.",
    )
    gentle_case_ids = fields.Many2many(
        "gentle.collection.case",
        "gentle_collection_case_move_rel",
        "move_id",
        "case_id",
        string="Cases",
        copy=False,
        help="Customer questions and disputes about this invoice.",
    )
    gentle_case_count = fields.Integer(
        string="Case Count", compute="_compute_gentle_case_count"
    )

    @api.depends(
        "line_ids.gentle_last_level_id",
        "line_ids.gentle_last_date",
        "line_ids.gentle_next_date",
    )
    def _compute_gentle_summary(self):
        for move in self:
            lines = move.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            )
            reached = lines.filtered("gentle_last_level_id")
            last = max(
                reached, key=lambda line: (line.gentle_last_date, line.id), default=None
            )
            move.gentle_last_level_id = last.gentle_last_level_id if last else False
            move.gentle_last_followup_date = last.gentle_last_date if last else False
            dates = [d for d in lines.mapped("gentle_next_date") if d]
            move.gentle_next_followup_date = min(dates) if dates else False

    @api.depends(
        "gentle_hold_until",
        "gentle_hold_note",
        "payment_state",
        "commercial_partner_id.gentle_paused",
        "gentle_case_ids.state",
    )
    @api.depends_context("company")
    def _compute_gentle_hold(self):
        today = fields.Date.context_today(self)
        for move in self:
            reasons = move._gentle_hold_reasons(today)
            move.gentle_on_hold = bool(reasons)
            move.gentle_hold_reason = "; ".join(reasons) or False

    @api.depends("commercial_partner_id", "company_id")
    @api.depends_context("company")
    def _compute_gentle_partner_grade(self):
        for move in self:
            partner = move.commercial_partner_id.with_company(move.company_id)
            move.gentle_partner_grade = partner.gentle_grade

    def _gentle_hold_reasons(self, today):
        """Why the follow-up of this invoice is on hold, in words (empty: it isn't).

        Extend it together with ``gentle.followup.engine._gentle_hold_sql``.
        """
        self.ensure_one()
        reasons = []
        if self.payment_state == "blocked":
            reasons.append(self.env._("Payment blocked"))
        if self.commercial_partner_id.gentle_paused:
            reasons.append(self.env._("Customer paused"))
        for case in self.gentle_case_ids.filtered(
            lambda c: c.state in ("new", "in_progress", "waiting")
        ):
            reasons.append(
                self.env._(
                    "Open case %(case)s (%(category)s)",
                    case=case.name,
                    category=case.category_id.name,
                )
            )
        if self.gentle_hold_until and self.gentle_hold_until >= today:
            reason = self.env._(
                "On hold until %(date)s",
                date=fields.Date.to_string(self.gentle_hold_until),
            )
            if self.gentle_hold_note:
                reason = f"{reason} ({self.gentle_hold_note})"
            reasons.append(reason)
        return reasons

    def _search_gentle_on_hold(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(operator)
        held = operator == "=" and value or operator == "!=" and not value
        engine = self.env["gentle.followup.engine"]
        self.env["account.move"].flush_model()
        self.env["res.partner"].flush_model()
        query = SQL(
            """(SELECT am.id FROM account_move am
               JOIN res_partner rp ON rp.id = am.commercial_partner_id
               WHERE %s)""",
            engine._gentle_hold_sql(fields.Date.context_today(self)),
        )
        return [("id", "in" if held else "not in", query)]

    def _compute_gentle_case_count(self):
        groups = self.env["gentle.collection.case"]._read_group(
            [("move_ids", "in", self.ids)], ["move_ids"], ["__count"]
        )
        counts = {move.id: count for move, count in groups}
        for move in self:
            move.gentle_case_count = counts.get(move.id, 0)

    def action_gentle_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "gentle_collections.gentle_collection_case_action"
        )
        action["domain"] = [("move_ids", "in", self.ids)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_gentle_open_case(self):
        """A new case about this invoice, in a form the collector completes."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "gentle.collection.case",
            "view_mode": "form",
            "target": "current",
            "context": {
                "default_partner_id": self.commercial_partner_id.id,
                "default_company_id": self.company_id.id,
                "default_move_ids": [(6, 0, self.ids)],
                "default_subject": self.env._(
                    "Question about %(invoice)s", invoice=self.name
                ),
            },
        }

    def action_gentle_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "gentle_collections.gentle_followup_action_action"
        )
        action["domain"] = [("move_ids", "in", self.ids)]
        action["context"] = {}
        return action
