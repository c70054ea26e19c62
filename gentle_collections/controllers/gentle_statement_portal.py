from odoo import http
from odoo.http import request

from ..models.gentle_statement import STATEMENT_HEADERS


class GentleStatementPortal(http.Controller):
    """The customer statement, reached by the signed link in reminders: no login
    needed, and each invoice has its own pay-now link."""

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
        response = request.render(
            "gentle_collections.portal_gentle_statement",
            self._gentle_statement_page_values(partner, token, exp),
        )
        response.headers.update(STATEMENT_HEADERS)
        return response

    def _gentle_statement_page_values(self, partner, token, exp):
        """What the statement page renders: the statement, and the link to its
        PDF under the same signature."""
        values = partner.env["gentle.statement"]._gentle_statement_values(partner)
        return {
            "values": values,
            "pdf_url": f"/my/statement/{partner.id}/pdf?token={token}&exp={exp}",
        }

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
