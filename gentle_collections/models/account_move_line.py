import functools
from datetime import timedelta

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL

from ..tools.followup_rules import Level, Reached, next_step
from .gentle_followup_policy import TONE_RANK

# An open receivable line (the one definition: _gentle_is_open, in Python;
# _gentle_open_domain, as a domain; _gentle_open_sql, in SQL; _gentle_open_at_sql,
# in SQL at the end of a past day, for trends): an instalment
# (payment term line) of a posted customer invoice or receipt, with an amount
# left, not reconciled, with a due date, and, in the "chased" variant (the
# default: what the follow-up reminds of, the customer's amounts due), whose
# invoice is not closed by its payment state.
#
# The "owed" variant (the receivables ageing report) leaves the payment state
# out: an invoice settled by a payment without a journal entry is "in payment"
# (or, imported, "invoicing_legacy") while its line still has an amount left,
# which the customer's ledger shows until it is reconciled.
#
# The "ledger" variant (the statement of account) is every open item of the
# customer's receivable account, whichever its sign or document: invoices,
# receipts, credit notes, unapplied payments and entries, posted, with an
# amount left either way, not reconciled; with or without a due date.
CLOSED_PAYMENT_STATES = ("paid", "in_payment", "reversed", "invoicing_legacy")
CHASED_MOVE_TYPES = ("out_invoice", "out_receipt")
# An invoice counted as paid by the customer (thank-yous, the score's payment
# record, the report of which reminders work): paid, or in payment.
PAID_PAYMENT_STATES = ("paid", "in_payment")
OPEN_VARIANTS = ("chased", "owed", "ledger")
# Where a transaction keeps the customers whose score to refresh at commit.
SCORE_REFRESH_KEY = "gentle_collections.score_refresh"


def _gentle_run_score_refresh(env):
    """Pre-commit: one score recompute per company for the customers whose
    receivables were matched or unmatched in the transaction."""
    pending = env.cr.precommit.data.pop(SCORE_REFRESH_KEY, {})
    engine = env["gentle.score.engine"].sudo()
    for company_id, partner_ids in pending.items():
        company = env["res.company"].browse(company_id)
        engine.with_company(company)._gentle_recompute(
            company, partner_ids=sorted(partner_ids)
        )
    # The scores are written after the ORM's own flush of the commit.
    env.flush_all()


def _check_variant(variant):
    if variant not in OPEN_VARIANTS:
        raise ValueError(f"Unknown open receivable variant {variant!r}")


