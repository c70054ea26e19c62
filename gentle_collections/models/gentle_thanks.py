"""Thank-you notes: the follow-up engine's third source.

A customer who pays is thanked in their contact window, by the same hourly run
that sends reminders: for every paid invoice, only for invoices paid after a
reminder, or only for the first on-time payment in a year, as the company
chooses; never more than once per period. The invoice's ``gentle_thanked_on`` is
the ledger that keeps a thank-you from being sent twice.

A kept promise to pay is thanked by the same source rather than by a source of
its own: the promise cron only decides promises, and a promise found kept in the
last ``THANKS_RECENT_DAYS`` days is an item of the customer's thank-you, whatever
the thank-you mode (kept promises were always thanked). An invoice paid under a
promise still open waits for the promise to be decided, so a customer who kept a
promise and paid its invoices gets one thank-you naming both; the promise's
``thanked_on`` is its ledger, claimed like the invoices'.
"""

from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.tools import SQL, format_amount, format_date

# Defines the engine and the base res.partner methods before the extensions
# below (models load in the order their classes are defined).
from . import gentle_followup_engine, res_partner  # noqa: F401

# A payment is thanked within this many days; older payments (e.g. from before
# thank-you notes were switched on) are never thanked.
THANKS_RECENT_DAYS = 7
# "First on-time payment": no other invoice paid on time in this many days.
THANKS_FIRST_ON_TIME_DAYS = 365


