from datetime import date, datetime

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .common import GentleTestMixin


class GentleCaseCommon(GentleTestMixin, AccountTestInvoicingCommon):
    """A company with three tiers on a UTC 8-12/13-17 calendar, two customers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.resource_calendar_id.tz = "UTC"
        cls.company.gentle_go_live_date = date(2026, 1, 1)
        users = "base.group_user,gentle_collections.group_gentle_user"
        common = {"company_id": cls.company.id, "company_ids": [cls.company.id]}
        cls.front_1 = new_test_user(
            cls.env, login="front1", groups=users, name="Fran Front", **common
        )
        cls.front_2 = new_test_user(
            cls.env, login="front2", groups=users, name="Fred Front", **common
        )
        cls.specialist = new_test_user(
            cls.env, login="spec", groups=users, name="Sue Specialist", **common
        )
        cls.manager = new_test_user(
            cls.env,
            login="casemanager",
            groups="base.group_user,gentle_collections.group_gentle_manager",
            name="Mia Manager",
            **common,
        )
        ref = cls.env.ref
        cls.cat_question = ref(
            "gentle_collections.gentle_case_category_payment_question"
        )
        cls.cat_pricing = ref("gentle_collections.gentle_case_category_pricing_dispute")
        cls.cat_delivery = ref("gentle_collections.gentle_case_category_delivery_issue")
        Tier = cls.env["gentle.support.tier"]
        cls.tier_front = Tier.create(
            {
                "name": "Front",
                "sequence": 1,
                "sla_hours": 8,
                "member_ids": [(6, 0, (cls.front_1 | cls.front_2).ids)],
                "category_ids": [(6, 0, cls.cat_question.ids)],
            }
        )
        cls.tier_billing = Tier.create(
            {
                "name": "Billing",
                "sequence": 2,
                "sla_hours": 16,
                "member_ids": [(6, 0, cls.specialist.ids)],
                "category_ids": [(6, 0, (cls.cat_pricing | cls.cat_delivery).ids)],
            }
        )
        cls.tier_finance = Tier.create(
            {
                "name": "Finance",
                "sequence": 3,
                "sla_hours": 4,
                "member_ids": [(6, 0, cls.manager.ids)],
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Query Corp", "email": "ap@querycorp.example.com", "tz": "UTC"}
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Other Ltd", "email": "ap@other.example.com"}
        )
        cls.invoice = cls.make_invoice(cls.customer, date(2026, 2, 2), 1000.0)
        cls.invoice_2 = cls.make_invoice(cls.customer, date(2026, 2, 3), 250.0)
        cls.other_invoice = cls.make_invoice(
            cls.other_customer, date(2026, 2, 2), 300.0
        )

    @classmethod
    def make_invoice(cls, partner, day, amount, company=None):
        """A posted invoice dated and due on ``day``."""
        invoice = cls.init_invoice(
            "out_invoice",
            partner=partner,
            invoice_date=day,
            amounts=[amount],
            company=company or cls.company,
        )
        invoice.invoice_date_due = day
        invoice.action_post()
        return invoice

    def open_case(self, now, category=None, moves=None, **vals):
        values = {
            "subject": "Price differs from the quote",
            "partner_id": self.customer.id,
            "category_id": (category or self.cat_question).id,
            "move_ids": [(6, 0, (moves or self.invoice).ids)],
            **vals,
        }
        return (
            self.env["gentle.collection.case"]
            .with_context(gentle_now=now)
            .create(values)
        )


@tagged("post_install", "-at_install")
class TestGentleSupportCase(GentleCaseCommon):
    # ------------------------------------------------------------------
    # Bad input
    # ------------------------------------------------------------------

    def test_tier_needs_members_and_sla(self):
        Tier = self.env["gentle.support.tier"]
        count = Tier.search_count([])
        with self.assertRefused(ValidationError, "no members"):
            Tier.create({"name": "Empty", "sla_hours": 4})
        with self.assertRefused(ValidationError, "needs an SLA"):
            Tier.create(
                {"name": "No SLA", "sla_hours": 0, "member_ids": self.front_1.ids}
            )
        self.assertEqual(Tier.search_count([]), count)

    def test_case_without_invoices_or_customer_is_refused(self):
        Case = self.env["gentle.collection.case"]
        with self.assertRefused(ValidationError, "names no invoice"):
            self.open_case(datetime(2026, 3, 2, 9), move_ids=[])
        with self.assertRefused(UserError, "Choose the customer"):
            Case.create(
                {
                    "subject": "Who?",
                    "category_id": self.cat_question.id,
                    "move_ids": [(6, 0, self.invoice.ids)],
                }
            )
        self.assertFalse(Case.search([("partner_id", "=", self.customer.id)]))

    def test_invoice_of_another_customer_or_company_is_refused(self):
        with self.assertRefused(ValidationError, "belongs to Other Ltd"):
            self.open_case(
                datetime(2026, 3, 2, 9), moves=self.invoice | self.other_invoice
            )
        other_company = self.setup_other_company()["company"]
        foreign = self.make_invoice(
            self.customer, date(2026, 2, 2), 10.0, company=other_company
        )
        with self.assertRefused(ValidationError, "belongs to company"):
            self.open_case(datetime(2026, 3, 2, 9), moves=self.invoice | foreign)
        self.assertFalse(self.invoice.gentle_case_ids)

    def test_resolution_needs_an_outcome(self):
        case = self.open_case(datetime(2026, 3, 2, 9))
        with self.assertRefused(ValidationError, "Choose how case"):
            case.action_resolve()
        self.assertEqual(case.state, "new")
        case.outcome = "explained"
        case.action_resolve()
        self.assertEqual(case.state, "resolved")
        with self.assertRefused(UserError, "already closed"):
            case.action_resolve()

    # ------------------------------------------------------------------
    # Routing and SLA
    # ------------------------------------------------------------------

    def test_category_routes_to_tier_and_least_busy_member(self):
        first = self.open_case(datetime(2026, 3, 2, 9))
        self.assertEqual(first.tier_id, self.tier_front)
        self.assertEqual(first.user_id, self.front_1)
        second = self.open_case(datetime(2026, 3, 2, 9), moves=self.invoice_2)
        self.assertEqual(second.user_id, self.front_2, "front_1 already has a case")
        dispute = self.open_case(datetime(2026, 3, 2, 9), category=self.cat_pricing)
        self.assertEqual(dispute.tier_id, self.tier_billing)
        self.assertEqual(dispute.user_id, self.specialist)
        self.assertTrue(dispute.is_dispute)
        self.assertRegex(first.name, r"^CASE/\d{4}/\d{4}$")

    def test_sla_counts_working_hours_only(self):
        # Friday 16:00: one working hour left that day, seven on Monday.
        case = self.open_case(datetime(2026, 3, 6, 16))
        self.assertEqual(case.sla_deadline, datetime(2026, 3, 9, 16))
        Case = self.env["gentle.collection.case"]
        for now, breached in (
            (datetime(2026, 3, 7, 10), False),  # Saturday
            (datetime(2026, 3, 9, 15, 59), False),
            (datetime(2026, 3, 9, 16, 1), True),
        ):
            with self.subTest(now=now):
                found = Case.with_context(gentle_now=now).search(
                    [("is_breached", "=", True), ("id", "=", case.id)]
                )
                self.assertEqual(bool(found), breached)
                self.assertEqual(
                    case.with_context(gentle_now=now).is_breached, breached
                )

    def test_waiting_on_customer_stops_the_clock(self):
        case = self.open_case(datetime(2026, 3, 2, 9))  # Monday 09:00
        self.assertEqual(case.sla_deadline, datetime(2026, 3, 3, 9))
        case.with_context(gentle_now=datetime(2026, 3, 2, 10)).action_wait()
        self.assertEqual(case.state, "waiting")
        self.assertAlmostEqual(case.sla_remaining_hours, 7.0)
        # Past the original deadline while waiting: no escalation.
        escalated = self.env["gentle.collection.case"]._cron_escalate(
            now=datetime(2026, 3, 3, 12)
        )
        self.assertNotIn(case, escalated)
        self.assertEqual(case.tier_id, self.tier_front)
        # Wednesday 08:00 the customer answers: seven working hours remain.
        case.with_context(gentle_now=datetime(2026, 3, 4, 8)).action_start()
        self.assertEqual(case.state, "in_progress")
        self.assertEqual(case.sla_deadline, datetime(2026, 3, 4, 16))

    def test_escalation_moves_to_next_tier_then_alerts_managers(self):
        case = self.open_case(datetime(2026, 3, 2, 9), category=self.cat_pricing)
        self.assertEqual(case.sla_deadline, datetime(2026, 3, 4, 9))
        Case = self.env["gentle.collection.case"]
        self.assertFalse(Case._cron_escalate(now=datetime(2026, 3, 4, 8, 59)) & case)
        Case._cron_escalate(now=datetime(2026, 3, 4, 9, 30))
        self.assertEqual(case.tier_id, self.tier_finance)
        self.assertEqual(case.user_id, self.manager)
        self.assertEqual(case.escalation_count, 1)
        # Four working hours of the finance tier from 09:30.
        self.assertEqual(case.sla_deadline, datetime(2026, 3, 4, 14, 30))
        activity = case.activity_ids.filtered(lambda a: a.user_id == self.manager)
        self.assertIn("passed its SLA at Billing", activity.summary)
        self.assertIn("escalated to Finance", case.message_ids[0].body)
        # The last tier breaches: managers are alerted once.
        Case._cron_escalate(now=datetime(2026, 3, 4, 15))
        self.assertTrue(case.managers_alerted)
        self.assertEqual(case.tier_id, self.tier_finance)
        managers = self.env.ref("gentle_collections.group_gentle_manager").users
        alerted = case.activity_ids.filtered(
            lambda a: "last tier" in (a.summary or "")
        ).user_id
        self.assertIn(self.manager, alerted)
        self.assertLessEqual(alerted, managers)
        count = len(case.activity_ids)
        Case._cron_escalate(now=datetime(2026, 3, 5, 15))
        self.assertEqual(len(case.activity_ids), count)

    # ------------------------------------------------------------------
    # Holds, score, communication
    # ------------------------------------------------------------------

    def test_open_case_holds_its_invoices_until_closed(self):
        engine = self.env["gentle.followup.engine"]
        now = datetime(2026, 3, 30, 10)
        due_before = engine._gentle_due_partner_ids(
            self.company, now, [self.customer.id], window=False
        )
        self.assertEqual(due_before, [self.customer.id])
        case = self.open_case(datetime(2026, 3, 2, 9), moves=self.invoice)
        self.invoice.invalidate_recordset()
        self.assertTrue(self.invoice.gentle_on_hold)
        self.assertIn(case.name, self.invoice.gentle_hold_reason)
        self.assertFalse(self.invoice_2.gentle_on_hold)
        held = self.env["account.move"].search(
            [("gentle_on_hold", "=", True), ("id", "in", self.invoice.ids)]
        )
        self.assertEqual(held, self.invoice)
        self.assertIn(case.name, self.invoice.message_ids[0].body)
        # Both invoices held: the customer is not due any more.
        case.move_ids = [(4, self.invoice_2.id)]
        self.assertFalse(
            engine._gentle_due_partner_ids(
                self.company, now, [self.customer.id], window=False
            )
        )
        case.action_cancel()
        self.assertEqual(
            engine._gentle_due_partner_ids(
                self.company, now, [self.customer.id], window=False
            ),
            [self.customer.id],
        )
        self.assertIn("Follow-up resumes", self.invoice.message_ids[0].body)

    def test_disputes_feed_the_score_unless_seller_error(self):
        score = self.env["gentle.score.engine"]
        dispute = self.open_case(datetime(2026, 3, 2, 9), category=self.cat_pricing)
        self.open_case(datetime(2026, 3, 2, 9), moves=self.invoice_2)  # a question
        credited = self.open_case(
            datetime(2026, 3, 2, 9), category=self.cat_delivery, moves=self.invoice_2
        )
        credited.write({"outcome": "credit_note"})
        credited.action_resolve()
        score._gentle_recompute(self.company, date=date(2026, 3, 10))
        customer = self.customer.with_company(self.company)
        self.assertEqual(customer.gentle_dispute_count, 1)
        dispute.write({"outcome": "explained"})
        dispute.action_resolve()
        score._gentle_recompute(self.company, date=date(2026, 3, 10))
        customer.invalidate_recordset()
        self.assertEqual(customer.gentle_dispute_count, 1, "explained still counts")
        dispute.action_cancel()
        score._gentle_recompute(self.company, date=date(2026, 3, 10))
        customer.invalidate_recordset()
        self.assertEqual(customer.gentle_dispute_count, 0)

    def _acks(self, case):
        return case.message_ids.filtered(lambda m: m.message_type == "comment")

    def test_customer_is_acknowledged_with_handler_and_deadline(self):
        # Monday 2 March 09:00 UTC, 8 working hours: Tuesday 3 March 09:00.
        case = self.open_case(datetime(2026, 3, 2, 9), source="portal")
        ack = self._acks(case)
        self.assertEqual(len(ack), 1)
        self.assertEqual(ack.partner_ids, self.customer)
        self.assertEqual(ack.gentle_mail_kind, "case_ack")
        self.assertIn(case.name, ack.subject)
        self.assertIn(self.invoice.name, ack.body)
        self.assertIn("Thank you for getting in touch", ack.body)
        with freeze_time("2026-03-02 09:00:00"):
            sentence = case._gentle_ack_sentence()
        self.assertEqual(
            sentence,
            f"{case.user_id.name} from our accounts team will come back to you "
            "by Tuesday 3 March.",
        )
        self.assertIn(case.user_id.name, ack.body)
        # Human wording: no internal tier, no time of day.
        self.assertNotIn(self.tier_front.name + ")", ack.body)
        self.assertNotIn("Frontline", ack.body)
        self.assertNotRegex(ack.body, r"\d{1,2}:\d{2}")

    def test_deadline_is_a_day_in_the_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.lang = "fr_FR"
        # Friday 6 March 15:00 UTC, 8 working hours: Monday 9 March 15:00.
        case = self.open_case(datetime(2026, 3, 6, 15), source="email")
        self.assertEqual(case.sla_deadline, datetime(2026, 3, 9, 15))
        with freeze_time("2026-03-06 15:00:00"):
            self.assertEqual(
                case._gentle_ack_sentence(),
                f"{case.user_id.name} from our accounts team will come back to you "
                "by Monday 9 March.",
            )
            french = case.with_context(lang="fr_FR")._gentle_ack_sentence()
        self.assertIn("lundi 9 mars", french)
        # The day before the deadline says the day; the day itself says today.
        with freeze_time("2026-03-08 23:59:00"):
            self.assertIn("by Monday 9 March", case._gentle_ack_sentence())
        with freeze_time("2026-03-09 00:00:00"):
            self.assertIn("come back to you today", case._gentle_ack_sentence())

    def test_ack_comes_from_the_collections_identity(self):
        self.company.gentle_sender = "company"
        self.company.email = "ar@querycorp-seller.example.com"
        ack = self._acks(self.open_case(datetime(2026, 3, 2, 9), source="portal"))
        self.assertIn("ar@querycorp-seller.example.com", ack.email_from)
        self.assertEqual(ack.author_id, self.company.partner_id)

    def test_backend_case_is_announced_only_when_asked(self):
        case = self.open_case(datetime(2026, 3, 2, 9))
        self.assertEqual(case.source, "backend")
        self.assertFalse(self._acks(case), "the team's own case: no email")
        case.notify_customer = True
        ack = self._acks(case)
        self.assertEqual(len(ack), 1)
        self.assertIn("We are looking into", ack.body)
        self.assertNotIn("Thank you for getting in touch", ack.body)
        # Ticking it again, or any later edit, sends nothing more.
        case.write({"notify_customer": True, "subject": "Price differs (2)"})
        self.assertEqual(len(self._acks(case)), 1)

    def test_backend_case_announced_at_creation_when_ticked(self):
        case = self.open_case(datetime(2026, 3, 2, 9), notify_customer=True)
        self.assertEqual(len(self._acks(case)), 1)

    def test_no_sender_address_is_noted_not_fatal(self):
        self.company.email = False
        (self.front_1 | self.front_2).partner_id.email = False
        case = self.open_case(datetime(2026, 3, 2, 9), source="portal")
        self.assertFalse(self._acks(case))
        self.assertIn("was not acknowledged", case.message_ids[0].body)

    def test_open_case_from_invoice_and_customer(self):
        action = self.invoice.action_gentle_open_case()
        form = Form(
            self.env["gentle.collection.case"].with_context(**action["context"])
        )
        form.category_id = self.cat_delivery
        case = form.save()
        self.assertEqual(case.move_ids, self.invoice)
        self.assertEqual(case.partner_id, self.customer)
        self.assertEqual(case.tier_id, self.tier_billing)
        self.assertEqual(self.invoice.gentle_case_count, 1)
        self.assertEqual(self.customer.gentle_case_count, 1)
        cases = self.env["gentle.collection.case"].search(
            self.customer.action_gentle_cases()["domain"]
        )
        self.assertEqual(cases, case)

    def test_email_to_alias_opens_a_case(self):
        raw = (
            "From: Query Corp AP <ap@querycorp.example.com>\r\n"
            "To: collections@example.com\r\n"
            f"Subject: Question on {self.invoice.name}\r\n"
            "Message-ID: <gentle-case-test@example.com>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            f"Hello, {self.invoice_2.name} was paid twice?\r\n"
        )
        case_id = self.env["mail.thread"].message_process("gentle.collection.case", raw)
        case = self.env["gentle.collection.case"].browse(case_id)
        self.assertEqual(case.partner_id, self.customer)
        self.assertEqual(case.move_ids, self.invoice | self.invoice_2)
        self.assertEqual(case.source, "email")
        self.assertEqual(case.tier_id, self.tier_front)

    def test_rights_by_company_and_portal(self):
        case = self.open_case(datetime(2026, 3, 2, 9))
        self.assertEqual(
            self.env["gentle.collection.case"].with_user(self.front_1).search([]),
            case,
        )
        portal = new_test_user(
            self.env,
            login="querycorp_portal",
            groups="base.group_portal",
            partner_id=self.customer.id,
        )
        other_portal = new_test_user(
            self.env,
            login="other_portal",
            groups="base.group_portal",
            partner_id=self.other_customer.id,
        )
        Case = self.env["gentle.collection.case"]
        self.assertEqual(Case.with_user(portal).search([]), case)
        self.assertFalse(Case.with_user(other_portal).search([]))
        with self.assertRaises(AccessError):
            case.with_user(portal).write({"subject": "changed"})
        with self.assertRaises(AccessError):
            case.with_user(other_portal).read(["subject"])
        salesman = new_test_user(self.env, login="case_sales", groups="base.group_user")
        with self.assertRaises(AccessError):
            Case.with_user(salesman).search([])
