"""Customer statement of account: every open item (invoices, credit notes,
unapplied payments) with a running balance, ageing, early-payment discounts
still available and the items under an open case, as a PDF and as a portal
page reached by a signed link (no login), with its PDF under the same link,
each invoice with its own pay-now link.

The statement logic is the ``gentle.statement`` service; the customer keeps
only its fields and buttons, which call the service."""

import re
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import consteq, format_amount, format_date
from odoo.tools.image import image_data_uri
from odoo.tools.misc import hmac

from ..tools import ageing

# The base res.partner methods before the extension at the end (models load in
# the order their classes are defined; this module sorts before res_partner).

STATEMENT_SCOPE = "gentle_collections-statement"
# A statement link is signed with its expiry date; no link lives longer.
STATEMENT_LINK_MAX_DAYS = 3650
# Sent with the statement page and with its refusal.
STATEMENT_HEADERS = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
}
DATE_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}")


class GentleStatement(models.AbstractModel):
    """The statement of account of a customer: its lines and ageing, and the
    signed links that open it without a login. Every method takes the customer
    (a ``res.partner``) it works for."""

    _name = "gentle.statement"
    _description = "Customer Statement"

    @api.model
    def _gentle_statement_expiry(self, today=None):
        """The last day a statement link made today opens the statement."""
        days = self.env.company.gentle_statement_link_days
        days = min(max(days, 1), STATEMENT_LINK_MAX_DAYS)
        return (today or fields.Date.today()) + timedelta(days=days)

    @api.model
    def _gentle_statement_url(self, partner, expiry=None, absolute=True):
        """The signed link to ``partner``'s statement, valid through ``expiry``
        (by default: today plus the company's link validity). Not
        ``absolute``: the path only, which an email gets its base URL for when
        it is sent (``mail.mail`` makes local links absolute)."""
        partner.ensure_one()
        expiry = expiry or self._gentle_statement_expiry()
        token = self._gentle_statement_token(partner, expiry)
        path = (
            f"/my/statement/{partner.id}"
            f"?token={token}&exp={fields.Date.to_string(expiry)}"
        )
        return partner.get_base_url() + path if absolute else path

    @api.model
    def _gentle_statement_link(self, partner, absolute=True):
        """The statement link to send to the customer of ``partner``: its
        invoices are given a portal access token first, so that their pay-now
        links open without a login (the statement page itself writes nothing)."""
        partner.ensure_one()
        customer = partner.commercial_partner_id
        self.env["gentle.followup.engine"]._gentle_ensure_access_tokens(
            self._gentle_statement_receivables(customer).move_id
        )
        return self._gentle_statement_url(customer, absolute=absolute)

    @api.model
    def _gentle_statement_token(self, partner, expiry, version=None):
        """A token signed with the database secret over the customer, its link
        version and the expiry date: the statement link needs no login, cannot
        be guessed for another customer nor extended, and stops working once
        revoked."""
        partner.ensure_one()
        if version is None:
            version = partner.sudo().gentle_statement_link_version
        return hmac(
            self.env(su=True),
            STATEMENT_SCOPE,
            (partner.id, version, fields.Date.to_string(expiry)),
        )

    @api.model
    def _gentle_check_statement_token(self, partner, token, expiry, today=None):
        """Whether ``token`` and ``expiry`` (as in the link) open ``partner``'s
        statement ``today``: signed for its current link version, and not past
        the expiry date."""
        partner.ensure_one()
        if (
            not token
            or not isinstance(expiry, str)
            or not DATE_FORMAT.fullmatch(expiry)
        ):
            return False
        try:
            expiry_date = fields.Date.to_date(expiry)
        except ValueError:
            return False
        today = today or fields.Date.today()
        if not today <= expiry_date <= today + timedelta(days=STATEMENT_LINK_MAX_DAYS):
            return False
        return consteq(str(token), self._gentle_statement_token(partner, expiry_date))

    @api.model
    def _gentle_revoke_statement_links(self, partners):
        """Every statement link sent to the customers of ``partners`` stops
        working; links made from now on work."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(
                self.env._("Only invoicing users may revoke statement links.")
            )
        for customer in partners.commercial_partner_id.sudo():
            customer.gentle_statement_link_version += 1
            customer.message_post(
                body=self.env._(
                    "Statement links revoked: the links sent before no longer "
                    "open the statement."
                ),
                author_id=self.env.user.partner_id.id,
                subtype_xmlid="mail.mt_note",
            )
        return True

    @api.model
    def _gentle_statement_receivables(self, partner):
        """The open items of ``partner``'s customer in the current company
        (invoices, credit notes, unapplied payments: the "ledger" variant of
        ``account.move.line._gentle_is_open``), in due-date order."""
        partner.ensure_one()
        return (
            self.env["account.move.line"]
            .sudo()
            .search(
                [
                    (
                        "partner_id.commercial_partner_id",
                        "=",
                        partner.commercial_partner_id.id,
                    ),
                    ("company_id", "=", self.env.company.id),
                    *self.env["account.move.line"]._gentle_open_domain("ledger"),
                ],
                order="date_maturity, move_name, id",
            )
        )

    @api.model
    def _gentle_statement_pay_url(self, move):
        """The invoice's portal page, with the access token the invoice already
        has; none is created here."""
        url = move.get_base_url() + move.access_url
        if move.access_token:
            url += f"?access_token={move.access_token}"
        return url

    @api.model
    def _gentle_today(self):
        """The statement's today: the company's local date, as for the ageing
        report and the follow-up (``tools/ageing.py``)."""
        company = self.env.company
        return self.env["gentle.followup.engine"]._gentle_run_date(
            company, fields.Datetime.now()
        )

    @api.model
    def _gentle_statement_kind(self, move):
        """What an open item is, in words: invoice, credit note, receipt,
        payment or entry."""
        env = self.env
        if move.move_type == "out_invoice":
            return env._("Invoice")
        if move.move_type == "out_refund":
            return env._("Credit note")
        if move.move_type == "out_receipt":
            return env._("Receipt")
        if move.origin_payment_id or move.statement_line_id:
            return env._("Payment")
        return env._("Entry")

    @api.model
    def _gentle_statement_lines(self, partner, today=None):
        """The statement of ``partner``'s customer in the current company: one
        dict per open item, in due-date order, with its running balance, and
        the totals by age (credits lower their bucket). Dates and amounts are
        also given as text in the language of ``partner``'s environment.

        :returns: ``(lines, ages, total, currency)``
        """
        partner.ensure_one()
        today = today or self._gentle_today()
        company = self.env.company
        currency = company.currency_id
        # Read only: the pay-now links carry the access token the invoices
        # already have (given when the link was sent), else they ask to log in.
        receivables = self._gentle_statement_receivables(partner)
        env = partner.env
        statement = self.with_env(env)

        def money(amount):
            return format_amount(env, amount, currency)

        ages = dict.fromkeys(ageing.KEYS, 0.0)
        lines = []
        balance = 0.0
        for line in receivables:
            move = line.move_id
            due = line.date_maturity or line.date
            days = (today - due).days
            age = ageing.bucket(days)
            residual = line.amount_residual
            ages[age] += residual
            balance = currency.round(balance + residual)
            debit = residual > 0
            discount = False
            if debit and line._gentle_discount_open(today):
                discount = env._(
                    "Pay by %(date)s and save %(amount)s",
                    date=format_date(env, line.discount_date),
                    amount=format_amount(
                        env,
                        line.amount_currency - line.discount_amount_currency,
                        line.currency_id,
                    ),
                )
            cases = move._gentle_holding_cases()
            date = move.invoice_date or line.date
            lines.append(
                {
                    "line": line,
                    "move": move,
                    "kind": statement._gentle_statement_kind(move),
                    "reference": move.name,
                    "their_reference": move.ref or False,
                    "date": date,
                    "date_text": format_date(env, date),
                    "date_maturity": due,
                    "due_text": format_date(env, due),
                    "days_overdue": max(days, 0) if debit else 0,
                    "overdue_text": debit
                    and days > 0
                    and env._("%(days)s days overdue", days=days),
                    "amount": line.balance,
                    "amount_text": money(line.balance),
                    "residual": residual,
                    "residual_text": money(residual),
                    "balance": balance,
                    "balance_text": money(balance),
                    "age": age,
                    "discount": discount,
                    "cases": cases,
                    "review": cases
                    and env._(
                        "Under review: case %(cases)s",
                        cases=", ".join(cases.mapped("name")),
                    ),
                    "pay_url": debit
                    and move.is_invoice(include_receipts=True)
                    and self._gentle_statement_pay_url(move),
                }
            )
        total = currency.round(sum(ages.values()))
        return lines, ages, total, currency

    @api.model
    def _gentle_statement_header(self, company):
        """The company block the statement opens with: name, logo, address
        and how to reach it."""
        partner = company.partner_id.sudo()
        return {
            "name": company.name,
            "logo": company.logo and image_data_uri(company.logo),
            "address": [
                row
                for row in partner._display_address(without_company=True).split("\n")
                if row.strip()
            ],
            "email": company.email or False,
            "phone": company.phone or False,
        }

    @api.model
    def _gentle_statement_values(self, partner, today=None):
        """What the statement report and portal page show for ``partner``:
        the company header, the open items with their running balance, the
        ageing, the net balance, and the amount asked (the net balance without
        the items under review), with what paying it online covers.

        ``asked_moves`` are the documents with an amount due that are asked,
        in due-date order; ``credit_lines`` the credits (credit notes,
        unapplied payments) not under review, which the amount asked nets
        off. ``pay_all`` says whether one online payment can settle them (one
        currency, something to pay)."""
        partner.ensure_one()
        today = today or self._gentle_today()
        lines, ages, total, currency = self._gentle_statement_lines(partner, today)
        env = partner.env
        # The ageing report's buckets, with their translated labels.
        labels = dict(
            self.env["gentle.ageing.report"]
            ._fields["bucket"]
            ._description_selection(env)
        )
        asked_lines = [line for line in lines if not line["cases"]]
        asked = currency.round(sum(line["residual"] for line in asked_lines))
        review = currency.round(total - asked)
        asked = max(asked, 0.0)
        asked_moves = self.env["account.move"].sudo()
        credit_lines = self.env["account.move.line"].sudo()
        for line in asked_lines:
            if line["residual"] > 0:
                asked_moves |= line["move"]
            else:
                credit_lines |= line["line"]
        return {
            "customer": partner.commercial_partner_id,
            "company": self.env.company,
            "header": self._gentle_statement_header(self.env.company),
            "today": today,
            "today_text": format_date(env, today),
            "lines": lines,
            "ages": [
                (labels[key], ages[key], format_amount(env, ages[key], currency))
                for key in ageing.KEYS
            ],
            "total": total,
            "total_text": format_amount(env, total, currency),
            "asked": asked,
            "asked_text": format_amount(env, asked, currency),
            "review": review,
            "review_text": format_amount(env, review, currency),
            "asked_moves": asked_moves,
            "pay_all_text": env._(
                "One online payment of %(amount)s settles %(invoices)s.",
                amount=format_amount(env, asked, currency),
                invoices=", ".join(asked_moves.mapped("name")),
            ),
            "credit_lines": credit_lines,
            "pay_all": bool(
                not currency.is_zero(asked)
                and all(line["line"].currency_id == currency for line in asked_lines)
            ),
            "currency": currency,
        }
