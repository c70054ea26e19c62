from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request
from odoo.tools import plaintext2html

from odoo.addons.account.controllers.portal import PortalAccount


class GentleCasePortal(PortalAccount):
    """Customers ask about an invoice from its portal page and follow their cases."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "gentle_case_count" in counters:
            cases = request.env["gentle.collection.case"]
            values["gentle_case_count"] = (
                cases.search_count(self._gentle_cases_domain())
                if cases.has_access("read")
                else 0
            )
        return values

    def _gentle_cases_domain(self):
        partner = request.env.user.partner_id.commercial_partner_id
        return [("partner_id", "=", partner.id)]

    def _invoice_get_page_view_values(self, invoice, access_token, **kwargs):
        values = super()._invoice_get_page_view_values(invoice, access_token, **kwargs)
        values["gentle_case_categories"] = (
            request.env["gentle.case.category"]
            .sudo()
            .search([("portal_visible", "=", True)])
        )
        values["gentle_case_opened"] = kwargs.get("gentle_case")
        return values

    @http.route(
        ["/my/invoices/<int:invoice_id>/gentle_case"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def gentle_case_from_invoice(
        self, invoice_id, access_token=None, category_id=None, message=None, **kw
    ):
        """Open a case on an invoice the visitor may see (own invoice or token)."""
        try:
            invoice = self._document_check_access(
                "account.move", invoice_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        category = (
            request.env["gentle.case.category"]
            .sudo()
            .search(
                [("id", "=", int(category_id or 0)), ("portal_visible", "=", True)],
                limit=1,
            )
        )
        message = (message or "").strip()
        url = invoice.get_portal_url()
        if (
            not category
            or not message
            or invoice.move_type
            not in (
                "out_invoice",
                "out_refund",
                "out_receipt",
            )
        ):
            return request.redirect(f"{url}&gentle_case=invalid#gentle_case")
        case = (
            request.env["gentle.collection.case"]
            .sudo()
            .with_company(invoice.company_id)
            .create(
                {
                    "subject": f"{category.name}: {invoice.name}",
                    "description": plaintext2html(message),
                    "partner_id": invoice.commercial_partner_id.id,
                    "company_id": invoice.company_id.id,
                    "move_ids": [(6, 0, invoice.ids)],
                    "category_id": category.id,
                    "source": "portal",
                }
            )
        )
        author = request.env.user.partner_id
        if not request.env.user._is_public():
            case.message_subscribe(partner_ids=author.ids)
        return request.redirect(f"{url}&gentle_case={case.name}#gentle_case")

    @http.route(["/my/cases"], type="http", auth="user", website=True)
    def portal_my_gentle_cases(self, **kw):
        # Searched with the visitor's rights, shown with tier names they may not read.
        cases = (
            request.env["gentle.collection.case"]
            .search(self._gentle_cases_domain(), order="opened_on desc")
            .sudo()
        )
        values = self._prepare_portal_layout_values()
        values.update({"cases": cases, "page_name": "gentle_cases"})
        return request.render("gentle_collections.portal_my_gentle_cases", values)

    @http.route(["/my/cases/<int:case_id>"], type="http", auth="public", website=True)
    def portal_my_gentle_case(self, case_id, access_token=None, **kw):
        try:
            case = self._document_check_access(
                "gentle.collection.case", case_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._get_page_view_values(
            case,
            access_token,
            {"case": case, "page_name": "gentle_case"},
            "my_gentle_cases_history",
            False,
            **kw,
        )
        return request.render("gentle_collections.portal_gentle_case_page", values)
