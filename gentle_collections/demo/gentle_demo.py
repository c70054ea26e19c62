"""Demo data only: steps the demo data runs (``<function model="gentle.demo">``)
to tell its story, kept out of the production models."""

from contextlib import contextmanager
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.tools import SQL

# The languages of the demo's French, German and Spanish customers.
DEMO_LANGS = ("fr_FR", "de_DE", "es_ES")

# A year and a half of paid invoices, one every other month, ending three
# months ago: each customer's amount, what it buys, and how many days after
# the due date (30 days after the invoice) each invoice was paid, oldest first
# (negative: early). The score of the last twelve months gives the grade, the
# month-end scores of the past year the trend.
HISTORY_MONTHS = 16
HISTORY_STEP = 2
PAYMENT_HABITS = {
    # A, steady: pays on the day, often early.
    "res_partner_lang_de_demo": (
        1850.0,
        "Malt and hops delivery",
        [0, -2, 0, -1, 0, 0, -3, 0],
    ),
    # A, improving: a few late payments last year, punctual since.
    "res_partner_predue_demo": (
        520.0,
        "Flour and yeast supply",
        [9, 6, 4, 2, 0, 0, -1, 0],
    ),
    # B, improving: late last winter, on time since the spring.
    "res_partner_lang_fr_demo": (
        940.0,
        "Window display design",
        [26, 20, 16, 12, 6, 2, 0, 0],
    ),
    # B, steady: now and then a few days late.
    "res_partner_second_demo": (
        2600.0,
        "Timber drying service",
        [3, 0, 4, 0, 0, 5, 0, 2],
    ),
    # B: paid on time until two invoices slipped; now paying them by
    # instalments.
    "res_partner_plan_demo": (
        380.0,
        "Cut flowers, weekly delivery",
        [0, 0, 2, 0, 0, 0, 5, 8],
    ),
    # C, slipping: on time a year ago, later every time since.
    "res_partner_lang_es_demo": (
        1320.0,
        "Glazes and kiln maintenance",
        [0, 0, 0, 0, 2, 4, 6, 8],
    ),
    # C, recovering slowly: was late, less so, but owes two invoices now.
    "res_partner_firm_demo": (
        1480.0,
        "Print run",
        [18, 15, 12, 9, 6, 4, 3, 2],
    ),
    # D, at risk: later every time, a large invoice unpaid for months.
    "res_partner_final_demo": (
        3900.0,
        "Site works, stage payment",
        [8, 15, 24, 35, 44, 55, 60, 60],
    ),
    # D: a struggling café, always very late; hardship mode is on.
    "res_partner_hardship_demo": (
        310.0,
        "Coffee beans and machine rental",
        [20, 28, 35, 40, 45, 52, 58, 60],
    ),
}


