from odoo import fields, models


class GentleFollowupCommunicationStep(models.Model):
    """One receivable line a follow-up message reminds of, and the level it
    reaches with this message."""

    _name = "gentle.followup.communication.step"
    _description = "Follow-up Message: Invoice Line"
    _order = "communication_id, sequence, id"

    communication_id = fields.Many2one(
        "gentle.followup.communication",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    sequence = fields.Integer(readonly=True)
    move_line_id = fields.Many2one(
        "account.move.line",
        string="Invoice Line",
        required=True,
        readonly=True,
        ondelete="cascade",
    )
    move_id = fields.Many2one(related="move_line_id.move_id", string="Invoice")
    level_id = fields.Many2one(
        "gentle.followup.level", required=True, readonly=True, ondelete="cascade"
    )
