from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .gentle_followup_policy import TONES

CHANNELS = [
    ("email", "Email"),
    ("sms", "SMS"),
    ("letter", "Printed Letter"),
    ("call", "Call"),
    ("activity", "Activity"),
]
STATES = [
    ("awaiting_approval", "Awaiting Approval"),
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("failed", "Failed"),
    ("skipped", "Skipped"),
]
# What users may change on an action themselves; everything else is written by the
# follow-up engine only (under sudo), so that what an action shows is what was sent.
USER_WRITABLE_FIELDS = frozenset({"responsible_id"})
# mail.notification statuses, read into the action's state.
NOTIFICATION_STATE = {
    "ready": "queued",
    "process": "queued",
    "pending": "queued",
    "sent": "sent",
    "bounce": "failed",
    "exception": "failed",
    "canceled": "failed",
}


class GentleFollowupAction(models.Model):
    """What the follow-up did for one customer on one channel: the history users see."""

    _name = "gentle.followup.action"
    _description = "Follow-up Action"
    _order = "create_date desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    policy_id = fields.Many2one("gentle.followup.policy", ondelete="set null")
    level_id = fields.Many2one(
        "gentle.followup.level",
        ondelete="set null",
        help="The firmest level reached among the invoices of this action.",
    )
    tone = fields.Selection(TONES)
    channel = fields.Selection(CHANNELS, required=True)
    state = fields.Selection(
        STATES,
        required=True,
        default="queued",
        index=True,
        help="Queued: waiting in the outgoing mail queue. Sent: delivered to the "
        "mail server (or the activity was scheduled). Failed: the send failed and "
        "can be retried. Awaiting approval: a manager must approve it.",
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    communication_id = fields.Many2one(
        "gentle.followup.communication",
        string="Follow-up Message",
        ondelete="set null",
        index="btree_not_null",
        help="The follow-up message this action carries out on its channel.",
    )
    is_decision = fields.Boolean(
        string="Decision",
        compute="_compute_is_decision",
        store=True,
        help="The first action of its message: the row that stands for the "
        "whole message (all its channels) where one decision is taken, such as "
        "in Approvals.",
    )
    channels = fields.Char(
        related="communication_id.channels",
        string="All Channels",
        help="Every channel of the message this action belongs to.",
    )
    waiting_days = fields.Integer(
        string="Waiting (days)",
        compute="_compute_waiting_days",
        help="Days since the follow-up prepared it.",
    )
    history_ids = fields.Many2many(
        "gentle.followup.history",
        "gentle_followup_action_history_rel",
        "action_id",
        "history_id",
        string="Lines",
    )
    move_ids = fields.Many2many(
        "account.move",
        "gentle_followup_action_move_rel",
        "action_id",
        "move_id",
        string="Invoices",
    )
    subject = fields.Char()
    # Sanitized as the chatter sanitizes message bodies (styles kept): what the
    # engine renders is stored, and sent, unchanged; a script never is.
    body_html = fields.Html(
        string="Message",
        sanitize_style=True,
        help="Exactly what was (or will be) sent.",
    )
    mail_message_id = fields.Many2one("mail.message", ondelete="set null", index=True)
    activity_id = fields.Many2one("mail.activity", ondelete="set null")
    responsible_id = fields.Many2one("res.users")
    error_message = fields.Text()
    tz_warning = fields.Text(
        string="Time Zone Warning",
        readonly=True,
        help="An unknown time zone (of the customer or of the company's working "
        "hours) was replaced when this action was timed: fix it where it is set.",
    )
    postponed_until = fields.Date(
        help="An awaiting approval postponed until this date stays out of the queue."
    )
    amount_due = fields.Monetary(currency_field="currency_id")
    nudged_move_ids = fields.Many2many(
        "account.move",
        "gentle_followup_action_nudged_move_rel",
        "action_id",
        "move_id",
        string="Discounts Recalled",
        help="The invoices whose early-payment discount this action recalled.",
    )
    thanked_move_ids = fields.Many2many(
        "account.move",
        "gentle_followup_action_thanked_move_rel",
        "action_id",
        "move_id",
        string="Thanked For",
        help="The paid invoices this action thanked the customer for.",
    )
    plan_line_ids = fields.Many2many(
        "gentle.payment.plan.line",
        "gentle_followup_action_plan_line_rel",
        "action_id",
        "plan_line_id",
        string="Instalments",
        help="The payment-plan instalments this action reminded the customer of.",
    )
    thanked_promise_ids = fields.Many2many(
        "gentle.payment.promise",
        "gentle_followup_action_thanked_promise_rel",
        "action_id",
        "promise_id",
        string="Promises Thanked For",
        help="The kept promises to pay this action thanked the customer for.",
    )
    confirmed_promise_ids = fields.Many2many(
        "gentle.payment.promise",
        "gentle_followup_action_confirmed_promise_rel",
        "action_id",
        "promise_id",
        string="Promises Confirmed",
        help="The promises to pay this action confirmed to the customer.",
    )
    broken_promise_ids = fields.Many2many(
        "gentle.payment.promise",
        "gentle_followup_action_broken_promise_rel",
        "action_id",
        "promise_id",
        string="Broken Promises Noted",
        help="The broken promises to pay this action wrote to the customer about.",
    )
    agreed_plan_ids = fields.Many2many(
        "gentle.payment.plan",
        "gentle_followup_action_agreed_plan_rel",
        "action_id",
        "plan_id",
        string="Plan Agreements Confirmed",
        help="The payment plans whose agreement this action confirmed to the customer.",
    )
    currency_id = fields.Many2one(
        "res.currency", related="company_id.currency_id", store=True
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise UserError(
                self.env._(
                    "Follow-up actions are recorded by the follow-up itself: run "
                    "the follow-up or use Follow up now on the customer."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            refused = set(vals) - USER_WRITABLE_FIELDS
            if refused:
                raise UserError(
                    self.env._(
                        "What a follow-up action sent is recorded by the follow-up "
                        "itself and cannot be changed (%(fields)s). Use Approve, "
                        "Skip, Postpone or Retry instead.",
                        fields=", ".join(
                            sorted(
                                self._fields[name].string
                                for name in refused
                                if name in self._fields
                            )
                            or sorted(refused)
                        ),
                    )
                )
        return super().write(vals)

    @api.model
    def _gentle_write_rendered(self, bodies):
        """Store ``{action id: body}``, bodies the engine rendered and
        sanitized already (as the chatter does), in one query."""
        if not bodies:
            return
        ids = list(bodies)
        self.env.execute_query(
            SQL(
                """UPDATE gentle_followup_action a
                      SET body_html = r.body
                     FROM unnest(%s::int[], %s::text[]) AS r(id, body)
                    WHERE a.id = r.id""",
                ids,
                [str(bodies[i]) for i in ids],
            )
        )
        self.browse(ids).invalidate_recordset(["body_html"])

    def _gentle_engine_write(self, vals):
        """Write engine-owned values (state, message, links), as the engine."""
        return self.sudo().write(vals)

    @api.depends(
        "partner_id",
        "level_id",
        "channel",
        "nudged_move_ids",
        "thanked_move_ids",
        "thanked_promise_ids",
        "plan_line_ids",
        "confirmed_promise_ids",
        "broken_promise_ids",
        "agreed_plan_ids",
    )
    def _compute_name(self):
        labels = dict(CHANNELS)
        for action in self:
            action.name = " – ".join(
                filter(
                    None,
                    [
                        action.partner_id.display_name,
                        action._gentle_subject_label(),
                        labels.get(action.channel),
                    ],
                )
            )

    def _gentle_subject_label(self):
        """What the action was about, for its name: the level reached. Sources of
        follow-up without a level name theirs: a thank-you, a discount nudge, an
        instalment reminder."""
        self.ensure_one()
        if not self.level_id and (self.thanked_move_ids or self.thanked_promise_ids):
            return self.env._("Thank-you")
        return (
            self.level_id.name
            or (self.nudged_move_ids and self.env._("Early-payment discount"))
            or (self.agreed_plan_ids and self.env._("Payment plan agreement"))
            or (self.plan_line_ids and self.env._("Instalment reminder"))
            or (self.confirmed_promise_ids and self.env._("Promise confirmation"))
            or (self.broken_promise_ids and self.env._("Broken promise"))
        )

    @api.depends("communication_id", "communication_id.action_ids")
    def _compute_is_decision(self):
        for action in self:
            siblings = action.communication_id.action_ids
            action.is_decision = not siblings or action.id == min(siblings.ids)

    @api.depends("date")
    def _compute_waiting_days(self):
        today = fields.Date.context_today(self)
        for action in self:
            action.waiting_days = max((today - (action.date or today)).days, 0)

    def _gentle_decision(self):
        """These actions with the other actions of their messages still
        awaiting approval: a message is approved, skipped or postponed whole."""
        return self | self.communication_id.action_ids.filtered(
            lambda a: a.state == "awaiting_approval"
        )

    def _sync_mail_state(self):
        """Read the delivery state of email actions from their notifications."""
        emails = self.filtered(
            lambda a: (
                a.channel == "email"
                and a.mail_message_id
                and a.state in ("queued", "sent", "failed")
            )
        )
        for action in emails:
            statuses = set(
                action.mail_message_id.notification_ids.mapped("notification_status")
            )
            if not statuses:
                continue
            states = {NOTIFICATION_STATE.get(s, "queued") for s in statuses}
            failures = action.mail_message_id.notification_ids.filtered(
                lambda n: n.notification_status in ("bounce", "exception", "canceled")
            )
            state = (
                "failed"
                if "failed" in states
                else "queued"
                if "queued" in states
                else "sent"
            )
            values = {"state": state}
            if failures:
                values["error_message"] = "; ".join(
                    filter(
                        None,
                        failures.mapped(
                            lambda n: n.failure_reason or n.failure_type or ""
                        ),
                    )
                )
            if action.state != state or failures:
                action._gentle_engine_write(values)

    def action_retry(self):
        """Send failed emails again; their lines keep the level they reached."""
        failed = self.filtered(lambda a: a.state == "failed")
        if not failed:
            raise UserError(
                self.env._("Only failed actions can be retried: select failed sends.")
            )
        for action in failed:
            if action.channel != "email" or not action.mail_message_id:
                raise UserError(
                    self.env._(
                        "%(action)s cannot be retried automatically: handle it by "
                        "hand, then mark the customer as followed up.",
                        action=action.display_name,
                    )
                )
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search(
                [
                    ("mail_message_id", "in", failed.mail_message_id.ids),
                    ("state", "=", "exception"),
                ]
            )
        )
        mails.mark_outgoing()
        failed.mail_message_id.notification_ids.filtered(
            lambda n: n.notification_status in ("bounce", "exception", "canceled")
        ).sudo().write({"notification_status": "ready", "failure_type": False})
        failed._gentle_engine_write({"state": "queued", "error_message": False})
        return True

    def action_approve(self):
        """Send the message, checked again: invoices paid or put on hold since it
        was prepared are left out (see ``gentle.followup.engine._send_approved``)."""
        waiting = self._check_awaiting()
        _sent, changed = self.env["gentle.followup.engine"]._send_approved(waiting)
        if not changed:
            return True
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning",
                "sticky": True,
                "title": self.env._("Not sent: things changed since it was prepared"),
                "message": "\n".join(
                    f"{action.partner_id.display_name}: {'; '.join(changes)}"
                    for action, changes in changed.items()
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_skip(self):
        waiting = self._check_awaiting()
        waiting._gentle_engine_write({"state": "skipped"})
        engine = self.env["gentle.followup.engine"]
        for action in waiting:
            engine._gentle_chatter(action.partner_id).message_post(
                body=self.env._(
                    "Follow-up %(level)s skipped by %(user)s.",
                    level=action.level_id.display_name,
                    user=self.env.user.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_postpone(self, days=7):
        waiting = self._check_awaiting()
        waiting._gentle_engine_write(
            {
                "postponed_until": fields.Date.add(
                    fields.Date.context_today(self), days=days
                )
            }
        )
        return True

    def _check_awaiting(self):
        self.check_access("write")
        if not self.env.su and not self.env.user.has_group(
            "gentle_collections.group_gentle_manager"
        ):
            raise AccessError(
                self.env._(
                    "Only a Collections Manager can approve, skip or postpone a "
                    "follow-up: ask one to review it."
                )
            )
        waiting = self.filtered(lambda a: a.state == "awaiting_approval")
        if len(waiting) != len(self):
            raise UserError(
                self.env._(
                    "Only actions awaiting approval can be approved, skipped or "
                    "postponed: remove the others from your selection."
                )
            )
        return waiting._gentle_decision()

    def action_open_partner(self):
        self.ensure_one()
        return self.partner_id._get_records_action()
