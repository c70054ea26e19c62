from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    """Company-wide collections settings."""

    _inherit = "res.company"

    gentle_window_start = fields.Float(
        string="Contact Window Opens",
        default=9.0,
        help="Local time (in the customer's time zone) from which reminders may be "
        "sent, e.g. 9.0 for 09:00.",
    )
    gentle_window_end = fields.Float(
        string="Contact Window Closes",
        default=17.0,
        help="Local time (in the customer's time zone) after which no reminder is "
        "sent until the next contact day, e.g. 17.0 for 17:00.",
    )
    gentle_go_live_date = fields.Date(
        string="Collections Go-Live Date",
        help="Receivables due before this date are never chased by the automatic "
        "follow-up: it avoids surprising customers with reminders about old "
        "invoices when collections are switched on.",
    )

    @api.constrains("gentle_window_start", "gentle_window_end")
    def _check_gentle_window(self):
        for company in self:
            start, end = company.gentle_window_start, company.gentle_window_end
            if not (0 <= start < end <= 24):
                raise ValidationError(
                    self.env._(
                        "The contact window of %(company)s must open before it "
                        "closes, between 00:00 and 24:00 (it is now %(start)s to "
                        "%(end)s). Adjust the hours in Accounting settings.",
                        company=company.name,
                        start=start,
                        end=end,
                    )
                )
