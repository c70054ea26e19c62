"""Promises to pay read in customers' e-mail replies.

A reply posted on a customer, an invoice or a case is read for a promise
(:mod:`..tools.reply_parser` does the reading); when one is found, a to-do asks
the collector to confirm it (``mail.activity.action_gentle_record_promise``).
Entry point: ``gentle.payment.promise._gentle_promise_from_reply``, which
never lets a failure here lose the e-mail.
"""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_amount, format_date

from ..tools.reply_parser import (
    gentle_read_promise,
    gentle_reply_excerpt,
    gentle_reply_subject,
    gentle_reply_text,
)
from .account_move import PROMISE_INVOICE_TYPES

# Models whose customer replies are read for a promise to pay.
REPLY_MODELS = ("res.partner", "account.move", "gentle.collection.case")


class GentlePaymentPromiseReply(models.AbstractModel):
    """Reads a customer's reply for a promise to pay and asks the collector to
    confirm it."""

    _name = "gentle.payment.promise.reply"
    _description = "Promise to Pay Read in a Reply"

    @api.model
    def _gentle_reply_promise(self, record, message):
        """Read a customer's e-mail ``message`` posted on ``record`` (a customer,
        an invoice or a case) for a promise to pay. When one is found and the
        customer owes something, a to-do on ``record`` asks the collector to
        confirm it; nothing is put on hold until they record the promise.

        :return: the ``mail.activity`` scheduled, or False
        """
        if (
            message.message_type != "email"
            or len(record) != 1
            or record._name not in REPLY_MODELS
        ):
            return False
        record = record.sudo()
        customer = self._gentle_reply_customer(record)
        author = message.author_id
        if not customer or (
            author
            and (
                author.commercial_partner_id != customer
                or not all(
                    user.share
                    for user in author.with_context(active_test=False).user_ids
                )
            )
        ):
            return False
        today = fields.Date.context_today(record)
        reply = self._gentle_reply_text(message)
        subject = gentle_reply_subject(message.subject)
        reading = self._gentle_read_promise(
            f"{subject}\n{reply}",
            customer.lang,
            (record.company_id or self.env.company).currency_id,
            today,
        )
        if not reading:
            return False
        Activity = self.env["mail.activity"].sudo().with_context(active_test=False)
        if Activity.search_count(
            [("gentle_reply_message_id", "=", message.id)], limit=1
        ):
            return False
        moves = self._gentle_reply_invoices(record)
        if not moves:
            return False
        currency = moves.company_id.currency_id
        promised, amount = reading
        residual = sum(moves.mapped("amount_residual_signed"))
        if (
            amount is None
            or currency.compare_amounts(amount, 0.0) <= 0
            or currency.compare_amounts(amount, residual) > 0
        ):
            amount = residual
        user = self._gentle_reply_collector(record, customer, moves)
        lang = user.lang or self.env.lang
        env = self.with_context(lang=lang).env
        return record.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=today,
            summary=env._(
                "Promise in reply: %(amount)s by %(date)s?",
                amount=format_amount(env, amount, currency, lang_code=lang),
                date=format_date(env, promised, lang_code=lang),
            ),
            note=Markup("<p>%s</p><blockquote>%s</blockquote><p>%s</p>")
            % (
                env._(
                    "%(customer)s seems to promise a payment in their reply:",
                    customer=customer.display_name,
                ),
                gentle_reply_excerpt(reply),
                env._(
                    "Check the date and the amount with what they wrote, then "
                    "click “Record a Promise” to hold the follow-up until then."
                ),
            ),
            user_id=user.id,
            gentle_promise_date=promised,
            gentle_promise_amount=amount,
            gentle_reply_message_id=message.id,
        )

    @api.model
    def _gentle_reply_customer(self, record):
        """The customer (commercial partner) whose thread ``record`` is."""
        if record._name == "account.move":
            if record.move_type not in PROMISE_INVOICE_TYPES:
                return record.env["res.partner"]
            return record.commercial_partner_id
        if record._name == "gentle.collection.case":
            return record.partner_id.commercial_partner_id
        return record.commercial_partner_id

    @api.model
    def _gentle_reply_invoices(self, record):
        """The open invoices a promise made on ``record``'s thread pays: the
        invoice itself; a case's invoices, or the customer's open invoices in the
        case's company once those are paid; for a customer, its open invoices in
        the current company, else in the company of its latest open invoice."""

        def is_open(move):
            return (
                move.move_type in PROMISE_INVOICE_TYPES
                and move.state == "posted"
                and move.amount_residual > 0
            )

        if record._name == "account.move":
            return record.filtered(is_open)
        Move = record.env["account.move"]
        domain = Move._gentle_owed_invoices_domain(
            self._gentle_reply_customer(record), types=PROMISE_INVOICE_TYPES
        )
        if record._name == "gentle.collection.case":
            moves = record.move_ids.filtered(is_open)
            if moves:
                return moves
            return Move.search([*domain, ("company_id", "=", record.company_id.id)])
        # A reply by e-mail has no current company: the latest invoice decides.
        moves = Move.search(domain)
        company = (
            self.env.company
            if self.env.company in moves.company_id
            else moves[:1].company_id
        )
        return moves.filtered(lambda move: move.company_id == company)

    @api.model
    def _gentle_reply_collector(self, record, customer, moves):
        """Who confirms a promise read in a reply: the invoices' salesperson,
        else the customer's, else whoever created ``record``; an active internal
        user in any case (the administrator, OdooBot as a last resort)."""
        candidates = [
            *moves.invoice_user_id,
            customer.user_id,
            record.create_uid,
            self.env.ref("base.user_admin", raise_if_not_found=False),
        ]
        for user in candidates:
            if user and user.active and not user.share:
                return user
        return self.env.ref("base.user_root")

    @api.model
    def _gentle_reply_text(self, message):
        """The customer's own words in ``message`` (see
        :func:`..tools.reply_parser.gentle_reply_text`)."""
        return gentle_reply_text(message.body)

    @api.model
    def _gentle_read_promise(self, text, lang_code, currency, today):
        """``(date, amount)`` of a promise to pay read in ``text`` written in
        ``lang_code``, or None (see
        :func:`..tools.reply_parser.gentle_read_promise`)."""
        lang = self.env["res.lang"]._get_data(code=lang_code or "en_US")
        return gentle_read_promise(text, lang, currency, today)
