from odoo import api, models
from odoo.exceptions import ValidationError

from ..tools import contact_window


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    @api.constrains("tz")
    def _check_gentle_tz(self):
        """The follow-up reads the working hours' time zone for the contact
        window and the run date: an unknown one would be guessed, so refuse it."""
        for calendar in self:
            if calendar.tz and not contact_window.is_known(calendar.tz):
                raise ValidationError(
                    self.env._(
                        "The time zone “%(tz)s” of the working hours “%(calendar)s” "
                        "is unknown. Choose one from the list, written as "
                        "Region/City (e.g. Europe/Brussels, America/New_York) or "
                        "UTC.",
                        tz=calendar.tz,
                        calendar=calendar.display_name,
                    )
                )
