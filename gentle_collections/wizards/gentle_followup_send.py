from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class GentleFollowupSend(models.TransientModel):
    """'Follow up now': preview exactly what will be sent, then send it."""

    _name = "gentle.followup.send"
    _description = "Follow Up Now"

    partner_ids = fields.Many2many("res.partner", string="Customers", required=True)
    date = fields.Date(default=fields.Date.context_today, readonly=True)
    # The drafts the engine saved: the very messages that would be sent.
    communication_ids = fields.Many2many(
        "gentle.followup.communication", string="Messages", readonly=True
    )
    nothing_due = fields.Text(readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        self._gentle_check_preview(vals_list)
        wizards = super().create(vals_list)
        for wizard in wizards:
            wizard._prepare_preview()
        return wizards

    def write(self, vals):
        self._gentle_check_preview([vals])
        return super().write(vals)

    def _gentle_check_preview(self, vals_list):
        """The preview is what the engine prepared, never what a user says."""
        if not self.env.su and any("communication_ids" in v for v in vals_list):
            raise UserError(
                self.env._(
                    "The preview of Follow up now shows what the follow-up "
                    "prepared and cannot be edited: close it and open Follow up "
                    "now again."
                )
            )

    def _prepare_preview(self):
        self.ensure_one()
        engine = self.env["gentle.followup.engine"]
        company = self.env.company
        partners = self.partner_ids.commercial_partner_id
        communications = engine.with_company(company)._gentle_prepare(
            company, self.date, partners.ids
        )
        # The preview shows the engine's drafts; users cannot write them.
        self.sudo().communication_ids = [
            Command.set([c.record.id for c in communications])
        ]
        idle = partners - self.communication_ids.partner_id
        if idle:
            self.nothing_due = self.env._(
                "Nothing is due for %(names)s today (paid, on hold, or next "
                "reminder still to come).",
                names=", ".join(idle.mapped("display_name")),
            )

    def action_send(self):
        """Send what the preview showed, prepared again under the customers'
        locks: the preview is only what the user agreed to, never what is sent.
        When the follow-up due now differs from the preview (an invoice posted,
        paid or reminded since), nothing is sent and the user is told."""
        self.ensure_one()
        if not self.communication_ids:
            raise UserError(
                self.env._(
                    "Nothing to send: no selected customer has a reminder due today."
                )
            )
        if self.date != fields.Date.context_today(self):
            raise UserError(
                self.env._(
                    "This preview was prepared for %(date)s: close this window and "
                    "open Follow up now again to see what is due today.",
                    date=self.date,
                )
            )
        company = self.env.company
        engine = self.env["gentle.followup.engine"].with_company(company)
        previews = {
            preview.partner_id.id: preview for preview in self.communication_ids
        }
        locked = engine._gentle_lock_partners(list(previews))
        communications = engine._gentle_prepare(company, self.date, locked)
        if not communications:
            raise UserError(
                self.env._(
                    "These reminders were sent in the meantime by another run: "
                    "nothing was sent twice. Close this window and refresh."
                )
            )
        fresh = {c.partner.id: c for c in communications}
        changed = self.env["res.partner"].browse(
            partner_id
            for partner_id, preview in previews.items()
            if partner_id not in fresh
            or not engine._gentle_matches(preview, fresh[partner_id])
        )
        if changed:
            raise UserError(
                self.env._(
                    "What is due for %(names)s changed since this preview (an "
                    "invoice was posted, paid, put on hold or reminded by another "
                    "run): nothing was sent. Close this window and open Follow up "
                    "now again to see what would be sent.",
                    names=", ".join(changed.mapped("display_name")),
                )
            )
        # Words a collector rewrote in the preview are sent as written.
        engine._gentle_keep_edits(
            [
                (previews[c.partner.id], c)
                for c in communications
                if c.partner.id in previews
            ]
        )
        actions = engine._gentle_execute(communications)
        # The preview's drafts were shown; the fresh ones were recorded.
        self.communication_ids.filtered(lambda c: c.state == "draft").sudo().unlink()
        if not actions:
            raise UserError(
                self.env._(
                    "These reminders were sent in the meantime by another run: "
                    "nothing was sent twice. Close this window and refresh."
                )
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self._gentle_outcome(actions),
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _gentle_outcome(self, actions):
        """What happened, in words: emails handed to the mail queue (or
        delivered), other actions done, messages waiting for approval."""
        emails = actions.filtered(lambda a: a.channel in ("email", "sms"))
        others = actions - emails
        sent = len(emails.filtered(lambda a: a.state == "sent"))
        queued = len(emails.filtered(lambda a: a.state == "queued"))
        failed = len(emails.filtered(lambda a: a.state == "failed"))
        waiting = len(actions.filtered(lambda a: a.state == "awaiting_approval"))
        done = len(others.filtered(lambda a: a.state in ("sent", "queued")))
        parts = []
        if sent:
            parts.append(
                self.env._("Delivered to the mail server: %(count)s.", count=sent)
            )
        if queued:
            parts.append(
                self.env._(
                    "Handed to the outgoing mail queue, sent within minutes: "
                    "%(count)s.",
                    count=queued,
                )
            )
        if failed:
            parts.append(
                self.env._(
                    "Could not be sent, see Collections → Outbox: %(count)s.",
                    count=failed,
                )
            )
        if waiting:
            parts.append(
                self.env._(
                    "Waiting for a manager's approval: %(count)s.", count=waiting
                )
            )
        if done:
            parts.append(
                self.env._(
                    "Letters, calls and activities scheduled: %(count)s.", count=done
                )
            )
        return " ".join(parts)
