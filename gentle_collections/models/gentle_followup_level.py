from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .gentle_followup_policy import TONES

MAX_OFFSET = 365
# Fields that each make a level do something; a level needs at least one.
ACTION_FIELDS = (
    "send_email",
    "send_sms",
    "print_letter",
    "create_call_activity",
    "create_activity",
    "charge_fee",
)


class GentleFollowupLevel(models.Model):
    """One step of a follow-up policy: when, in which tone, doing what."""

    _name = "gentle.followup.level"
    _description = "Follow-up Level"
    _order = "policy_id, day_offset, id"

    name = fields.Char(required=True, translate=True)
    policy_id = fields.Many2one(
        "gentle.followup.policy", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True)
    active = fields.Boolean(default=True)
    day_offset = fields.Integer(
        string="Days from Due Date",
        required=True,
        help="When this level is reached, in days relative to the due date: "
        "negative before it (-5 = five days before), 0 on the due date, positive "
        "after it. Between -365 and 365.",
    )
    tone = fields.Selection(
        TONES,
        required=True,
        default="friendly",
        help="Chooses the policy's wording. A message listing several invoices "
        "takes the firmest tone among them.",
    )
    send_email = fields.Boolean(string="Email", default=True)
    send_sms = fields.Boolean(string="SMS")
    print_letter = fields.Boolean(
        string="Printed Letter",
        help="Prepare the reminder as a PDF letter and ask the responsible to post "
        "it (an activity with the letter attached).",
    )
    create_call_activity = fields.Boolean(
        string="Call Activity",
        help="Schedule a phone call with the customer for the responsible.",
    )
    create_activity = fields.Boolean(
        string="Other Activity",
        help="Schedule an activity of the chosen type for the responsible.",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        domain="['|', ('res_model', '=', False), ('res_model', '=', 'res.partner')]",
    )
    activity_note = fields.Html(
        help="What the responsible should do, shown on the activity.",
    )
    charge_fee = fields.Boolean(
        string="Charge Late Fee",
        help="Charge the policy's late fee on each overdue invoice reaching this "
        "level: one fee invoice per invoice and calendar month, linked to it.",
    )
    requires_approval = fields.Boolean(
        help="Queue the message for a collections manager to approve, skip or "
        "postpone instead of sending it.",
    )

    _sql_constraints = [
        (
            "offset_unique",
            "UNIQUE(policy_id, day_offset)",
            "Two levels of a policy cannot fall on the same day: give each level "
            "its own number of days from the due date.",
        ),
        (
            "offset_range",
            f"CHECK(day_offset BETWEEN -{MAX_OFFSET} AND {MAX_OFFSET})",
            "A level must fall within 365 days before or after the due date.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        self._gentle_precheck_offsets(
            [
                (vals.get("policy_id"), vals.get("day_offset"), self)
                for vals in vals_list
            ]
        )
        return super().create(vals_list)

    def write(self, vals):
        if "day_offset" in vals or "policy_id" in vals:
            self._gentle_precheck_offsets(
                [
                    (
                        vals.get("policy_id", level.policy_id.id),
                        vals.get("day_offset", level.day_offset),
                        level,
                    )
                    for level in self
                ]
            )
        return super().write(vals)

    def _gentle_precheck_offsets(self, planned):
        """Refuse offsets out of range or shared by two levels of a policy before
        the database does, so the user reads why and what to do.

        :param planned: list of ``(policy_id, day_offset, level)`` to be saved
        """
        seen = {}
        ignored = self.browse([level.id for _p, _o, level in planned if level.id])
        for policy_id, offset, level in planned:
            if offset is None or not policy_id:
                continue
            name = level.name if level.id else self.env._("The new level")
            if abs(offset) > MAX_OFFSET:
                raise ValidationError(
                    self.env._(
                        "Level %(level)s is %(days)s days from the due date: choose "
                        "a number of days between -365 and 365.",
                        level=name,
                        days=offset,
                    )
                )
            twin = (
                seen.get((policy_id, offset))
                or self.search(
                    [
                        ("policy_id", "=", policy_id),
                        ("day_offset", "=", offset),
                        ("id", "not in", ignored.ids),
                    ],
                    limit=1,
                ).name
            )
            if twin:
                raise ValidationError(
                    self.env._(
                        "Levels %(level)s and %(twin)s both fall %(days)s days from "
                        "the due date: give each level its own day.",
                        level=name,
                        twin=twin,
                        days=offset,
                    )
                )
            seen[(policy_id, offset)] = name

    @api.constrains(*ACTION_FIELDS, "activity_type_id")
    def _check_actions(self):
        for level in self:
            if not any(level[name] for name in ACTION_FIELDS):
                raise ValidationError(
                    self.env._(
                        "Level %(level)s does nothing: tick at least one action "
                        "(email, SMS, letter, call, activity or late fee).",
                        level=level.name,
                    )
                )
            if level.create_activity and not level.activity_type_id:
                raise ValidationError(
                    self.env._(
                        "Level %(level)s schedules an activity: choose its type.",
                        level=level.name,
                    )
                )

    @api.depends("day_offset", "name")
    def _compute_display_name(self):
        for level in self:
            if level.day_offset < 0:
                when = self.env._("%s days before due", -level.day_offset)
            elif level.day_offset == 0:
                when = self.env._("on the due date")
            else:
                when = self.env._("%s days after due", level.day_offset)
            level.display_name = f"{level.name} ({when})"

    def _channels(self):
        """The channels this set of levels uses, as a list of channel keys."""
        channels = []
        for key, field in (
            ("email", "send_email"),
            ("sms", "send_sms"),
            ("letter", "print_letter"),
            ("call", "create_call_activity"),
            ("activity", "create_activity"),
        ):
            if any(level[field] for level in self):
                channels.append(key)
        return channels
