from datetime import datetime, time, timedelta

import pytz

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.resource.models.utils import Intervals

from ..tools import contact_window

# Calls start on the hour or the half hour.
SLOT_STEP = timedelta(minutes=30)
# Slots proposed at most.
SLOT_COUNT = 8


class GentleCallSchedule(models.TransientModel):
    """Schedule a follow-up call at a time that suits both sides: the
    collector's working hours and free calendar, the customer's contact window
    in the customer's own time zone."""

    _name = "gentle.call.schedule"
    _description = "Schedule a Follow-up Call"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True
    )
    contact_id = fields.Many2one(
        "res.partner",
        string="Call",
        help="The person to call; they receive the agenda and the invitation.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        required=True,
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
    )
    duration = fields.Float(default=0.5, help="Length of the call, in hours.")
    date_from = fields.Date(
        string="From",
        required=True,
        default=fields.Date.context_today,
        help="Look for slots from this day on (never in the past).",
    )
    days = fields.Integer(
        string="Days to Search", default=7, help="How many days ahead to look."
    )
    customer_tz = fields.Char(string="Customer's time zone", compute="_compute_zones")
    user_tz = fields.Char(string="Your time zone", compute="_compute_zones")
    slot_ids = fields.One2many(
        "gentle.call.slot", "wizard_id", string="Proposed Slots", readonly=True
    )
    slot_id = fields.Many2one(
        "gentle.call.slot",
        domain="[('wizard_id', '=', id)]",
        help="The slot to book; times are shown for you and for the customer.",
    )
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices to Discuss",
        help="Listed in the agenda sent to the customer.",
    )

    @api.depends("partner_id", "user_id")
    def _compute_zones(self):
        for wizard in self:
            wizard.customer_tz = wizard._gentle_customer_zone().zone
            wizard.user_tz = wizard._gentle_user_zone().zone

    def _gentle_customer_zone(self):
        engine = self.env["gentle.followup.engine"]
        return pytz.timezone(
            engine._gentle_customer_tz(self.partner_id, self.env.company)
        )

    def _gentle_user_calendar(self):
        return (
            self.user_id.resource_calendar_id
            or self.user_id.company_id.resource_calendar_id
            or self.env.company.resource_calendar_id
        )

    def _gentle_user_zone(self):
        return self.env["calendar.event"]._gentle_collector_zone(
            self.user_id, self.env.company
        )

    @api.model
    def _gentle_open(self, partner):
        """The scheduler for ``partner`` with its overdue invoices to discuss."""
        customer = partner.commercial_partner_id
        Move = self.env["account.move"]
        moves = Move.search(
            Move._gentle_owed_invoices_domain(customer, self.env.company),
            order="invoice_date_due, name",
        )
        wizard = self.create(
            {
                "partner_id": customer.id,
                "contact_id": (partner if partner.email else customer).id,
                "move_ids": [Command.set(moves.ids)],
            }
        )
        wizard.action_find_slots()
        return wizard._gentle_reopen()

    def _gentle_reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Schedule a Follow-up Call"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    # ------------------------------------------------------------------
    # Slots
    # ------------------------------------------------------------------

    def _gentle_free_intervals(self, start, stop):
        """UTC (start, stop) intervals in ``[start, stop)`` when the collector
        works, the customer's contact window is open and the collector has no
        meeting: set operations on the resource module's ``Intervals``."""
        self.ensure_one()
        utc = pytz.utc
        start, stop = utc.localize(start), utc.localize(stop)
        nothing = self.env["calendar.event"]
        work = self._gentle_user_calendar()._work_intervals_batch(
            start, stop, tz=self._gentle_user_zone()
        )[False]
        engine = self.env["gentle.followup.engine"]
        # The engine's contact window, by the same rule (tools/contact_window).
        windows = [
            (utc.localize(begin), utc.localize(end), nothing)
            for begin, end in contact_window.open_intervals(
                engine._gentle_window(self.env.company),
                self._gentle_customer_zone().zone,
                start.replace(tzinfo=None),
                stop.replace(tzinfo=None),
            )
        ]
        events = self.env["calendar.event"].search(
            [
                ("partner_ids", "in", self.user_id.partner_id.id),
                ("start", "<", stop.replace(tzinfo=None)),
                ("stop", ">", start.replace(tzinfo=None)),
                ("show_as", "=", "busy"),
            ]
        )
        busy = Intervals(
            (utc.localize(event.start), utc.localize(event.stop), nothing)
            for event in events
        )
        free = (Intervals([(start, stop, nothing)]) & work & Intervals(windows)) - busy
        return [
            (
                begin.astimezone(utc).replace(tzinfo=None),
                end.astimezone(utc).replace(tzinfo=None),
            )
            for begin, end, _records in free
        ]

    def _gentle_slots(self, now=None):
        """Up to ``SLOT_COUNT`` (start, stop) UTC datetimes, in order."""
        self.ensure_one()
        now = now or fields.Datetime.now()
        first = max(datetime.combine(self.date_from, time()), now)
        # Start on the next half hour.
        first = first.replace(second=0, microsecond=0)
        if first.minute % 30:
            first += timedelta(minutes=30 - first.minute % 30)
        stop = datetime.combine(self.date_from, time()) + timedelta(days=self.days + 1)
        length = timedelta(hours=self.duration)
        slots = []
        for begin, end in self._gentle_free_intervals(first, stop):
            begin = begin.replace(second=0, microsecond=0)
            if begin.minute % 30:
                begin += timedelta(minutes=30 - begin.minute % 30)
            while begin + length <= end and len(slots) < SLOT_COUNT:
                slots.append((begin, begin + length))
                begin += SLOT_STEP
        return slots

    def action_find_slots(self):
        self.ensure_one()
        if self.duration <= 0 or self.duration > 4:
            raise UserError(
                self.env._("Enter a call length between a few minutes and 4 hours.")
            )
        if not 1 <= self.days <= 60:
            raise UserError(self.env._("Search between 1 and 60 days ahead."))
        slots = self._gentle_slots()
        self.slot_id = False
        self.slot_ids = [Command.clear()] + [
            Command.create({"start": begin, "stop": end}) for begin, end in slots
        ]
        self.slot_id = self.slot_ids[:1]
        return self._gentle_reopen()

    # ------------------------------------------------------------------
    # Booking
    # ------------------------------------------------------------------

    def action_schedule(self):
        """Book the chosen slot: calendar event, call activity and the agenda
        sent to the customer with the time in both zones and the invitation
        attached (see ``calendar.event._gentle_call_notify``)."""
        self.ensure_one()
        slot = self.slot_id
        if not slot:
            raise UserError(
                self.env._(
                    "No time suits both of you in the days searched: search more "
                    "days ahead, shorten the call, or pick another collector."
                )
            )
        contact = self.contact_id or self.partner_id
        user_zone = self._gentle_user_zone()
        # Not linked to the record the wizard was opened from (the calendar would
        # add a meeting activity there besides the call activity made below),
        # and no standard invitation: Collections sends its own, with the agenda.
        context = {
            key: value
            for key, value in self.env.context.items()
            if not key.startswith("default_")
            and key not in ("active_model", "active_id", "active_ids")
        }
        event = (
            self.env["calendar.event"]
            .with_context(context, no_mail_to_attendees=True)
            .create(
                {
                    "name": self.env._(
                        "Call with %(company)s about your account",
                        company=self.env.company.name,
                    ),
                    "start": slot.start,
                    "stop": slot.stop,
                    "user_id": self.user_id.id,
                    "partner_ids": [
                        Command.set((self.user_id.partner_id | contact).ids)
                    ],
                    "gentle_call_partner_id": self.partner_id.id,
                    "gentle_call_contact_id": contact.id,
                    "gentle_call_company_id": self.env.company.id,
                    "gentle_call_move_ids": [Command.set(self.move_ids.ids)],
                }
            )
        )
        agenda = event._gentle_call_agenda()
        event.with_context(gentle_call_silent=True).description = agenda
        local_day = pytz.utc.localize(slot.start).astimezone(user_zone).date()
        # Collectors read customers but need not edit their contact details: the
        # call activity and the agenda are theirs, written with elevated rights
        # (the collector stays the author and the activity's owner).
        self.partner_id.sudo().activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=local_day,
            summary=self.env._("Follow-up call: %(when)s", when=slot.label_user),
            note=agenda,
            user_id=self.user_id.id,
            calendar_event_id=event.id,
        )
        event._gentle_call_notify("request")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Call booked %(when)s; the agenda was sent to %(contact)s.",
                    when=slot.label_user,
                    contact=contact.display_name,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }


