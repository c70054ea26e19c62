"""Customer statement: open invoices, ageing and early-payment discounts still
available, as a PDF and as a portal page reached by a signed link (no login),
each invoice with its own pay-now link.

The statement logic is the ``gentle.statement`` service; the customer keeps
only its fields and buttons, which call the service."""

import re
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import consteq, format_amount, format_date
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
        """The open receivable lines of ``partner``'s customer in the current
        company, in due-date order."""
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
                    # Owed, not only chased: an invoice in payment still shows.
                    *self.env["account.move.line"]._gentle_open_domain("owed"),
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
    def _gentle_statement_lines(self, partner, today=None):
        """The statement of ``partner``'s customer in the current company: one
        dict per open receivable line, in due-date order, and the totals by age.

        :returns: ``(lines, ages, total, currency)``
        """
        partner.ensure_one()
        today = today or self._gentle_today()
        company = self.env.company
        # Read only: the pay-now links carry the access token the invoices
        # already have (given when the link was sent), else they ask to log in.
        receivables = self._gentle_statement_receivables(partner)
        env = partner.env
        ages = dict.fromkeys(ageing.KEYS, 0.0)
        lines = []
        for line in receivables:
            move = line.move_id
            days = (today - line.date_maturity).days
            age = ageing.bucket(days)
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
                    "pay_url": self._gentle_statement_pay_url(move),
                }
            )
        total = sum(ages.values())
        return lines, ages, total, company.currency_id

    @api.model
    def _gentle_statement_values(self, partner, today=None):
        """What the statement report and portal page show for ``partner``."""
        partner.ensure_one()
        lines, ages, total, currency = self._gentle_statement_lines(partner, today)
        # The ageing report's buckets, with their translated labels.
        labels = dict(
            self.env["gentle.ageing.report"]
            ._fields["bucket"]
            ._description_selection(partner.env)
        )
        return {
            "customer": partner.commercial_partner_id,
            "company": self.env.company,
            "today": today or self._gentle_today(),
            "lines": lines,
            "ages": [(labels[key], ages[key]) for key in ageing.KEYS],
            "total": total,
            "currency": currency,
        }
