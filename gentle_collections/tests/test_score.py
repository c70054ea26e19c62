"""Relationship score: hand-computed fixtures, grade boundaries, snapshots,
policy by grade, multi-company and the cost of the recompute.

The formula (``tools/score.py``, documented in ``readme/DESCRIPTION.md``)::

    score = 100
            - min(40, avg_days_late)              # amount-weighted, 12 months
            - (1 - on_time_ratio) * 25            # share of the amount paid late
            - min(20, 0.5 * overdue_days)         # amount-weighted, open today
            - min(15, 5 * disputes) - min(16, 8 * broken promises)
            - min(20, 10 * broken plans) + min(6, 2 * kept promises)
            + min(6, 2 * tenure_days / 365)
    clamped to 0..100 and rounded; grade A >= 85 > B >= 70 > C >= 50 > D;
    fewer than 3 invoices paid in 12 months: score 50, grade "new".

Every expected value below is computed by hand from that formula, in comments.
All amounts are in the company currency (USD); the euro invoice is converted at
2 EUR = 1 USD.
"""

from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import BaseCase, tagged
from odoo.tools import SQL

from ..tools.score import (
    DEFAULT_THRESHOLDS,
    NEW_SCORE,
    Components,
    compute_score,
    grade_for,
)
from .common import create_gentle_users
from .score_common import SCORE_DATE, GentleScoreCase


def _components(**values):
    base = dict.fromkeys(Components._fields, 0.0)
    base.update(paid_invoices=3, on_time_ratio=1.0)
    base.update(values)
    return Components(**base)


@tagged("post_install", "-at_install")
class TestGentleScoreFormula(BaseCase):
    """The pure function: grade boundaries, caps and the new-customer rule."""

    def test_grade_boundaries_default_thresholds(self):
        self.assertEqual(DEFAULT_THRESHOLDS, {"A": 85, "B": 70, "C": 50})
        for score, grade in (
            (100, "A"),
            (85, "A"),
            (84, "B"),
            (70, "B"),
            (69, "C"),
            (50, "C"),
            (49, "D"),
            (0, "D"),
        ):
            with self.subTest(score=score):
                self.assertEqual(grade_for(score), grade)

    def test_grade_boundaries_custom_thresholds(self):
        thresholds = {"A": 90, "B": 60, "C": 30}
        for score, grade in (
            (90, "A"),
            (89, "B"),
            (60, "B"),
            (59, "C"),
            (30, "C"),
            (29, "D"),
        ):
            with self.subTest(score=score):
                self.assertEqual(grade_for(score, thresholds), grade)

    def test_score_exactly_at_each_threshold(self):
        # on time, no other penalty: score = 100 - avg_days_late
        for days, score, grade in (
            (15, 85, "A"),
            (16, 84, "B"),
            (30, 70, "B"),
            (31, 69, "C"),
        ):
            with self.subTest(days=days):
                self.assertEqual(
                    compute_score(_components(avg_days_late=days)),
                    (score, grade, False),
                )
        # 100 - 40 (late, capped) - 10 (0.6 on time: 0.4 * 25) = 50 -> C;
        # 0.56 on time: 100 - 40 - 11 = 49 -> D
        self.assertEqual(
            compute_score(_components(avg_days_late=40, on_time_ratio=0.6)),
            (50, "C", False),
        )
        self.assertEqual(
            compute_score(_components(avg_days_late=40, on_time_ratio=0.56)),
            (49, "D", False),
        )

    def test_caps_and_bonuses(self):
        worst = _components(
            avg_days_late=400,  # capped at 40
            on_time_ratio=0.0,  # 25
            overdue_days=300,  # 150 capped at 20
            disputes=9,  # 45 capped at 15
            promises_broken=9,  # 72 capped at 16
            plans_broken=9,  # 90 capped at 20
        )
        # 100 - 40 - 25 - 20 - 15 - 16 - 20 = -36 -> clamped to 0
        self.assertEqual(compute_score(worst), (0, "D", False))
        one_each = _components(
            avg_days_late=10,  # -10
            on_time_ratio=0.8,  # -5
            overdue_days=8,  # -4
            disputes=1,  # -5
            promises_broken=1,  # -8
            plans_broken=1,  # -10
            promises_kept=5,  # +10 capped at +6
            tenure_days=365 * 10,  # +20 capped at +6
        )
        # 100 - 10 - 5 - 4 - 5 - 8 - 10 + 6 + 6 = 70 -> B
        self.assertEqual(compute_score(one_each), (70, "B", False))

    def test_new_customer_threshold(self):
        very_late = dict(avg_days_late=90, on_time_ratio=0.0)
        self.assertEqual(
            compute_score(_components(paid_invoices=2, **very_late)),
            (NEW_SCORE, "new", True),
        )
        # 3 paid invoices reach the default threshold: 100 - 40 - 25 = 35 -> D
        self.assertEqual(
            compute_score(_components(paid_invoices=3, **very_late)), (35, "D", False)
        )
        self.assertEqual(
            compute_score(_components(paid_invoices=4, **very_late), min_paid=5),
            (50, "new", True),
        )
        # Threshold 0 grades everyone who has paid at least one invoice, never a
        # customer without any payment (nothing to judge).
        self.assertEqual(
            compute_score(_components(paid_invoices=1, **very_late), min_paid=0),
            (35, "D", False),
        )
        self.assertEqual(
            compute_score(_components(paid_invoices=0), min_paid=0),
            (50, "new", True),
        )


