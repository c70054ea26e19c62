"""Customer statement: open invoices, ageing and early-payment discounts still
available, as a PDF and as a portal page reached by a signed link (no login),
each invoice with its own pay-now link."""

from markupsafe import Markup

from odoo import fields, models
from odoo.tools import consteq, format_amount, format_date
from odoo.tools.misc import hmac

from . import res_partner  # noqa: F401  (the base res.partner methods first)
from .account_move_line import CHASED_MOVE_TYPES
from .gentle_analytics import BUCKETS

STATEMENT_SCOPE = "gentle_collections-statement"


class ResPartner(models.Model):
    _inherit = "res.partner"

    gentle_statement_url = fields.Char(
        string="Statement Link",
        compute="_compute_gentle_statement_url",
        help="The customer's statement on the portal: open invoices, ageing and "
        "pay-now links. Works without a login for whoever has the link; it is "
        "included in reminders.",
        groups="base.group_user",
    )

    def _compute_gentle_statement_url(self):
        for partner in self:
            customer = partner.commercial_partner_id
            partner.gentle_statement_url = customer.id and (
                f"{customer.get_base_url()}/my/statement/{customer.id}"
                f"?token={customer._gentle_statement_token()}"
            )

    def _gentle_statement_token(self):
        """A token signed with the database secret: the statement link needs no
        login and cannot be guessed for another customer."""
        self.ensure_one()
        return hmac(self.env(su=True), STATEMENT_SCOPE, self.id)

    def _gentle_check_statement_token(self, token):
        self.ensure_one()
        return bool(token) and consteq(str(token), self._gentle_statement_token())

    def _gentle_statement_lines(self, today=None):
        """The statement of this customer in the current company: one dict per
        open receivable line, in due-date order, and the totals by age.

        :returns: ``(lines, ages, total, currency)``
        """
        self.ensure_one()
        today = today or fields.Date.context_today(self)
        customer = self.commercial_partner_id
        company = self.env.company
        receivables = (
            self.env["account.move.line"]
            .sudo()
            .search(
                [
                    ("partner_id.commercial_partner_id", "=", customer.id),
                    ("company_id", "=", company.id),
                    ("display_type", "=", "payment_term"),
                    ("parent_state", "=", "posted"),
                    ("reconciled", "=", False),
                    ("amount_residual", ">", 0),
                    ("move_id.move_type", "in", CHASED_MOVE_TYPES),
                ],
                order="date_maturity, move_name, id",
            )
        )
        self.env["gentle.followup.engine"]._gentle_ensure_access_tokens(
            receivables.move_id
        )
        env = self.env
        ages = {key: 0.0 for key, _label in BUCKETS}
        lines = []
        for line in receivables:
            move = line.move_id
            days = (today - line.date_maturity).days
            age = (
                "0_not_due"
                if days <= 0
                else "1_30"
                if days <= 30
                else "2_60"
                if days <= 60
                else "3_90"
                if days <= 90
                else "4_older"
            )
            ages[age] += line.amount_residual
            discount = False
            if line in move._gentle_discount_lines(today) and not (
                move._gentle_discount_guard_message()
            ):
                discount = env._(
                    "Pay by %(date)s and save %(amount)s",
                    date=format_date(env, line.discount_date),
                    amount=format_amount(
                        env,
                        line.amount_currency - line.discount_amount_currency,
                        line.currency_id,
                    ),
                )
            lines.append(
                {
                    "move": move,
                    "date": move.invoice_date,
                    "date_maturity": line.date_maturity,
                    "days_overdue": max(days, 0),
                    "amount": line.amount_residual,
                    "age": age,
                    "discount": discount,
                    "pay_url": move.get_base_url() + move.get_portal_url(),
                }
            )
        total = sum(ages.values())
        return lines, ages, total, company.currency_id

    def _gentle_statement_values(self, today=None):
        self.ensure_one()
        lines, ages, total, currency = self._gentle_statement_lines(today)
        # The ageing report's buckets, with their translated labels.
        labels = dict(
            self.env["gentle.ageing.report"]
            ._fields["bucket"]
            ._description_selection(self.env)
        )
        return {
            "customer": self.commercial_partner_id,
            "company": self.env.company,
            "today": today or fields.Date.context_today(self),
            "lines": lines,
            "ages": [(labels[key], ages[key]) for key, _label in BUCKETS],
            "total": total,
            "currency": currency,
        }

    def action_gentle_print_statement(self):
        return self.env.ref("gentle_collections.gentle_statement_report").report_action(
            self.commercial_partner_id
        )

    def _gentle_followup_table(self):
        table = super()._gentle_followup_table()
        if not self._gentle_followup_lines():
            return table
        return table + Markup("<p><a href='%s'>%s</a></p>") % (
            self.gentle_statement_url,
            self.env._("See your full statement and pay online"),
        )
