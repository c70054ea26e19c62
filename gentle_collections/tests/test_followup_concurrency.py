import logging
from contextlib import contextmanager
from datetime import date, datetime
from unittest.mock import patch

import psycopg2.errors
from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import RUN_NOW, GentleFollowupCommon

# 11:00 in Brussels on a Tuesday; the invoices are due four days before, so each
# line reaches the "first reminder" level (email only).
NOW = datetime(2026, 11, 10, 10, 0)
DUE = date(2026, 11, 6)


@tagged("post_install", "-at_install")
class TestFollowupConcurrency(TransactionCase):
    """Item 8: two servers at the same moment, and a run that fails half-way.

    The fixtures are committed through real connections (a test transaction
    cannot see another connection's work) and removed afterwards. Nothing is
    written through the test's own cursor, so it holds no lock the real
    connections could wait for.
    """

    CUSTOMERS = 5

    def setUp(self):
        super().setUp()
        self.dbname = self.env.cr.dbname
        self.company_id = self.env.ref("base.main_company").id
        self.partner_ids = []
        self.move_ids = []
        # Made by some tests: payments (and their journal entries), plans.
        self.payment_ids = []
        self.payment_move_ids = []
        self.plan_ids = []
        self.addCleanup(self._remove_fixtures)
        with self._real_env() as env:
            partners = env["res.partner"].create(
                [
                    {
                        "name": f"Gentle Concurrent {index}",
                        "email": f"gentle.concurrent.{index}@example.com",
                        "is_company": True,
                    }
                    for index in range(self.CUSTOMERS)
                ]
            )
            moves = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": date(2026, 10, 1),
                        "invoice_date_due": DUE,
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "name": "Work",
                                    "quantity": 1,
                                    "price_unit": 100.0 * (index + 1),
                                    "tax_ids": [Command.clear()],
                                }
                            )
                        ],
                    }
                    for partner in partners
                    for index in range(2)
                ]
            )
            self.partner_ids = partners.ids
            self.move_ids = moves.ids
            moves.action_post()

    @contextmanager
    def _real_env(self, commit=True):
        """An environment on a connection of its own, committed on success."""
        cr = db_connect(self.dbname).cursor()
        try:
            yield self._env(cr)
            if commit:
                # Two real connections only see committed data: that is the test.
                cr.commit()  # pylint: disable=invalid-commit
        finally:
            cr.close()

    def _env(self, cr):
        return api.Environment(
            cr, SUPERUSER_ID, {"allowed_company_ids": [self.company_id]}
        )

    def _run(self, env, **kwargs):
        company = env["res.company"].browse(self.company_id)
        return env["gentle.followup.engine"]._gentle_run(
            company, now=NOW, partner_ids=self.partner_ids, window=False, **kwargs
        )

    def _committed_state(self):
        """(history rows, email actions) per customer, as committed."""
        with self._real_env(commit=False) as env:
            env.cr.execute(
                """SELECT partner_id, move_line_id, level_id
                     FROM gentle_followup_history WHERE partner_id = ANY(%s)""",
                [self.partner_ids],
            )
            history = env.cr.fetchall()
            env.cr.execute(
                """SELECT partner_id, count(*) FROM gentle_followup_action
                    WHERE partner_id = ANY(%s) AND channel = 'email'
                    GROUP BY partner_id""",
                [self.partner_ids],
            )
            emails = dict(env.cr.fetchall())
        return history, emails

    def _remove_fixtures(self):
        if not self.partner_ids:
            return
        with self._real_env() as env:
            cr = env.cr
            params = {
                "partners": self.partner_ids,
                "moves": self.move_ids + self.payment_move_ids,
                "payments": self.payment_ids,
                "plans": self.plan_ids,
            }
            cr.execute(
                """SELECT id FROM mail_message
                    WHERE (model = 'res.partner' AND res_id = ANY(%(partners)s))
                       OR (model = 'account.move' AND res_id = ANY(%(moves)s))
                       OR (model = 'account.payment' AND res_id = ANY(%(payments)s))
                       OR (model = 'gentle.payment.plan'
                           AND res_id = ANY(%(plans)s))""",
                params,
            )
            params["messages"] = [row[0] for row in cr.fetchall()]
            for query in (
                """DELETE FROM gentle_followup_action
                    WHERE partner_id = ANY(%(partners)s)""",
                "DELETE FROM mail_mail WHERE mail_message_id = ANY(%(messages)s)",
                "DELETE FROM mail_message WHERE id = ANY(%(messages)s)",
                """DELETE FROM mail_activity
                    WHERE res_model = 'res.partner' AND res_id = ANY(%(partners)s)""",
                """DELETE FROM mail_activity
                    WHERE res_model = 'gentle.payment.plan'
                      AND res_id = ANY(%(plans)s)""",
                """DELETE FROM mail_followers
                    WHERE (res_model = 'res.partner' AND res_id = ANY(%(partners)s))
                       OR (res_model = 'account.move' AND res_id = ANY(%(moves)s))
                       OR (res_model = 'account.payment'
                           AND res_id = ANY(%(payments)s))
                       OR (res_model = 'gentle.payment.plan'
                           AND res_id = ANY(%(plans)s))
                       OR partner_id = ANY(%(partners)s)""",
                # Plans first (their instalments go with them), then what the
                # payments matched, the payments and their entries, the invoices.
                "DELETE FROM gentle_payment_plan WHERE id = ANY(%(plans)s)",
                """DELETE FROM account_partial_reconcile
                    WHERE debit_move_id IN (SELECT id FROM account_move_line
                                             WHERE move_id = ANY(%(moves)s))
                       OR credit_move_id IN (SELECT id FROM account_move_line
                                              WHERE move_id = ANY(%(moves)s))""",
                """DELETE FROM account_full_reconcile
                    WHERE id IN (SELECT full_reconcile_id FROM account_move_line
                                  WHERE move_id = ANY(%(moves)s))""",
                "DELETE FROM account_payment WHERE id = ANY(%(payments)s)",
                # The payment wizards (kept until the vacuum) point at the customers.
                """DELETE FROM account_payment_register
                    WHERE partner_id = ANY(%(partners)s)
                       OR id IN (SELECT rel.wizard_id
                                   FROM account_payment_register_move_line_rel rel
                                   JOIN account_move_line aml ON aml.id = rel.line_id
                                  WHERE aml.move_id = ANY(%(moves)s))""",
                "DELETE FROM account_move WHERE id = ANY(%(moves)s)",
                "DELETE FROM res_partner WHERE id = ANY(%(partners)s)",
            ):
                cr.execute(query, params)

    def test_two_runs_at_the_same_moment(self):
        first_cr = db_connect(self.dbname).cursor()
        second_cr = db_connect(self.dbname).cursor()
        try:
            first = self._run(self._env(first_cr))
            # The second server runs while the first has not committed yet: the
            # customers are locked, it skips them instead of sending twice.
            second = self._run(self._env(second_cr))
            self.assertEqual(first["done"], self.CUSTOMERS)
            self.assertEqual(first["lines"], 2 * self.CUSTOMERS)
            self.assertEqual(second["done"], 0)
            self.assertFalse(second["actions"])
            first_cr.commit()
            second_cr.commit()
        finally:
            first_cr.close()
            second_cr.close()
        # A third run after the first committed finds nothing left to do.
        with self._real_env() as env:
            self.assertFalse(self._run(env)["done"])
        history, emails = self._committed_state()
        self.assertEqual(len(history), 2 * self.CUSTOMERS)
        self.assertEqual(len(set(history)), len(history))
        self.assertEqual(emails, dict.fromkeys(self.partner_ids, 1))

    def test_second_run_started_before_first_committed(self):
        """The second server took its snapshot before the first committed, and
        gets the customers' locks after: it must still not send again."""
        first_cr = db_connect(self.dbname).cursor()
        second_cr = db_connect(self.dbname).cursor()
        sent_twice = False
        try:
            second_env = self._env(second_cr)
            company = second_env["res.company"].browse(self.company_id)
            # The snapshot of the second transaction is taken here.
            self.assertEqual(
                len(
                    second_env["gentle.followup.engine"]._gentle_due_partner_ids(
                        company, NOW, self.partner_ids, window=False
                    )
                ),
                self.CUSTOMERS,
            )
            self.assertEqual(self._run(self._env(first_cr))["done"], self.CUSTOMERS)
            first_cr.commit()
            try:
                with mute_logger("odoo.sql_db"):
                    second = self._run(second_env)
                sent_twice = bool(second["actions"])
                second_cr.commit()
            except psycopg2.errors.SerializationFailure:
                # The database refuses the second insert of the same rows.
                second_cr.rollback()
        finally:
            first_cr.close()
            second_cr.close()
        self.assertFalse(sent_twice)
        history, emails = self._committed_state()
        self.assertEqual(len(history), 2 * self.CUSTOMERS)
        self.assertEqual(emails, dict.fromkeys(self.partner_ids, 1))

    def test_prepared_twice_sent_once(self):
        """Both servers prepared the same customer before either recorded it: the
        unique (line, level) rows let only the first act."""
        with self._real_env() as env:
            engine = env["gentle.followup.engine"]
            company = env["res.company"].browse(self.company_id)
            run_date = engine._gentle_run_date(company, NOW)
            first = engine._gentle_prepare(company, run_date, self.partner_ids[:1])
            second = engine._gentle_prepare(company, run_date, self.partner_ids[:1])
            self.assertTrue(engine._gentle_execute(first))
            self.assertFalse(engine._gentle_execute(second))
        history, emails = self._committed_state()
        self.assertEqual(len(history), 2)
        self.assertEqual(emails, {self.partner_ids[0]: 1})

    def test_failure_in_batch_keeps_earlier_batches(self):
        with self._real_env(commit=False) as env:
            Channel = type(env["gentle.followup.channel"])
        original = Channel._gentle_send_emails
        failing_partners = set(self.partner_ids[2:4])

        def send_or_fail(engine, actions):
            if set(actions.partner_id.ids) & failing_partners:
                raise ConnectionError("mail server down")
            return original(engine, actions)

        # Batches of two customers, each committed like ir.cron does; batch 2
        # fails, so batch 3 is never reached.
        batches = []
        with patch.object(Channel, "_gentle_send_emails", send_or_fail):
            for _batch in range(3):
                cr = db_connect(self.dbname).cursor()
                try:
                    batches.append(self._run(self._env(cr), limit=2)["partner_ids"])
                    # As ir.cron commits after each batch.
                    cr.commit()  # pylint: disable=invalid-commit
                except ConnectionError:
                    cr.rollback()
                    break
                finally:
                    cr.close()
        self.assertEqual(batches, [self.partner_ids[:2]])
        history, emails = self._committed_state()
        self.assertEqual({row[0] for row in history}, set(self.partner_ids[:2]))
        self.assertEqual(emails, dict.fromkeys(self.partner_ids[:2], 1))
        # The next run finishes the rest, without sending batch 1 again.
        with self._real_env() as env:
            result = self._run(env)
            self.assertEqual(result["partner_ids"], self.partner_ids[2:])
        history, emails = self._committed_state()
        self.assertEqual(len(history), 2 * self.CUSTOMERS)
        self.assertEqual(len(set(history)), len(history))
        self.assertEqual(emails, dict.fromkeys(self.partner_ids, 1))

    def _post_invoice(self, env, partner_id, amount=700.0):
        """Post (and commit, with ``env``'s connection) one more invoice."""
        move = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner_id,
                "invoice_date": date(2026, 10, 1),
                "invoice_date_due": DUE,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "More work",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        move.action_post()
        self.move_ids.append(move.id)
        return move

    def _history_of(self, move_id):
        with self._real_env(commit=False) as env:
            env.cr.execute(
                """SELECT h.id, count(r.action_id)
                     FROM gentle_followup_history h
                     LEFT JOIN gentle_followup_action_history_rel r
                            ON r.history_id = h.id
                    WHERE h.move_id = %s
                    GROUP BY h.id""",
                [move_id],
            )
            return env.cr.fetchall()

    def test_partial_overlap_claims_all_or_nothing(self):
        """Issue 11, item 4: two previews of one customer, the second with an
        invoice posted in between. The first is sent; the second overlaps it
        on two lines: it sends nothing and claims nothing, so the new invoice
        is not marked "reminded" without a reminder, and the next run sends it."""
        customer = self.partner_ids[0]
        with self._real_env() as env:
            engine = env["gentle.followup.engine"]
            company = env["res.company"].browse(self.company_id)
            run_date = engine._gentle_run_date(company, NOW)
            first = engine._gentle_prepare(company, run_date, [customer])
            new_move = self._post_invoice(env, customer)
            second = engine._gentle_prepare(company, run_date, [customer])
            self.assertEqual(len(first[0].items["steps"]), 2)
            self.assertEqual(len(second[0].items["steps"]), 3)
            self.assertTrue(engine._gentle_execute(first))
            self.assertFalse(engine._gentle_execute(second))
        self.assertEqual(self._history_of(new_move.id), [])
        history, emails = self._committed_state()
        self.assertEqual(len([row for row in history if row[0] == customer]), 2)
        self.assertEqual(emails, {customer: 1})
        # Nothing is lost: the next run reminds of the new invoice, alone.
        with self._real_env() as env:
            result = self._run(env)
            self.assertEqual(result["lines"], 1 + 2 * (self.CUSTOMERS - 1))
            self.assertIn(new_move.id, result["actions"].move_ids.ids)
        [(_history_id, actions)] = self._history_of(new_move.id)
        self.assertEqual(actions, 1)

    def test_partial_overlap_in_two_transactions(self):
        """The same overlap, the second preview sent from a transaction that
        began before the first was committed: the database refuses it as a
        whole (serialization failure) and nothing of it stays."""
        customer = self.partner_ids[0]
        with self._real_env() as env:
            new_move = self._post_invoice(env, customer)
            # Links in reminders need the invoices' tokens: given once, here,
            # so that neither preview waits for the other's token update.
            for move in env["account.move"].browse(self.move_ids):
                move._portal_ensure_token()
        first_cr = db_connect(self.dbname).cursor()
        second_cr = db_connect(self.dbname).cursor()
        refused = False
        try:
            first_env, second_env = self._env(first_cr), self._env(second_cr)
            company = first_env["res.company"].browse(self.company_id)
            engine = first_env["gentle.followup.engine"]
            run_date = engine._gentle_run_date(company, NOW)
            # Both previews are prepared; the first leaves out the new invoice.
            second = second_env["gentle.followup.engine"]._gentle_prepare(
                second_env["res.company"].browse(self.company_id), run_date, [customer]
            )
            first = engine._gentle_prepare(company, run_date, [customer])
            first[0].items["steps"] = [
                (line, level)
                for line, level in first[0].items["steps"]
                if line.move_id.id != new_move.id
            ]
            self.assertTrue(engine._gentle_execute(first))
            first_cr.commit()
            try:
                with mute_logger("odoo.sql_db"):
                    kept = second_env["gentle.followup.engine"]._gentle_execute(second)
                second_cr.commit()
            except psycopg2.errors.SerializationFailure:
                refused = True
                second_cr.rollback()
                kept = None
        finally:
            first_cr.close()
            second_cr.close()
        self.assertTrue(refused or not kept)
        self.assertEqual(self._history_of(new_move.id), [])

    def _thanks_on(self):
        """Thank every paid invoice (committed); the company's own settings are
        put back after the test."""
        values = {
            "gentle_thanks_mode": "always",
            "gentle_go_live_date": date(2026, 1, 1),
            "gentle_thanks_period_days": 30,
        }
        with self._real_env() as env:
            company = env["res.company"].browse(self.company_id)
            previous = {name: company[name] for name in values}
            company.write(values)
        self.addCleanup(self._restore_company, previous)

    def _restore_company(self, values):
        with self._real_env() as env:
            env["res.company"].browse(self.company_id).write(values)

    def _pay(self, env, move_id, day):
        """Pay one invoice in full on ``day``, with ``env``'s connection."""
        payments = (
            env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=[move_id])
            .create({"payment_date": day})
            ._create_payments()
        )
        self.payment_ids += payments.ids
        self.payment_move_ids += payments.move_id.ids
        return payments

    def _count(self, query, *params):
        """One number of the committed state."""
        with self._real_env(commit=False) as env:
            env.cr.execute(query, params)
            return env.cr.fetchone()[0]

    def _claimed_in_two_transactions(self, customer, keep):
        """Prepare ``customer`` in two transactions, B then A; ``keep(a, b)``
        checks both communications and trims A's; A is executed and committed,
        then B is executed. Return whether the database refused B (serialization
        failure) and, if not, whether B made any action."""
        first_cr = db_connect(self.dbname).cursor()
        second_cr = db_connect(self.dbname).cursor()
        refused, kept = False, None
        try:
            first_env, second_env = self._env(first_cr), self._env(second_cr)
            company = first_env["res.company"].browse(self.company_id)
            engine = first_env["gentle.followup.engine"]
            run_date = engine._gentle_run_date(company, NOW)
            # B's snapshot is taken here, before A commits.
            second = second_env["gentle.followup.engine"]._gentle_prepare(
                second_env["res.company"].browse(self.company_id), run_date, [customer]
            )
            first = engine._gentle_prepare(company, run_date, [customer])
            self.assertEqual(len(first), 1)
            self.assertEqual(len(second), 1)
            keep(first[0], second[0])
            first_actions = engine._gentle_execute(first)
            self.assertTrue(first_actions)
            first_cr.commit()
            try:
                with mute_logger("odoo.sql_db"):
                    kept = bool(
                        second_env["gentle.followup.engine"]._gentle_execute(second)
                    )
                second_cr.commit()
            except psycopg2.errors.SerializationFailure:
                refused = True
                second_cr.rollback()
        finally:
            first_cr.close()
            second_cr.close()
        return refused, kept

    def _next_run_reminds(self, customer, move_id):
        """A following run reminds ``customer`` of ``move_id``, and of it only."""
        with self._real_env() as env:
            result = self._run(env)
            reminder = result["actions"].filtered(
                lambda action: action.partner_id.id == customer
            )
            self.assertEqual(reminder.move_ids.ids, [move_id])
            self.assertFalse(reminder.thanked_move_ids)
            self.assertFalse(reminder.plan_line_ids)
        [(_history_id, actions)] = self._history_of(move_id)
        self.assertEqual(actions, len(reminder))

    def test_thanks_claimed_in_two_transactions(self):
        """Issue 11, item 4, on the thank-you source: both transactions prepared
        a thank-you travelling with a reminder; A sent the thank-you alone and
        committed. B's claim of the invoice already thanked is refused as a
        whole, so its reminder is not marked sent, and the next run sends it."""
        customer = self.partner_ids[0]
        paid_id, overdue_id = self.move_ids[:2]
        self._thanks_on()
        with self._real_env() as env:
            self._pay(env, paid_id, date(2026, 11, 9))
            # Tokens given once, here: neither transaction waits for the other's.
            for move in env["account.move"].browse(self.move_ids):
                move._portal_ensure_token()

        def thanks_only(first, second):
            for communication in (first, second):
                self.assertEqual(communication.items["thanks"].ids, [paid_id])
                self.assertEqual(
                    [line.move_id.id for line, _level in communication.items["steps"]],
                    [overdue_id],
                )
            first.items["steps"] = []

        refused, kept = self._claimed_in_two_transactions(customer, thanks_only)
        self.assertTrue(refused or not kept)
        self.assertEqual(self._history_of(overdue_id), [])
        thanks_query = """SELECT count(DISTINCT a.id)
                            FROM gentle_followup_action a
                            JOIN gentle_followup_action_thanked_move_rel r
                              ON r.action_id = a.id
                           WHERE a.partner_id = %s"""
        self.assertEqual(self._count(thanks_query, customer), 1)
        self.assertEqual(
            self._count(
                "SELECT gentle_thanked_on FROM account_move WHERE id = %s", paid_id
            ),
            date(2026, 11, 10),
        )
        self._next_run_reminds(customer, overdue_id)
        self.assertEqual(self._count(thanks_query, customer), 1)

    def test_instalment_claimed_in_two_transactions(self):
        """The same on the payment plan source: A sent the instalment reminder
        alone and committed; B, holding the instalment and the other invoice, is
        refused as a whole, and the next run reminds of the invoice."""
        customer = self.partner_ids[0]
        planned_id, overdue_id = self.move_ids[:2]
        with self._real_env() as env:
            # Agreed four days before the run, first (only) instalment due on
            # the day of the run; the plan holds the first invoice.
            with freeze_time(date(2026, 11, 6)):
                wizard = (
                    env["gentle.payment.plan.propose"]
                    .with_context(active_model="account.move", active_ids=[planned_id])
                    .create(
                        {
                            "installment_count": 1,
                            "frequency": "monthly",
                            "date_first": date(2026, 11, 10),
                        }
                    )
                )
                plan = env["gentle.payment.plan"].browse(
                    wizard.action_create_plan()["res_id"]
                )
                self.plan_ids.append(plan.id)
                plan.action_agree()
            instalment_id = plan.line_ids.id
            plan._portal_ensure_token()
            for move in env["account.move"].browse(self.move_ids):
                move._portal_ensure_token()

        def instalment_only(first, second):
            for communication in (first, second):
                self.assertEqual(
                    [
                        (line.id, step)
                        for line, step in communication.items.get("instalments", [])
                    ],
                    [(instalment_id, "due")],
                )
                self.assertEqual(
                    [line.move_id.id for line, _level in communication.items["steps"]],
                    [overdue_id],
                )
            first.items["steps"] = []

        refused, kept = self._claimed_in_two_transactions(customer, instalment_only)
        self.assertTrue(refused or not kept)
        self.assertEqual(self._history_of(overdue_id), [])
        instalment_query = """SELECT count(DISTINCT action_id)
                                FROM gentle_followup_action_plan_line_rel
                               WHERE plan_line_id = %s"""
        self.assertEqual(self._count(instalment_query, instalment_id), 1)
        self.assertTrue(
            self._count(
                "SELECT due_sent FROM gentle_payment_plan_line WHERE id = %s",
                instalment_id,
            )
        )
        self._next_run_reminds(customer, overdue_id)
        self.assertEqual(self._count(instalment_query, instalment_id), 1)

    def test_cron_batch_taken_by_a_concurrent_transaction(self):
        """Issue 11, item 4: the cron's serialization-failure branch, reached by
        a real concurrent transaction: the cron's transaction began, another
        server followed up the same customers and committed, then the cron's
        batch ran. It is skipped quietly and nothing is sent twice."""
        with self._real_env(commit=False) as env:
            Engine = type(env["gentle.followup.engine"])
        original = Engine._gentle_due_partner_ids
        ours = set(self.partner_ids)

        def only_ours(engine, company, now, partner_ids=None, window=True):
            # Only this test's customers, whatever else the database holds.
            due = original(engine, company, now, partner_ids, window=False)
            return [partner_id for partner_id in due if partner_id in ours]

        cron_cr = db_connect(self.dbname).cursor()
        try:
            cron_env = self._env(cron_cr)
            with patch.object(Engine, "_gentle_due_partner_ids", only_ours):
                # The cron's snapshot: taken at its first query.
                company = cron_env["res.company"].browse(self.company_id)
                self.assertEqual(
                    len(
                        cron_env["gentle.followup.engine"]._gentle_due_partner_ids(
                            company, NOW
                        )
                    ),
                    self.CUSTOMERS,
                )
                with self._real_env() as other:
                    self.assertEqual(self._run(other)["done"], self.CUSTOMERS)
                with (
                    self.assertLogs(
                        "odoo.addons.gentle_collections.models.gentle_followup_engine",
                        logging.INFO,
                    ) as logs,
                    mute_logger("odoo.sql_db"),
                ):
                    result = cron_env["gentle.followup.engine"]._cron_followup(now=NOW)
            self.assertIn("handled by another worker", "".join(logs.output))
            self.assertFalse(result["actions"])
            cron_cr.commit()
        finally:
            cron_cr.close()
        history, emails = self._committed_state()
        self.assertEqual(len(history), 2 * self.CUSTOMERS)
        self.assertEqual(emails, dict.fromkeys(self.partner_ids, 1))