@tagged("post_install", "-at_install")
class TestGentleScore(GentleScoreCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.grade_d = cls.env.ref("gentle_collections.gentle_grade_d")
        cls.policy_d = cls.env["gentle.followup.policy"].create(
            {
                "name": "At-risk customers",
                "company_id": cls.company.id,
                "grade_ids": [Command.set(cls.grade_d.ids)],
                "level_ids": [
                    Command.create(
                        {"name": "Early call", "day_offset": -10, "tone": "neutral"}
                    )
                ],
            }
        )
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        cls.env["res.currency.rate"].search([("currency_id", "=", cls.eur.id)]).unlink()
        cls.env["res.currency.rate"].create(
            {
                "name": "2024-01-01",
                "rate": 2.0,
                "currency_id": cls.eur.id,
                "company_id": cls.company.id,
            }
        )
        cls.company_2 = cls.env["res.company"].create(
            {"name": "Gentle Second Co", "currency_id": cls.company.currency_id.id}
        )
        cls.env["account.chart.template"].try_loading(
            "generic_coa", company=cls.company_2, install_demo=False
        )
        with freeze_time(SCORE_DATE):
            cls._create_histories()
        cls._recompute()
        cls._recompute(cls.company_2)

    @classmethod
    def _create_histories(cls):
        # Prompt: always on or before the due date; one invoice not due yet.
        cls.prompt = cls._partner("Prompt Payer")
        p1 = cls._invoice(cls.prompt, 1000, "2025-01-10", "2025-02-09")
        p2 = cls._invoice(cls.prompt, 1000, "2025-02-10", "2025-03-12")
        p3 = cls._invoice(cls.prompt, 1000, "2025-03-10", "2025-04-09")
        cls.prompt_open = cls._invoice(cls.prompt, 1000, "2025-06-20", "2025-07-20")
        cls._pay(p1, "2025-02-05")  # 4 days early
        cls._pay(p2, "2025-03-12")  # on the due date: on time
        cls._pay(p3, "2025-04-01")

        # Slightly late, with one invoice in euros (4000 EUR = 2000 USD).
        cls.slight = cls._partner("Slightly Late")
        s1 = cls._invoice(cls.slight, 1000, "2024-10-01", "2024-10-31")
        s2 = cls._invoice(
            cls.slight, 4000, "2024-12-01", "2024-12-31", currency=cls.eur
        )
        s3 = cls._invoice(cls.slight, 1000, "2025-02-01", "2025-03-03")
        cls._pay(s1, "2024-11-05")  # 5 days late
        cls._pay(s2, "2025-01-10")  # 10 days late, 4000 EUR
        cls._pay(s3, "2025-03-01")  # on time

        # Very late: 60 days late each time, one invoice 60 days overdue today.
        cls.late = cls._partner("Very Late")
        v1 = cls._invoice(cls.late, 500, "2024-07-01", "2024-07-31")
        v2 = cls._invoice(cls.late, 500, "2024-09-01", "2024-10-01")
        v3 = cls._invoice(cls.late, 500, "2024-11-01", "2024-12-01")
        cls.late_open = cls._invoice(cls.late, 1000, "2025-04-01", "2025-05-01")
        cls._pay(v1, "2024-09-29")
        cls._pay(v2, "2024-11-30")
        cls._pay(v3, "2025-01-30")

        # New: two invoices paid (very late) - below the threshold of three.
        cls.new = cls._partner("New Customer")
        n1 = cls._invoice(cls.new, 1000, "2025-03-01", "2025-03-31")
        n2 = cls._invoice(cls.new, 1000, "2025-04-01", "2025-05-01")
        cls._pay(n1, "2025-05-15")  # 45 days late
        cls._pay(n2, "2025-06-15")  # 45 days late

        # Mixed: a credit note, partial payments, a reversed invoice.
        cls.mixed = cls._partner("Mixed History")
        m1 = cls._invoice(cls.mixed, 1000, "2025-01-15", "2025-02-14")
        m2 = cls._invoice(cls.mixed, 1000, "2025-02-15", "2025-03-17")
        m3 = cls._invoice(cls.mixed, 1000, "2025-03-15", "2025-04-14")
        cls.mixed_open = cls._invoice(cls.mixed, 2000, "2025-05-01", "2025-05-31")
        m5 = cls._invoice(cls.mixed, 1000, "2025-04-01", "2025-05-01")
        refund = cls._refund(cls.mixed, 200, "2025-02-01")
        (cls._receivable(m1) + cls._receivable(refund)).reconcile()
        cls._pay(m1, "2025-02-24")  # the remaining 800, 10 days late
        cls._pay(m2, "2025-03-17")  # on time
        cls._pay(m3, "2025-04-04", amount=400)  # on time
        cls._pay(m3, "2025-05-14", amount=600)  # 30 days late
        cls._pay(cls.mixed_open, "2025-06-10", amount=500)  # 10 days late
        m5._reverse_moves(
            [{"date": "2025-04-05", "invoice_date": "2025-04-05"}], cancel=True
        )
        cls.mixed_moves = m1 + m2 + m3 + cls.mixed_open + m5

        # The prompt payer is a slow payer of the second company.
        c2 = cls.company_2
        q1 = cls._invoice(cls.prompt, 1000, "2025-01-01", "2025-01-31", company=c2)
        q2 = cls._invoice(cls.prompt, 1000, "2025-02-01", "2025-03-03", company=c2)
        q3 = cls._invoice(cls.prompt, 1000, "2025-03-01", "2025-03-31", company=c2)
        cls._pay(q1, "2025-02-20")  # 20 days late
        cls._pay(q2, "2025-03-23")  # 20 days late
        cls._pay(q3, "2025-04-20")  # 20 days late

    # ------------------------------------------------------------------
    # Hand-computed customers
    # ------------------------------------------------------------------

    def test_prompt_payer(self):
        # 3 x 1000 paid 0 days late -> avg 0, on time 1.0; the open invoice is
        # due 2025-07-20, not overdue: exposure 0. Tenure 2025-01-10 ->
        # 2025-06-30 = 171 days -> +0.94. 100 + 0.94 clamped to 100 -> A.
        # Volume: 4 x 1000 invoiced in the window.
        self.assertEqual(
            self._stored(self.prompt),
            {
                "gentle_score": 100,
                "gentle_grade": "A",
                "gentle_is_new": False,
                "gentle_paid_invoice_count": 3,
                "gentle_avg_days_late": 0.0,
                "gentle_on_time_ratio": 1.0,
                "gentle_overdue_days": 0.0,
                "gentle_overdue_exposure": 0.0,
                "gentle_dispute_count": 0,
                "gentle_promises_kept": 0,
                "gentle_promises_broken": 0,
                "gentle_plans_broken": 0,
                "gentle_tenure_days": 171,
                "gentle_volume": 4000.0,
                "gentle_score_date": SCORE_DATE,
            },
        )

    def test_slightly_late_with_foreign_currency(self):
        # Paid: 1000 @ 5 days, 2000 (4000 EUR) @ 10 days, 1000 @ 0 days.
        # avg = (5000 + 20000 + 0) / 4000 = 6.25 (in EUR amounts it would be 7.5)
        # on time = 1000 / 4000 = 0.25 -> -(0.75 * 25) = -18.75
        # tenure 2024-10-01 -> 2025-06-30 = 272 days -> +1.49
        # 100 - 6.25 - 18.75 + 1.49 = 76.49 -> 76 -> B
        self.assertEqual(
            self._stored(self.slight),
            {
                "gentle_score": 76,
                "gentle_grade": "B",
                "gentle_is_new": False,
                "gentle_paid_invoice_count": 3,
                "gentle_avg_days_late": 6.25,
                "gentle_on_time_ratio": 0.25,
                "gentle_overdue_days": 0.0,
                "gentle_overdue_exposure": 0.0,
                "gentle_dispute_count": 0,
                "gentle_promises_kept": 0,
                "gentle_promises_broken": 0,
                "gentle_plans_broken": 0,
                "gentle_tenure_days": 272,
                "gentle_volume": 4000.0,
                "gentle_score_date": SCORE_DATE,
            },
        )

    def test_very_late_payer(self):
        # Paid 3 x 500 @ 60 days -> avg 60 (capped at 40), on time 0 (-25).
        # Open 1000 due 2025-05-01: 60 days overdue -> 30 points, capped at 20.
        # Tenure 2024-07-01 -> 2025-06-30 = 364 days -> +1.99.
        # 100 - 40 - 25 - 20 + 1.99 = 16.99 -> 17 -> D
        self.assertEqual(
            self._stored(self.late),
            {
                "gentle_score": 17,
                "gentle_grade": "D",
                "gentle_is_new": False,
                "gentle_paid_invoice_count": 3,
                "gentle_avg_days_late": 60.0,
                "gentle_on_time_ratio": 0.0,
                "gentle_overdue_days": 60.0,
                "gentle_overdue_exposure": 1000.0,
                "gentle_dispute_count": 0,
                "gentle_promises_kept": 0,
                "gentle_promises_broken": 0,
                "gentle_plans_broken": 0,
                "gentle_tenure_days": 364,
                "gentle_volume": 2500.0,
                "gentle_score_date": SCORE_DATE,
            },
        )

    def test_new_customer_is_neutral(self):
        # 2 paid invoices < 3: neutral 50 and "new" although 45 days late.
        # Tenure 2025-03-01 -> 2025-06-30 = 121 days.
        self.assertEqual(
            self._stored(self.new),
            {
                "gentle_score": 50,
                "gentle_grade": "new",
                "gentle_is_new": True,
                "gentle_paid_invoice_count": 2,
                "gentle_avg_days_late": 45.0,
                "gentle_on_time_ratio": 0.0,
                "gentle_overdue_days": 0.0,
                "gentle_overdue_exposure": 0.0,
                "gentle_dispute_count": 0,
                "gentle_promises_kept": 0,
                "gentle_promises_broken": 0,
                "gentle_plans_broken": 0,
                "gentle_tenure_days": 121,
                "gentle_volume": 2000.0,
                "gentle_score_date": SCORE_DATE,
            },
        )
        explanation = self.new.with_company(self.company).gentle_score_explanation
        self.assertIn("Too little payment history to judge", explanation)
        self.assertIn("2 invoice(s) paid", explanation)

    def test_mixed_with_credit_notes_and_partial_payments(self):
        # Payments (the 200 credit note on m1 and the reversal of m5 are no
        # payments): 800 @ 10, 1000 @ 0, 400 @ 0, 600 @ 30, 500 @ 10 = 3300.
        # avg = (8000 + 0 + 0 + 18000 + 5000) / 3300 = 9.3939 -> stored 9.39
        # on time = 1400 / 3300 = 0.4242 -> -(0.5758 * 25) = -14.39
        # open: 1500 left on the 2000 invoice due 2025-05-31: 30 days overdue
        #       -> -15 (under the cap of 20)
        # tenure 2025-01-15 -> 2025-06-30 = 166 days -> +0.91
        # 100 - 9.39 - 14.39 - 15 + 0.91 = 62.12 -> 62 -> C
        # paid invoices: m1 (credit note + payment), m2, m3 = 3; the 2000
        # invoice is only partly paid, m5 was reversed.
        # volume: 1000 + 1000 + 1000 + 2000 (m5 reversed: not counted) = 5000
        self.assertEqual(
            self.mixed_moves.mapped("payment_state"),
            ["paid", "paid", "paid", "partial", "reversed"],
        )
        self.assertEqual(
            self._stored(self.mixed),
            {
                "gentle_score": 62,
                "gentle_grade": "C",
                "gentle_is_new": False,
                "gentle_paid_invoice_count": 3,
                "gentle_avg_days_late": 9.39,
                "gentle_on_time_ratio": 0.4242,
                "gentle_overdue_days": 30.0,
                "gentle_overdue_exposure": 1500.0,
                "gentle_dispute_count": 0,
                "gentle_promises_kept": 0,
                "gentle_promises_broken": 0,
                "gentle_plans_broken": 0,
                "gentle_tenure_days": 166,
                "gentle_volume": 5000.0,
                "gentle_score_date": SCORE_DATE,
            },
        )
        explanation = self.mixed.with_company(self.company).gentle_score_explanation
        self.assertIn(
            "Pays 9 days late on average, 42 % of the amount on time, over the last "
            "12 months (3 invoices paid).",
            explanation,
        )
        self.assertIn("1,500.00", explanation)
        self.assertIn(
            "overdue today; what is open is 30 days overdue on average.", explanation
        )

    def test_recompute_returns_the_results(self):
        results = self._recompute(
            partners=self.prompt + self.slight + self.late + self.new + self.mixed
        )
        self.assertEqual(
            results,
            {
                self.prompt.id: (100, "A", False),
                self.slight.id: (76, "B", False),
                self.late.id: (17, "D", False),
                self.new.id: (50, "new", True),
                self.mixed.id: (62, "C", False),
            },
        )

    def test_contacts_invoices_count_for_their_company(self):
        parent = self._partner("Parent Co")
        contact = self.env["res.partner"].create(
            {"name": "Accounts Dept", "parent_id": parent.id, "type": "invoice"}
        )
        with freeze_time(SCORE_DATE):
            for month in (1, 2, 3):
                invoice = self._invoice(
                    contact, 100, f"2025-0{month}-01", f"2025-0{month}-20"
                )
                self._pay(invoice, f"2025-0{month}-25")  # 5 days late each
        # avg 5, on time 0 (-25), tenure 2025-01-01 -> 2025-06-30 = 180 (+0.99)
        # 100 - 5 - 25 + 0.99 = 70.99 -> 71 -> B, on the commercial partner
        self.assertEqual(
            self._recompute(partners=parent), {parent.id: (71, "B", False)}
        )
        self.assertEqual(self._stored(parent)["gentle_paid_invoice_count"], 3)
        self.assertFalse(self._stored(contact)["gentle_grade"])

    def test_customer_without_invoices_left_loses_its_score(self):
        partner = self._partner("Cancelled Deal")
        with freeze_time(SCORE_DATE):
            invoice = self._invoice(partner, 100, "2025-06-01", "2025-06-20")
        self._recompute(partners=partner)
        self.assertEqual(self._stored(partner)["gentle_grade"], "new")
        invoice.button_cancel()
        self.assertEqual(self._recompute(partners=partner), {})
        stored = self._stored(partner)
        self.assertFalse(stored["gentle_grade"])
        self.assertFalse(stored["gentle_score_date"])
        self.assertIn("Not scored yet", partner.gentle_score_explanation)
        # The nightly recompute of everyone does the same.
        with freeze_time(SCORE_DATE):
            invoice.button_draft()
            invoice.action_post()
        self._recompute(partners=partner)
        self.assertEqual(self._stored(partner)["gentle_grade"], "new")
        invoice.button_cancel()
        self._recompute()
        self.assertFalse(self._stored(partner)["gentle_grade"])
        # Other customers keep theirs.
        self.assertEqual(self._stored(self.mixed)["gentle_score"], 62)
        self.assertEqual(self._stored(self.prompt, self.company_2)["gentle_score"], 56)

    def test_explanation_of_unscored_customer(self):
        stranger = self._partner("Never Invoiced")
        self.assertFalse(stranger.gentle_grade)
        self.assertIn("Not scored yet", stranger.gentle_score_explanation)

    def test_payment_without_journal_entry(self):
        """With the accountant app, a payment may have no journal entry: it
        settles the invoice without any reconciliation."""
        partner = self._partner("Cheque Payer")
        Move = type(self.env["account.move"])
        with freeze_time(SCORE_DATE):
            c1 = self._invoice(partner, 1000, "2025-01-01", "2025-01-31")
            c2 = self._invoice(partner, 1000, "2025-02-01", "2025-03-03")
            c3 = self._invoice(partner, 1000, "2025-03-01", "2025-03-31")
            self._pay(c1, "2025-01-31")
            self._pay(c2, "2025-03-03")
            with patch.object(
                Move, "_get_invoice_in_payment_state", lambda self: "in_payment"
            ):
                cheque = self._pay(c3, "2025-04-20")
                self.assertFalse(cheque.move_id)
                self.assertEqual(c3.payment_state, "in_payment")
                self.assertEqual(self._receivable(c3).amount_residual, 1000)
                self._recompute(partners=partner)
        # Paid 1000 @ 0, 1000 @ 0 and, without entry, 1000 @ 20 days:
        # avg 20000 / 3000 = 6.67, on time 2000 / 3000 = 0.6667 (-8.33),
        # the cheque's invoice is not overdue; tenure 180 days (+0.99)
        # 100 - 6.67 - 8.33 + 0.99 = 85.99 -> 86 -> A
        stored = self._stored(partner)
        self.assertEqual(
            [
                stored[name]
                for name in (
                    "gentle_score",
                    "gentle_grade",
                    "gentle_paid_invoice_count",
                    "gentle_avg_days_late",
                    "gentle_on_time_ratio",
                    "gentle_overdue_days",
                    "gentle_overdue_exposure",
                )
            ],
            [86, "A", 3, 6.67, 0.6667, 0.0, 0.0],
        )

    def test_events_hook_feeds_the_score(self):
        """Disputes, promises and plans come from other features through
        ``gentle.score.events._gentle_score_events_sql``."""
        slight = self.slight

        def events(model, company, date_from, date_to, partner_ids=None):
            return SQL(
                "SELECT %s::int AS partner_id, 2 AS disputes, 1 AS promises_kept, "
                "1 AS promises_broken, 1 AS plans_broken",
                slight.id,
            )

        Events = type(self.env["gentle.score.events"])
        with patch.object(Events, "_gentle_score_events_sql", events):
            self._recompute(partners=slight)
        # 76.49 (see above) - 2 x 5 - 1 x 8 - 1 x 10 + 1 x 2 = 50.49 -> 50 -> C
        stored = self._stored(slight)
        self.assertEqual(
            [
                stored[name]
                for name in (
                    "gentle_score",
                    "gentle_grade",
                    "gentle_dispute_count",
                    "gentle_promises_kept",
                    "gentle_promises_broken",
                    "gentle_plans_broken",
                )
            ],
            [50, "C", 2, 1, 1, 1],
        )
        explanation = slight.with_company(self.company).gentle_score_explanation
        for words in (
            "2 dispute(s).",
            "1 broken promise(s).",
            "1 kept promise(s).",
            "1 broken payment plan(s).",
        ):
            self.assertIn(words, explanation)

    # ------------------------------------------------------------------
    # Multi-company
    # ------------------------------------------------------------------

    def test_companies_are_kept_apart(self):
        # Company 2: 3 x 1000 @ 20 days -> avg 20, on time 0 (-25);
        # tenure 2025-01-01 -> 2025-06-30 = 180 days -> +0.99
        # 100 - 20 - 25 + 0.99 = 55.99 -> 56 -> C
        second = self._stored(self.prompt, self.company_2)
        self.assertEqual(
            {k: second[k] for k in ("gentle_score", "gentle_grade")},
            {"gentle_score": 56, "gentle_grade": "C"},
        )
        self.assertEqual(second["gentle_avg_days_late"], 20.0)
        self.assertEqual(second["gentle_on_time_ratio"], 0.0)
        self.assertEqual(second["gentle_tenure_days"], 180)
        self.assertEqual(second["gentle_volume"], 3000.0)
        # The first company's score is its own.
        self.assertEqual(self._stored(self.prompt)["gentle_score"], 100)
        # Recomputing one company leaves the other's values alone.
        self._recompute(self.company_2, on=date(2025, 12, 31))
        self.assertEqual(self._stored(self.prompt)["gentle_score_date"], SCORE_DATE)
        self.assertEqual(self._stored(self.prompt)["gentle_grade"], "A")
        self.assertEqual(
            self._stored(self.prompt, self.company_2)["gentle_score_date"],
            date(2025, 12, 31),
        )
        # Customers of one company only are not scored in the other.
        self.assertFalse(self._stored(self.slight, self.company_2)["gentle_grade"])
        snapshots = self.env["gentle.score.snapshot"].search(
            [("partner_id", "=", self.prompt.id), ("month", "=", "2025-06-01")]
        )
        self.assertEqual(
            sorted((s.company_id.id, s.score, s.grade) for s in snapshots),
            sorted([(self.company.id, 100, "A"), (self.company_2.id, 56, "C")]),
        )

    # ------------------------------------------------------------------
    # Grade boundaries through the settings
    # ------------------------------------------------------------------

    def _grade_with(self, partner, **thresholds):
        self.company.write(thresholds)
        self._recompute(partners=partner)
        return self._stored(partner)["gentle_grade"]

    def test_grade_thresholds_from_settings(self):
        # Slightly late scores 76, very late 17, mixed 62.
        cases = [
            (self.slight, {"gentle_grade_a_min": 76, "gentle_grade_b_min": 70}, "A"),
            (self.slight, {"gentle_grade_a_min": 77, "gentle_grade_b_min": 76}, "B"),
            (self.slight, {"gentle_grade_a_min": 85, "gentle_grade_b_min": 77}, "C"),
            (self.mixed, {"gentle_grade_b_min": 62, "gentle_grade_c_min": 50}, "B"),
            (self.mixed, {"gentle_grade_b_min": 70, "gentle_grade_c_min": 62}, "C"),
            (self.mixed, {"gentle_grade_b_min": 70, "gentle_grade_c_min": 63}, "D"),
            (self.late, {"gentle_grade_c_min": 17}, "C"),
            (self.late, {"gentle_grade_c_min": 18}, "D"),
        ]
        for partner, thresholds, grade in cases:
            with self.subTest(partner=partner.name, thresholds=thresholds):
                self.assertEqual(self._grade_with(partner, **thresholds), grade)

    def test_paid_invoices_before_grading_from_settings(self):
        self.assertEqual(self._stored(self.slight)["gentle_grade"], "B")
        self.company.gentle_score_min_paid = 4
        self._recompute(partners=self.slight + self.new)
        slight = self._stored(self.slight)
        self.assertEqual(
            (slight["gentle_score"], slight["gentle_grade"], slight["gentle_is_new"]),
            (50, "new", True),
        )
        # Grading everyone who paid at least once: the new customer (2 paid,
        # 45 days late, none on time): 100 - 40 - 25 + 121 days (0.66) = 35.66
        self.company.gentle_score_min_paid = 0
        self._recompute(partners=self.slight + self.new)
        new = self._stored(self.new)
        self.assertEqual(
            (new["gentle_score"], new["gentle_grade"], new["gentle_is_new"]),
            (36, "D", False),
        )
        self.assertEqual(self._stored(self.slight)["gentle_score"], 76)

    # ------------------------------------------------------------------
    # Snapshots, trend and explanation
    # ------------------------------------------------------------------

    def _snapshots(self, partner):
        return self.env["gentle.score.snapshot"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.company.id)],
            order="month",
        )

    def test_monthly_snapshot_is_updated_not_duplicated(self):
        june = self._snapshots(self.mixed)
        self.assertEqual(len(june), 1)
        self.assertEqual(
            (str(june.month), june.score, june.grade, june.avg_days_late),
            ("2025-06-01", 62, "C", 9.39),
        )
        self.assertEqual((june.on_time_ratio, june.overdue_exposure), (0.4242, 1500.0))
        # Same month, earlier day: the 500 paid on 2025-06-10 is not yet in.
        # Paid 800 @ 10, 1000 @ 0, 400 @ 0, 600 @ 30 = 2800:
        # avg = 26000 / 2800 = 9.2857, on time 1400 / 2800 = 0.5 -> -12.5;
        # open 1500 due 2025-05-31: 5 days overdue -> -2.5;
        # tenure 2025-01-15 -> 2025-06-05 = 141 days -> +0.77
        # 100 - 9.29 - 12.5 - 2.5 + 0.77 = 76.49 -> 76 -> B
        self._recompute(partners=self.mixed, on=date(2025, 6, 5))
        june_again = self._snapshots(self.mixed)
        self.assertEqual(june_again, june, "the month's row is updated in place")
        self.assertEqual(
            (june.score, june.grade, june.avg_days_late, june.on_time_ratio),
            (76, "B", 9.29, 0.5),
        )
        # End of May: same payments, the open invoice due that very day is not
        # overdue; tenure 136 days -> +0.75: 100 - 9.29 - 12.5 + 0.75 = 78.96
        self._recompute(partners=self.mixed, on=date(2025, 5, 31))
        may, june_last = self._snapshots(self.mixed)
        self.assertEqual(june_last, june)
        self.assertEqual(
            (str(may.month), may.score, may.grade, may.overdue_exposure),
            ("2025-05-01", 79, "B", 0.0),
        )
        self._recompute(partners=self.mixed)
        self.assertEqual(len(self._snapshots(self.mixed)), 2)
        self.assertEqual((june.score, june.grade), (62, "C"))
        # Trend: May 79 then June 62 on a 120 x 24 sparkline:
        # y = 24 - score / 100 * 24 -> 5.0 and 9.1
        trend = self.mixed.with_company(self.company).gentle_score_trend
        self.assertIn('points="0.0,5.0 120.0,9.1"', trend)
        # The other company's snapshots are not in this company's trend.
        self.assertFalse(self.prompt.with_company(self.company).gentle_score_trend)

    def test_explanation_of_the_very_late_payer(self):
        explanation = self.late.with_company(self.company).gentle_score_explanation
        self.assertIn(
            "Pays 60 days late on average, 0 % of the amount on time, over the last "
            "12 months (3 invoices paid).",
            explanation,
        )
        self.assertIn("1,000.00", explanation)
        self.assertIn("what is open is 60 days overdue on average.", explanation)
        # Less than a year as a customer: no tenure sentence.
        self.assertNotIn("Customer for", explanation)

    def test_explanation_counts_events_and_tenure(self):
        self.env.cr.execute(
            """UPDATE res_partner
                  SET gentle_promises_broken = jsonb_build_object(%s, 1),
                      gentle_tenure_days = jsonb_build_object(%s, 800)
                WHERE id = %s""",
            [str(self.company.id), str(self.company.id), self.slight.id],
        )
        self.slight.invalidate_recordset()
        explanation = self.slight.with_company(self.company).gentle_score_explanation
        self.assertIn("1 broken promise(s).", explanation)
        self.assertIn("Customer for 2 year(s).", explanation)

    # ------------------------------------------------------------------
    # The grade steers the follow-up policy
    # ------------------------------------------------------------------

    def test_policy_matched_by_grade(self):
        matcher = self.env["gentle.followup.engine"]
        self.assertEqual(
            matcher._gentle_match_policy(self.late, self.company), self.policy_d
        )
        self.assertFalse(matcher._gentle_match_policy(self.mixed, self.company))
        self.assertFalse(matcher._gentle_match_policy(self.prompt, self.company_2))
        default = self.company.gentle_default_policy_id
        self.assertTrue(default)
        # The recompute re-resolved the open lines of customers whose grade
        # changed: the very late payer's open invoice follows the D policy.
        self.assertEqual(
            self._receivable(self.late_open).gentle_policy_id, self.policy_d
        )
        self.assertEqual(self._receivable(self.mixed_open).gentle_policy_id, default)
        self.assertEqual(self._receivable(self.prompt_open).gentle_policy_id, default)
        # The mixed customer falls to D: its open line switches policy.
        self.company.gentle_grade_c_min = 63
        self._recompute(partners=self.mixed)
        self.assertEqual(
            self._receivable(self.mixed_open).gentle_policy_id, self.policy_d
        )
        # ... and back.
        self.company.gentle_grade_c_min = 50
        self._recompute(partners=self.mixed)
        self.assertEqual(self._receivable(self.mixed_open).gentle_policy_id, default)

    # ------------------------------------------------------------------
    # Refresh after a payment, on demand, nightly
    # ------------------------------------------------------------------

    def test_payment_refreshes_that_customer_only(self):
        others = self.prompt + self.slight + self.new + self.mixed
        before = self._raw_rows(others)
        with freeze_time(SCORE_DATE):
            self._pay(self.late_open, "2025-06-30")
        # The open 1000 is now paid 60 days late: 4 paid invoices,
        # avg (3 x 500 x 60 + 1000 x 60) / 2500 = 60, on time 0, nothing open.
        # 100 - 40 - 25 - 0 + 1.99 = 36.99 -> 37 -> D
        stored = self._stored(self.late)
        self.assertEqual(
            (
                stored["gentle_score"],
                stored["gentle_grade"],
                stored["gentle_paid_invoice_count"],
                stored["gentle_overdue_exposure"],
                stored["gentle_overdue_days"],
            ),
            (37, "D", 4, 0.0, 0.0),
        )
        self.assertEqual(self._raw_rows(others), before)
        # Undoing the reconciliation refreshes the customer again.
        with freeze_time(SCORE_DATE):
            self._receivable(self.late_open).remove_move_reconcile()
            self.commit_hooks()
        stored = self._stored(self.late)
        self.assertEqual(
            (
                stored["gentle_score"],
                stored["gentle_paid_invoice_count"],
                stored["gentle_overdue_exposure"],
            ),
            (17, 3, 1000.0),
        )
        self.assertEqual(self._raw_rows(others), before)

    def test_refresh_one_customer_query_count(self):
        others = self.prompt + self.slight + self.new + self.mixed
        before = self._raw_rows(others)
        line = self._receivable(self.late_open)
        self.env.invalidate_all()
        with freeze_time(SCORE_DATE):
            line._gentle_schedule_score_refresh()
            __, queries = self._count_queries(self.commit_hooks)
        # flush, components, partner update, snapshot upsert (+ policy check
        # only when the grade changes)
        # cold cache: line, invoice and company settings reads, components,
        # partner update, snapshot upsert (measured: 8)
        self.assertLessEqual(queries, 8)
        self.assertEqual(self._raw_rows(others), before)
        self.assertEqual(self._stored(self.late)["gentle_score"], 17)

    def test_recompute_button(self):
        contact = self.env["res.partner"].create(
            {"name": "Mia Mixed", "parent_id": self.mixed.id}
        )
        self.env.cr.execute(
            "UPDATE res_partner SET gentle_score = NULL, gentle_grade = NULL "
            "WHERE id = %s",
            [self.mixed.id],
        )
        self.mixed.invalidate_recordset()
        self.assertFalse(self.mixed.gentle_grade)
        with freeze_time(SCORE_DATE):
            self.assertTrue(contact.action_gentle_recompute_score())
        stored = self._stored(self.mixed)
        self.assertEqual((stored["gentle_score"], stored["gentle_grade"]), (62, "C"))

    def test_recompute_button_rights(self):
        users = create_gentle_users(self.env)
        self.env.cr.execute(
            "UPDATE res_partner SET gentle_score = NULL WHERE id = %s",
            [self.slight.id],
        )
        self.slight.invalidate_recordset()
        with self.assertRaises(AccessError) as err:
            self.slight.with_user(users["salesman"]).action_gentle_recompute_score()
        self.assertIn("Only Collections users", str(err.exception))
        self.assertFalse(self._stored(self.slight)["gentle_score"])
        with freeze_time(SCORE_DATE):
            self.slight.with_user(users["accountant"]).action_gentle_recompute_score()
        self.assertEqual(self._stored(self.slight)["gentle_score"], 76)

    def test_nightly_cron(self):
        self.env.cr.execute(
            "UPDATE res_partner SET gentle_grade = NULL, gentle_score = NULL "
            "WHERE id = ANY(%s)",
            [(self.slight + self.prompt).ids],
        )
        self.env["res.partner"].invalidate_model()
        with freeze_time(SCORE_DATE):
            self.engine._cron_score()
        self.assertEqual(self._stored(self.slight)["gentle_grade"], "B")
        self.assertEqual(self._stored(self.prompt)["gentle_grade"], "A")
        self.assertEqual(self._stored(self.prompt, self.company_2)["gentle_grade"], "C")


