"""Follow-up calls booked with a customer (``gentle.call.schedule``).

The customer hears of the call from Collections, not from the calendar's own
invitations: the agenda (greeting, time in both time zones, the invoices to go
through with their total, signature) is posted on the customer, from the
Collections sender, with an iCalendar invitation attached – Odoo calendar's own
``.ics`` (``_get_ics_file``) completed with what calendar clients need to file
it and keep it up to date (METHOD, a stable UID, SEQUENCE, STATUS, attendees
who are asked to answer). Moving the call sends a new invitation with a higher
SEQUENCE; archiving or deleting it sends a cancellation (METHOD:CANCEL).
"""

from datetime import timedelta

import pytz
import vobject
from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_amount, format_date

from ..tools import contact_window

# What each notice of a call sends: the iCalendar method and the status of the
# event in it, and the name of the file attached.
ICS_NOTICES = {
    "request": ("REQUEST", "CONFIRMED", "invitation.ics"),
    "update": ("REQUEST", "CONFIRMED", "invitation.ics"),
    "cancel": ("CANCEL", "CANCELLED", "cancellation.ics"),
}


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    gentle_call_partner_id = fields.Many2one(
        "res.partner",
        string="Follow-up Call With",
        readonly=True,
        index="btree_not_null",
        copy=False,
        help="The customer this follow-up call was booked with: moving or "
        "cancelling the call tells them, with an updated invitation.",
    )
    gentle_call_contact_id = fields.Many2one(
        "res.partner",
        string="Person Called",
        readonly=True,
        copy=False,
        help="Who receives the agenda and the invitations of the call.",
    )
    gentle_call_company_id = fields.Many2one(
        "res.company", string="Call Company", readonly=True, copy=False
    )
    gentle_call_move_ids = fields.Many2many(
        "account.move",
        "gentle_call_event_move_rel",
        "event_id",
        "move_id",
        string="Invoices to Discuss",
        readonly=True,
        copy=False,
    )
    gentle_ics_sequence = fields.Integer(
        string="Invitation Sequence",
        readonly=True,
        copy=False,
        help="Revision of the invitation last sent to the customer (iCalendar "
        "SEQUENCE): each change sent raises it, so calendars apply the newest.",
    )

    # ------------------------------------------------------------------
    # CRUD: tell the customer when the call moves or is cancelled
    # ------------------------------------------------------------------

    def write(self, vals):
        calls = self.browse()
        if not self.env.context.get("gentle_call_silent") and (
            {"start", "stop", "active"} & set(vals)
        ):
            calls = self.filtered("gentle_call_partner_id")
        before = {call.id: (call.start, call.stop, call.active) for call in calls}
        result = super().write(vals)
        for call in calls:
            start, stop, active = before[call.id]
            if active and not call.active:
                if stop > fields.Datetime.now():
                    call._gentle_call_notify("cancel")
            elif call.active and (
                not active or (call.start, call.stop) != (start, stop)
            ):
                if call.stop > fields.Datetime.now():
                    call._gentle_call_notify("update")
        return result

    def unlink(self):
        now = fields.Datetime.now()
        for call in self.filtered(
            lambda event: (
                event.gentle_call_partner_id and event.active and event.stop > now
            )
        ):
            call._gentle_call_notify("cancel")
        return super().unlink()

    def _skip_send_mail_status_update(self):
        # The customer of a follow-up call hears from Collections (agenda and
        # invitations from its sender), never from the calendar's own mails.
        return (
            bool(self.gentle_call_partner_id) or super()._skip_send_mail_status_update()
        )

    # ------------------------------------------------------------------
    # Zones and words
    # ------------------------------------------------------------------

    @api.model
    def _gentle_collector_zone(self, user, company):
        """The collector's time zone: theirs, else their working hours', else
        their company's; an unknown one is passed over, not read as UTC."""
        calendar = (
            user.resource_calendar_id
            or user.company_id.resource_calendar_id
            or company.resource_calendar_id
        )
        return pytz.timezone(
            contact_window.first_known(
                user.tz, calendar.tz, (user.company_id or company).partner_id.tz
            )
        )

    @api.model
    def _gentle_call_label(self, start, zone, env):
        """``Mon 2 Mar 15:00``: ``start`` (naive UTC) in ``zone``."""
        local = pytz.utc.localize(start).astimezone(zone)
        day = format_date(env, local.date(), date_format="EEE d MMM")
        return f"{day} {local.strftime('%H:%M')}"

    def _gentle_call_zones(self):
        """``(customer's zone, collector's zone)`` of this call."""
        self.ensure_one()
        company = self.gentle_call_company_id or self.env.company
        engine = self.env["gentle.followup.engine"]
        customer_zone = pytz.timezone(
            engine._gentle_customer_tz(self.gentle_call_partner_id, company)
        )
        return customer_zone, self._gentle_collector_zone(self.user_id, company)

    def _gentle_call_env(self):
        """An environment in the language of the person called."""
        contact = self.gentle_call_contact_id or self.gentle_call_partner_id
        lang = contact.lang or self.gentle_call_partner_id.lang or self.env.lang
        return self.with_context(lang=lang).env

    def _gentle_call_subject(self, notice):
        self.ensure_one()
        env = self._gentle_call_env()
        company = (self.gentle_call_company_id or self.env.company).name
        if notice == "cancel":
            return env._("Call with %(company)s cancelled", company=company)
        if notice == "update":
            customer_zone, _user_zone = self._gentle_call_zones()
            return env._(
                "Call with %(company)s moved to %(when)s",
                company=company,
                when=self._gentle_call_label(self.start, customer_zone, env),
            )
        return env._("Call with %(company)s about your account", company=company)

    def _gentle_call_agenda(self, notice="request"):
        """What the person called reads, in their language: a greeting, the
        time in their zone and the collector's, the invoices to go through
        with their total (per currency), and the collector's signature."""
        self.ensure_one()
        env = self._gentle_call_env()
        contact = self.gentle_call_contact_id or self.gentle_call_partner_id
        customer_zone, user_zone = self._gentle_call_zones()
        times = {
            "customer_time": self._gentle_call_label(self.start, customer_zone, env),
            "customer_zone": customer_zone.zone,
            "our_time": self._gentle_call_label(self.start, user_zone, env),
            "our_zone": user_zone.zone,
            "minutes": round((self.stop - self.start) / timedelta(minutes=1)),
        }
        parts = [
            Markup("<p>%s</p>") % env._("Hello %(name)s,", name=contact.name or "")
        ]
        if notice == "cancel":
            parts.append(
                Markup("<p>%s</p>")
                % env._(
                    "We have cancelled the call planned on %(customer_time)s (your "
                    "time, %(customer_zone)s) – %(our_time)s for us (%(our_zone)s). "
                    "The attached file removes it from your calendar.",
                    **times,
                )
            )
            parts.append(
                Markup("<p>%s</p>")
                % env._("If you would still like to talk, simply reply to this email.")
            )
        else:
            if notice == "update":
                sentence = env._(
                    "Our call has moved: we will now call you on %(customer_time)s "
                    "(your time, %(customer_zone)s) – %(our_time)s for us "
                    "(%(our_zone)s) – for about %(minutes)s minutes.",
                    **times,
                )
            else:
                sentence = env._(
                    "We would like to call you on %(customer_time)s (your time, "
                    "%(customer_zone)s) – %(our_time)s for us (%(our_zone)s) – for "
                    "about %(minutes)s minutes.",
                    **times,
                )
            parts.append(Markup("<p>%s</p>") % sentence)
            parts.append(self._gentle_call_invoice_table(env))
            parts.append(
                Markup("<p>%s</p>")
                % env._(
                    "The attached invitation adds the call to your calendar. If "
                    "this time does not suit you, simply reply with one that does."
                )
            )
        company = self.gentle_call_company_id or self.env.company
        parts.append(
            Markup("<p>%s<br/>%s<br/>%s</p>")
            % (env._("Speak soon,"), self.user_id.name, company.name)
        )
        return Markup().join(parts)

    def _gentle_call_invoice_table(self, env):
        """The invoices to go through: number, due date, amount due and its
        currency, then the total of each currency."""
        moves = self.gentle_call_move_ids.sudo().sorted(
            lambda move: (move.invoice_date_due or fields.Date.today(), move.name)
        )
        if not moves:
            return Markup()
        rows = Markup().join(
            Markup(
                "<tr><td>%s</td><td>%s</td>"
                '<td style="text-align:right">%s</td><td>%s</td></tr>'
            )
            % (
                move.name,
                format_date(env, move.invoice_date_due),
                format_amount(env, move.amount_residual, move.currency_id),
                move.currency_id.name,
            )
            for move in moves
        )
        totals = Markup().join(
            Markup(
                '<tr><td colspan="2"><strong>%s</strong></td>'
                '<td style="text-align:right"><strong>%s</strong></td>'
                "<td>%s</td></tr>"
            )
            % (
                env._("Total"),
                format_amount(
                    env,
                    sum(
                        moves.filtered(lambda m, c=currency: m.currency_id == c).mapped(
                            "amount_residual"
                        )
                    ),
                    currency,
                ),
                currency.name,
            )
            for currency in moves.currency_id
        )
        return Markup(
            "<p>%s</p>"
            '<table class="o_gentle_call_invoices" cellpadding="4" '
            'style="border-collapse:collapse">'
            "<thead><tr><th>%s</th><th>%s</th>"
            '<th style="text-align:right">%s</th><th>%s</th></tr></thead>'
            "<tbody>%s</tbody><tfoot>%s</tfoot></table>"
        ) % (
            env._("What we would like to go through together:"),
            env._("Invoice"),
            env._("Due date"),
            env._("Amount due"),
            env._("Currency"),
            rows,
            totals,
        )

    # ------------------------------------------------------------------
    # The invitation
    # ------------------------------------------------------------------

    def _gentle_call_uid(self):
        """The invitation's UID: the same for every revision of the call, so
        that calendars update or remove the event they filed."""
        self.ensure_one()
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        return f"gentle-call-{self.id}-{uuid}@odoo"

    def _gentle_call_ics(self, notice="request"):
        """The ``.ics`` of this call for ``notice`` (``request``, ``update``,
        ``cancel``): Odoo calendar's own file (dates in UTC, summary,
        description, organizer, attendees) with the iCalendar method, a stable
        UID, the current SEQUENCE and STATUS, and the attendees' roles.

        :rtype: bytes
        """
        self.ensure_one()
        method, status, _name = ICS_NOTICES[notice]
        ics = self.sudo()._get_ics_file().get(self.id)
        if not ics:
            return False
        calendar = vobject.readOne(ics.decode())
        calendar.add("method").value = method
        event = calendar.vevent
        for name in ("uid", "sequence", "status", "dtstamp"):
            while name in event.contents:
                event.remove(event.contents[name][0])
        event.add("uid").value = self._gentle_call_uid()
        event.add("sequence").value = str(self.gentle_ics_sequence)
        event.add("status").value = status
        event.add("dtstamp").value = pytz.utc.localize(fields.Datetime.now())
        event.contents.pop("attendee", None)
        organizer = self.user_id.partner_id
        company = self.gentle_call_company_id or self.env.company
        if "organizer" not in event.contents:
            email = organizer.email or company.email
            if email:
                event.add("organizer").value = f"MAILTO:{email}"
                event.organizer.params["CN"] = [organizer.name or company.name]
        called = self.gentle_call_contact_id or self.gentle_call_partner_id
        for attendee in self.sudo().attendee_ids.filtered("email"):
            line = event.add("attendee")
            line.value = f"MAILTO:{attendee.email}"
            line.params["CN"] = [(attendee.partner_id.name or "").replace('"', "'")]
            line.params["ROLE"] = ["REQ-PARTICIPANT"]
            if attendee.partner_id == organizer:
                line.params["PARTSTAT"] = ["ACCEPTED"]
            else:
                line.params["PARTSTAT"] = ["NEEDS-ACTION"]
                line.params["RSVP"] = [
                    "TRUE" if attendee.partner_id == called else "FALSE"
                ]
        return calendar.serialize().encode()

    def _gentle_call_notify(self, notice="request"):
        """Post the notice of this call on the customer, to the person called,
        from the Collections sender, with the invitation attached. A change
        raises the invitation's SEQUENCE first; the event's description (the
        calendar's copy of the agenda) follows the new time.

        :returns: the ``mail.message`` posted
        """
        self.ensure_one()
        if notice != "request":
            values = {"gentle_ics_sequence": self.gentle_ics_sequence + 1}
            if notice == "update":
                values["description"] = self._gentle_call_agenda("update")
            self.with_context(gentle_call_silent=True).sudo().write(values)
        body = self._gentle_call_agenda(notice)
        ics = self._gentle_call_ics(notice)
        customer = self.gentle_call_partner_id.sudo()
        contact = self.gentle_call_contact_id or customer
        company = self.gentle_call_company_id or self.env.company
        return customer.message_post(
            body=body,
            subject=self._gentle_call_subject(notice),
            partner_ids=contact.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            email_layout_xmlid=self.env["gentle.followup.channel"]._gentle_layout,
            force_email_company=company,
            attachments=[(ICS_NOTICES[notice][2], ics)] if ics else [],
            gentle_mail_kind="call_agenda",
            record_company_id=company.id,
            **company._gentle_collections_sender(customer, user=self.user_id),
        )