class GentleDemo(models.AbstractModel):
    _name = "gentle.demo"
    _description = "Collections Demo Data Steps"

    # ------------------------------------------------------------------
    # Languages
    # ------------------------------------------------------------------

    @api.model
    def _gentle_activate_languages(self):
        """Demo data: activate French, German and Spanish and load this addon's
        translations in them, so that the demo's customers in those languages
        read their reminders in their own language. Installing the languages
        in full (every module's terms, the invoice's among them) is left to
        *Settings → Languages*: it would multiply the install time."""
        langs = [
            code for code in DEMO_LANGS if self.env["res.lang"]._activate_lang(code)
        ]
        self.env["ir.module.module"]._load_module_terms(["gentle_collections"], langs)
        return langs

    # ------------------------------------------------------------------
    # A year of invoices, payments and scores
    # ------------------------------------------------------------------

    @api.model
    def _gentle_history(self):
        """Demo data: the paid invoices of the customers in
        :data:`PAYMENT_HABITS`, one every other month for the past year and a
        half, posted and paid as each customer's habits say; then the
        month-end scores of the past twelve months, as the nightly recompute
        would have stored them, so grades, explanations and trends are real."""
        company = self.env.company
        today = fields.Date.context_today(self)
        start = today.replace(day=1) - relativedelta(months=HISTORY_MONTHS + 1)
        invoice_vals, paid_on = [], []
        for xmlid, (amount, label, delays) in PAYMENT_HABITS.items():
            partner = self.env.ref(f"gentle_collections.{xmlid}")
            for rank, delay in enumerate(delays):
                month = rank * HISTORY_STEP
                invoice_date = start + relativedelta(months=month, days=partner.id % 9)
                due = invoice_date + timedelta(days=30)
                invoice_vals.append(
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": invoice_date,
                        "invoice_date_due": due,
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "name": label,
                                    "quantity": 1,
                                    "price_unit": amount * (1 + (rank % 4) / 10),
                                    "tax_ids": [Command.clear()],
                                }
                            )
                        ],
                    }
                )
                paid_on.append(min(due + timedelta(days=delay), today))
        moves = self.env["account.move"].create(invoice_vals)
        moves.action_post()
        self._gentle_pay(moves, paid_on)
        # Month-end scores of the past year, oldest first, then today's.
        engine = self.env["gentle.score.engine"]
        for months_ago in range(12, 0, -1):
            next_month = today.replace(day=1) - relativedelta(months=months_ago - 1)
            engine._gentle_recompute(company, date=next_month - timedelta(days=1))
        engine._gentle_recompute(company)
        return moves.ids

    @api.model
    def _gentle_pay(self, moves, dates):
        """Register one customer payment per invoice of ``moves``, dated by
        ``dates`` (in the same order), in a few batched calls."""
        journal = self.env["account.journal"].search(
            [
                *self.env["account.journal"]._check_company_domain(self.env.company),
                ("type", "=", "bank"),
            ],
            limit=1,
        )
        payments = self.env["account.payment"].create(
            [
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": move.commercial_partner_id.id,
                    "amount": move.amount_residual,
                    "date": date,
                    "journal_id": journal.id,
                    "memo": move.name,
                    "invoice_ids": [Command.set(move.ids)],
                }
                for move, date in zip(moves, dates, strict=True)
            ]
        )
        payments.action_post()
        # A payment with a journal entry (an outstanding account on its method)
        # is reconciled with its invoice; one without settles it by its link.
        plan = [
            (payment.move_id.line_ids | move.line_ids).filtered(
                lambda line: (
                    line.account_id.account_type == "asset_receivable"
                    and not line.reconciled
                )
            )
            for payment, move in zip(payments, moves, strict=True)
            if payment.move_id
        ]
        if plan:
            self.env["account.move.line"]._reconcile_plan(plan)
        return payments

    # ------------------------------------------------------------------
    # Promises and plans agreed in the past
    # ------------------------------------------------------------------

    @api.model
    def _gentle_backdate(self, records, days_ago, fnames):
        """Date ``fnames`` of ``records`` ``days_ago`` days before today.

        A promise or an instalment dated before today is refused by design
        (see their checks); the demo's past happened before it was loaded, so
        it writes those dates directly, as if they had been entered then, and
        lets the ORM recompute what depends on them."""
        records.flush_recordset()
        day = fields.Date.context_today(self) - timedelta(days=days_ago)
        self.env.execute_query(
            SQL(
                "UPDATE %s SET %s WHERE id = ANY(%s)",
                SQL.identifier(records._table),
                SQL(", ").join(
                    SQL("%s = %s", SQL.identifier(fname), day) for fname in fnames
                ),
                records.ids,
            )
        )
        records.invalidate_recordset(fnames)
        records.modified(fnames)
        self.env.flush_all()

    @api.model
    def _gentle_promise_outcomes(self, kept_id, broken_id):
        """Demo data: two promises made on the phone, dated four days ago; the
        customer of the first paid the day before. The daily check decides
        them (kept, broken) as it does every day, and a follow-up run of their
        customers thanks the one and tells the other, in their language."""
        Promise = self.env["gentle.payment.promise"]
        kept, broken = Promise.browse(kept_id), Promise.browse(broken_id)
        today = fields.Date.context_today(self)
        self._gentle_backdate(kept | broken, 4, ["date_promised"])
        self._gentle_pay(
            kept.move_ids, [today - timedelta(days=5)] * len(kept.move_ids)
        )
        Promise._cron_decide()
        with self._gentle_without_attachments():
            return self.env["gentle.followup.engine"]._gentle_run(
                self.env.company,
                partner_ids=(kept | broken).partner_id.ids,
                window=False,
            )

    @api.model
    def _gentle_plan_at_risk(self, plan_id):
        """Demo data: a plan agreed three weeks ago whose first instalment fell
        due three days ago and is still unpaid: late, inside its grace days
        (the replay sends its confirmation and instalment reminders)."""
        plan = self.env["gentle.payment.plan"].browse(plan_id)
        self._gentle_backdate(plan, 21, ["agreed_on"])
        self._gentle_backdate(plan.line_ids.sorted("date_due")[:1], 3, ["date_due"])
        return plan.id

    # ------------------------------------------------------------------
    # Follow-up runs
    # ------------------------------------------------------------------

    @contextmanager
    def _gentle_without_attachments(self):
        """Run the demo's follow-up without attaching invoice PDFs.

        Rendering a PDF needs wkhtmltopdf to fetch the report's styles from
        this server's own web address, and during an install nothing serves
        them: from the command line there is no HTTP server, and a running
        server waits for the install to finish. wkhtmltopdf then writes an
        unstyled PDF for one invoice and an empty file for several (the
        install failed on it). So the demo's emails go without attachments and
        the scheduled action below stores the PDFs once the server runs."""
        company = self.env.company
        limit = company.gentle_attachment_limit_mb
        company.gentle_attachment_limit_mb = 0
        try:
            yield
        finally:
            company.gentle_attachment_limit_mb = limit

    @api.model
    def _gentle_cron_store_pdfs(self):
        """Demo data, scheduled after the install: store the PDF of every
        invoice the demo's follow-up reminded by email, as the follow-up does
        before attaching them (``gentle.followup.channel``), now that the
        server answers wkhtmltopdf. The follow-up renders them several at a
        time, else one by one, and leaves those it cannot render for an hour
        later; once every such invoice has its PDF, the job finds nothing left
        to do. (A job cannot switch itself off: its row is locked while it
        runs.)"""
        actions = self.env["gentle.followup.action"].search(
            [("channel", "=", "email"), ("company_id", "=", self.env.company.id)]
        )
        moves = actions.move_ids.filtered(
            lambda move: move.state == "posted" and not move.invoice_pdf_report_id
        )
        self.env["gentle.followup.channel"]._gentle_store_invoice_pdfs(moves)
        return moves.ids

    @api.model
    def _gentle_followup_now(self):
        """Demo data: run the follow-up once, as if a collector pressed the button,
        and show what a failed send looks like on one customer."""
        company = self.env.company
        engine = self.env["gentle.followup.engine"]
        result = engine._gentle_run(company, window=False, limit=1000)
        emails = result["actions"].filtered(
            lambda a: a.channel == "email" and a.mail_message_id
        )
        failing = (
            emails.filtered(lambda a: (a.partner_id.email or "").endswith(".invalid"))
            or emails[:1]
        )
        for action in failing[:1]:
            mails = (
                self.env["mail.mail"]
                .sudo()
                .search([("mail_message_id", "=", action.mail_message_id.id)])
            )
            mails._postprocess_sent_message(
                success_pids=[],
                failure_reason="550 5.1.1 Recipient address rejected (demo)",
                failure_type="mail_email_invalid",
            )
            mails.write({"state": "exception"})
        return result

    @api.model
    def _gentle_replay_followup(self, days=110):
        """Demo data: run the follow-up once a day over the past ``days`` days, as
        the hourly cron would have, so customers stand at every level of the
        ladder; score the customers; then run it today."""
        company = self.env.company
        engine = self.env["gentle.followup.engine"]
        now = fields.Datetime.now()
        with self._gentle_without_attachments():
            for days_ago in range(days, 0, -1):
                engine._gentle_run(
                    company,
                    now=now - timedelta(days=days_ago),
                    window=False,
                    limit=1000,
                )
            self.env["gentle.score.engine"]._gentle_recompute(company)
            return self._gentle_followup_now()

    @api.model
    def _gentle_thank_payments(self, move_ids):
        """Demo data: the follow-up reminded these invoices five days ago, their
        customer paid today, and today's run thanks them."""
        moves = self.env["account.move"].browse(move_ids)
        company = self.env.company
        engine = self.env["gentle.followup.engine"]
        customers = moves.commercial_partner_id.ids
        now = fields.Datetime.now()
        with self._gentle_without_attachments():
            engine._gentle_run(
                company,
                now=now - timedelta(days=5),
                partner_ids=customers,
                window=False,
            )
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=moves.ids
            ).create({})._create_payments()
            return engine._gentle_run(
                company, now=now, partner_ids=customers, window=False
            )
