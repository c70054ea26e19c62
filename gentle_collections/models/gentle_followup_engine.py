"""The follow-up engine: one pipeline for every message a customer receives.

Over 400 lines on purpose: it is the pipeline itself – select, lock, fill,
settle the tone, save, render, claim, record, log – plus the rules every source
shares (hold, contact window, policy resolution) and the scheduled action with
its failure handling, each step a short documented method. What varies lives
elsewhere, one file each: the sources (``gentle_followup_source_*.py``), the
saved message and its table (``gentle_followup_communication.py``) and the
channels (``gentle_followup_channel.py``).
"""

import json
import logging
import time
from collections import defaultdict

import psycopg2.errors
import pytz
from lxml import html
from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.tools import SQL, safe_eval

from ..tools import contact_window
from .gentle_followup_communication import FORMAT_MEMO
from .gentle_followup_policy import HARDSHIP_MAX_TONE, TONE_RANK
from .gentle_support_tier import OPEN_CASE_STATES

_logger = logging.getLogger(__name__)

# A customer whose batch failed is left alone this long before the next attempt, so
# a bad record cannot make the cron loop on it.
FAILURE_COOLDOWN_MINUTES = 60


class GentleFollowupEngine(models.AbstractModel):
    """Decides who is due, and sends one message per customer per run.

    The pipeline: select the customers due (every source's
    ``_gentle_due_sql``, inside the contact window :meth:`_gentle_window_sql`)
    → lock them → fill one ``Communication`` each from every source → settle
    the tone (:meth:`_gentle_settle_tone`) → render → claim every item exactly
    once (:meth:`_gentle_claim`) → side effects (:meth:`_gentle_claimed`) → one
    action per channel → log. What is due comes from the sources
    (``gentle.followup.source``); a hold (:meth:`_gentle_hold_sql`) applies to
    all of them.
    """

    _name = "gentle.followup.engine"
    _description = "Follow-up Engine"

    # ------------------------------------------------------------------
    # Hooks
    # ------------------------------------------------------------------

    @api.model
    def _gentle_hold_sql(self, date):
        """SQL condition, true when an invoice must not be chased on ``date``:
        the one SQL definition of a hold, that every source applies.

        Aliases: ``am`` is the invoice (account_move), ``rp`` its commercial
        partner (res_partner). ``account.move._gentle_hold_reasons`` is its
        Python twin, in words; a parity test runs both on the same invoices.
        """
        company_key = str(self.env.company.id)
        self.env["gentle.collection.case"].flush_model(
            ["state", "move_ids", "needs_triage"]
        )
        self.env["gentle.payment.promise"].flush_model(
            ["state", "move_ids", "date_deadline"]
        )
        self.env["gentle.payment.plan"].flush_model(["state", "move_ids"])
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
                OR EXISTS (
                    SELECT 1
                      FROM gentle_payment_promise_move_rel gpmr
                      JOIN gentle_payment_promise gpp ON gpp.id = gpmr.promise_id
                     WHERE gpmr.move_id = am.id
                       AND gpp.state = 'open'
                       AND gpp.date_deadline >= %(date)s
                )
                OR EXISTS (
                    SELECT 1
                      FROM gentle_payment_plan_move_rel gppr
                      JOIN gentle_payment_plan gpl ON gpl.id = gppr.plan_id
                     WHERE gppr.move_id = am.id AND gpl.state = 'agreed'
                )
            )""",
            key=company_key,
            date=date,
            open_states=list(OPEN_CASE_STATES),
        )

    @api.model
    def _gentle_resolve_policy(self, partner, company, move=None):
        """The follow-up policy of ``move`` (an invoice of ``partner``) in
        ``company``: the one order of resolution, that the receivable lines
        store (``account.move.line.gentle_policy_id``) and the invoice's late
        fee and discount read.

        The invoice's own policy, else the customer's (per company), else the
        first policy matching the customer's grade (:meth:`_gentle_match_policy`),
        else the company default.

        :rtype: gentle.followup.policy
        """
        partner = partner.commercial_partner_id.with_company(company)
        return (
            (move.gentle_policy_id if move else self.env["gentle.followup.policy"])
            or partner.gentle_policy_id
            or self._gentle_match_policy(partner, company)
            or company.gentle_default_policy_id
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
    def _gentle_unheld_lines_sql(self, company, date, partner_ids, conditions):
        """SQL selecting the posted, unreconciled receivable lines of
        ``company`` whose invoice is not on hold on ``date`` and that meet
        ``conditions`` (aliases ``aml``, ``am``, ``rp``), for the sources whose
        items are receivable lines. Columns: ``line_id``, ``partner_id``
        (commercial)."""
        conditions = [
            SQL("aml.company_id = %s", company.id),
            SQL("aml.display_type = 'payment_term'"),
            SQL("aml.parent_state = 'posted'"),
            SQL("NOT aml.reconciled"),
            *conditions,
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
    def _gentle_sources(self):
        """The sources of follow-up (models inheriting ``gentle.followup.source``),
        in their sequence."""
        names = self.env.registry.descendants(["gentle.followup.source"], "_inherit")
        sources = [self.env[name] for name in names if name != "gentle.followup.source"]
        return sorted(
            sources, key=lambda source: (source._gentle_sequence, source._name)
        )

    @api.model
    def _gentle_due_partners_sql(self, company, date, partner_ids=None):
        """SQL selecting the customers (column ``partner_id``) with something due
        for follow-up on ``date``, from every source (``UNION``)."""
        return SQL(" UNION ").join(
            SQL("(%s)", source._gentle_due_sql(company, date, partner_ids))
            for source in self._gentle_sources()
        )

    @api.model
    def _gentle_window(self, company):
        """The contact window of ``company`` (:mod:`..tools.contact_window`).

        :rtype: contact_window.Window
        """
        return contact_window.window(
            company.gentle_window_start,
            company.gentle_window_end,
            company.gentle_window_days,
        )

    @api.model
    def _gentle_customer_tz(self, partner, company):
        """The time zone the contact window of ``partner`` is read in: its own,
        else the company's (:meth:`_gentle_company_tz`); an unknown one is
        passed over (:meth:`_gentle_tz_warnings` says so)."""
        return contact_window.first_known(
            partner.tz, self._gentle_company_tz(company)[0]
        )

    @api.model
    def _gentle_window_sql(self, company, now):
        """SQL condition on ``rp``: true when the customer's local contact
        window is open at ``now`` (UTC), by the same rule and time zone as
        :meth:`_gentle_window` and :meth:`_gentle_customer_tz` in Python
        (:func:`..tools.contact_window.open_sql`)."""
        return contact_window.open_sql(
            self._gentle_window(company),
            SQL("rp.tz"),
            self._gentle_company_tz(company)[0],
            now,
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
        used = contact_window.first_known(calendar.tz, own)
        if not calendar.tz or contact_window.is_known(calendar.tz):
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
        if tz and not contact_window.is_known(tz):
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
        """What the follow-up would do for these customers on ``date``: one
        :class:`Communication` per customer with anything due, in customer
        order, its items filled in by every source, its tone settled
        (:meth:`_gentle_settle_tone`), saved as a draft
        ``gentle.followup.communication`` (:meth:`_gentle_save`) and its message
        rendered on that draft."""
        if not partner_ids:
            return []
        for model in ("account.move.line", "account.move", "res.partner"):
            self.env[model].flush_model()
        by_partner = {}
        for source in self._gentle_sources():
            source._gentle_fill(by_partner, company, date, partner_ids)
        communications = [by_partner[key] for key in sorted(by_partner)]
        self._gentle_settle_tone(communications)
        self._gentle_save(communications)
        self._gentle_render(communications)
        return communications

    @api.model
    def _gentle_settle_tone(self, communications):
        """Named hook, once every source has filled the communications and
        before their wording is chosen: the tone a customer in hardship
        receives is never firmer than ``HARDSHIP_MAX_TONE``, so that the wording
        and the recorded action follow it."""
        for communication in communications:
            partner = communication.partner.with_company(communication.company)
            if TONE_RANK[communication.tone] > TONE_RANK[
                HARDSHIP_MAX_TONE
            ] and partner._gentle_in_hardship(communication.date):
                communication.tone = HARDSHIP_MAX_TONE

    @api.model
    def _gentle_save(self, communications):
        """Save each communication as a draft ``gentle.followup.communication``,
        in one batch: its wording (the policy's template for its tone and the
        customer's style), what it is identified by, and every source's items.
        The mail templates render on these drafts; a preview shows them."""
        vals_list = []
        for communication in communications:
            if not communication.template and communication.policy:
                communication.template = communication.policy._get_template(
                    communication.tone, communication.partner.gentle_style
                )
            values = {
                "partner_id": communication.partner.id,
                "company_id": communication.company.id,
                "date": communication.date,
                "level_id": communication.level.id,
                "policy_id": communication.policy.id,
                "tone": communication.tone,
                "channels": ", ".join(communication.channels),
                "approval": communication.approval,
                "mail_template_id": communication.template.id,
                "signature": self._gentle_signature(communication),
            }
            for source in self._gentle_sources():
                values.update(source._gentle_draft_values(communication))
            vals_list.append(values)
        # Drafts are the engine's: users read them, the engine writes them.
        records = (
            self.env["gentle.followup.communication"]
            .sudo()
            .create(vals_list)
            .with_env(self.env)
        )
        for communication, record in zip(communications, records, strict=True):
            communication.record = record

    @api.model
    def _gentle_render(self, communications):
        """Render subject and body of each communication on its draft, batched
        per template, each in the customer's language."""
        # The dates and amounts of the tables are formatted once for the
        # batch (gentle.followup.communication._gentle_formatted).
        self.env.cr.cache[FORMAT_MEMO] = {}
        try:
            self._gentle_render_batch(communications)
        finally:
            self.env.cr.cache.pop(FORMAT_MEMO, None)

    @api.model
    def _gentle_render_batch(self, communications):
        drafts = self.env["gentle.followup.communication"].union(
            *(c.record for c in communications)
        )
        moves = drafts.move_line_ids.move_id
        # The statement link of a reminder opens every open item of its
        # customer: their tokens too, for all customers at once (see
        # gentle.followup.communication._gentle_statement_link).
        customers = drafts.filtered("move_line_ids").partner_id.commercial_partner_id
        if customers:
            Line = self.env["account.move.line"]
            moves |= (
                Line.sudo()
                .search(
                    [
                        ("partner_id.commercial_partner_id", "in", customers.ids),
                        ("company_id", "=", self.env.company.id),
                        *Line._gentle_open_domain("ledger"),
                    ]
                )
                .move_id
            )
        self._gentle_ensure_access_tokens(moves)
        by_template = defaultdict(list)
        for communication in communications:
            communication.subject = communication.body = False
            if communication.template and "email" in communication.channels:
                by_template[communication.template].append(communication)
        # Store the body as the chatter will: the preview, the action and the
        # message sent are then the very same HTML.
        Message = self.env["mail.message"]
        body_field = Message._fields["body"]
        for template, group in by_template.items():
            template = template.with_context(gentle_statement_tokens=True)
            ids = [c.record.id for c in group]
            subjects = template._render_field("subject", ids, compute_lang=True)
            bodies = self._gentle_render_body(template, ids)
            for communication in group:
                communication.subject = subjects[communication.record.id]
                communication.body = body_field.convert_to_cache(
                    bodies[communication.record.id], Message
                )
        for source in self._gentle_sources():
            source._gentle_rendered(communications)
        self.env["gentle.followup.communication"]._gentle_write_rendered(
            {c.record.id: (c.subject, c.body) for c in communications if c.body}
        )

    @api.model
    def _gentle_signature(self, communication):
        """What a preview compares to tell whether ``communication``, prepared
        again, is the one it showed: each source's claim keys, sorted."""
        return repr(
            sorted(
                (source._name, sorted(source._gentle_claim_keys(items)))
                for source in self._gentle_sources()
                if (items := communication.items.get(source._gentle_key))
            )
            + [("channels", list(communication.channels))]
        )

    @api.model
    def _gentle_render_body(self, template, ids):
        """The body of ``template`` on the messages ``ids``, each in its
        customer's language, with its links left local ("/my/invoices/…"):
        ``mail.mail`` makes them absolute with ``web.base.url`` when it sends
        the email, so that a message queued while the database answered on
        another address still links to the right one. (``_render_field`` would
        make them absolute at once.)"""
        bodies = {}
        for localized, lang_ids in template._classify_per_lang(ids).values():
            rendered = self._gentle_render_compiled(localized, lang_ids)
            if rendered is None:
                rendered = localized._render_template(
                    localized.body_html,
                    localized.render_model,
                    lang_ids,
                    engine="qweb",
                    options={"post_process": False},
                )
            bodies.update(rendered)
        return bodies

    @api.model
    def _gentle_render_compiled(self, template, ids):
        """The QWeb body of ``template`` (in the language of its environment)
        on the messages ``ids``, compiled once for them all: Odoo's
        ``_render_template_qweb`` compiles it again for every record, which
        was most of the time a batch spent rendering. Same values, same
        restrictions; ``None`` when anything is unusual (no QWeb, restricted
        rendering, an error), for Odoo's own rendering to handle it – and word
        its errors."""
        source = template.body_html
        model = template.render_model
        if (
            not source
            or not ids
            or not template._has_unsafe_expression_template_qweb(source, model)
            or (
                not template._unrestricted_rendering
                and not self.env.is_admin()
                and not self.env.user.has_group("mail.group_mail_template_editor")
            )
        ):
            return None
        variables = template._render_eval_context()
        QWeb = template.env["ir.qweb"]
        records = template.env[model].browse(ids)
        try:
            element = html.fragment_fromstring(source, create_parent="div")
            functions, name = QWeb._prepare_environment(
                {**variables, "object": records[:1]}
            )._compile(element)
            bodies = {}
            for record in records:
                values = {**variables, "object": record}
                qweb = QWeb._prepare_environment(values)
                safe_eval.check_values(values)
                # The <div> wrapped around the fragment is taken off, as Odoo does.
                bodies[record.id] = Markup("".join(functions[name](qweb, values))[5:-6])
        except Exception:  # noqa: BLE001 - Odoo's rendering reports it
            _logger.debug("Compiled rendering failed, using Odoo's", exc_info=True)
            return None
        return bodies

    @api.model
    def _gentle_matches(self, draft, communication):
        """Whether ``communication``, prepared again, is the message the draft
        ``draft`` (a preview) showed: the same items, channels and words (or
        words a collector rewrote in the preview: :meth:`_gentle_keep_edits`)."""
        if draft.signature != communication.record.signature:
            return False
        return bool(draft.edited_by_id) or (
            (draft.subject or False) == (communication.subject or False)
            and (draft.body_html or "") == (communication.body or "")
        )

    @api.model
    def _gentle_keep_edits(self, pairs):
        """``[(preview draft, communication prepared again)]``: where a
        collector rewrote the preview, the communication carries those words,
        and its message records who wrote them."""
        edited = [(draft, c) for draft, c in pairs if draft.edited_by_id]
        for draft, communication in edited:
            communication.subject = draft.subject
            communication.body = draft.body_html
            communication.record.sudo().edited_by_id = draft.edited_by_id
        self.env["gentle.followup.communication"]._gentle_write_rendered(
            {c.record.id: (c.subject, c.body) for _draft, c in edited}
        )

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
    def _gentle_claim(self, communications):
        """Claim prepared communications, each all or nothing; return those kept.

        Every source claims its items (``gentle.followup.source._gentle_claim``),
        in one query for all communications. A communication with any item claimed
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
                kept = pending
                for source in self._gentle_sources():
                    kept = source._gentle_claim(kept)
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
        """Named hook, once every source has kept the communications and just
        before their actions are made: side effects that are not messages. The
        late fee of levels that charge one is charged here, so never for a step
        another run got to first, nor for a reminder dropped after its steps
        were claimed."""
        self.env["gentle.late.fee"]._gentle_charge_claimed(communications)

    @api.model
    def _gentle_execute(self, communications):
        """Record and carry out prepared communications; return the actions made.

        The drafts of the communications kept are recorded; those of the
        communications another run got to first are dropped."""
        prepared = communications
        communications = self._gentle_claim(communications)
        kept = {id(c) for c in communications}
        Draft = self.env["gentle.followup.communication"]
        Draft.union(*(c.record for c in prepared if id(c) not in kept)).sudo().unlink()
        Action = self.env["gentle.followup.action"]
        if not communications:
            return Action
        Draft.union(*(c.record for c in communications)).sudo().write({"state": "done"})
        self._gentle_claimed(communications)
        vals_list = []
        bodies = []
        for communication in communications:
            for channel in communication.channels:
                values = self._gentle_action_values(communication, channel)
                # The body the engine rendered is sanitized already, as the
                # chatter sanitizes (see _gentle_render): stored as it is, in
                # one query, rather than sanitized again for every channel.
                rendered = values.get("body_html")
                if rendered and rendered is communication.body:
                    del values["body_html"]
                bodies.append(rendered if "body_html" not in values else None)
                vals_list.append(values)
        # Actions are the engine's record of what it did: users cannot write
        # them (see gentle.followup.action.write), the engine does.
        actions = Action.sudo().create(vals_list).with_env(self.env)
        Action._gentle_write_rendered(
            {
                action.id: body
                for action, body in zip(actions, bodies, strict=True)
                if body
            }
        )
        self._gentle_carry_out(actions.filtered(lambda a: a.state == "queued"))
        self._gentle_log(actions)
        return actions

    @api.model
    def _gentle_action_values(self, communication, channel):
        """Values of the ``gentle.followup.action`` of ``communication`` on
        ``channel``; each source adds what it was about."""
        waiting = communication.approval and channel in ("email", "sms", "letter")
        values = {
            "communication_id": communication.record.id,
            "partner_id": communication.partner.id,
            "company_id": communication.company.id,
            "policy_id": communication.policy.id,
            "level_id": communication.level.id,
            "tone": communication.tone,
            "channel": channel,
            "state": "awaiting_approval" if waiting else "queued",
            "date": communication.date,
            "subject": communication.subject,
            "body_html": communication.body,
            "amount_due": 0.0,
            "responsible_id": self._gentle_responsible(communication).id,
            "tz_warning": "\n".join(
                self._gentle_tz_warnings(communication.partner, communication.company)
            )
            or False,
        }
        for source in self._gentle_sources():
            values.update(source._gentle_action_values(communication, channel))
            values["amount_due"] += source._gentle_amount_due(communication)
        return values

    @api.model
    def _gentle_responsible(self, communication):
        """Who handles calls and activities: the salesperson, else the run's user."""
        moves = communication.history.move_id
        return (
            moves.invoice_user_id[:1] or communication.partner.user_id or self.env.user
        )

    @api.model
    def _gentle_carry_out(self, actions):
        """Send or schedule queued actions, each on its channel
        (``gentle.followup.channel``)."""
        self.env["gentle.followup.channel"]._gentle_carry_out(actions)

    @api.model
    def _gentle_log(self, actions):
        """Each source notes what the actions did on its records, in batches."""
        for source in self._gentle_sources():
            source._gentle_log(actions)

    @api.model
    def _gentle_approval_changes(self, action):
        """What changed, in words, since ``action`` was prepared for approval,
        from every source (a reminder line paid, an invoice put on hold, a
        recalled discount ended). Empty: it may go out as it is."""
        return [
            change
            for source in self._gentle_sources()
            for change in source._gentle_approval_changes(action)
        ]

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
        self._gentle_set_aside(changed, approved=True)
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
    def _gentle_set_aside(self, changed, approved=False, cancelled=False):
        """Set aside actions that must not go out any more, ``{action:
        [changes]}``: each is recorded as skipped with what changed, the
        customer's chatter says so, and the items they claimed are released, so
        that the next run prepares a fresh message for what is still due.
        ``cancelled``: a user cancelled them (Collections → Outbox)."""
        for action, changes in changed.items():
            changes = "; ".join(changes)
            action._gentle_engine_write(
                {
                    "state": "skipped",
                    "postponed_until": False,
                    "error_message": self.env._(
                        "Cancelled by %(user)s from the outbox.",
                        user=self.env.user.name,
                    )
                    if cancelled
                    else self.env._(
                        "Not sent: %(changes)s since it was prepared.",
                        changes=changes,
                    ),
                }
            )
            if cancelled:
                note = self.env._(
                    "Follow-up %(level)s cancelled by %(user)s from the outbox: "
                    "not sent. The next run prepares a new reminder for what is "
                    "still due.",
                    level=action.level_id.display_name,
                    user=self.env.user.name,
                )
            elif approved:
                note = self.env._(
                    "Follow-up %(level)s approved by %(user)s but not sent: "
                    "%(changes)s since it was prepared. The next run prepares a "
                    "new reminder for what is still due.",
                    level=action.level_id.display_name,
                    user=self.env.user.name,
                    changes=changes,
                )
            else:
                note = self.env._(
                    "Follow-up %(level)s not sent: %(changes)s since it was "
                    "prepared. The next run prepares a new reminder for what is "
                    "still due.",
                    level=action.level_id.display_name,
                    changes=changes,
                )
            self._gentle_chatter(action.partner_id).message_post(
                body=note, subtype_xmlid="mail.mt_note"
            )
        stale = self.env["gentle.followup.action"].union(*changed)
        # Released: the next run reminds of what is still due, worded afresh.
        for source in self._gentle_sources():
            source._gentle_release(stale)

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
    def _gentle_run(
        self, company, now=None, partner_ids=None, window=True, limit=None, due=None
    ):
        """Follow up one batch of customers of ``company`` due at ``now``.

        :param datetime now: naive UTC time of the run (default: now)
        :param partner_ids: only these customers (default: all)
        :param bool window: only customers whose contact window is open
        :param int limit: at most this many customers (default: batch size)
        :param list due: the customers due, already selected by the caller at
            ``now`` (:meth:`_gentle_due_partner_ids`): not selected again
        :returns: dict with ``done``, ``remaining``, ``lines``, ``actions``,
            ``partner_ids`` and ``seconds``
        """
        started = time.monotonic()
        now = now or fields.Datetime.now()
        company = company.with_company(company)
        engine = self.with_company(company)
        date = engine._gentle_run_date(company, now)
        if due is None:
            due = engine._gentle_due_partner_ids(
                company, now, partner_ids, window=window
            )
        batch = due[: limit or company.gentle_batch_size]
        locked = engine._gentle_lock_partners(batch)
        communications = engine._gentle_prepare(company, date, locked)
        actions = engine._gentle_execute(communications)
        return {
            "done": len(locked),
            "remaining": len(due) - len(batch),
            "lines": sum(len(c.items.get("steps", [])) for c in communications),
            "actions": actions,
            "partner_ids": locked,
            "seconds": time.monotonic() - started,
        }

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
                    # The customers were selected just above, in this
                    # transaction: the batch is not selected a second time.
                    result = engine._gentle_run(company, now=now, due=batch)
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
