from odoo import fields, models

from .gentle_score_snapshot import GRADES


class GentleGrade(models.Model):
    """A relationship grade, so that policies and settings can list the grades
    they apply to."""

    _name = "gentle.grade"
    _description = "Relationship Grade"
    _order = "sequence"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(GRADES, required=True)
    sequence = fields.Integer()
    color = fields.Integer()

    _sql_constraints = [
        ("code_unique", "UNIQUE(code)", "Each grade exists once."),
    ]
