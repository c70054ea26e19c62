from datetime import timedelta

from odoo import Command, fields, http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request
from odoo.tools import plaintext2html

from odoo.addons.account.controllers.portal import PortalAccount

from ..models.gentle_support_tier import OPEN_CASE_STATES

# The question form on an invoice's portal page is open to whoever holds the
# invoice's link: its input is bounded and its use limited.
CASE_MESSAGE_MAX_CHARS = 5000
CASE_SUBJECT_MAX_CHARS = 200
# Cases opened from the form per customer (commercial partner) in 24 hours.
CASE_PORTAL_DAILY_CAP = 3
# First key of the advisory lock taken per customer while a question is checked.
CASE_PORTAL_LOCK = 0x67C0
PG_MAX_INT = 2**31 - 1


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
        values["gentle_case_max_chars"] = CASE_MESSAGE_MAX_CHARS
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
        """Open a case on an invoice the visitor may see (own invoice or token).

        Anyone holding the invoice's link may post here, so the form is bounded:

        - the message has at most ``CASE_MESSAGE_MAX_CHARS`` characters (line
          breaks count as one) and the subject is cut at ``CASE_SUBJECT_MAX_CHARS``;
        - a topic that is not a visible category, a missing message or an invoice
          that cannot take a question is refused with HTTP 400;
        - while a question asked from this form about the invoice is still open,
          a new one is refused politely (HTTP 409): the visitor is told it is
          being handled and is invited to reply to our messages. The text is not
          added to the open case, so that repeated posts cannot notify the team
          again and again;
        - at most ``CASE_PORTAL_DAILY_CAP`` cases are opened from the form per
          customer (commercial partner) in 24 hours; further ones are refused
          (HTTP 429).

        A refusal shows the invoice page again with the reason, and the message
        typed when it fits; nothing is created.
        """
        try:
            invoice = self._document_check_access(
                "account.move", invoice_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        message = (message or "").replace("\r\n", "\n").strip()
        category = self._gentle_portal_case_category(category_id)
        if (
            not category
            or not message
            or invoice.state != "posted"
            or invoice.move_type not in ("out_invoice", "out_refund", "out_receipt")
        ):
            return self._gentle_case_refused(
                invoice, access_token, "invalid", 400, message
            )
        if len(message) > CASE_MESSAGE_MAX_CHARS:
            return self._gentle_case_refused(invoice, access_token, "too_long", 400)
        customer = invoice.commercial_partner_id
        Case = request.env["gentle.collection.case"].sudo()
        # One visitor at a time per customer: two posts at once cannot both pass
        # the checks below.
        request.env.cr.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", (CASE_PORTAL_LOCK, customer.id)
        )
        open_case = Case.search(
            [
                ("move_ids", "in", invoice.ids),
                ("source", "=", "portal"),
                ("state", "in", OPEN_CASE_STATES),
            ],
            limit=1,
        )
        if open_case:
            return self._gentle_case_refused(
                invoice, access_token, "open", 409, open_case=open_case
            )
        since = fields.Datetime.now() - timedelta(days=1)
        if (
            Case.search_count(
                [
                    ("partner_id", "=", customer.id),
                    ("source", "=", "portal"),
                    ("create_date", ">=", since),
                ]
            )
            >= CASE_PORTAL_DAILY_CAP
        ):
            return self._gentle_case_refused(invoice, access_token, "cap", 429)
        case = Case.with_company(invoice.company_id).create(
            {
                "subject": f"{category.name}: {invoice.name}"[:CASE_SUBJECT_MAX_CHARS],
                "description": plaintext2html(message),
                "partner_id": customer.id,
                "company_id": invoice.company_id.id,
                "move_ids": [Command.set(invoice.ids)],
                "category_id": category.id,
                "source": "portal",
            }
        )
        author = request.env.user.partner_id
        if not request.env.user._is_public():
            case.message_subscribe(partner_ids=author.ids)
        url = invoice.get_portal_url()
        return request.redirect(f"{url}&gentle_case={case.name}#gentle_case")

    def _gentle_portal_case_category(self, category_id):
        """The visible category posted by the form, or an empty recordset when
        the value is not a database id of one."""
        category_id = str(category_id or "").strip()
        if not category_id.isdigit() or len(category_id) > 10:
            return request.env["gentle.case.category"]
        category_id = int(category_id)
        if not 0 < category_id <= PG_MAX_INT:
            return request.env["gentle.case.category"]
        return (
            request.env["gentle.case.category"]
            .sudo()
            .search([("id", "=", category_id), ("portal_visible", "=", True)], limit=1)
        )

    def _gentle_case_refused(
        self, invoice, access_token, reason, status, message=None, open_case=None
    ):
        """The invoice page again, saying why the question was not taken."""
        values = self._invoice_get_page_view_values(invoice, access_token)
        values.update(
            {
                "gentle_case_refused": reason,
                "gentle_case_message": (
                    message
                    if message and len(message) <= CASE_MESSAGE_MAX_CHARS
                    else ""
                ),
                "gentle_case_open": open_case and open_case.name,
                "gentle_case_max_chars": CASE_MESSAGE_MAX_CHARS,
            }
        )
        return request.render("account.portal_invoice_page", values, status=status)

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
