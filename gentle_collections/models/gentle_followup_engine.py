import json
import logging
import time
from collections import defaultdict
from datetime import timedelta

import psycopg2.errors
import pytz
from markupsafe import Markup, escape

from odoo import Command, api, fields, models, tools
from odoo.tools import SQL

from .account_move_line import CHASED_MOVE_TYPES, CLOSED_PAYMENT_STATES
from .gentle_followup_policy import TONE_RANK
from .gentle_support_tier import OPEN_CASE_STATES

_logger = logging.getLogger(__name__)

# A customer whose batch failed is left alone this long before the next attempt, so
# a bad record cannot make the cron loop on it.
FAILURE_COOLDOWN_MINUTES = 60
WINDOW_LAST_DAY = {"weekdays": 5, "mon_sat": 6, "all": 7}


class GentleFollowupEngine(models.AbstractModel):
    """Decides who is due, and sends one message per customer per run.

    Every decision is a small method that other modules extend: holds
    (:meth:`_gentle_hold_sql`), policy matching (:meth:`_gentle_match_policy`), the
    lines of a run (:meth:`_gentle_due_lines_sql`), the contact window
    (:meth:`_gentle_window_sql`).
    """

    _name = "gentle.followup.engine"
    _description = "Follow-up Engine"

    # ------------------------------------------------------------------
    # Hooks
    # ------------------------------------------------------------------

    @api.model
    def _gentle_hold_sql(self, date):
        """SQL condition, true when an invoice must not be chased on ``date``.

        Aliases: ``am`` is the invoice (account_move), ``rp`` its commercial
        partner (res_partner). Later features (cases, promises, plans, hardship)
        extend it with ``SQL("(%s OR ...)", super()._gentle_hold_sql(date))``.
        Keep it in step with ``account.move._gentle_hold_reasons``.
        """
        company_key = str(self.env.company.id)
        self.env["gentle.collection.case"].flush_model(
            ["state", "move_ids", "needs_triage"]
        )
        return SQL(
            """(
                am.payment_state = 'blocked'
                OR COALESCE((rp.gentle_paused ->> %(key)s)::boolean, FALSE)
                OR (am.gentle_hold_until IS NOT NULL
                    AND am.gentle_hold_until >= %(date)s)
                OR EXISTS (
                    SELECT 1
                      FROM gentle_collection_case_move_rel gcr
                      JOIN gentle_collection_case gcc ON gcc.id = gcr.case_id
                     WHERE gcr.move_id = am.id
                       AND gcc.state = ANY(%(open_states)s)
                       AND NOT COALESCE(gcc.needs_triage, FALSE)
                )
            )""",
            key=company_key,
            date=date,
            open_states=list(OPEN_CASE_STATES),
        )

    @api.model
    def _gentle_match_policy(self, partner, company):
        """The policy matching ``partner``'s relationship grade, if any.

        The first active policy of the company (by sequence) whose grades include
        the customer's grade in that company.

        :rtype: gentle.followup.policy
        """
        grade = partner.with_company(company).gentle_grade
        if not grade:
            return self.env["gentle.followup.policy"]
        policies = self._gentle_graded_policies(company.id)
        return self.env["gentle.followup.policy"].browse(policies.get(grade, [])[:1])

    @api.model
    @tools.ormcache("company_id")
    def _gentle_graded_policies(self, company_id):
        """``{grade: [policy ids by sequence]}`` of a company, cached: policies
        clear the cache when they change, so resolving lines costs no query."""
        result = defaultdict(list)
        policies = (
            self.env["gentle.followup.policy"]
            .sudo()
            .search([("company_id", "=", company_id), ("grade_ids", "!=", False)])
        )
        for policy in policies:
            for code in policy.grade_ids.mapped("code"):
                result[code].append(policy.id)
        return dict(result)

    @api.model
    def _gentle_due_lines_sql(self, company, date, partner_ids=None):
        """SQL selecting the receivable lines due for follow-up on ``date``.

        Columns: ``line_id``, ``partner_id`` (commercial). One query for any
        number of lines; the stored, indexed next follow-up date does the work.
        """
        go_live = company.gentle_go_live_date
        conditions = [
            SQL("aml.company_id = %s", company.id),
            SQL("aml.display_type = 'payment_term'"),
            SQL("aml.parent_state = 'posted'"),
            SQL("aml.gentle_next_date <= %s", date),
            SQL("aml.amount_residual > 0"),
            SQL("NOT aml.reconciled"),
            SQL("am.move_type IN %s", CHASED_MOVE_TYPES),
            SQL("am.payment_state NOT IN %s", CLOSED_PAYMENT_STATES),
            SQL("NOT %s", self.with_company(company)._gentle_hold_sql(date)),
        ]
        if go_live:
            conditions.append(SQL("aml.date_maturity >= %s", go_live))
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
    def _gentle_due_partners_sql(self, company, date, partner_ids=None):
        """SQL selecting the customers (column ``partner_id``) with something due
        for follow-up on ``date``, from every source of follow-up.

        The receivable lines of invoices are the first source; later features
        add theirs (payment-plan instalments) with ``UNION``. Whatever a source
        selects here, :meth:`_gentle_prepare_sources` must turn into a message
        and :meth:`_gentle_record_history` mark as done, or the customer would
        stay due forever.
        """
        return SQL(
            "SELECT due_lines.partner_id FROM (%s) due_lines",
            self._gentle_due_lines_sql(company, date, partner_ids),
        )

    @api.model
    def _gentle_window_sql(self, company, now):
        """SQL condition on ``rp`` (and ``tz``, the matching pg_timezone_names row):
        true when the customer's local contact window is open at ``now`` (UTC).

        Time zone: the customer's, else the company's (:meth:`_gentle_company_tz`).
        """
        fallback = self._gentle_company_tz(company)[0]
        local = SQL(
            "((%s::timestamp AT TIME ZONE 'UTC') AT TIME ZONE COALESCE(tz.name, %s))",
            now,
            fallback,
        )
        return SQL(
            """(EXTRACT(HOUR FROM %(local)s) + EXTRACT(MINUTE FROM %(local)s) / 60.0
                    >= %(start)s
                AND EXTRACT(HOUR FROM %(local)s) + EXTRACT(MINUTE FROM %(local)s) / 60.0
                    < %(end)s
                AND EXTRACT(ISODOW FROM %(local)s) <= %(last_day)s)""",
            local=local,
            start=company.gentle_window_start,
            end=company.gentle_window_end,
            last_day=WINDOW_LAST_DAY[company.gentle_window_days],
        )

    # ------------------------------------------------------------------
    # Selecting customers
    # ------------------------------------------------------------------

    @api.model
    def _gentle_due_partner_ids(self, company, now, partner_ids=None, window=True):
        """Ids of the customers with lines due at ``now``, in a stable order."""
        date = self._gentle_run_date(company, now)
        conditions = [SQL("TRUE")]
        if window:
            conditions.append(self._gentle_window_sql(company, now))
            cooldown = SQL(
                "%s::timestamp - make_interval(mins => %s)",
                now,
                FAILURE_COOLDOWN_MINUTES,
            )
            conditions.append(
                SQL(
                    """(rp.gentle_followup_failed_at ->> %s IS NULL
                        OR (rp.gentle_followup_failed_at ->> %s)::timestamp < %s)""",
                    str(company.id),
                    str(company.id),
                    cooldown,
                )
            )
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model()
        self.env["res.partner"].flush_model()
        query = SQL(
            """SELECT DISTINCT due.partner_id
                 FROM (%s) due
                 JOIN res_partner rp ON rp.id = due.partner_id
                 LEFT JOIN pg_timezone_names tz ON tz.name = rp.tz
                WHERE %s
                ORDER BY due.partner_id""",
            self._gentle_due_partners_sql(company, date, partner_ids),
            SQL(" AND ").join(conditions),
        )
        return [row[0] for row in self.env.execute_query(query)]

    @api.model
    def _gentle_run_date(self, company, now):
        """The follow-up date of a run at ``now``: the company's local date."""
        zone = pytz.timezone(self._gentle_company_tz(company)[0])
        return pytz.utc.localize(now).astimezone(zone).date()

    @api.model
    def _gentle_company_tz(self, company):
        """The company's time zone: its working hours', else its own (the
        company's address), else UTC; and why, when one set was unknown.

        The working hours refuse an unknown time zone, but one may still come
        from before that check or from outside the ORM: it is not guessed
        silently, the fallback is logged and written on the follow-up actions.

        :returns: ``(time zone name, warning or False)``
        """
        calendar = company.resource_calendar_id
        own = company.partner_id.tz
        used = next(
            (tz for tz in (calendar.tz, own) if tz and tz in pytz.all_timezones_set),
            "UTC",
        )
        if not calendar.tz or calendar.tz in pytz.all_timezones_set:
            return used, False
        _logger.warning(
            "Unknown time zone %r on the working hours %r of company %r: the "
            "follow-up uses %s instead",
            calendar.tz,
            calendar.display_name,
            company.name,
            used,
        )
        return used, self.env._(
            "The time zone “%(tz)s” of the working hours “%(calendar)s” is "
            "unknown: the contact window and the run date used %(used)s instead. "
            "Choose a time zone from the list on the working hours.",
            tz=calendar.tz,
            calendar=calendar.display_name,
            used=used,
        )

    @api.model
    def _gentle_tz_warnings(self, partner, company):
        """Why the contact window of ``partner`` was not its own time zone's or
        its company's as set (an unknown one was replaced), in words."""
        used, warning = self._gentle_company_tz(company)
        warnings = [warning] if warning else []
        tz = partner.tz
        if tz and tz not in pytz.all_timezones_set:
            warnings.append(
                self.env._(
                    "The time zone “%(tz)s” of %(customer)s is unknown: the "
                    "contact window used the company's, %(used)s. Choose a time "
                    "zone from the list on the customer.",
                    tz=tz,
                    customer=partner.display_name,
                    used=used,
                )
            )
        return warnings

    @api.model
    def _gentle_lock_partners(self, partner_ids):
        """Lock customers for this transaction; those locked elsewhere are skipped.

        The cron on several servers and "Follow up now" may race for the same
        customer: the one that gets the row lock handles it, the others move on.
        """
        if not partner_ids:
            return []
        rows = self.env.execute_query(
            SQL(
                """SELECT id FROM res_partner WHERE id = ANY(%s)
                    ORDER BY id FOR UPDATE SKIP LOCKED""",
                list(partner_ids),
            )
        )
        return [row[0] for row in rows]

    # ------------------------------------------------------------------
    # Preparing communications
    # ------------------------------------------------------------------

    @api.model
    def _gentle_prepare(self, company, date, partner_ids):
        """What the follow-up would do for these customers on ``date``, unsaved.

        :returns: list of dicts, one per customer: ``partner``, ``steps`` (list of
            ``(line, level)``), ``level`` (the firmest), ``policy``, ``tone``,
            ``channels``, ``approval``, ``subject``, ``body``.
        """
        if not partner_ids:
            return []
        for model in ("account.move.line", "account.move", "res.partner"):
            self.env[model].flush_model()
        rows = self.env.execute_query(
            self._gentle_due_lines_sql(company, date, partner_ids)
        )
        lines = self.env["account.move.line"].browse([row[0] for row in rows])
        steps_by_partner = defaultdict(list)
        for line in lines:
            step = line._gentle_next_step(today=date)
            if step and step.date <= date:
                level = self.env["gentle.followup.level"].browse(step.level.id)
                steps_by_partner[line.move_id.commercial_partner_id].append(
                    (line, level)
                )
        communications = []
        for partner, steps in steps_by_partner.items():
            steps.sort(key=lambda s: (s[0].date_maturity, s[0].move_id.name or ""))
            levels = self.env["gentle.followup.level"].union(*(s[1] for s in steps))
            firmest = max(levels, key=lambda lv: (TONE_RANK[lv.tone], lv.day_offset))
            communications.append(
                {
                    "partner": partner,
                    "company": company,
                    "date": date,
                    "steps": steps,
                    "level": firmest,
                    "policy": firmest.policy_id,
                    "tone": firmest.tone,
                    "channels": levels._channels(),
                    "approval": any(levels.mapped("requires_approval")),
                }
            )
        communications = self._gentle_prepare_sources(
            company, date, partner_ids, communications
        )
        self._gentle_render(communications)
        return communications

    @api.model
    def _gentle_prepare_sources(self, company, date, partner_ids, communications):
        """Add what other sources of follow-up have due for these customers.

        ``communications`` holds one dict per customer with invoice lines due
        (see :meth:`_gentle_prepare`). A source adds its own items to the
        customer's communication, so that a customer still gets one message per
        run, or adds a communication of its own (``steps`` empty, its own
        ``template``) for a customer with nothing else due.

        :returns: the communications, in customer order
        """
        return sorted(communications, key=lambda c: c["partner"].id)

    @api.model
    def _gentle_source_communications(
        self, communications, company, date, partner_ids, template_xmlid
    ):
        """For a source of :meth:`_gentle_prepare_sources`: the communication of
        each of ``partner_ids``, keyed by id. A customer already in
        ``communications`` keeps theirs (one message per run); the others get a
        friendly email in the source's own wording (``template_xmlid``), added
        to ``communications``."""
        by_partner = {c["partner"].id: c for c in communications}
        template = (
            self.env.ref(template_xmlid, raise_if_not_found=False)
            or self.env["mail.template"]
        )
        for partner_id in partner_ids:
            if partner_id not in by_partner:
                by_partner[partner_id] = {
                    "partner": self.env["res.partner"].browse(partner_id),
                    "company": company,
                    "date": date,
                    "steps": [],
                    "level": self.env["gentle.followup.level"],
                    "policy": self.env["gentle.followup.policy"],
                    "tone": "friendly",
                    "channels": ["email"],
                    "approval": False,
                    "template": template,
                }
                communications.append(by_partner[partner_id])
        return {partner_id: by_partner[partner_id] for partner_id in partner_ids}

    @api.model
    def _gentle_render(self, communications):
        """Render subject and body of each communication, batched per template.

        Each customer's message is rendered in the customer's language.
        """
        self._gentle_ensure_access_tokens(
            self.env["account.move"].union(
                *(line.move_id for c in communications for line, _lv in c["steps"])
            )
        )
        by_template = defaultdict(list)
        for communication in communications:
            template = communication.get("template")
            if not template and communication["policy"]:
                template = communication["policy"]._get_template(
                    communication["tone"], communication["partner"].gentle_style
                )
            communication["template"] = template
            communication["subject"] = communication["body"] = False
            if template and "email" in communication["channels"]:
                by_template[template].append(communication)
        for template, group in by_template.items():
            context = self._gentle_render_context(group)
            partner_ids = [c["partner"].id for c in group]
            template = template.with_context(**context)
            subjects = template._render_field("subject", partner_ids, compute_lang=True)
            bodies = template._render_field("body_html", partner_ids, compute_lang=True)
            # Store the body as the chatter will: the preview, the action and
            # the message sent are then the very same HTML.
            Message = self.env["mail.message"]
            body_field = Message._fields["body"]
            for communication in group:
                communication["subject"] = subjects[communication["partner"].id]
                communication["body"] = body_field.convert_to_cache(
                    bodies[communication["partner"].id], Message
                )

    @api.model
    def _gentle_render_context(self, communications):
        """Rendering context of the messages of ``communications`` (one template):
        what each customer's message lists, keyed by customer id."""
        return {
            "gentle_company_name": communications[0]["company"].name,
            "gentle_followup_date": communications[0]["date"],
            "gentle_followup_lines": {
                c["partner"].id: [line.id for line, _lv in c["steps"]]
                for c in communications
            },
        }

    @api.model
    def _gentle_dump(self, communication):
        """What a preview keeps of ``communication`` to send it unchanged later:
        a JSON-able dict, read back by :meth:`_gentle_load`."""
        return {
            "steps": [[line.id, level.id] for line, level in communication["steps"]],
            "channels": list(communication["channels"]),
        }

    @api.model
    def _gentle_load(self, data):
        """The items of a communication kept by :meth:`_gentle_dump`."""
        Line = self.env["account.move.line"]
        Level = self.env["gentle.followup.level"]
        return {
            "steps": [
                (Line.browse(line_id), Level.browse(level_id))
                for line_id, level_id in data["steps"]
            ],
            "channels": data["channels"],
        }

    @api.model
    def _gentle_ensure_access_tokens(self, moves):
        """Give invoices a portal access token in one query (links in reminders)."""
        missing = moves.filtered(lambda m: not m.access_token)
        if missing:
            self.env.execute_query(
                SQL(
                    """UPDATE account_move SET access_token = gen_random_uuid()::text
                        WHERE id = ANY(%s) AND access_token IS NULL""",
                    missing.ids,
                )
            )
            missing.invalidate_recordset(["access_token"])

    # ------------------------------------------------------------------
    # Executing
    # ------------------------------------------------------------------

    @api.model
    def _gentle_record_history(self, communications):
        """Insert one history row per (line, level); keep only what we inserted.

        The UNIQUE constraint makes a second insert of the same row a no-op, so a
        concurrent run cannot act on the same line and level twice.
        """
        History = self.env["gentle.followup.history"]
        steps = [(line, level, c) for c in communications for line, level in c["steps"]]
        if not steps:
            for communication in communications:
                communication["history"] = History
            return communications
        now = self.env.cr.now()
        rows = self.env.execute_query(
            SQL(
                """INSERT INTO gentle_followup_history
                       (move_line_id, move_id, partner_id, company_id, level_id,
                        day_offset, date, create_uid, write_uid, create_date,
                        write_date)
                   SELECT line_id, move_id, partner_id, company_id, level_id,
                          day_offset, run_date, %(uid)s, %(uid)s, %(now)s, %(now)s
                     FROM unnest(%(lines)s::int[], %(moves)s::int[],
                                 %(partners)s::int[], %(companies)s::int[],
                                 %(levels)s::int[], %(offsets)s::int[],
                                 %(dates)s::date[])
                          AS t(line_id, move_id, partner_id, company_id, level_id,
                               day_offset, run_date)
                   ON CONFLICT ON CONSTRAINT gentle_followup_history_line_level_unique
                   DO NOTHING
                   RETURNING id, move_line_id, level_id""",
                uid=self.env.uid,
                now=now,
                lines=[line.id for line, _lv, _c in steps],
                moves=[line.move_id.id for line, _lv, _c in steps],
                partners=[c["partner"].id for _l, _lv, c in steps],
                companies=[c["company"].id for _l, _lv, c in steps],
                levels=[level.id for _l, level, _c in steps],
                offsets=[level.day_offset for _l, level, _c in steps],
                dates=[c["date"] for _l, _lv, c in steps],
            )
        )
        inserted = {(line_id, level_id): hist_id for hist_id, line_id, level_id in rows}
        kept = []
        for communication in communications:
            history_ids = [
                inserted[(line.id, level.id)]
                for line, level in communication["steps"]
                if (line.id, level.id) in inserted
            ]
            if len(history_ids) != len(communication["steps"]):
                # Another run got there first: never send what it already sent.
                continue
            communication["history"] = History.browse(history_ids)
            kept.append(communication)
        lines = self.env["account.move.line"].browse(
            [line.id for line, _l, _c in steps]
        )
        lines.invalidate_recordset(["gentle_history_ids"])
        lines.move_id.invalidate_recordset(["gentle_history_ids"])
        # The rows were inserted in SQL: tell the ORM, so that the lines' next
        # step and their invoices' summary are recomputed.
        History.browse([row[0] for row in rows]).modified(
            ["move_line_id", "move_id", "level_id", "date", "day_offset"], create=True
        )
        return kept

    @api.model
    def _gentle_stamp_once(self, model_name, field_name, ids, value):
        """Set ``field_name`` to ``value`` on the records ``ids`` of
        ``model_name`` where it is still empty, in one query; return the ids
        this transaction stamped. A source claims its items with it: only the
        run that stamps an item sends it, a concurrent run finds it set."""
        if not ids:
            return set()
        records = self.env[model_name].browse(ids)
        column = SQL.identifier(field_name)
        rows = self.env.execute_query(
            SQL(
                "UPDATE %s SET %s = %s WHERE id = ANY(%s) AND %s IS NULL RETURNING id",
                SQL.identifier(records._table),
                column,
                value,
                list(ids),
                column,
            )
        )
        records.invalidate_recordset([field_name])
        return {row[0] for row in rows}

    @api.model
    def _gentle_claim(self, communications):
        """Claim prepared communications, each all or nothing; return those kept.

        Every source claims its items in :meth:`_gentle_record_history`, in one
        query for all communications. A communication with any item claimed
        before (by another run, or an older preview) is dropped by its source;
        what the other sources claimed for it must then not stay either, or
        those items would be marked done and never be reminded. So the claims
        run inside a savepoint: when a communication is dropped, the savepoint
        is rolled back and the claim is made again for the others only, until
        every source keeps every communication left.
        """
        pending = list(communications)
        # Nothing pending may be lost by a rollback of the savepoint.
        self.env.flush_all()
        while pending:
            with self.env.cr.savepoint(flush=False) as savepoint:
                kept = self._gentle_record_history(pending)
                self.env.flush_all()
                if len(kept) == len(pending):
                    return kept
                savepoint.close(rollback=True)
            # The cache and the pending computations saw the rolled back rows.
            self.env.transaction.clear()
            kept_ids = {id(c) for c in kept}
            pending = [c for c in pending if id(c) in kept_ids]
        return []

    @api.model
    def _gentle_claimed(self, communications):
        """Side effects of claimed communications that are not messages (late
        fees, say): run once every source has kept them, just before their
        actions are made. Sources extend it."""

    @api.model
    def _gentle_execute(self, communications):
        """Record and carry out prepared communications; return the actions made."""
        communications = self._gentle_claim(communications)
        Action = self.env["gentle.followup.action"]
        if not communications:
            return Action
        self._gentle_claimed(communications)
        vals_list = [
            self._gentle_action_values(communication, channel)
            for communication in communications
            for channel in communication["channels"]
        ]
        # Actions are the engine's record of what it did: users cannot write
        # them (see gentle.followup.action.write), the engine does.
        actions = Action.sudo().create(vals_list).with_env(self.env)
        self._gentle_carry_out(actions.filtered(lambda a: a.state == "queued"))
        self._gentle_log_on_invoices(actions)
        return actions

    @api.model
    def _gentle_action_values(self, communication, channel):
        """Values of the ``gentle.followup.action`` of ``communication`` on
        ``channel``; sources add what they were about."""
        waiting = communication["approval"] and channel in ("email", "sms", "letter")
        return {
            "partner_id": communication["partner"].id,
            "company_id": communication["company"].id,
            "policy_id": communication["policy"].id,
            "level_id": communication["level"].id,
            "tone": communication["tone"],
            "channel": channel,
            "state": "awaiting_approval" if waiting else "queued",
            "date": communication["date"],
            "history_ids": [Command.set(communication["history"].ids)],
            "move_ids": [Command.set(communication["history"].move_id.ids)],
            "subject": communication["subject"],
            "body_html": communication["body"],
            "amount_due": sum(
                line.amount_residual for line, _lv in communication["steps"]
            ),
            "responsible_id": self._gentle_responsible(communication).id,
            "tz_warning": "\n".join(
                self._gentle_tz_warnings(
                    communication["partner"], communication["company"]
                )
            )
            or False,
        }

    @api.model
    def _gentle_responsible(self, communication):
        """Who handles calls and activities: the salesperson, else the run's user."""
        moves = communication["history"].move_id
        return (
            moves.invoice_user_id[:1]
            or communication["partner"].user_id
            or self.env.user
        )

    @api.model
    def _gentle_carry_out(self, actions):
        """Send or schedule queued actions (email, SMS, letter, activities)."""
        handlers = {
            "email": self._gentle_send_email,
            "sms": self._gentle_send_sms,
            "letter": self._gentle_prepare_letter,
            "call": self._gentle_schedule_call,
            "activity": self._gentle_schedule_activity,
        }
        for action in actions:
            handlers[action.channel](action)

    @api.model
    def _gentle_recipients(self, action):
        """The invoice contacts with an email address, else the customer itself."""
        contacts = action.move_ids.partner_id.filtered("email")
        return contacts or action.partner_id

    @api.model
    def _gentle_attachments(self, action):
        """The invoice PDFs to attach to ``action``'s email: those already stored
        on the invoices (a reminder never renders a PDF), in invoice order, while
        their total stays within the company's limit."""
        limit = action.company_id.gentle_attachment_limit_mb * 1024 * 1024
        attachments = self.env["ir.attachment"]
        total = 0
        for move in action.move_ids.sorted(lambda m: (m.invoice_date_due, m.name)):
            pdf = move.sudo().invoice_pdf_report_id
            if not pdf:
                continue
            if total + pdf.file_size > limit:
                break
            total += pdf.file_size
            attachments |= pdf
        return attachments

    @api.model
    def _gentle_send_email(self, action):
        if not action.body_html:
            action._gentle_engine_write(
                {
                    "state": "failed",
                    "error_message": self.env._(
                        "The policy %(policy)s has no wording for the tone %(tone)s: "
                        "add an email template to the policy, then retry.",
                        policy=action.policy_id.display_name,
                        tone=action.tone,
                    ),
                }
            )
            return
        recipients = self._gentle_recipients(action)
        attachments = self._gentle_attachments(action)
        message = (
            self._gentle_chatter(action.partner_id)
            .with_context(mail_post_autofollow=False, mail_notify_force_send=False)
            .message_post(
                body=Markup(action.body_html),
                subject=action.subject,
                partner_ids=recipients.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                email_layout_xmlid="mail.mail_notification_light",
                attachment_ids=attachments.ids,
            )
        )
        action._gentle_engine_write({"mail_message_id": message.id, "state": "queued"})
        action._sync_mail_state()

    @api.model
    def _gentle_send_sms(self, action):
        text = self.env._(
            "%(company)s: a friendly reminder that %(amount)s is due on your "
            "account. Reply or call us if anything is unclear.",
            company=action.company_id.name,
            amount=action.currency_id.format(action.amount_due),
        )
        message = self._gentle_chatter(action.partner_id)._message_sms(
            text, partner_ids=action.partner_id.ids
        )
        action._gentle_engine_write(
            {"mail_message_id": message.id, "body_html": escape(text)}
        )
        action._sync_mail_state()

    @api.model
    def _gentle_prepare_letter(self, action):
        report = self.env.ref("gentle_collections.gentle_followup_letter_report")
        pdf, _fmt = self.env["ir.actions.report"]._render_qweb_pdf(report, action.ids)
        # On the customer's chatter, as the follow-up (see _gentle_chatter).
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": self.env._(
                        "Follow-up letter - %(partner)s.pdf",
                        partner=action.partner_id.display_name,
                    ),
                    "raw": pdf,
                    "res_model": "res.partner",
                    "res_id": action.partner_id.id,
                    "mimetype": "application/pdf",
                }
            )
        )
        activity = self._gentle_chatter(action.partner_id).activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=action.date,
            summary=self.env._("Print and post the follow-up letter"),
            note=self.env._(
                "The letter is attached to the customer's chatter: %(name)s",
                name=attachment.name,
            ),
            user_id=action.responsible_id.id,
        )
        action._gentle_engine_write({"activity_id": activity.id, "state": "sent"})

    @api.model
    def _gentle_schedule_call(self, action):
        moves = ", ".join(action.move_ids.mapped("name"))
        activity = self._gentle_chatter(action.partner_id).activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=action.date,
            summary=self.env._("Follow-up call: %(level)s", level=action.level_id.name),
            note=self.env._(
                "Call to talk about invoices %(moves)s (%(amount)s due). Ask whether "
                "anything stands in the way of payment and offer help: a copy of the "
                "invoice, a payment plan.",
                moves=moves,
                amount=action.currency_id.format(action.amount_due),
            ),
            user_id=action.responsible_id.id,
        )
        action._gentle_engine_write({"activity_id": activity.id, "state": "sent"})

    @api.model
    def _gentle_schedule_activity(self, action):
        levels = action.history_ids.level_id.filtered("create_activity")
        level = levels[:1] or action.level_id
        activity = self._gentle_chatter(action.partner_id).activity_schedule(
            activity_type_id=level.activity_type_id.id,
            date_deadline=action.date,
            summary=level.name,
            note=level.activity_note or "",
            user_id=action.responsible_id.id,
        )
        action._gentle_engine_write({"activity_id": activity.id, "state": "sent"})

    @api.model
    def _gentle_log_on_invoices(self, actions):
        """One note per invoice, written in one batch, whatever the invoice count."""
        labels = dict(actions._fields["channel"]._description_selection(self.env))
        states = dict(actions._fields["state"]._description_selection(self.env))
        notes = defaultdict(list)
        for action in actions:
            for history in action.history_ids:
                notes[history.move_id.id].append(
                    self.env._(
                        "%(level)s: %(channel)s (%(state)s)",
                        level=history.level_id.display_name,
                        channel=labels[action.channel],
                        state=states[action.state],
                    )
                )
        if not notes:
            return
        bodies = {
            move_id: Markup("<p>%s</p><ul>%s</ul>")
            % (
                self.env._("Follow-up"),
                Markup().join(
                    Markup("<li>%s</li>") % text for text in sorted(set(texts))
                ),
            )
            for move_id, texts in notes.items()
        }
        self.env["account.move"].browse(list(bodies))._message_log_batch(bodies=bodies)

    @api.model
    def _gentle_approval_changes(self, action):
        """What changed, in words, since ``action`` was prepared for approval: a
        reminder line paid or settled, an invoice put on hold. Empty: it may go
        out as it is. Sources whose items are not invoice lines extend it."""
        today = fields.Date.context_today(self)
        changes = []
        for history in action.history_ids.sorted(lambda h: h.move_line_id.id):
            line = history.move_line_id
            if not line._gentle_is_open():
                changes.append(
                    self.env._(
                        "%(invoice)s is paid or settled", invoice=line.move_id.name
                    )
                )
                continue
            reasons = line.move_id._gentle_hold_reasons(today)
            if reasons:
                changes.append(
                    self.env._(
                        "%(invoice)s is on hold (%(reasons)s)",
                        invoice=line.move_id.name,
                        reasons=", ".join(reasons),
                    )
                )
        return changes

    @api.model
    def _send_approved(self, actions):
        """Send approved actions, each checked again first: one whose invoices
        were paid or put on hold since it was prepared is not sent (its wording
        is stale), it is skipped with what changed, and the steps it claimed are
        released so that the next run prepares a fresh reminder for what is still
        due. Return ``(sent, changed)`` as ``{action: [changes]}`` for the latter."""
        changed = {}
        for action in actions:
            changes = self._gentle_approval_changes(action)
            if changes:
                changed[action] = changes
        # The letter prepared with a stale email shares its steps: it goes too.
        for action, changes in list(changed.items()):
            for sibling in action.history_ids.action_ids:
                if sibling.state == "awaiting_approval" and sibling not in changed:
                    changed[sibling] = changes
        stale = self.env["gentle.followup.action"].union(*changed)
        actions = actions | stale
        sent = actions - stale
        for action, changes in changed.items():
            action._gentle_engine_write(
                {
                    "state": "skipped",
                    "postponed_until": False,
                    "error_message": self.env._(
                        "Not sent: %(changes)s since it was prepared.",
                        changes="; ".join(changes),
                    ),
                }
            )
            self._gentle_chatter(action.partner_id).message_post(
                body=self.env._(
                    "Follow-up %(level)s approved by %(user)s but not sent: "
                    "%(changes)s since it was prepared. The next run prepares a "
                    "new reminder for what is still due.",
                    level=action.level_id.display_name,
                    user=self.env.user.name,
                    changes="; ".join(changes),
                ),
                subtype_xmlid="mail.mt_note",
            )
        # Released: the next run reminds of what is still due, worded afresh.
        stale.history_ids.sudo().unlink()
        sent._gentle_engine_write({"state": "queued", "postponed_until": False})
        self._gentle_carry_out(sent)
        for action in sent:
            self._gentle_chatter(action.partner_id).message_post(
                body=self.env._(
                    "Follow-up %(level)s approved by %(user)s.",
                    level=action.level_id.display_name,
                    user=self.env.user.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return sent, changed

    @api.model
    def _gentle_chatter(self, partner):
        """The customer's chatter, where the follow-up writes what it did: as
        the company's follow-up, so that collectors need no right to edit
        contacts. Messages stay authored by the user who ran it."""
        return partner.sudo()

    # ------------------------------------------------------------------
    # Runs
    # ------------------------------------------------------------------

    @api.model
    def _gentle_run(self, company, now=None, partner_ids=None, window=True, limit=None):
        """Follow up one batch of customers of ``company`` due at ``now``.

        :param datetime now: naive UTC time of the run (default: now)
        :param partner_ids: only these customers (default: all)
        :param bool window: only customers whose contact window is open
        :param int limit: at most this many customers (default: batch size)
        :returns: dict with ``done``, ``remaining``, ``lines``, ``actions``,
            ``partner_ids`` and ``seconds``
        """
        started = time.monotonic()
        now = now or fields.Datetime.now()
        company = company.with_company(company)
        engine = self.with_company(company)
        date = engine._gentle_run_date(company, now)
        due = engine._gentle_due_partner_ids(company, now, partner_ids, window=window)
        batch = due[: limit or company.gentle_batch_size]
        locked = engine._gentle_lock_partners(batch)
        communications = engine._gentle_prepare(company, date, locked)
        actions = engine._gentle_execute(communications)
        return {
            "done": len(locked),
            "remaining": len(due) - len(batch),
            "lines": sum(len(c["steps"]) for c in communications),
            "actions": actions,
            "partner_ids": locked,
            "seconds": time.monotonic() - started,
        }

    @api.model
    def _gentle_demo_run(self):
        """Demo data: run the follow-up once, as if a collector pressed the button,
        and show what a failed send looks like on one customer."""
        company = self.env.company
        result = self._gentle_run(company, window=False, limit=1000)
        emails = result["actions"].filtered(
            lambda a: a.channel == "email" and a.mail_message_id
        )
        failing = (
            emails.filtered(lambda a: (a.partner_id.email or "").endswith(".invalid"))
            or emails[:1]
        )
        for action in failing[:1]:
            mails = (
                self.env["mail.mail"]
                .sudo()
                .search([("mail_message_id", "=", action.mail_message_id.id)])
            )
            mails._postprocess_sent_message(
                success_pids=[],
                failure_reason="550 5.1.1 Recipient address rejected (demo)",
                failure_type="mail_email_invalid",
            )
            mails.write({"state": "exception"})
        return result

    @api.model
    def _gentle_demo_replay(self, days=110):
        """Demo data: run the follow-up once a day over the past ``days`` days, as
        the hourly cron would have, so customers stand at every level of the
        ladder; score the customers; then run it today."""
        company = self.env.company
        now = fields.Datetime.now()
        for days_ago in range(days, 0, -1):
            self._gentle_run(
                company, now=now - timedelta(days=days_ago), window=False, limit=1000
            )
        self.env["gentle.score.engine"]._gentle_recompute(company)
        return self._gentle_demo_run()

    @api.model
    def _cron_followup(self, now=None):
        """Scheduled action: one batch per call, progress committed by ir.cron.

        Each call takes the first company with customers due, handles one batch
        of them inside a savepoint and reports progress; ``ir.cron`` commits and
        calls again while work remains. A batch that fails is rolled back, its
        customers are set aside for an hour and the error is logged, so the cron
        neither loses work nor loops on it.
        """
        now = now or fields.Datetime.now()
        companies = self.env["res.company"].search(
            [("gentle_default_policy_id", "!=", False)]
        )
        for company in companies:
            engine = self.with_company(company)
            due = engine._gentle_due_partner_ids(company, now)
            if not due:
                continue
            batch = due[: company.gentle_batch_size]
            try:
                with self.env.cr.savepoint():
                    result = engine._gentle_run(company, now=now, partner_ids=batch)
            except psycopg2.errors.SerializationFailure:
                # Another server followed up these customers after this
                # transaction began: the database refused to record them twice.
                # Nothing to retry; the next call (a new transaction) sees them.
                _logger.info(
                    "Follow-up batch of %s customers of %s was handled by another "
                    "worker at the same time; skipped",
                    len(batch),
                    company.name,
                )
                self.env.invalidate_all()
                result = {
                    "done": len(batch),
                    "remaining": len(due) - len(batch),
                    "lines": 0,
                    "actions": self.env["gentle.followup.action"],
                    "seconds": 0.0,
                }
            except Exception:
                _logger.exception(
                    "Follow-up batch of %s customers of %s failed; they are retried "
                    "in %s minutes",
                    len(batch),
                    company.name,
                    FAILURE_COOLDOWN_MINUTES,
                )
                self.env.invalidate_all()
                failed_at = {str(company.id): fields.Datetime.to_string(now)}
                self.env.execute_query(
                    SQL(
                        """UPDATE res_partner
                              SET gentle_followup_failed_at =
                                  COALESCE(gentle_followup_failed_at, '{}'::jsonb)
                                  || %s::jsonb
                            WHERE id = ANY(%s)""",
                        json.dumps(failed_at),
                        batch,
                    )
                )
                self.env["res.partner"].invalidate_model(["gentle_followup_failed_at"])
                result = {
                    "done": len(batch),
                    "remaining": len(due) - len(batch),
                    "lines": 0,
                    "actions": self.env["gentle.followup.action"],
                    "seconds": 0.0,
                    "errors": len(batch),
                }
            # The run saw only this batch: what is left is the rest of ``due``.
            remaining = (
                len(due)
                - len(batch)
                + sum(
                    len(self.with_company(c)._gentle_due_partner_ids(c, now))
                    for c in companies
                    if c.id > company.id
                )
            )
            _logger.info(
                "Follow-up %s: %s customers, %s invoice lines examined, %s actions, "
                "%s errors, %.2f s; %s customers remaining",
                company.name,
                result["done"],
                result["lines"],
                len(result["actions"]),
                result.get("errors", 0),
                result["seconds"],
                remaining,
            )
            self.env["ir.cron"]._notify_progress(
                done=result["done"], remaining=remaining
            )
            return result
        self.env["ir.cron"]._notify_progress(done=0, remaining=0)
        return None
