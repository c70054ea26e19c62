from werkzeug.exceptions import BadRequest, Forbidden

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class GentlePaymentPlanPortal(CustomerPortal):
    """Customers see their payment plans: instalments, what is paid, what is next."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "gentle_plan_count" in counters:
            plans = request.env["gentle.payment.plan"]
            values["gentle_plan_count"] = (
                plans.search_count(self._gentle_plans_domain())
                if plans.has_access("read")
                else 0
            )
        return values

    def _gentle_plans_domain(self):
        partner = request.env.user.partner_id.commercial_partner_id
        return [("partner_id", "=", partner.id), ("state", "!=", "draft")]

    @http.route(["/my/payment_plans"], type="http", auth="user", website=True)
    def portal_my_gentle_plans(self, **kw):
        plans = request.env["gentle.payment.plan"].search(self._gentle_plans_domain())
        values = self._prepare_portal_layout_values()
        values.update({"plans": plans, "page_name": "gentle_plans"})
        return request.render("gentle_collections.portal_my_gentle_plans", values)

    @http.route(
        ["/my/payment_plans/<int:plan_id>"], type="http", auth="public", website=True
    )
    def portal_my_gentle_plan(self, plan_id, access_token=None, **kw):
        try:
            plan = self._document_check_access(
                "gentle.payment.plan", plan_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._get_page_view_values(
            plan,
            access_token,
            {"plan": plan, "page_name": "gentle_plan"},
            "my_gentle_plans_history",
            False,
            **kw,
        )
        return request.render("gentle_collections.portal_gentle_plan_page", values)

    @http.route(
        ["/my/payment_plans/<int:plan_id>/accept"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_gentle_plan_accept(self, plan_id, access_token=None, **kw):
        """The customer accepts a proposed plan: only its own customer (or the
        holder of its access token), only while it is proposed."""
        try:
            plan = self._document_check_access(
                "gentle.payment.plan", plan_id, access_token
            )
        except (AccessError, MissingError) as error:
            raise Forbidden() from error
        if plan.state != "proposed":
            raise BadRequest(
                request.env._("This payment plan is not waiting for your agreement.")
            )
        try:
            plan._gentle_accept_online()
        except UserError as error:
            raise BadRequest(error.args[0]) from error
        url = plan.access_url
        if access_token:
            url += f"?access_token={access_token}"
        return request.redirect(url)
