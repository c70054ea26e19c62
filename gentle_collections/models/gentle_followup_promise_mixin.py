"""What the follow-up sources about promises to pay share (kept-promise
thanks, confirmations, broken-promise notes): promises selected by SQL
conditions, by customer."""

from markupsafe import Markup

from odoo import Command, api, models
from odoo.tools import SQL


class GentleFollowupPromiseMixin(models.AbstractModel):
    """Selects a source's promises; the source states its conditions."""

    _name = "gentle.followup.promise.mixin"
    _description = "Follow-up Sources about Promises to Pay"

    @api.model
    def _gentle_promise_conditions(self, company, date):
        """The SQL conditions on ``gpp`` (the promise) and ``customer`` (its
        partner) of the promises this source lists on ``date``; ``None`` when
        the source lists none for ``company``."""
        raise NotImplementedError

    @api.model
    def _gentle_promises_sql(self, company, date, partner_ids=None):
        """SQL selecting ``promise_id`` and ``partner_id`` (commercial) of the
        promises of :meth:`_gentle_promise_conditions`."""
        conditions = self._gentle_promise_conditions(company, date)
        if conditions is None:
            return SQL(
                "SELECT NULL::int AS promise_id, NULL::int AS partner_id WHERE FALSE"
            )
        if partner_ids is not None:
            conditions.append(
                SQL("customer.commercial_partner_id = ANY(%s)", list(partner_ids))
            )
        return SQL(
            """SELECT gpp.id AS promise_id,
                      customer.commercial_partner_id AS partner_id
                 FROM gentle_payment_promise gpp
                 JOIN res_partner customer ON customer.id = gpp.partner_id
                WHERE %s""",
            SQL(" AND ").join(conditions),
        )

    @api.model
    def _gentle_promise_partners_sql(self, company, date, partner_ids=None):
        """The customers with promises to list (a source's ``_gentle_due_sql``)."""
        return SQL(
            "SELECT promises.partner_id FROM (%s) promises",
            self._gentle_promises_sql(company, date, partner_ids),
        )

    @api.model
    def _gentle_promises_by_partner(self, company, date, partner_ids):
        """``{partner id: promises}``, by promised date (a source's
        ``_gentle_collect``)."""
        Promise = self.env["gentle.payment.promise"]
        ids = {}
        for promise_id, partner_id in self.env.execute_query(
            self._gentle_promises_sql(company, date, partner_ids)
        ):
            ids.setdefault(partner_id, []).append(promise_id)
        return {
            partner_id: Promise.browse(promise_ids).sorted(
                lambda p: (p.date_promised, p.id)
            )
            for partner_id, promise_ids in ids.items()
        }

    @api.model
    def _gentle_promise_email_values(self, communication, channel):
        """The promises on the email action (a source's
        ``_gentle_action_values``): words of an email, on no other channel."""
        promises = communication.items.get(self._gentle_key)
        if not promises or channel != "email":
            return {}
        return {self._gentle_action_field: [Command.set(promises.ids)]}

    @api.model
    def _gentle_promise_contacts(self, communication):
        """The contacts of the promised invoices, as a reminder of them (a
        source's ``_gentle_recipients``)."""
        return (
            communication[self._gentle_draft_field]
            .sudo()
            .move_ids.partner_id.filtered("email")
            .with_env(self.env)
        )

    @api.model
    def _gentle_log_on_promises(self, actions, note):
        """Note on each promise of ``actions`` what was done (a source's
        ``_gentle_log``): ``note(channel label, state label)`` is the text."""
        labels, states = self._gentle_action_labels(actions)
        bodies = {}
        for action in actions:
            for promise in action[self._gentle_action_field]:
                bodies[promise.id] = Markup("<p>%s</p>") % note(
                    labels[action.channel], states[action.state]
                )
        if bodies:
            self.env["gentle.payment.promise"].sudo().browse(
                list(bodies)
            )._message_log_batch(bodies=bodies)