class GentleFollowupEngine(models.AbstractModel):
    _inherit = "gentle.followup.engine"

    @api.model
    def _gentle_thanks_sql(self, company, date, partner_ids=None):
        """SQL selecting the paid invoices to thank for on ``date``.

        Columns: ``move_id``, ``partner_id`` (commercial). An invoice qualifies
        when it was fully paid in the last ``THANKS_RECENT_DAYS`` days (the date
        of its last matched payment), is not thanked yet, matches the company's
        mode, and its customer was not thanked within the period.
        """
        mode = company.gentle_thanks_mode
        if mode == "off":
            return SQL(
                "SELECT NULL::int AS move_id, NULL::int AS partner_id WHERE FALSE"
            )
        for model in ("account.move", "account.move.line", "account.partial.reconcile"):
            self.env[model].flush_model()
        self.env["gentle.followup.history"].flush_model(["move_id"])
        recent = date - timedelta(days=THANKS_RECENT_DAYS)
        history_from = recent
        if mode == "first_on_time":
            history_from = recent - timedelta(days=THANKS_FIRST_ON_TIME_DAYS)
        paid_conditions = [
            SQL("am.company_id = %s", company.id),
            SQL("am.move_type = 'out_invoice'"),
            SQL("am.state = 'posted'"),
            SQL("am.payment_state IN ('paid', 'in_payment')"),
        ]
        if partner_ids is not None:
            paid_conditions.append(
                SQL("am.commercial_partner_id = ANY(%s)", list(partner_ids))
            )
        self.env["gentle.payment.promise"].flush_model(["state", "move_ids"])
        conditions = [
            SQL("am.gentle_thanked_on IS NULL"),
            SQL("p.paid_on BETWEEN %s AND %s", recent, date),
            # Paid under a promise still to be decided: thanked with the
            # promise once it is found kept, in one thank-you.
            SQL(
                """NOT EXISTS (
                    SELECT 1
                      FROM gentle_payment_promise_move_rel gpmr
                      JOIN gentle_payment_promise gpp ON gpp.id = gpmr.promise_id
                     WHERE gpmr.move_id = p.move_id AND gpp.state = 'open'
                )"""
            ),
            SQL(
                """NOT EXISTS (
                    SELECT 1 FROM account_move thanked
                     WHERE thanked.commercial_partner_id = p.partner_id
                       AND thanked.company_id = %s
                       AND thanked.gentle_thanked_on > %s
                )""",
                company.id,
                date - timedelta(days=company.gentle_thanks_period_days),
            ),
        ]
        if company.gentle_go_live_date:
            conditions.append(SQL("p.paid_on >= %s", company.gentle_go_live_date))
        if mode == "after_reminder":
            conditions.append(
                SQL(
                    """EXISTS (SELECT 1 FROM gentle_followup_history gfh
                                WHERE gfh.move_id = p.move_id)"""
                )
            )
        elif mode == "first_on_time":
            conditions.append(SQL("p.paid_on <= p.due_on"))
            conditions.append(
                SQL(
                    """NOT EXISTS (
                        SELECT 1 FROM paid earlier
                         WHERE earlier.partner_id = p.partner_id
                           AND earlier.move_id <> p.move_id
                           AND earlier.paid_on <= earlier.due_on
                           AND earlier.paid_on < p.paid_on
                           AND earlier.paid_on >= p.paid_on - %s
                    )""",
                    THANKS_FIRST_ON_TIME_DAYS,
                )
            )
        return SQL(
            """WITH paid AS (
                   SELECT am.id AS move_id, am.commercial_partner_id AS partner_id,
                          MAX(apr.max_date) AS paid_on,
                          am.invoice_date_due AS due_on
                     FROM account_move am
                     JOIN account_move_line aml
                       ON aml.move_id = am.id AND aml.display_type = 'payment_term'
                     JOIN account_partial_reconcile apr
                       ON apr.debit_move_id = aml.id
                    WHERE %(paid_conditions)s
                 GROUP BY am.id
                   HAVING MAX(apr.max_date) >= %(history_from)s
               )
               SELECT p.move_id, p.partner_id
                 FROM paid p
                 JOIN account_move am ON am.id = p.move_id
                WHERE %(conditions)s""",
            paid_conditions=SQL(" AND ").join(paid_conditions),
            history_from=history_from,
            conditions=SQL(" AND ").join(conditions),
        )

    @api.model
    def _gentle_promise_thanks_sql(self, company, date, partner_ids=None):
        """SQL selecting the kept promises to pay to thank for on ``date``.

        Columns: ``promise_id``, ``partner_id`` (commercial): promises of the
        company found kept in the last ``THANKS_RECENT_DAYS`` days and not
        thanked yet.
        """
        self.env["gentle.payment.promise"].flush_model(
            ["company_id", "partner_id", "state", "decided_on", "thanked_on"]
        )
        conditions = [
            SQL("gpp.company_id = %s", company.id),
            SQL("gpp.state = 'kept'"),
            SQL("gpp.thanked_on IS NULL"),
            SQL(
                "gpp.decided_on BETWEEN %s AND %s",
                date - timedelta(days=THANKS_RECENT_DAYS),
                date,
            ),
        ]
        if partner_ids is not None:
            conditions.append(
                SQL("rp.commercial_partner_id = ANY(%s)", list(partner_ids))
            )
        return SQL(
            """SELECT gpp.id AS promise_id, rp.commercial_partner_id AS partner_id
                 FROM gentle_payment_promise gpp
                 JOIN res_partner rp ON rp.id = gpp.partner_id
                WHERE %s""",
            SQL(" AND ").join(conditions),
        )

    @api.model
    def _gentle_demo_thanks(self, move_ids):
        """Demo data: the follow-up reminded these invoices five days ago, their
        customer paid today, and today's run thanks them."""
        moves = self.env["account.move"].browse(move_ids)
        company = self.env.company
        customers = moves.commercial_partner_id.ids
        now = fields.Datetime.now()
        self._gentle_run(
            company, now=now - timedelta(days=5), partner_ids=customers, window=False
        )
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=moves.ids
        ).create({})._create_payments()
        return self._gentle_run(company, now=now, partner_ids=customers, window=False)

    @api.model
    def _gentle_due_partners_sql(self, company, date, partner_ids=None):
        return SQL(
            """(%s) UNION (SELECT thanks.partner_id FROM (%s) thanks)
                    UNION (SELECT kept.partner_id FROM (%s) kept)""",
            super()._gentle_due_partners_sql(company, date, partner_ids),
            self._gentle_thanks_sql(company, date, partner_ids),
            self._gentle_promise_thanks_sql(company, date, partner_ids),
        )

    @api.model
    def _gentle_prepare_sources(self, company, date, partner_ids, communications):
        rows = self.env.execute_query(
            self._gentle_thanks_sql(company, date, partner_ids)
        )
        moves_by_partner = defaultdict(list)
        for move_id, partner_id in rows:
            moves_by_partner[partner_id].append(move_id)
        promises_by_partner = defaultdict(list)
        for promise_id, partner_id in self.env.execute_query(
            self._gentle_promise_thanks_sql(company, date, partner_ids)
        ):
            promises_by_partner[partner_id].append(promise_id)
        by_partner = self._gentle_source_communications(
            communications,
            company,
            date,
            sorted(set(moves_by_partner) | set(promises_by_partner)),
            "gentle_collections.mail_template_thanks",
        )
        for partner_id, move_ids in moves_by_partner.items():
            by_partner[partner_id]["thanks"] = (
                self.env["account.move"].browse(sorted(move_ids)).sorted("name")
            )
        for partner_id, promise_ids in promises_by_partner.items():
            by_partner[partner_id]["thanked_promises"] = self.env[
                "gentle.payment.promise"
            ].browse(sorted(promise_ids))
        return super()._gentle_prepare_sources(
            company, date, partner_ids, communications
        )

    @api.model
    def _gentle_render_context(self, communications):
        context = super()._gentle_render_context(communications)
        context["gentle_followup_thanks"] = {
            c["partner"].id: c["thanks"].ids for c in communications if "thanks" in c
        }
        context["gentle_followup_thanked_promises"] = {
            c["partner"].id: c["thanked_promises"].ids
            for c in communications
            if "thanked_promises" in c
        }
        return context

    @api.model
    def _gentle_record_history(self, communications):
        kept = self._gentle_claim_thanked_promises(
            super()._gentle_record_history(communications)
        )
        move_ids = [move.id for c in kept for move in c.get("thanks", [])]
        if not move_ids:
            return kept
        # Only the run that stamps the invoice sends its thank-you.
        stamped = self._gentle_stamp_once(
            "account.move", "gentle_thanked_on", move_ids, kept[0]["date"]
        )
        return [
            c for c in kept if all(move.id in stamped for move in c.get("thanks", []))
        ]

    @api.model
    def _gentle_claim_thanked_promises(self, communications):
        """Stamp the kept promises of ``communications`` as thanked; keep only
        the communications whose promises were all stamped by this run."""
        promise_ids = [
            promise.id
            for c in communications
            for promise in c.get("thanked_promises", [])
        ]
        if not promise_ids:
            return communications
        stamped = self._gentle_stamp_once(
            "gentle.payment.promise",
            "thanked_on",
            promise_ids,
            communications[0]["date"],
        )
        return [
            c
            for c in communications
            if all(p.id in stamped for p in c.get("thanked_promises", []))
        ]

    @api.model
    def _gentle_action_values(self, communication, channel):
        values = super()._gentle_action_values(communication, channel)
        if communication.get("thanks"):
            values["thanked_move_ids"] = [Command.set(communication["thanks"].ids)]
        if communication.get("thanked_promises"):
            values["thanked_promise_ids"] = [
                Command.set(communication["thanked_promises"].ids)
            ]
        return values

    @api.model
    def _gentle_dump(self, communication):
        data = super()._gentle_dump(communication)
        if communication.get("thanks"):
            data["thanks"] = communication["thanks"].ids
        if communication.get("thanked_promises"):
            data["thanked_promises"] = communication["thanked_promises"].ids
        return data

    @api.model
    def _gentle_load(self, data):
        values = super()._gentle_load(data)
        if data.get("thanks"):
            values["thanks"] = self.env["account.move"].browse(data["thanks"])
        if data.get("thanked_promises"):
            values["thanked_promises"] = self.env["gentle.payment.promise"].browse(
                data["thanked_promises"]
            )
        return values

    @api.model
    def _gentle_log_on_invoices(self, actions):
        """Also note the thank-you on each invoice it was for."""
        result = super()._gentle_log_on_invoices(actions)
        labels = dict(actions._fields["channel"]._description_selection(self.env))
        states = dict(actions._fields["state"]._description_selection(self.env))
        bodies = {}
        for action in actions:
            for move in action.thanked_move_ids:
                bodies[move.id] = Markup("<p>%s</p>") % self.env._(
                    "Thank-you for the payment: %(channel)s (%(state)s)",
                    channel=labels[action.channel],
                    state=states[action.state],
                )
        if bodies:
            self.env["account.move"].browse(list(bodies))._message_log_batch(
                bodies=bodies
            )
        promise_bodies = {}
        for action in actions:
            for promise in action.thanked_promise_ids:
                promise_bodies[promise.id] = Markup("<p>%s</p>") % self.env._(
                    "Thank-you for keeping the promise: %(channel)s (%(state)s)",
                    channel=labels[action.channel],
                    state=states[action.state],
                )
        if promise_bodies:
            self.env["gentle.payment.promise"].sudo().browse(
                list(promise_bodies)
            )._message_log_batch(bodies=promise_bodies)
        return result


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _gentle_thanked_moves(self):
        """The paid invoices a follow-up message to this customer thanks for: the
        engine puts them in the rendering context."""
        self.ensure_one()
        move_ids = (self.env.context.get("gentle_followup_thanks") or {}).get(
            self.id, []
        )
        return self.env["account.move"].browse(move_ids)

    def _gentle_thanked_promises(self):
        """The kept promises to pay a follow-up message to this customer thanks
        for: the engine puts them in the rendering context."""
        self.ensure_one()
        promise_ids = (
            self.env.context.get("gentle_followup_thanked_promises") or {}
        ).get(self.id, [])
        return self.env["gentle.payment.promise"].browse(promise_ids)

    def _gentle_thanks_list(self):
        """What a thank-you thanks for, as the thank-you template lists it; and
        the early-payment discounts a message of its own recalls."""
        self.ensure_one()
        items = self._gentle_thanks_items()
        if not self._gentle_followup_lines():
            items += self._gentle_nudge_paragraph()
        return items

    def _gentle_thanks_items(self):
        """The invoices and kept promises of a thank-you as an HTML list, in the
        customer's language: number, amount and due date of each invoice; amount
        and date of each promise."""
        self.ensure_one()
        env = self.env
        items = [
            Markup("<li>%s</li>")
            % env._(
                "%(invoice)s of %(amount)s, due %(date)s",
                invoice=move.name,
                amount=format_amount(env, move.amount_total, move.currency_id),
                date=format_date(env, move.invoice_date_due),
            )
            for move in self._gentle_thanked_moves()
        ]
        items += [
            Markup("<li>%s</li>")
            % env._(
                "the %(amount)s you promised to pay by %(date)s: thank you for "
                "keeping your word",
                amount=format_amount(env, promise.amount, promise.currency_id),
                date=format_date(env, promise.date_promised),
            )
            for promise in self._gentle_thanked_promises().sudo()
        ]
        if not items:
            return Markup()
        return Markup("<ul>%s</ul>") % Markup().join(items)

    def _gentle_followup_table(self):
        table = super()._gentle_followup_table()
        thanks = self._gentle_thanks_items()
        if thanks:
            table = (
                Markup("<p>%s</p>")
                % self.env._("First of all, thank you for settling:")
                + thanks
                + table
            )
        return table