@tagged("post_install", "-at_install")
class TestGentleScoreQueryCount(GentleScoreCase):
    """The recompute costs the same number of queries for 5 or 500 customers."""

    @classmethod
    def _customers(cls, count, prefix, history=True):
        """Customers with two invoices (one paid), or one unpaid invoice when
        ``history`` is false (cheaper, for the large counts)."""
        partners = cls.env["res.partner"].create(
            [{"name": f"{prefix} {i}", "is_company": True} for i in range(count)]
        )
        moves = cls.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": invoice_date,
                    "date": invoice_date,
                    "invoice_date_due": due,
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Goods", "price_unit": 100.0, "tax_ids": []}
                        )
                    ],
                }
                for partner in partners
                for invoice_date, due in (
                    (("2025-01-01", "2025-01-31"), ("2025-04-01", "2025-05-01"))
                    if history
                    else (("2025-04-01", "2025-05-01"),)
                )
            ]
        )
        moves.action_post()
        if not history:
            return partners
        with freeze_time(SCORE_DATE):
            cls._pay(moves.filtered(lambda m: m.invoice_date.month == 1), "2025-02-10")
        return partners

    def _forget_grades(self, partners):
        """Make the next recompute see a grade change for ``partners``."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET gentle_grade = gentle_grade - %s "
            "WHERE id = ANY(%s)",
            [str(self.company.id), partners.ids],
        )
        self.env["res.partner"].invalidate_model(["gentle_grade"])

    def _measure(self, partners, forget, policy=None):
        if forget:
            self._forget_grades(partners)
        if policy:
            # The open lines follow another policy until the grade is known.
            self.env.cr.execute(
                "UPDATE account_move_line SET gentle_policy_id = %s "
                "WHERE partner_id = ANY(%s) AND display_type = 'payment_term'",
                [policy.id, partners.ids],
            )
            self.env["account.move.line"].invalidate_model()
        results, queries = self._count_queries(self._recompute)
        self.assertEqual(results[partners[-1].id], (50, "new", True))
        return queries

    def test_query_count_independent_of_customer_count(self):
        self._recompute()  # demo customers scored once
        few = self._customers(5, "Few")
        self._recompute()
        # Steady state: components, removal of scores of customers without
        # invoices, partner update and snapshot upsert (one statement).
        self.assertEqual(self._measure(few, False), 3)
        many = few + self._customers(495, "Many", history=False)
        self._recompute()
        self.assertEqual(self._measure(many, False), 3)
        # Every customer changes grade, no policy is chosen by grade: one more
        # query to find that out.
        self.assertEqual(self._measure(few, True), 4)
        self.assertEqual(self._measure(many, True), 4)

    def test_query_count_with_policy_by_grade(self):
        self._recompute()
        policy = self.env["gentle.followup.policy"].create(
            {
                "name": "New customers",
                "grade_ids": [
                    Command.set(self.env.ref("gentle_collections.gentle_grade_new").ids)
                ],
            }
        )
        few = self._customers(5, "Few")
        many = few + self._customers(50, "Many")
        # Every customer changes grade: their open lines are re-resolved.
        default = self.company.gentle_default_policy_id
        queries_5 = self._measure(few, True, default)
        queries_55 = self._measure(many, True, default)
        self.assertEqual(queries_5, queries_55)
        # + policy check, open lines search, grades read, lines update, the
        # next level and date that follow from the policy and the invoices'
        # summary (measured: 13)
        self.assertLessEqual(queries_55, 13)
        open_lines = self.env["account.move.line"].search(
            [
                ("partner_id", "in", many.ids),
                ("display_type", "=", "payment_term"),
                ("reconciled", "=", False),
            ]
        )
        self.assertEqual(len(open_lines), 55)
        self.assertEqual(open_lines.gentle_policy_id, policy)

    def test_fifty_reconciliations_one_recompute_at_commit(self):
        partners = self._customers(10, "Payer", history=False)
        moves = self.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": "2025-04-0%s" % (i + 1),
                    "invoice_date_due": "2025-05-0%s" % (i + 1),
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Goods", "price_unit": 100.0, "tax_ids": []}
                        )
                    ],
                }
                for partner in partners
                for i in range(4)
            ]
        )
        moves.action_post()
        invoices = self.env["account.move"].search(
            [("partner_id", "in", partners.ids), ("move_type", "=", "out_invoice")]
        )
        self.assertEqual(len(invoices), 50)
        self.commit_hooks()
        engine = type(self.env["gentle.score.engine"])
        with (
            freeze_time(SCORE_DATE),
            patch.object(
                engine,
                "_gentle_recompute",
                autospec=True,
                side_effect=engine._gentle_recompute,
            ) as recompute,
        ):
            wizard = (
                self.env["account.payment.register"]
                .with_context(active_model="account.move", active_ids=invoices.ids)
                .create({"payment_date": "2025-05-20", "group_payment": False})
            )
            payments = wizard._create_payments()
            self.assertEqual(len(payments), 50)
            self.assertTrue(
                all(invoices.mapped(lambda m: m.payment_state != "not_paid"))
            )
            # Nothing recomputed inside the accountant's matching ...
            self.assertEqual(recompute.call_count, 0)
            # ... once when the transaction commits, for the ten customers.
            self.commit_hooks()
        self.assertEqual(recompute.call_count, 1)
        self.assertEqual(
            sorted(recompute.call_args.kwargs["partner_ids"]), sorted(partners.ids)
        )
        for partner in partners:
            self.assertEqual(self._stored(partner)["gentle_paid_invoice_count"], 5)

    def test_scheduling_the_refresh_costs_no_query_per_payment(self):
        partners = self._customers(20, "Matched", history=False)
        invoices = self.env["account.move"].search([("partner_id", "in", partners.ids)])
        lines = invoices.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        )
        self.assertEqual(len(lines), 20)
        self.env.invalidate_all()
        _result, queries = self._count_queries(lines._gentle_schedule_score_refresh)
        # The lines' move type, company and customer, read in one batch.
        self.assertLessEqual(queries, 2)
        self.env.cr.precommit.clear()
