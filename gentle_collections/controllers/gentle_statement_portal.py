from odoo import http
from odoo.http import request


class GentleStatementPortal(http.Controller):
    """The customer statement, reached by the signed link in reminders: no login
    needed, and each invoice has its own pay-now link."""

    @http.route(
        ["/my/statement/<int:partner_id>"], type="http", auth="public", website=True
    )
    def gentle_statement(self, partner_id, token=None, **kw):
        partner = request.env["res.partner"].sudo().browse(partner_id).exists()
        if (
            not partner
            or partner != partner.commercial_partner_id
            or not partner._gentle_check_statement_token(token)
        ):
            raise request.not_found()
        company = partner.company_id or request.env.company
        partner = partner.with_company(company).with_context(
            lang=partner.lang or request.env.lang
        )
        return request.render(
            "gentle_collections.portal_gentle_statement",
            {"values": partner._gentle_statement_values()},
        )
