from odoo import http
from odoo.http import request

from ..models.gentle_statement import STATEMENT_HEADERS


class GentleStatementPortal(http.Controller):
    """The customer statement, reached by the signed link in reminders: no login
    needed, and each invoice has its own pay-now link."""

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
        partner = request.env["res.partner"].sudo().browse(partner_id).exists()
        if (
            not partner
            or partner != partner.commercial_partner_id
            or not partner.env["gentle.statement"]._gentle_check_statement_token(
                partner, token, exp
            )
        ):
            response = request.render(
                "gentle_collections.portal_gentle_statement_refused", {}, status=403
            )
        else:
            company = partner.company_id or request.env.company
            partner = partner.with_company(company).with_context(
                lang=partner.lang or request.env.lang
            )
            response = request.render(
                "gentle_collections.portal_gentle_statement",
                {
                    "values": partner.env["gentle.statement"]._gentle_statement_values(
                        partner
                    )
                },
            )
        response.headers.update(STATEMENT_HEADERS)
        return response