class AccountMoveLine(models.Model):
    """Receivable lines are the unit of follow-up: each instalment has its own."""

    _inherit = "account.move.line"

    gentle_history_ids = fields.One2many(
        "gentle.followup.history",
        "move_line_id",
        string="Follow-up History",
        groups="base.group_user",
    )
    gentle_policy_id = fields.Many2one(
        "gentle.followup.policy",
        string="Follow-up Policy",
        compute="_compute_gentle_policy_id",
        store=True,
        help="Invoice override, else customer override, else the policy matching "
        "the customer's grade, else the company default.",
        groups="base.group_user",
    )
    gentle_last_level_id = fields.Many2one(
        "gentle.followup.level",
        string="Last Follow-up Level",
        compute="_compute_gentle_last",
        store=True,
        groups="base.group_user",
    )
    gentle_last_date = fields.Date(
        string="Last Follow-up",
        compute="_compute_gentle_last",
        store=True,
        groups="base.group_user",
    )
    gentle_next_level_id = fields.Many2one(
        "gentle.followup.level",
        string="Next Follow-up Level",
        compute="_compute_gentle_next",
        store=True,
        groups="base.group_user",
    )
    gentle_next_date = fields.Date(
        string="Next Follow-up",
        compute="_compute_gentle_next",
        store=True,
        index=True,
        help="When this instalment reaches its next follow-up level. A line first "
        "seen late catches up to the level for its age at the next run.",
        groups="base.group_user",
    )

    def _gentle_is_open(self, variant="chased"):
        """Whether this line is an open receivable (``variant``: see
        ``OPEN_VARIANTS`` at the top of this file)."""
        self.ensure_one()
        _check_variant(variant)
        if variant == "ledger":
            return bool(
                self.account_id.account_type == "asset_receivable"
                and self.parent_state == "posted"
                and self.amount_residual
                and not self.reconciled
            )
        move = self.move_id
        return bool(
            self.display_type == "payment_term"
            and self.parent_state == "posted"
            and move.move_type in CHASED_MOVE_TYPES
            and self.amount_residual > 0
            and not self.reconciled
            and self.date_maturity
            and (variant == "owed" or move.payment_state not in CLOSED_PAYMENT_STATES)
        )

    @api.model
    def _gentle_open_domain(self, variant="chased"):
        """The domain of :meth:`_gentle_is_open`."""
        _check_variant(variant)
        if variant == "ledger":
            return [
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("amount_residual", "!=", 0),
                ("reconciled", "=", False),
            ]
        domain = [
            ("display_type", "=", "payment_term"),
            ("parent_state", "=", "posted"),
            ("move_id.move_type", "in", CHASED_MOVE_TYPES),
            ("amount_residual", ">", 0),
            ("reconciled", "=", False),
            ("date_maturity", "!=", False),
        ]
        if variant == "chased":
            domain.append(("move_id.payment_state", "not in", CLOSED_PAYMENT_STATES))
        return domain

    @api.model
    def _gentle_open_sql(self, variant="chased"):
        """The SQL condition of :meth:`_gentle_is_open`, on ``aml`` (the line)
        and ``am`` (its move)."""
        _check_variant(variant)
        if variant == "ledger":
            return SQL(
                """(aml.account_id IN (SELECT id FROM account_account
                                        WHERE account_type = 'asset_receivable')
                    AND aml.parent_state = 'posted'
                    AND aml.amount_residual != 0
                    AND NOT COALESCE(aml.reconciled, FALSE))"""
            )
        conditions = [
            *self._gentle_receivable_sql(),
            SQL("aml.amount_residual > 0"),
            SQL("NOT COALESCE(aml.reconciled, FALSE)"),
        ]
        if variant == "chased":
            conditions.append(
                SQL("COALESCE(am.payment_state, '') NOT IN %s", CLOSED_PAYMENT_STATES)
            )
        return SQL("(%s)", SQL(" AND ").join(conditions))

    @api.model
    def _gentle_receivable_sql(self):
        """The conditions of :meth:`_gentle_open_sql` that do not change once
        the line is posted: a customer invoice's instalment with a due date."""
        return [
            SQL("aml.display_type = 'payment_term'"),
            SQL("aml.parent_state = 'posted'"),
            SQL("am.move_type IN %s", CHASED_MOVE_TYPES),
            SQL("aml.date_maturity IS NOT NULL"),
        ]

    @api.model
    def _gentle_residual_at_sql(self, day):
        """The amount left on ``aml`` (company currency) at the end of ``day``
        (an SQL date expression): its balance less what was reconciled with it
        by then. An invoice's instalment is always the debit side of its
        reconciliations, exchange differences included."""
        return SQL(
            """(aml.balance - COALESCE(
                   (SELECT SUM(apr.amount) FROM account_partial_reconcile apr
                     WHERE apr.debit_move_id = aml.id AND apr.max_date <= %s),
                   0))""",
            day,
        )

    @api.model
    def _gentle_open_at_sql(self, day, residual=None):
        """The SQL condition of an open receivable line ("owed" variant) at the
        end of a past ``day`` (an SQL date expression), on ``aml`` and ``am``:
        posted by then, with an amount left then (``residual``: the SQL of
        :meth:`_gentle_residual_at_sql`, when the caller selects it already).
        At today it selects the lines of ``_gentle_open_sql("owed")``."""
        if residual is None:
            residual = self._gentle_residual_at_sql(day)
        return SQL(
            "(%s)",
            SQL(" AND ").join(
                [
                    *self._gentle_receivable_sql(),
                    SQL("aml.date <= %s", day),
                    # Reconciled today, last by that day: nothing was left then
                    # (saves the sum below on the settled past).
                    SQL(
                        """(NOT COALESCE(aml.reconciled, FALSE)
                            OR EXISTS (SELECT 1 FROM account_partial_reconcile apr
                                        WHERE apr.debit_move_id = aml.id
                                          AND apr.max_date > %s))""",
                        day,
                    ),
                    SQL("%s > 0", residual),
                ]
            ),
        )

    def _gentle_discount_pending(self, today):
        """Whether this receivable line's early-payment discount can still be
        taken on ``today``: its discount date not past, nothing paid yet."""
        self.ensure_one()
        return bool(
            self.display_type == "payment_term"
            and self.discount_date
            and self.discount_date >= today
            and not self.reconciled
            and self.amount_residual_currency
            and self.currency_id.compare_amounts(
                self.amount_residual_currency, self.amount_currency
            )
            == 0
        )

    def _gentle_discount_open(self, today):
        """Whether this line's early-payment discount is still offered on
        ``today``: pending (:meth:`_gentle_discount_pending`) and not refused
        by the margin guard when its invoice was posted
        (``account.move.gentle_discount_refused``). What the reminder table
        and the statement tell the customer."""
        self.ensure_one()
        return self._gentle_discount_pending(today) and not (
            self.move_id.gentle_discount_refused
        )

    @api.depends(
        "display_type",
        "company_id",
        "move_id.gentle_policy_id",
        "move_id.commercial_partner_id.gentle_policy_id",
        "move_id.commercial_partner_id.gentle_grade",
        "company_id.gentle_default_policy_id",
    )
    def _compute_gentle_policy_id(self):
        receivables = self.filtered(lambda line: line.display_type == "payment_term")
        (self - receivables).gentle_policy_id = False
        engine = self.env["gentle.followup.engine"]
        for line in receivables:
            move = line.move_id
            line.gentle_policy_id = engine._gentle_resolve_policy(
                move.commercial_partner_id, line.company_id, move
            )

    @api.depends("gentle_history_ids.level_id", "gentle_history_ids.date")
    def _compute_gentle_last(self):
        for line in self:
            last = line._gentle_last_history()
            line.gentle_last_level_id = last.level_id if last else False
            line.gentle_last_date = last.date if last else False

    @api.depends(
        "display_type",
        "parent_state",
        "date_maturity",
        "amount_residual",
        "reconciled",
        "move_id.move_type",
        "move_id.payment_state",
        "move_id.invoice_date",
        "move_id.gentle_hold_until",
        "gentle_policy_id.level_ids.day_offset",
        "gentle_policy_id.level_ids.active",
        "gentle_history_ids.level_id",
        "gentle_history_ids.date",
    )
    def _compute_gentle_next(self):
        # A line paid or closed has no next level: its history is not read
        # (a payment's matching costs no query here).
        for line in self:
            step = line._gentle_next_step() if line._gentle_is_open() else None
            line.gentle_next_level_id = step.level.id if step else False
            next_date = step.date if step else False
            hold_until = line.move_id.gentle_hold_until
            if next_date and hold_until and next_date <= hold_until:
                # A manual hold postpones the next level to the day after it.
                next_date = hold_until + timedelta(days=1)
            line.gentle_next_date = next_date

    def _gentle_last_history(self):
        """The history record of the firmest level this line reached (None)."""
        self.ensure_one()
        return max(
            self.gentle_history_ids, key=lambda h: (h.day_offset, h.id), default=None
        )

    @api.model
    def _gentle_policy_refresh_domain(self):
        """The lines whose policy is refreshed when the resolution changes
        outside the ORM's sight (:meth:`_gentle_refresh_policy`): the open
        ones, and those of draft invoices, which keep their policy once posted."""
        return expression.OR(
            [
                self._gentle_open_domain(),
                [("display_type", "=", "payment_term"), ("parent_state", "=", "draft")],
            ]
        )

    def _gentle_refresh_policy(self):
        """Resolve the policy of these lines again, and all that follows from it
        (next level and date, the invoice summary).

        For changes the ORM cannot see: a grade written in SQL, a policy that
        starts or stops matching a grade. Marking the field to compute alone
        would not refresh the fields that depend on it.
        """
        lines = self.filtered(lambda line: line.display_type == "payment_term")
        self.env.add_to_compute(self._fields["gentle_policy_id"], lines)
        lines.modified(["gentle_policy_id"])

    def _gentle_next_step(self, today=None):
        """The next follow-up :class:`Step` of this line (catch-up when ``today``)."""
        self.ensure_one()
        policy = self.gentle_policy_id
        if not policy:
            return None
        levels = [
            Level(level.id, level.day_offset, TONE_RANK[level.tone])
            for level in policy.level_ids
            if level.active
        ]
        last = self._gentle_last_history()
        return next_step(
            levels,
            self.date_maturity,
            invoice_date=self.move_id.invoice_date,
            last=Reached(last.day_offset, last.date) if last else None,
            today=today,
            cap_rank=TONE_RANK[policy.catch_up_max_tone],
        )

    def _gentle_schedule_score_refresh(self):
        """Refresh the score of the customers of these receivable lines when the
        transaction commits: one set-based recompute per company for every
        payment matched in it (a batch of 50 reconciliations costs one), and
        nothing but this bookkeeping in the accountant's matching itself."""
        receivables = self.filtered(
            lambda line: (
                line.display_type == "payment_term"
                and line.move_id.move_type in CHASED_MOVE_TYPES
            )
        )
        if not receivables:
            return
        pending = self.env.cr.precommit.data.setdefault(SCORE_REFRESH_KEY, {})
        if not pending:
            self.env.cr.precommit.add(
                functools.partial(_gentle_run_score_refresh, self.env)
            )
        for line in receivables:
            pending.setdefault(line.company_id.id, set()).add(
                line.move_id.commercial_partner_id.id
            )
