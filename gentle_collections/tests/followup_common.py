"""Fixtures shared by the follow-up engine tests.

Every test class works in its own accounting company (created by
``AccountTestInvoicingCommon``), which receives a copy of the shipped default
policy, so neither demo data nor other companies leak into the assertions.
"""

from datetime import date, datetime

from odoo import Command
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

# A Tuesday, 11:00 in Brussels (CET, UTC+1): inside the default 09:00-17:00 window.
RUN_NOW = datetime(2026, 11, 10, 10, 0)
RUN_DATE = date(2026, 11, 10)


@tagged("post_install", "-at_install")
class GentleFollowupCommon(AccountTestInvoicingCommon):
    @classmethod
    def default_env_context(cls):
        # Chatter notes are part of what the follow-up does: keep mail active.
        return {"no_reset_password": True}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.resource_calendar_id.tz = "Europe/Brussels"
        cls.company.write(
            {
                "gentle_window_start": 9.0,
                "gentle_window_end": 17.0,
                "gentle_window_days": "weekdays",
                "gentle_batch_size": 200,
            }
        )
        cls.policy = cls.company.gentle_default_policy_id
        cls.levels = {level.day_offset: level for level in cls.policy.level_ids}
        cls.engine = cls.env["gentle.followup.engine"].with_company(cls.company)
        cls.customer = cls._gentle_customer("Ann Customer")

    # ------------------------------------------------------------------
    # Fixtures
    # ------------------------------------------------------------------

    @classmethod
    def _gentle_customer(cls, name, tz="Europe/Brussels", lang="en_US", **values):
        email = values.pop("email", None) or (
            name.lower().replace(" ", ".") + "@example.com"
        )
        return cls.env["res.partner"].create(
            {
                "name": name,
                "email": email,
                "tz": tz,
                "lang": lang,
                "is_company": True,
                **values,
            }
        )

    @classmethod
    def _gentle_invoice(
        cls,
        partner,
        invoice_date,
        due=None,
        amount=1000.0,
        term=None,
        post=True,
        move_type="out_invoice",
        **values,
    ):
        """A customer invoice with one untaxed line, posted by default."""
        vals = {
            "move_type": move_type,
            "partner_id": partner.id,
            "invoice_date": invoice_date,
            "invoice_line_ids": [
                Command.create(
                    {
                        "name": "Consulting",
                        "quantity": 1,
                        "price_unit": amount,
                        "tax_ids": [Command.clear()],
                    }
                )
            ],
            **values,
        }
        if term:
            vals["invoice_payment_term_id"] = term.id
        else:
            vals["invoice_date_due"] = due or invoice_date
        move = cls.env["account.move"].create(vals)
        if post:
            move.action_post()
        return move

    @classmethod
    def _gentle_instalment_term(cls):
        """30 % after 10 days, the rest after 40 days."""
        return cls.env["account.payment.term"].create(
            {
                "name": "Gentle 30/70",
                "company_id": cls.company.id,
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 30, "nb_days": 10}
                    ),
                    Command.create(
                        {"value": "percent", "value_amount": 70, "nb_days": 40}
                    ),
                ],
            }
        )

    @classmethod
    def _gentle_pay(cls, move, payment_date, amount=None):
        """Register a payment (of ``amount``, default the full residual)."""
        values = {"payment_date": payment_date}
        if amount is not None:
            values["amount"] = amount
            values["payment_difference_handling"] = "open"
        wizard = (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create(values)
        )
        return wizard._create_payments()

    @staticmethod
    def _gentle_receivables(move):
        return move.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        ).sorted("date_maturity")

    def _gentle_message(self, partner, day, lines=None, **values):
        """A draft follow-up message to ``partner`` on ``day`` reminding of
        ``lines`` (at the policy's first level), as the engine saves one before
        its templates render on it: to render wording on chosen lines and days."""
        level = self.policy.level_ids.sorted("day_offset")[:1]
        return (
            self.env["gentle.followup.communication"]
            .sudo()
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "date": day,
                    "step_ids": [
                        Command.create({"move_line_id": line.id, "level_id": level.id})
                        for line in (lines or self.env["account.move.line"])
                    ],
                    **values,
                }
            )
            .with_env(self.env)
        )

    # ------------------------------------------------------------------
    # Running
    # ------------------------------------------------------------------

    def _gentle_run(self, now=RUN_NOW, partners=None, **kwargs):
        partners = partners if partners is not None else self.customer
        return self.engine._gentle_run(
            self.company, now=now, partner_ids=partners.ids, **kwargs
        )

    def _gentle_history(self, moves):
        return self.env["gentle.followup.history"].search(
            [("move_id", "in", moves.ids)], order="id"
        )