class GentleCallSlot(models.TransientModel):
    """A time proposed for a follow-up call."""

    _name = "gentle.call.slot"
    _description = "Follow-up Call Slot"
    _order = "start"
    _rec_name = "label"

    wizard_id = fields.Many2one(
        "gentle.call.schedule", required=True, ondelete="cascade"
    )
    start = fields.Datetime(required=True)
    stop = fields.Datetime(required=True)
    label = fields.Char(string="When", compute="_compute_labels")
    label_user = fields.Char(string="Your Time", compute="_compute_labels")
    label_customer = fields.Char(string="Customer's Time", compute="_compute_labels")

    @api.depends("start", "wizard_id.user_id", "wizard_id.partner_id")
    def _compute_labels(self):
        for slot in self:
            wizard = slot.wizard_id
            user_zone = wizard._gentle_user_zone()
            customer_zone = wizard._gentle_customer_zone()
            slot.label_user = slot._gentle_label(user_zone, self.env)
            slot.label_customer = slot._gentle_label(customer_zone, self.env)
            slot.label = self.env._(
                "%(ours)s (you) / %(theirs)s (customer)",
                ours=slot.label_user,
                theirs=slot.label_customer,
            )

    def _gentle_label(self, zone, env):
        return self.env["calendar.event"]._gentle_call_label(self.start, zone, env)
