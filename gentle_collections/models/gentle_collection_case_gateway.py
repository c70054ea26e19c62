"""The mail gateway of collection cases: which case an e-mail to the case
alias opens, and the triage of e-mails from unknown senders."""

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.tools import email_normalize

from ..tools.case_email import case_email_text, case_subject, invoice_numbers


class GentleCollectionCaseGateway(models.AbstractModel):
    """Reads the e-mails that open cases (``gentle.collection.case.message_new``)
    and asks a collector to triage those from unknown senders."""

    _name = "gentle.collection.case.gateway"
    _description = "Collection Case Mail Gateway"

    @api.model
    def _gentle_case_values(self, msg_dict, custom_values=None):
        """The values of the case that the e-mail ``msg_dict`` opens, for the
        invoices named in its subject or body.

        The sender is known for a customer when one of the customer's partners
        (the customer or a contact) has the sender's address: their case holds
        the invoices and they are acknowledged. An email from an address no
        partner has opens a case to triage that holds nothing and answers
        nobody; a known contact naming only another customer's invoices is
        refused (``ValueError``: the gateway bounces the e-mail).
        """
        values = dict(custom_values or {})
        email = msg_dict.get("email_from") or ""
        senders = self._gentle_sender_partners(email)
        subject, text = case_email_text(msg_dict.get("subject"), msg_dict.get("body"))
        # A number may exist in several companies: those of the user the
        # gateway runs as come first, its current company before the others.
        companies = self.env.companies
        named = self._gentle_invoices_named(text, None).sorted(
            lambda move: (
                move.company_id != self.env.company,
                move.company_id not in companies,
            )
        )
        known = named.filtered(
            lambda move: any(
                partner.commercial_partner_id == move.commercial_partner_id
                and partner.company_id in (move.company_id, self.env["res.company"])
                for partner in senders
            )
        )
        if known:
            first = known[:1]
            moves = known.filtered(
                lambda move: (
                    move.commercial_partner_id == first.commercial_partner_id
                    and move.company_id == first.company_id
                )
            )
            values.setdefault("partner_id", first.commercial_partner_id.id)
            values.setdefault("move_ids", [Command.set(moves.ids)])
        elif named and not senders:
            first = named[:1]
            values.update(
                needs_triage=True,
                partner_id=False,
                move_ids=[Command.set([])],
                description=self._gentle_triage_description(email, named),
            )
        else:
            raise ValueError(
                f"gentle_collections: cannot open a case from {email}: unknown "
                "customer or no invoice of theirs named"
            )
        # The reference always comes from the sequence, never from the e-mail.
        values["subject"] = case_subject(subject) or self.env._("Query")
        values["name"] = "New"
        values.setdefault("source", "email")
        values.setdefault("company_id", first.company_id.id)
        if "category_id" not in values:
            values["category_id"] = self.env.ref(
                "gentle_collections.gentle_case_category_payment_question"
            ).id
        return values

    @api.model
    def _gentle_sender_partners(self, email):
        """The active partners, of any company, whose normalized address is the
        sender's (none when it is not a valid address)."""
        normalized = email_normalize(email or "")
        if not normalized:
            return self.env["res.partner"]
        return (
            self.env["res.partner"]
            .sudo()
            .search([("email_normalized", "=", normalized)])
        )

    @api.model
    def _gentle_invoices_named(self, text, customer):
        """Posted customer invoices whose number appears in ``text`` (of
        ``customer`` when known)."""
        tokens = invoice_numbers(text)
        if not tokens:
            return self.env["account.move"]
        domain = [
            ("name", "in", tokens),
            ("state", "=", "posted"),
            ("move_type", "in", ("out_invoice", "out_refund", "out_receipt")),
        ]
        if customer:
            domain.append(("commercial_partner_id", "in", customer.ids))
        return self.env["account.move"].sudo().search(domain)

    # ------------------------------------------------------------------
    # Triage of e-mails from unknown senders
    # ------------------------------------------------------------------

    @api.model
    def _gentle_triage_description(self, email, moves):
        """What the collector needs to triage: who wrote, which invoice numbers
        were named (as plain text, nothing is linked)."""
        return Markup("<p>%s</p><p>%s</p>") % (
            self.env._(
                "Email from %(email)s, who is not a known contact of the "
                "customers whose invoices it names. Nothing is on hold and "
                "nobody was answered.",
                email=email or "?",
            ),
            self.env._(
                "Invoice numbers mentioned: %(numbers)s",
                numbers=", ".join(sorted(set(moves.mapped("name")))),
            ),
        )

    @api.model
    def _gentle_triage_summary(self):
        return self.env._("Triage an email from an unknown sender")

    @api.model
    def _gentle_ask_triage(self, cases):
        """A to-do for whoever each case to triage was assigned to: check the
        sender."""
        for case in cases.filtered("user_id"):
            case.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self._gentle_triage_summary(),
                note=case.env._(
                    "The sender is not a known contact of the customer whose "
                    "invoices the email names: nothing is on hold and nobody was "
                    "answered. Check who wrote, then set the customer and the "
                    "invoices and click “Confirm Sender”, or cancel the case."
                ),
                user_id=case.user_id.id,
                date_deadline=fields.Date.context_today(case),
            )

    @api.model
    def _gentle_triage_confirmed(self, cases):
        """The sender of ``cases`` was confirmed: note the hold on their
        invoices, close the triage to-do and say so on the case."""
        summary = self._gentle_triage_summary()
        for case in cases:
            case._gentle_note_invoices(
                case.move_ids,
                case.env._("Follow-up on hold: case %(case)s opened.", case=case.name),
            )
            case.activity_ids.filtered(lambda a: a.summary == summary).action_feedback(
                feedback=self.env._(
                    "Sender confirmed by %(user)s.", user=self.env.user.name
                )
            )
            case.message_post(
                body=self.env._(
                    "Sender confirmed: the follow-up of %(invoices)s is on hold "
                    "while the case is open.",
                    invoices=", ".join(case.move_ids.mapped("display_name")),
                ),
                subtype_xmlid="mail.mt_note",
            )
