from odoo import models
from odoo.exceptions import UserError


class MailActivity(models.Model):
    """A collector on a follow-up call records the customer's promise from it."""

    _inherit = "mail.activity"

    def action_gentle_record_promise(self):
        """Open the promise form for the customer (and invoice) of this activity;
        saving the promise marks the activity done."""
        self.ensure_one()
        if self.res_model not in ("res.partner", "account.move"):
            raise UserError(
                self.env._(
                    "A promise to pay is recorded from an activity on a customer or "
                    "an invoice."
                )
            )
        record = self.env[self.res_model].browse(self.res_id)
        if self.res_model == "account.move":
            action = record.action_gentle_promise()
        else:
            action = self.env["gentle.payment.promise"]._gentle_open_form(record)
        action["context"] = {**action["context"], "gentle_activity_id": self.id}
        return action
