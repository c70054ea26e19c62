from datetime import date, datetime

import pytz
import vobject
from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .common import gentle_start_tour

# Monday 2 March 2026, 08:00 in Brussels (UTC+1), 02:00 in New York (UTC-5).
NOW = datetime(2026, 3, 2, 7, 0)


@tagged("post_install", "-at_install")
class TestGentleCallSchedule(AccountTestInvoicingCommon):
    """Calls at times that suit both sides: the collector's working hours and
    free calendar, the customer's contact window in their own time zone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        # Mon-Fri 8-12 and 13-17 in Brussels; contact windows 9-17, weekdays.
        calendar = cls.env.ref("resource.resource_calendar_std").copy(
            {"name": "Brussels office", "tz": "Europe/Brussels"}
        )
        cls.company.write(
            {
                "resource_calendar_id": calendar.id,
                "gentle_window_start": 9.0,
                "gentle_window_end": 17.0,
                "gentle_window_days": "weekdays",
            }
        )
        cls.collector = new_test_user(
            cls.env,
            login="call_collector",
            groups="base.group_user,gentle_collections.group_gentle_user",
            name="Cleo Collector",
            tz="Europe/Brussels",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Hudson Prints",
                "email": "ap@hudsonprints.example.com",
                "is_company": True,
                "tz": "America/New_York",
            }
        )
        cls.invoice = cls.init_invoice(
            "out_invoice",
            partner=cls.customer,
            invoice_date=date(2026, 1, 20),
            amounts=[750.0],
        )
        cls.invoice.invoice_date_due = date(2026, 2, 19)
        cls.invoice.action_post()

    def open_wizard(self, partner=None):
        with freeze_time(NOW):
            action = (
                self.env["gentle.call.schedule"]
                .with_user(self.collector)
                .with_context(tz="Europe/Brussels")
                ._gentle_open(partner or self.customer)
            )
        return self.env["gentle.call.schedule"].browse(action["res_id"])

    def starts(self, wizard):
        return [(slot.start, slot.stop) for slot in wizard.slot_ids]

    def test_slots_where_working_hours_meet_the_customer_window(self):
        wizard = self.open_wizard()
        self.assertEqual(wizard.customer_tz, "America/New_York")
        self.assertEqual(wizard.user_tz, "Europe/Brussels")
        # Brussels 15:00-17:00 is New York 09:00-11:00: 14:00-16:00 UTC. 13:30
        # (08:30 in New York) is too early, 16:00 (17:00 in Brussels) too late.
        day = [(14, 0), (14, 30), (15, 0), (15, 30)]
        expected = [
            (
                datetime(2026, 3, d, h, m),
                datetime(2026, 3, d, h, m + 30)
                if m == 0
                else datetime(2026, 3, d, h + 1, 0),
            )
            for d in (2, 3)
            for h, m in day
        ]
        self.assertEqual(self.starts(wizard), expected)
        self.assertEqual(wizard.slot_id, wizard.slot_ids[0])
        first = wizard.slot_ids[0]
        self.assertEqual(first.label_user, "Mon 2 Mar 15:00")
        self.assertEqual(first.label_customer, "Mon 2 Mar 09:00")

    def test_unknown_customer_tz_is_the_company_s_not_utc(self):
        """A customer time zone unknown to pytz (written outside the ORM) is
        replaced by the company's, shown on the scheduler, not read as UTC."""
        self.env.cr.execute(
            "UPDATE res_partner SET tz = 'Mars/Olympus' WHERE id = %s",
            [self.customer.id],
        )
        self.customer.invalidate_recordset(["tz"])
        wizard = self.open_wizard()
        self.assertEqual(wizard.customer_tz, "Europe/Brussels")
        self.assertEqual(wizard.user_tz, "Europe/Brussels")

    def test_busy_collector_and_far_away_customer(self):
        self.env["calendar.event"].create(
            {
                "name": "Month-end closing",
                "start": datetime(2026, 3, 2, 14, 30),
                "stop": datetime(2026, 3, 2, 15, 0),
                "partner_ids": [(6, 0, self.collector.partner_id.ids)],
            }
        )
        wizard = self.open_wizard()
        starts = [start for start, _stop in self.starts(wizard)]
        self.assertIn(datetime(2026, 3, 2, 14, 0), starts)
        self.assertNotIn(datetime(2026, 3, 2, 14, 30), starts)
        self.assertIn(datetime(2026, 3, 2, 15, 0), starts)
        # Tokyo (UTC+9): its 09:00-17:00 is 00:00-08:00 UTC, Brussels opens at
        # 07:00 UTC: one hour a day, 16:00-17:00 in Tokyo.
        self.customer.tz = "Asia/Tokyo"
        with freeze_time(NOW):
            wizard.action_find_slots()
        self.assertEqual(
            [start for start, _stop in self.starts(wizard)][:3],
            [
                datetime(2026, 3, 2, 7, 0),
                datetime(2026, 3, 2, 7, 30),
                datetime(2026, 3, 3, 7, 0),
            ],
        )
        self.assertEqual(wizard.slot_ids[0].label_customer, "Mon 2 Mar 16:00")

    def test_weekend_and_no_common_time(self):
        wizard = self.open_wizard()
        with freeze_time(NOW):
            wizard.write({"date_from": date(2026, 3, 7), "days": 1})  # Sat-Sun
            wizard.action_find_slots()
        self.assertFalse(wizard.slot_ids)
        with self.assertRaises(UserError) as err:
            wizard.action_schedule()
        self.assertIn("No time suits both of you", str(err.exception))
        wizard.duration = 0
        with self.assertRaises(UserError) as err:
            wizard.action_find_slots()
        self.assertIn("call length", str(err.exception))

    def test_booking_creates_event_activity_and_agenda_in_both_zones(self):
        wizard = self.open_wizard()
        self.assertEqual(wizard.move_ids, self.invoice)
        wizard.slot_id = wizard.slot_ids[2]  # 15:00 UTC
        with freeze_time(NOW):
            # As from the customer form's button.
            wizard.with_user(self.collector).with_context(
                active_model="res.partner",
                active_id=self.customer.id,
                default_res_model="res.partner",
            ).action_schedule()
        activity = self.customer.activity_ids
        self.assertEqual(len(activity), 1)
        event = activity.calendar_event_id
        self.assertEqual(len(event), 1)
        self.assertEqual(event.start, datetime(2026, 3, 2, 15, 0))
        self.assertEqual(event.stop, datetime(2026, 3, 2, 15, 30))
        self.assertEqual(event.partner_ids, self.collector.partner_id | self.customer)
        activity = self.customer.activity_ids
        self.assertEqual(
            activity.activity_type_id, self.env.ref("mail.mail_activity_data_call")
        )
        self.assertEqual(activity.calendar_event_id, event)
        self.assertEqual(activity.user_id, self.collector)
        self.assertEqual(activity.date_deadline, date(2026, 3, 2))
        agenda = self.customer.message_ids.filtered(
            lambda m: m.message_type == "comment" and "call you" in (m.body or "")
        )
        self.assertEqual(len(agenda), 1)
        self.assertIn("Mon 2 Mar 10:00", agenda.body)  # New York
        self.assertIn("Mon 2 Mar 16:00", agenda.body)  # Brussels
        self.assertIn(self.invoice.name, agenda.body)
        self.assertIn(self.customer, agenda.partner_ids)
        self.assertEqual(agenda.author_id, self.collector.partner_id)

    def _book_agenda(self):
        wizard = self.open_wizard()
        wizard.slot_id = wizard.slot_ids[2]
        with freeze_time(NOW):
            wizard.with_user(self.collector).action_schedule()
        agenda = self.customer.message_ids.filtered(
            lambda m: m.message_type == "comment" and "call you" in (m.body or "")
        )
        self.assertEqual(len(agenda), 1)
        return agenda

    def test_agenda_from_the_collector_or_the_company(self):
        """Issue 13 item 1: the agenda follows the Collections sender setting."""
        self.company.write(
            {
                "name": "Agenda Co",
                "email": "ar@agenda.example.com",
                "alias_domain_id": False,
                "gentle_sender": "collector",
            }
        )
        self.collector.email = "cleo@agenda.example.com"
        agenda = self._book_agenda()
        self.assertEqual(
            agenda.email_from, '"Cleo Collector (Agenda Co)" <cleo@agenda.example.com>'
        )
        self.assertEqual(agenda.author_id, self.collector.partner_id)
        self.assertEqual(agenda.reply_to, agenda.email_from)

        agenda.unlink()
        self.customer.activity_ids.unlink()
        self.company.gentle_sender = "company"
        agenda = self._book_agenda()
        self.assertEqual(agenda.email_from, '"Agenda Co" <ar@agenda.example.com>')
        self.assertEqual(agenda.author_id, self.company.partner_id)

    # ------------------------------------------------------------------
    # Issue 14 item 4: the agenda and its iCalendar invitation
    # ------------------------------------------------------------------

    def _call_messages(self):
        """Messages posted to the customer about calls, oldest first."""
        return self.customer.message_ids.filtered(
            lambda m: m.message_type == "comment" and "Hello" in (m.body or "")
        ).sorted("id")

    def _invitation(self, message):
        """The iCalendar file attached to ``message``, parsed."""
        ics = message.attachment_ids.filtered(lambda a: a.name.endswith(".ics"))
        self.assertEqual(len(ics), 1, "one .ics attached")
        self.assertEqual(ics.mimetype, "text/calendar")
        return vobject.readOne(ics.raw.decode())

    def _booked_event(self, slot=2):
        wizard = self.open_wizard()
        wizard.slot_id = wizard.slot_ids[slot]
        with freeze_time(NOW):
            wizard.with_user(self.collector).action_schedule()
        return self.customer.activity_ids.calendar_event_id

    def test_agenda_lists_invoices_with_total_and_attaches_the_invitation(self):
        second = self.init_invoice(
            "out_invoice",
            partner=self.customer,
            invoice_date=date(2026, 1, 25),
            amounts=[250.0],
        )
        second.invoice_date_due = date(2026, 2, 24)
        second.action_post()
        self.company.name = "Gentle Prints Co"
        event = self._booked_event()
        [agenda] = self._call_messages()
        body = str(agenda.body).replace("&nbsp;", "\xa0")
        self.assertIn("<p>Hello Hudson Prints,</p>", body)
        self.assertIn("Mon 2 Mar 10:00 (your time, America/New_York)", body)
        self.assertIn("Mon 2 Mar 16:00 for us (Europe/Brussels)", body)
        for move, amount in ((self.invoice, "750.00"), (second, "250.00")):
            self.assertRegex(
                body, rf"{move.name}</td>.*?\$\xa0{amount}</td><td>USD</td>"
            )
        self.assertRegex(body, r"Total</strong>.*?\$\xa01,000.00</strong></td><td>USD")
        self.assertIn("<p>Speak soon,<br>Cleo Collector<br>Gentle Prints Co</p>", body)
        # The invitation: Odoo calendar's file, as calendar clients accept it.
        calendar = self._invitation(agenda)
        self.assertEqual(agenda.attachment_ids.name, "invitation.ics")
        self.assertEqual(calendar.method.value, "REQUEST")
        vevent = calendar.vevent
        self.assertEqual(vevent.dtstart.value, pytz.utc.localize(event.start))
        self.assertEqual(
            vevent.dtstart.value, datetime(2026, 3, 2, 15, 0, tzinfo=pytz.utc)
        )
        self.assertEqual(vevent.dtend.value, pytz.utc.localize(event.stop))
        self.assertIn("DTSTART:20260302T150000Z", calendar.serialize())
        self.assertEqual(vevent.sequence.value, "0")
        self.assertEqual(vevent.status.value, "CONFIRMED")
        self.assertTrue(vevent.uid.value.startswith(f"gentle-call-{event.id}-"))
        self.assertEqual(
            vevent.organizer.value.lower(), f"mailto:{self.collector.email}".lower()
        )
        attendees = {a.value.lower(): a.params for a in vevent.attendee_list}
        customer = attendees["mailto:ap@hudsonprints.example.com"]
        self.assertEqual(customer["RSVP"], ["TRUE"])
        self.assertEqual(customer["PARTSTAT"], ["NEEDS-ACTION"])
        # Emailed to the customer (as a notification of the message, whose
        # attachments every email of it carries).
        self.assertEqual(
            agenda.notification_ids.filtered(
                lambda n: n.notification_type == "email"
            ).res_partner_id,
            self.customer,
        )

    def test_agenda_in_the_customer_s_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search(
            [("name", "=", "gentle_collections")]
        )._update_translations(["fr_FR"])
        self.customer.lang = "fr_FR"
        self._booked_event()
        [agenda] = self._call_messages() or self.customer.message_ids.filtered(
            lambda m: m.message_type == "comment" and "Bonjour" in (m.body or "")
        )
        body = str(agenda.body)
        self.assertIn("<p>Bonjour Hudson Prints,</p>", body)
        self.assertIn("Nous aimerions vous appeler le lun. 2 mars 10:00", body)
        for term in ("<th>Facture</th>", "<th>Devise</th>", "<strong>Total</strong>"):
            self.assertIn(term, body)
        self.assertIn("<p>À bientôt,<br>Cleo Collector<br>", body)
        self.assertNotIn("Hello", body)

    def test_rescheduling_sends_a_newer_invitation(self):
        event = self._booked_event()
        [first] = self._call_messages()
        uid = self._invitation(first).vevent.uid.value
        with freeze_time(NOW):
            event.with_user(self.collector).write({"name": "Call (renamed)"})
        self.assertEqual(len(self._call_messages()), 1, "a new name tells no one")
        with freeze_time(NOW):
            event.with_user(self.collector).write(
                {
                    "start": datetime(2026, 3, 3, 15, 0),
                    "stop": datetime(2026, 3, 3, 15, 30),
                }
            )
        first_again, update = self._call_messages()
        self.assertEqual(first_again, first)
        self.assertIn("Our call has moved", update.body)
        self.assertIn("Tue 3 Mar 10:00", update.body)
        self.assertIn("Tue 3 Mar 10:00", update.subject)
        calendar = self._invitation(update)
        self.assertEqual(calendar.method.value, "REQUEST")
        self.assertEqual(calendar.vevent.uid.value, uid)
        self.assertEqual(calendar.vevent.sequence.value, "1")
        self.assertEqual(
            calendar.vevent.dtstart.value, datetime(2026, 3, 3, 15, 0, tzinfo=pytz.utc)
        )
        self.assertEqual(update.author_id, first.author_id)
        self.assertEqual(update.email_from, first.email_from)
        # The calendar's own invitation mails (date changed...) are skipped for
        # a follow-up call: the customer hears from Collections only.
        self.assertTrue(event._skip_send_mail_status_update())
        meeting = self.env["calendar.event"].create(
            {"name": "Team lunch", "start": NOW, "stop": NOW}
        )
        self.assertFalse(meeting._skip_send_mail_status_update())
        self.assertEqual(self.customer.activity_ids.date_deadline, date(2026, 3, 3))

    def test_archiving_or_deleting_the_call_cancels_it(self):
        event = self._booked_event()
        uid = self._invitation(self._call_messages()).vevent.uid.value
        with freeze_time(NOW):
            event.with_user(self.collector).action_archive()
        _agenda, cancel = self._call_messages()
        self.assertIn("We have cancelled the call", cancel.body)
        calendar = self._invitation(cancel)
        self.assertEqual(cancel.attachment_ids.name, "cancellation.ics")
        self.assertEqual(calendar.method.value, "CANCEL")
        self.assertEqual(calendar.vevent.status.value, "CANCELLED")
        self.assertEqual(calendar.vevent.uid.value, uid)
        self.assertEqual(calendar.vevent.sequence.value, "1")
        # Deleted: cancelled too.
        other = self._booked_event(slot=3)
        with freeze_time(NOW):
            other.with_user(self.collector).unlink()
        cancel = self._call_messages()[-1]
        calendar = self._invitation(cancel)
        self.assertEqual(calendar.method.value, "CANCEL")
        self.assertEqual(calendar.vevent.sequence.value, "1")
        self.assertNotEqual(calendar.vevent.uid.value, uid)

    def test_a_call_over_is_archived_silently(self):
        """Both sides of the call's end: archived a minute before it ends, the
        customer is told; archived when it has ended, not."""
        first = self._booked_event(slot=2)  # 15:00-15:30 UTC
        with freeze_time(datetime(2026, 3, 2, 15, 29)):
            first.action_archive()
        self.assertEqual(len(self._call_messages()), 2)
        second = self._booked_event(slot=3)  # 15:30-16:00 UTC
        with freeze_time(datetime(2026, 3, 2, 16, 0)):
            second.action_archive()
        self.assertEqual(len(self._call_messages()), 3, "no cancellation")

    def test_customer_form_button_opens_the_scheduler(self):
        with freeze_time(NOW):
            action = self.customer.with_user(
                self.collector
            ).action_gentle_schedule_call()
        self.assertEqual(action["res_model"], "gentle.call.schedule")
        wizard = self.env["gentle.call.schedule"].browse(action["res_id"])
        self.assertEqual(wizard.partner_id, self.customer)
        self.assertEqual(wizard.user_id, self.collector)
        self.assertEqual(len(wizard.slot_ids), 8)


@tagged("post_install", "-at_install")
class TestGentleCallTour(HttpCase):
    def test_collector_books_a_call_from_the_customer_form(self):
        customer = self.env["res.partner"].create(
            {
                "name": "Tour Harbour Cafe",
                "email": "ap@tourharbour.example.com",
                "is_company": True,
                "tz": "Europe/Lisbon",
            }
        )
        gentle_start_tour(
            self,
            f"/odoo/res.partner/{customer.id}",
            "gentle_collections_call_tour",
            login="admin",
        )
        self.env.invalidate_all()
        activity = customer.activity_ids
        self.assertEqual(len(activity), 1)
        event = activity.calendar_event_id
        self.assertTrue(event)
        # The booked time is inside the customer's contact window, on a weekday.
        company = self.env.ref("base.main_company")
        local = pytz.utc.localize(event.start).astimezone(
            pytz.timezone("Europe/Lisbon")
        )
        hour = local.hour + local.minute / 60
        self.assertTrue(company.gentle_window_start <= hour < company.gentle_window_end)
        self.assertLessEqual(local.isoweekday(), 5)
        self.assertIn(customer, event.partner_ids)
