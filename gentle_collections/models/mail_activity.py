from odoo import Command, fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext

from ..tools.reply_parser import gentle_reply_excerpt

# Where a collector records a promise from an activity.
PROMISE_ACTIVITY_MODELS = ("res.partner", "account.move", "gentle.collection.case")


class MailActivity(models.Model):
    """A collector on a follow-up call, or reading a customer's reply, records
    the customer's promise from it."""

    _inherit = "mail.activity"

    gentle_promise_date = fields.Date(
        string="Date Read in Reply",
        readonly=True,
        help="The payment date read in the customer's reply; the promise form "
        "opened from this activity starts with it.",
    )
    gentle_promise_amount = fields.Float(
        string="Amount Read in Reply",
        readonly=True,
        digits="Account",
        help="The amount read in the customer's reply (company currency), or what "
        "their invoices owe when the reply names no usable amount.",
    )
    gentle_reply_message_id = fields.Many2one(
        "mail.message",
        string="Customer Reply",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The customer's e-mail in which a promise to pay was read: each reply "
        "is read once.",
    )

    def action_gentle_record_promise(self):
        """Open the promise form for the customer (and invoices) of this
        activity, with what the customer's reply said when the activity comes
        from one; saving the promise marks the activity done."""
        self.ensure_one()
        if self.res_model not in PROMISE_ACTIVITY_MODELS:
            raise UserError(
                self.env._(
                    "A promise to pay is recorded from an activity on a customer, "
                    "an invoice or a collection case."
                )
            )
        record = self.env[self.res_model].browse(self.res_id)
        Promise = self.env["gentle.payment.promise"]
        Reply = self.env["gentle.payment.promise.reply"]
        if self.res_model == "account.move":
            action = record.action_gentle_promise()
        elif self.res_model == "gentle.collection.case":
            action = Promise._gentle_open_form(
                record.partner_id, Reply._gentle_reply_invoices(record)
            )
        else:
            action = Promise._gentle_open_form(record)
        context = {**action["context"], "gentle_activity_id": self.id}
        if self.gentle_promise_date:
            moves = Reply._gentle_reply_invoices(record)
            residual = sum(moves.mapped("amount_residual_signed"))
            context.update(
                default_move_ids=[Command.set(moves.ids)],
                default_company_id=(moves.company_id[:1] or self.env.company).id,
                default_source="reply",
                default_date_promised=self.gentle_promise_date,
                default_amount=min(self.gentle_promise_amount, residual) or residual,
                default_note=self._gentle_reply_excerpt(),
            )
        action["context"] = context
        return action

    def _gentle_reply_excerpt(self):
        """The start of the customer's reply this activity was read in."""
        message = self.sudo().gentle_reply_message_id
        if message:
            text = self.env["gentle.payment.promise.reply"]._gentle_reply_text(message)
        else:
            text = html2plaintext(self.note or "")
        return gentle_reply_excerpt(text)
