"""Reminders of invoices: the first source of follow-up.

Each receivable line of a posted customer invoice reaches the levels of its
policy one by one (``account.move.line._gentle_next_step``); a customer's lines
due on the run date travel in one message, worded in the tone of the firmest
level. The ``gentle.followup.history`` row of a (line, level), UNIQUE, is the
ledger that keeps a level from being sent twice.
"""

from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.tools import SQL

from .gentle_followup_policy import TONE_RANK
from .gentle_followup_source import Communication


class GentleFollowupSourceInvoice(models.AbstractModel):
    _name = "gentle.followup.source.invoice"
    _inherit = "gentle.followup.source"
    _description = "Follow-up Source: Invoice Reminders"

    _gentle_key = "steps"
    _gentle_sequence = 10

    @api.model
    def _gentle_lines_sql(self, company, date, partner_ids=None):
        """SQL selecting the receivable lines due for follow-up on ``date``.

        Columns: ``line_id``, ``partner_id`` (commercial). One query for any
        number of lines; the stored, indexed next follow-up date does the work.
        """
        conditions = [
            SQL("aml.gentle_next_date <= %s", date),
            self.env["account.move.line"]._gentle_open_sql(),
        ]
        if company.gentle_go_live_date:
            conditions.append(
                SQL("aml.date_maturity >= %s", company.gentle_go_live_date)
            )
        return self.env["gentle.followup.engine"]._gentle_unheld_lines_sql(
            company, date, partner_ids, conditions
        )

    @api.model
    def _gentle_due_sql(self, company, date, partner_ids=None):
        return SQL(
            "SELECT due_lines.partner_id FROM (%s) due_lines",
            self._gentle_lines_sql(company, date, partner_ids),
        )

    @api.model
    def _gentle_collect(self, company, date, partner_ids):
        """``{partner id: [(line, level)]}``: each line due and the level it
        reaches, oldest due date first."""
        rows = self.env.execute_query(
            self._gentle_lines_sql(company, date, partner_ids)
        )
        lines = self.env["account.move.line"].browse([row[0] for row in rows])
        steps = defaultdict(list)
        for line in lines:
            step = line._gentle_next_step(today=date)
            if step and step.date <= date:
                level = self.env["gentle.followup.level"].browse(step.level.id)
                steps[line.move_id.commercial_partner_id.id].append((line, level))
        for items in steps.values():
            items.sort(key=lambda s: (s[0].date_maturity, s[0].move_id.name or ""))
        return dict(steps)

    @api.model
    def _gentle_fill(self, communications, company, date, partner_ids):
        """The firmest level reached decides the message: its policy, tone,
        channels and approval."""
        for partner_id, steps in self._gentle_collect(
            company, date, partner_ids
        ).items():
            levels = self.env["gentle.followup.level"].union(*(s[1] for s in steps))
            firmest = max(levels, key=lambda lv: (TONE_RANK[lv.tone], lv.day_offset))
            communication = communications.get(partner_id) or Communication(
                self.env["res.partner"].browse(partner_id).with_prefetch(partner_ids),
                company,
                date,
            )
            communications[partner_id] = communication
            communication.items[self._gentle_key] = steps
            communication.level = firmest
            communication.policy = firmest.policy_id
            communication.tone = firmest.tone
            communication.channels = levels._channels()
            communication.approval = any(levels.mapped("requires_approval"))

    @api.model
    def _gentle_claim_keys(self, items):
        return {(line.id, level.id) for line, level in items}

    @api.model
    def _gentle_claim(self, communications):
        """Insert one history row per (line, level); the UNIQUE constraint makes
        a second insert of the same row a no-op, so a concurrent run cannot act
        on the same line and level twice."""
        History = self.env["gentle.followup.history"]
        steps = [
            (line, level, c)
            for c in communications
            for line, level in c.items.get(self._gentle_key, [])
        ]
        if not steps:
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
                partners=[c.partner.id for _l, _lv, c in steps],
                companies=[c.company.id for _l, _lv, c in steps],
                levels=[level.id for _l, level, _c in steps],
                offsets=[level.day_offset for _l, level, _c in steps],
                dates=[c.date for _l, _lv, c in steps],
            )
        )
        inserted = {(line_id, level_id): hist_id for hist_id, line_id, level_id in rows}
        kept = self._gentle_keep_marked(communications, set(inserted))
        for communication in kept:
            communication.history = History.browse(
                inserted[(line.id, level.id)]
                for line, level in communication.items.get(self._gentle_key, [])
            )
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
    def _gentle_release(self, actions):
        """The steps of a stale reminder are forgotten: the next run reminds of
        what is still due, worded afresh."""
        actions.history_ids.sudo().unlink()

    @api.model
    def _gentle_item_ids(self, items):
        return [line.id for line, _level in items]

    @api.model
    def _gentle_draft_values(self, communication):
        """One step per line, in the order the message lists them."""
        return {
            "step_ids": [
                Command.create(
                    {"sequence": index, "move_line_id": line.id, "level_id": level.id}
                )
                for index, (line, level) in enumerate(
                    communication.items.get(self._gentle_key, [])
                )
            ]
        }

    @api.model
    def _gentle_action_values(self, communication, channel):
        return {
            "history_ids": [Command.set(communication.history.ids)],
            "move_ids": [Command.set(communication.history.move_id.ids)],
        }

    @api.model
    def _gentle_amount_due(self, communication):
        return sum(
            line.amount_residual
            for line, _lv in communication.items.get(self._gentle_key, [])
        )

    @api.model
    def _gentle_recipients(self, communication):
        """The invoices' contacts with an email address."""
        return communication.move_line_ids.move_id.partner_id.filtered("email")

    @api.model
    def _gentle_log(self, actions):
        """One note per invoice, written in one batch, whatever the invoice count."""
        labels, states = self._gentle_action_labels(actions)
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
            move_id: self._gentle_note_list(self.env._("Follow-up"), texts)
            for move_id, texts in notes.items()
        }
        self.env["account.move"].browse(list(bodies))._gentle_log_notes(bodies)

    @api.model
    def _gentle_approval_changes(self, action):
        """A reminder line paid or settled, an invoice put on hold."""
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
