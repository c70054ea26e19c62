from odoo import Command, http
from odoo.exceptions import ValidationError
from odoo.http import request

from odoo.addons.account_payment.controllers.payment import PaymentPortal

from ..models.gentle_statement import STATEMENT_HEADERS


class GentleStatementPortal(PaymentPortal):
    """The customer statement, reached by the signed link in reminders: no login
    needed; each invoice has its own pay-now link, and *Pay all* pays the
    amount asked at once through Odoo's payment providers."""

    def _gentle_statement_customer(self, partner_id, token, exp):
        """The customer whose statement the link opens, in its company and
        language; ``None`` for any link that does not open it (unknown
        customer, a contact, altered, expired or revoked)."""
        partner = request.env["res.partner"].sudo().browse(partner_id).exists()
        if (
            not partner
            or partner != partner.commercial_partner_id
            or not partner.env["gentle.statement"]._gentle_check_statement_token(
                partner, token, exp
            )
        ):
            return None
        company = partner.company_id or request.env.company
        return partner.with_company(company).with_context(
            lang=partner.lang or request.env.lang
        )

    def _gentle_statement_refused(self):
        response = request.render(
            "gentle_collections.portal_gentle_statement_refused", {}, status=403
        )
        response.headers.update(STATEMENT_HEADERS)
        return response

    @http.route(
        ["/my/statement/<int:partner_id>"],
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
    )
    def gentle_statement(self, partner_id, token=None, exp=None, **kw):
        """Show the statement to whoever holds a valid link: signed for the
        customer's current link version and not past its ``exp`` date.

        Any other link (unknown customer, altered, expired or revoked) gets the
        same 403 page, which says nothing about the customer. The page writes
        nothing: the invoices' access tokens are made when the link is sent.
        Neither answer may be cached nor leak the link as a referrer.
        """
        partner = self._gentle_statement_customer(partner_id, token, exp)
        if partner is None:
            return self._gentle_statement_refused()
        # The whole page in the customer's language, as its PDF and its dates.
        if partner.lang in dict(request.env["res.lang"].get_installed()):
            request.update_context(lang=partner.lang)
        response = request.render(
            "gentle_collections.portal_gentle_statement",
            self._gentle_statement_page_values(partner, token, exp),
        )
        response.headers.update(STATEMENT_HEADERS)
        return response

    def _gentle_statement_page_values(self, partner, token, exp):
        """What the statement page renders: the statement, the link to its
        PDF under the same signature, and the payment form of *Pay all*."""
        values = partner.env["gentle.statement"]._gentle_statement_values(partner)
        return {
            "values": values,
            "pdf_url": f"/my/statement/{partner.id}/pdf?token={token}&exp={exp}",
            **self._gentle_statement_payment_values(partner, values, token, exp),
        }

    def _gentle_statement_payment_values(self, partner, values, token, exp):
        """The values of Odoo's payment form (``payment.form``) paying the
        amount asked, for the customer. Read only. Saved payment methods are
        neither offered nor saved: whoever holds the link is not known to be
        the customer."""
        if not values["pay_all"]:
            return {"pay_form": False}
        company = partner.env.company
        currency = values["currency"]
        availability_report = {}
        providers_sudo = (
            request.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(
                company.id,
                partner.id,
                values["asked"],
                currency_id=currency.id,
                report=availability_report,
            )
        )
        payment_methods_sudo = (
            request.env["payment.method"]
            .sudo()
            ._get_compatible_payment_methods(
                providers_sudo.ids,
                partner.id,
                currency_id=currency.id,
                report=availability_report,
            )
        )
        return {
            "pay_form": bool(payment_methods_sudo),
            "mode": "payment",
            "amount": values["asked"],
            "currency": currency,
            "partner_id": partner.id,
            "providers_sudo": providers_sudo,
            "payment_methods_sudo": payment_methods_sudo,
            "tokens_sudo": request.env["payment.token"].sudo(),
            "availability_report": availability_report,
            "show_tokenize_input_mapping": dict.fromkeys(providers_sudo.ids, False),
            "transaction_route": f"/my/statement/{partner.id}/transaction/{exp}",
            "landing_route": self._gentle_statement_path(partner, token, exp),
            "access_token": token,
            "submit_button_label": partner.env._(
                "Pay %(amount)s", amount=values["asked_text"]
            ),
        }

    @staticmethod
    def _gentle_statement_path(partner, token, exp):
        return f"/my/statement/{partner.id}?token={token}&exp={exp}"

    @http.route(
        "/my/statement/<int:partner_id>/transaction/<string:exp>",
        type="json",
        auth="public",
    )
    def gentle_statement_transaction(
        self, partner_id, exp, access_token=None, amount=None, **kwargs
    ):
        """*Pay all*: a draft transaction for the amount asked, whose invoices
        are the invoices asked (in due-date order) and whose credits are those
        the amount is net of; Odoo's ``account_payment`` reconciles the
        payment with the invoices once done, then the credits are applied
        (``payment.transaction._create_payment``).

        Refused unless the statement link is valid and the amount is still the
        amount asked (the statement changed since the page was shown).
        """
        partner = self._gentle_statement_customer(partner_id, access_token, exp)
        if partner is None:
            raise ValidationError(
                request.env._(
                    "This statement link is no longer valid: ask us for a fresh one."
                )
            )
        values = partner.env["gentle.statement"]._gentle_statement_values(partner)
        currency = values["currency"]
        try:
            amount = float(amount)
        except (TypeError, ValueError):
            amount = None
        if (
            not values["pay_all"]
            or amount is None
            or currency.compare_amounts(amount, values["asked"])
        ):
            raise ValidationError(
                partner.env._(
                    "Your statement has changed since you opened it: reload the "
                    "page to pay the amount asked now."
                )
            )
        if kwargs.get("flow") not in ("direct", "redirect"):
            raise ValidationError(
                partner.env._("Choose a payment method to pay the amount asked.")
            )
        self._validate_transaction_kwargs(kwargs)
        kwargs.update(
            {
                "token_id": None,
                "tokenization_requested": False,
                "is_validation": False,
                "landing_route": self._gentle_statement_path(
                    partner, access_token, exp
                ),
            }
        )
        tx_sudo = self._create_transaction(
            amount=values["asked"],
            currency_id=currency.id,
            partner_id=partner.id,
            custom_create_values={
                "invoice_ids": [Command.set(values["asked_moves"].ids)],
                "gentle_credit_line_ids": [Command.set(values["credit_lines"].ids)],
            },
            **kwargs,
        )
        return tx_sudo._get_processing_values()

    @http.route(
        ["/my/statement/<int:partner_id>/pdf"],
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
    )
    def gentle_statement_pdf(self, partner_id, token=None, exp=None, **kw):
        """The same statement as a PDF, under the same signature check: a link
        that does not open the page gets no PDF either. Writes nothing: the
        PDF's pay-online link is the link it was opened with."""
        partner = self._gentle_statement_customer(partner_id, token, exp)
        if partner is None:
            return self._gentle_statement_refused()
        url = (
            f"{partner.get_base_url()}/my/statement/{partner.id}"
            f"?token={token}&exp={exp}"
        )
        content, report_type = (
            request.env["ir.actions.report"]
            .sudo()
            .with_company(partner.env.company)
            .with_context(lang=partner.env.lang)
            ._render_qweb_pdf(
                "gentle_collections.gentle_statement_report",
                partner.ids,
                data={"statement_url": url},
            )
        )
        filename = partner.env._("Statement - %(customer)s", customer=partner.name)
        # Odoo renders reports as HTML while it runs its tests.
        mimetype = "application/pdf" if report_type == "pdf" else "text/html"
        return request.make_response(
            content,
            headers=[
                ("Content-Type", mimetype),
                ("Content-Length", len(content)),
                (
                    "Content-Disposition",
                    http.content_disposition(f"{filename}.pdf"),
                ),
                *STATEMENT_HEADERS.items(),
            ],
        )
