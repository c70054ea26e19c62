"""Confirmations of payment-plan agreements: a source of follow-up.

However a plan is agreed (*Agree* on the plan, or the customer accepting a
proposed plan on the portal), the customer is sent what was agreed – each
instalment's date and amount, what happens when one is missed, a link to the
plan where each instalment can be paid – by the follow-up run: in their contact
window and language, in their one message of the run (with the day's reminder
of other invoices, say), never while they are paused. The plan's
``agreement_sent_on`` is the ledger that keeps it from being confirmed twice.

Only a plan still agreed, agreed in the last ``CONFIRM_RECENT_DAYS`` days, is
confirmed: a plan agreed before this source existed is not confirmed after the
fact.
"""

from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, models
from odoo.tools import SQL

from .gentle_followup_source_promise_confirm import CONFIRM_RECENT_DAYS


class GentleFollowupSourcePlanConfirm(models.AbstractModel):
    _name = "gentle.followup.source.plan_confirm"
    _inherit = "gentle.followup.source"
    _description = "Follow-up Source: Confirmations of Payment-Plan Agreements"

    _gentle_key = "agreed_plans"
    # Before the instalments: a customer whose plan is agreed and whose first
    # instalment is near reads the agreement first, the instalment below it.
    _gentle_sequence = 15
    _gentle_template = "gentle_collections.mail_template_plan_confirm"
    _gentle_item_model = "gentle.payment.plan"
    _gentle_claim_field = "agreement_sent_on"
    _gentle_draft_field = "agreed_plan_ids"
    _gentle_action_field = "agreed_plan_ids"

    @api.model
    def _gentle_agreements_sql(self, company, date, partner_ids=None):
        """SQL selecting the plan agreements to confirm on ``date``.

        Columns: ``plan_id``, ``partner_id`` (commercial): plans of the company
        agreed in the last ``CONFIRM_RECENT_DAYS`` days and still agreed, not
        confirmed yet, of a customer not paused.
        """
        self.env["gentle.payment.plan"].flush_model(
            ["company_id", "partner_id", "state", "agreed_on", "agreement_sent_on"]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id", "gentle_paused"])
        conditions = [
            SQL("gpp.company_id = %s", company.id),
            SQL("gpp.state = 'agreed'"),
            SQL("gpp.agreement_sent_on IS NULL"),
            SQL("gpp.agreed_on >= %s", date - timedelta(days=CONFIRM_RECENT_DAYS)),
            SQL(
                "NOT COALESCE((rp.gentle_paused ->> %s)::boolean, FALSE)",
                str(company.id),
            ),
        ]
        if partner_ids is not None:
            conditions.append(
                SQL("rp.commercial_partner_id = ANY(%s)", list(partner_ids))
            )
        return SQL(
            """SELECT gpp.id AS plan_id, rp.commercial_partner_id AS partner_id
                 FROM gentle_payment_plan gpp
                 JOIN res_partner rp ON rp.id = gpp.partner_id
                WHERE %s""",
            SQL(" AND ").join(conditions),
        )

    @api.model
    def _gentle_due_sql(self, company, date, partner_ids=None):
        return SQL(
            "SELECT agreements.partner_id FROM (%s) agreements",
            self._gentle_agreements_sql(company, date, partner_ids),
        )

    @api.model
    def _gentle_collect(self, company, date, partner_ids):
        """``{partner id: plans}``, oldest agreement first."""
        Plan = self.env["gentle.payment.plan"]
        ids = {}
        for plan_id, partner_id in self.env.execute_query(
            self._gentle_agreements_sql(company, date, partner_ids)
        ):
            ids.setdefault(partner_id, []).append(plan_id)
        return {
            partner_id: Plan.browse(plan_ids).sorted(lambda p: (p.agreed_on, p.id))
            for partner_id, plan_ids in ids.items()
        }

    @api.model
    def _gentle_joins(self, communication):
        """The agreement travels by email, and never waits for a manager's
        approval of the reminder it would join: it then goes alone, in the
        customer's next run."""
        return "email" in communication.channels and not communication.approval

    @api.model
    def _gentle_rendered(self, communications):
        """Add the agreement to a message whose wording does not show it (a
        template of the company's own): at its end."""
        self.env["gentle.followup.communication"]._gentle_insert_promise_view(
            communications,
            self._gentle_key,
            "o_gentle_plan_agreement",
            "_gentle_plan_agreement",
        )

    @api.model
    def _gentle_action_values(self, communication, channel):
        plans = communication.items.get(self._gentle_key)
        if not plans or channel != "email":
            return {}
        return {self._gentle_action_field: [Command.set(plans.ids)]}

    @api.model
    def _gentle_approval_changes(self, action):
        """A plan cancelled, broken or completed since: nothing to confirm."""
        return [
            self.env._(
                "the payment plan %(plan)s is no longer agreed",
                plan=plan.display_name,
            )
            for plan in action.agreed_plan_ids.sudo()
            if plan.state != "agreed"
        ]

    @api.model
    def _gentle_log(self, actions):
        """Note the confirmation on each plan it confirmed."""
        labels, states = self._gentle_action_labels(actions)
        bodies = {}
        for action in actions:
            for plan in action.agreed_plan_ids:
                bodies[plan.id] = Markup("<p>%s</p>") % self.env._(
                    "Agreement confirmed to the customer: %(channel)s (%(state)s)",
                    channel=labels[action.channel],
                    state=states[action.state],
                )
        if bodies:
            self.env["gentle.payment.plan"].sudo().browse(
                list(bodies)
            )._gentle_log_notes(bodies)