@tagged("post_install", "-at_install")
class TestFollowupCron(GentleFollowupCommon):
    """Item 9: the hourly cron works in batches, reports progress and logs a
    summary; a failing batch is set aside, not looped on."""

    LOGGER = "odoo.addons.gentle_collections.models.gentle_followup_engine"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Only this test's company takes part: other companies' defaults are
        # switched off for the duration of the test.
        cls.env["gentle.followup.policy"].sudo().search(
            [("company_id", "!=", cls.company.id), ("is_default", "=", True)]
        ).is_default = False
        cls.company.gentle_batch_size = 2
        cls.customers = cls.customer | cls.env["res.partner"].concat(
            *(cls._gentle_customer(f"Cron Customer {i}") for i in range(2))
        )
        for customer in cls.customers:
            cls._gentle_invoice(customer, date(2026, 10, 1), date(2026, 11, 7))
        cls.cron = cls.env.ref("gentle_collections.ir_cron_followup").sudo()

    def _cron(self, progress, now=RUN_NOW):
        engine = self.env["gentle.followup.engine"].sudo()
        return engine.with_context(ir_cron_progress_id=progress.id)._cron_followup(
            now=now
        )

    def test_cron_definition(self):
        self.assertTrue(self.cron.active)
        self.assertEqual(
            (self.cron.interval_number, self.cron.interval_type), (1, "hours")
        )
        self.assertEqual(self.cron.model_id.model, "gentle.followup.engine")

    def test_cron_batches_and_progress(self):
        _cron, progress = self.cron._add_progress()
        with self.assertLogs(self.LOGGER, logging.INFO) as logs:
            first = self._cron(progress)
        self.assertEqual(first["done"], 2)
        self.assertEqual((progress.done, progress.remaining), (2, 1))
        summary = logs.output[-1]
        self.assertIn(self.company.name, summary)
        self.assertIn(
            "2 customers, 2 invoice lines examined, 2 actions, 0 errors", summary
        )
        self.assertIn("1 customers remaining", summary)
        _cron, progress = self.cron._add_progress()
        second = self._cron(progress)
        self.assertEqual((progress.done, progress.remaining), (1, 0))
        self.assertEqual(
            set(first["partner_ids"]) | set(second["partner_ids"]),
            set(self.customers.ids),
        )
        _cron, progress = self.cron._add_progress()
        self.assertIsNone(self._cron(progress))
        self.assertEqual((progress.done, progress.remaining), (0, 0))
        history = self._gentle_history(
            self.env["account.move"].search([("partner_id", "in", self.customers.ids)])
        )
        self.assertEqual(len(history), 3)

    def test_cron_failing_batch_is_set_aside(self):
        Channel = type(self.env["gentle.followup.channel"])
        _cron, progress = self.cron._add_progress()
        with (
            patch.object(
                Channel, "_gentle_send_emails", side_effect=ConnectionError("mail down")
            ),
            self.assertLogs(self.LOGGER, logging.INFO) as logs,
        ):
            result = self._cron(progress)
        self.assertEqual(result["errors"], 2)
        self.assertTrue(
            any("failed" in line and "ERROR" in line for line in logs.output)
        )
        self.assertIn("0 actions, 2 errors", logs.output[-1])
        failed = self.customers.sorted("id")[:2]
        # Nothing of the failed batch was kept.
        self.assertFalse(
            self.env["gentle.followup.history"].search_count(
                [("partner_id", "in", failed.ids)]
            )
        )
        for customer in failed:
            self.assertEqual(
                customer.with_company(self.company).gentle_followup_failed_at, RUN_NOW
            )
        # The next call does not loop on them: it takes the third customer.
        second = self._cron(progress)
        self.assertEqual(second["partner_ids"], (self.customers - failed).ids)
        self.assertIsNone(self._cron(progress))
        # An hour later they are retried and followed up once.
        later = datetime(2026, 11, 10, 11, 1)
        third = self._cron(progress, now=later)
        self.assertEqual(sorted(third["partner_ids"]), failed.ids)
        self.assertEqual(
            self.env["gentle.followup.history"].search_count(
                [("partner_id", "in", self.customers.ids)]
            ),
            3,
        )

    def test_cron_without_arguments_uses_now(self):
        with freeze_time("2026-11-10 10:00:00"):
            result = self.env["gentle.followup.engine"].sudo()._cron_followup()
        self.assertEqual(result["done"], 2)
