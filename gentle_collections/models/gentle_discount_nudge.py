"""Early-payment discount nudges: a source of the follow-up engine.

A customer with an early-payment discount still open is reminded of it
``gentle_discount_nudge_days`` before its date, once per invoice, by the same
run that sends reminders and thank-yous: in the customer's contact window, never
for an invoice on hold (the engine's :meth:`_gentle_hold_sql`: blocked, paused
customer, open case, promise, plan...), never to a customer in hardship or not
eligible (``account.move._gentle_discount_eligible``), and in the customer's one
message of the run. Alone, the nudge is a friendly email of its own
(``mail_template_discount_nudge``); with a reminder or a thank-you, the same email
gets a short "you can still save by paying early" paragraph. The invoice's
``gentle_discount_nudged_on`` is the ledger that keeps a nudge from being sent
twice: the run that stamps it sends it.
"""

from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.tools import SQL

# Defines the engine and the other sources before this extension (models load
# in the order their classes are defined).
from . import gentle_followup_action, gentle_followup_engine, gentle_thanks  # noqa: F401

NUDGE_TEMPLATE = "gentle_collections.mail_template_discount_nudge"


class GentleFollowupEngine(models.AbstractModel):
    _inherit = "gentle.followup.engine"

    @api.model
    def _gentle_discount_nudge_sql(self, company, date, partner_ids=None):
        """SQL selecting the candidate discount lines to recall on ``date``.

        Columns: ``line_id``, ``partner_id`` (commercial). The receivable lines of
        posted customer invoices not nudged yet, not on hold, whose discount
        date falls within ``[date, date + nudge days]``. Whether the discount is
        still open and the customer eligible is decided by
        :meth:`_gentle_discount_nudges` (``account.move``'s one definition).
        """
        days = company.gentle_discount_nudge_days
        if days <= 0:
            return SQL(
                "SELECT NULL::int AS line_id, NULL::int AS partner_id WHERE FALSE"
            )
        conditions = [
            SQL("aml.company_id = %s", company.id),
            SQL("aml.display_type = 'payment_term'"),
            SQL("aml.parent_state = 'posted'"),
            SQL("NOT aml.reconciled"),
            SQL(
                "aml.discount_date BETWEEN %s AND %s",
                date,
                date + timedelta(days=days),
            ),
            SQL("am.move_type = 'out_invoice'"),
            SQL("am.gentle_discount_nudged_on IS NULL"),
            SQL("am.payment_state IN ('not_paid', 'partial')"),
            SQL("NOT %s", self.with_company(company)._gentle_hold_sql(date)),
        ]
        if partner_ids is not None:
            conditions.append(
                SQL("am.commercial_partner_id = ANY(%s)", list(partner_ids))
            )
        return SQL(
            """SELECT aml.id AS line_id, am.commercial_partner_id AS partner_id
                 FROM account_move_line aml
                 JOIN account_move am ON am.id = aml.move_id
                 JOIN res_partner rp ON rp.id = am.commercial_partner_id
                WHERE %s""",
            SQL(" AND ").join(conditions),
        )

    @api.model
    def _gentle_discount_nudges(self, company, date, partner_ids=None):
        """The discount lines to recall on ``date``, by customer id: the open
        discounts (``_gentle_discount_lines``) of eligible invoices
        (``_gentle_discount_eligible``) among the candidates of
        :meth:`_gentle_discount_nudge_sql`.

        :rtype: dict
        """
        for model in ("account.move.line", "account.move", "res.partner"):
            self.env[model].flush_model()
        rows = self.env.execute_query(
            self._gentle_discount_nudge_sql(company, date, partner_ids)
        )
        if not rows:
            return {}
        Line = self.env["account.move.line"]
        candidates = Line.browse([row[0] for row in rows])
        by_partner = defaultdict(lambda: Line)
        # Eligibility reads costs and grades the run's user may not see.
        for move in candidates.sudo().move_id:
            if not move._gentle_discount_eligible(date):
                continue
            lines = Line.browse(move._gentle_discount_lines(date).ids) & candidates
            if lines:
                by_partner[move.commercial_partner_id.id] |= lines
        return dict(by_partner)

    @api.model
    def _gentle_due_partners_sql(self, company, date, partner_ids=None):
        nudged = list(self._gentle_discount_nudges(company, date, partner_ids))
        return SQL(
            "(%s) UNION (SELECT unnest(%s::int[]) AS partner_id)",
            super()._gentle_due_partners_sql(company, date, partner_ids),
            nudged,
        )

    @api.model
    def _gentle_prepare_sources(self, company, date, partner_ids, communications):
        # The other sources first: a nudge joins the message they prepare.
        communications = super()._gentle_prepare_sources(
            company, date, partner_ids, communications
        )
        nudges = self._gentle_discount_nudges(company, date, partner_ids)
        existing = {c["partner"].id: c for c in communications}
        # A message that is no email (a letter, a call) cannot carry the nudge:
        # it waits for the customer's next email.
        nudges = {
            partner_id: lines
            for partner_id, lines in nudges.items()
            if partner_id not in existing or "email" in existing[partner_id]["channels"]
        }
        by_partner = self._gentle_source_communications(
            communications, company, date, nudges, NUDGE_TEMPLATE
        )
        for partner_id, lines in nudges.items():
            by_partner[partner_id]["nudges"] = lines
        return sorted(communications, key=lambda c: c["partner"].id)

    @api.model
    def _gentle_render_context(self, communications):
        context = super()._gentle_render_context(communications)
        context["gentle_followup_nudges"] = {
            c["partner"].id: c["nudges"].ids for c in communications if "nudges" in c
        }
        return context

    @api.model
    def _gentle_render(self, communications):
        """Also recall the discounts in a message whose wording does not list
        them (a payment plan's, a template of the company's own): at its end."""
        result = super()._gentle_render(communications)
        Message = self.env["mail.message"]
        body_field = Message._fields["body"]
        for communication in communications:
            body = communication.get("body")
            if not communication.get("nudges") or not body:
                continue
            if "o_gentle_nudge" in body:
                continue
            partner = communication["partner"]
            paragraph = partner.with_context(
                lang=partner.lang or self.env.lang,
                **self._gentle_render_context([communication]),
            )._gentle_nudge_paragraph()
            if paragraph:
                communication["body"] = body_field.convert_to_cache(
                    Markup(body) + paragraph, Message
                )
        return result

    @api.model
    def _gentle_record_history(self, communications):
        kept = super()._gentle_record_history(communications)
        move_ids = sorted(
            {line.move_id.id for c in kept for line in c.get("nudges", [])}
        )
        if not move_ids:
            return kept
        # Only the run that stamps the invoice recalls its discount.
        stamped = self._gentle_stamp_once(
            "account.move", "gentle_discount_nudged_on", move_ids, kept[0]["date"]
        )
        return [
            c
            for c in kept
            if all(line.move_id.id in stamped for line in c.get("nudges", []))
        ]

    @api.model
    def _gentle_action_values(self, communication, channel):
        values = super()._gentle_action_values(communication, channel)
        if communication.get("nudges") and channel == "email":
            values["nudged_move_ids"] = [
                Command.set(communication["nudges"].move_id.ids)
            ]
        return values

    @api.model
    def _gentle_recipients(self, action):
        """A nudge alone goes to the invoice contacts, as a reminder does."""
        if action.move_ids or not action.nudged_move_ids:
            return super()._gentle_recipients(action)
        return action.nudged_move_ids.partner_id.filtered(
            "email"
        ) or super()._gentle_recipients(action)

    @api.model
    def _gentle_approval_changes(self, action):
        """Also stale: a recalled discount that ended, or was paid, since."""
        changes = super()._gentle_approval_changes(action)
        today = fields.Date.context_today(self)
        for move in action.nudged_move_ids.sorted("name"):
            if not move._gentle_discount_lines(today):
                changes.append(
                    self.env._(
                        "the early-payment discount of %(invoice)s has ended or "
                        "was used",
                        invoice=move.name,
                    )
                )
        return changes

    @api.model
    def _send_approved(self, actions):
        """A nudge not sent because its message went stale is released, like the
        reminder steps: the next run recalls what is still open."""
        sent, changed = super()._send_approved(actions)
        moves = self.env["gentle.followup.action"].union(*changed).nudged_move_ids
        if moves:
            self.env.execute_query(
                SQL(
                    """UPDATE account_move SET gentle_discount_nudged_on = NULL
                        WHERE id = ANY(%s)""",
                    moves.ids,
                )
            )
            moves.invalidate_recordset(["gentle_discount_nudged_on"])
        return sent, changed

    @api.model
    def _gentle_dump(self, communication):
        data = super()._gentle_dump(communication)
        if communication.get("nudges"):
            data["nudges"] = communication["nudges"].ids
        return data

    @api.model
    def _gentle_load(self, data):
        values = super()._gentle_load(data)
        if data.get("nudges"):
            values["nudges"] = self.env["account.move.line"].browse(data["nudges"])
        return values

    @api.model
    def _gentle_log_on_invoices(self, actions):
        """Also note the nudge on each invoice it recalled the discount of."""
        result = super()._gentle_log_on_invoices(actions)
        labels = dict(actions._fields["channel"]._description_selection(self.env))
        states = dict(actions._fields["state"]._description_selection(self.env))
        bodies = {}
        for action in actions:
            for move in action.nudged_move_ids:
                bodies[move.id] = Markup("<p>%s</p>") % self.env._(
                    "Early-payment discount recalled: %(channel)s (%(state)s)",
                    channel=labels[action.channel],
                    state=states[action.state],
                )
        if bodies:
            self.env["account.move"].browse(list(bodies))._message_log_batch(
                bodies=bodies
            )
        return result
