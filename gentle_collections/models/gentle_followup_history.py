from odoo import fields, models


class GentleFollowupHistory(models.Model):
    """A receivable line reached a follow-up level: the ledger that prevents repeats."""

    _name = "gentle.followup.history"
    _description = "Follow-up Line History"
    _order = "date desc, id desc"
    _rec_name = "level_id"

    move_line_id = fields.Many2one(
        "account.move.line",
        string="Receivable Line",
        required=True,
        ondelete="cascade",
        index=True,
    )
    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    level_id = fields.Many2one(
        "gentle.followup.level", required=True, ondelete="restrict", index=True
    )
    tone = fields.Selection(related="level_id.tone")
    day_offset = fields.Integer(
        help="The level's days from the due date when it was reached."
    )
    date = fields.Date(required=True, help="Run date on which the level was reached.")
    action_ids = fields.Many2many(
        "gentle.followup.action",
        "gentle_followup_action_history_rel",
        "history_id",
        "action_id",
        string="Actions",
    )

    _sql_constraints = [
        (
            "line_level_unique",
            "UNIQUE(move_line_id, level_id)",
            "A receivable line cannot reach the same follow-up level twice.",
        ),
    ]
