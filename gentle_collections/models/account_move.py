"""Every ``account.move`` extension of the addon, in this one file (one model,
one file): the follow-up summary and the one Python hold rule
(``_gentle_hold_reasons``, twin of the engine's ``_gentle_hold_sql``), cases,
promises to pay, the early-payment discount guard and nudge, and late fees.

The discount's margin arithmetic is ``gentle.discount.guard`` and the charging
of late fees ``gentle.late.fee.charge``, each in its own file.

Over 400 lines because it is the extension of a model that every feature
touches: some 20 fields with their help texts (165 lines), the hold rule every
hold reason is listed in (60 lines), and each feature's computes, actions and
posting guard on the invoice.
"""

from collections import namedtuple

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_amount, format_date

from .account_move_line import CHASED_MOVE_TYPES, CLOSED_PAYMENT_STATES
from .gentle_score_snapshot import GRADES
from .gentle_support_tier import OPEN_CASE_STATES

# Invoices a customer may promise to pay.
PROMISE_INVOICE_TYPES = ("out_invoice", "out_receipt")
# Invoices a payment plan may spread.
# What a plan may pay: what the follow-up chases (receipts included).
PLAN_INVOICE_TYPES = CHASED_MOVE_TYPES

# One reason an invoice is on hold (``account.move._gentle_holds``): its
# ``kind`` (blocked, paused, case, hold, promise, plan), the ``record`` that
# holds it (the case, promise or plan; the invoice for the others) and its
# ``text``, in words.
Hold = namedtuple("Hold", "kind record text")


class AccountMove(models.Model):
    """Invoices show a summary of the follow-up of their receivable lines."""

    _inherit = "account.move"

    gentle_policy_id = fields.Many2one(
        "gentle.followup.policy",
        string="Follow-up Policy",
        copy=False,
        tracking=True,
        domain="[('company_id', '=', company_id)]",
        help="Follow this invoice with another policy than its customer's.",
        groups="base.group_user",
    )
    gentle_hold_until = fields.Date(
        string="Follow-up on Hold Until",
        copy=False,
        tracking=True,
        help="No reminder is sent for this invoice up to and including this date; "
        "follow-up then resumes at the next level, without jumping ahead.",
        groups="base.group_user",
    )
    gentle_hold_note = fields.Char(
        string="Hold Reason",
        copy=False,
        help="Why the follow-up is on hold.",
        groups="base.group_user",
    )
    gentle_history_ids = fields.One2many(
        "gentle.followup.history",
        "move_id",
        string="Follow-up History",
        groups="base.group_user",
    )
    gentle_last_level_id = fields.Many2one(
        "gentle.followup.level",
        string="Last Follow-up Level",
        compute="_compute_gentle_summary",
        store=True,
        groups="base.group_user",
    )
    gentle_last_followup_date = fields.Date(
        string="Last Follow-up",
        compute="_compute_gentle_summary",
        store=True,
        groups="base.group_user",
    )
    gentle_next_followup_date = fields.Date(
        string="Next Follow-up",
        compute="_compute_gentle_summary",
        store=True,
        index=True,
        help="The earliest next follow-up date of the invoice's instalments.",
        groups="base.group_user",
    )
    gentle_on_hold = fields.Boolean(
        string="Follow-up on Hold",
        compute="_compute_gentle_hold",
        search="_search_gentle_on_hold",
        groups="base.group_user",
    )
    gentle_hold_reason = fields.Char(
        string="Follow-up Hold",
        compute="_compute_gentle_hold",
        groups="base.group_user",
    )
    gentle_partner_grade = fields.Selection(
        GRADES,
        string="Customer Grade",
        compute="_compute_gentle_partner_grade",
        help="The customer's relationship grade in the invoice's company.",
        groups="base.group_user",
    )
    gentle_case_ids = fields.Many2many(
        "gentle.collection.case",
        "gentle_collection_case_move_rel",
        "move_id",
        "case_id",
        string="Cases",
        copy=False,
        help="Customer questions and disputes about this invoice.",
        groups="base.group_user",
    )
    gentle_case_count = fields.Integer(
        string="Case Count",
        compute="_compute_gentle_case_count",
        groups="base.group_user",
    )
    gentle_is_fee = fields.Boolean(
        string="Late Fee Invoice",
        copy=False,
        readonly=True,
        help="This invoice charges a late fee; it is never charged a fee itself.",
        groups="base.group_user",
    )
    gentle_late_fee_ids = fields.One2many(
        "gentle.late.fee", "invoice_id", string="Late Fees", groups="base.group_user"
    )
    gentle_discount_nudged_on = fields.Date(
        string="Discount Nudge Sent",
        copy=False,
        readonly=True,
        help="When the customer was reminded of the early-payment discount.",
        groups="base.group_user",
    )
    gentle_fee_clause = fields.Char(
        string="Late Fee Clause",
        compute="_compute_gentle_fee_clause",
        help="The late-fee clause of the customer's follow-up policy, as printed "
        "on the invoice.",
        groups="base.group_user",
    )
    # -- Stored at posting (perf): the reminder table and the discount nudge
    # read the margin guard's verdict instead of recomputing it (product costs)
    # per reminder. Stored computed column: the SQL fill of ``_auto_init`` may
    # set it FALSE, then compute only posted customer invoices whose receivable
    # lines carry a ``discount_date``.
    gentle_discount_refused = fields.Boolean(
        string="Discount Refused by Margin Guard",
        compute="_compute_gentle_discount_refused",
        store=True,
        copy=False,
        help="The margin guard refused this invoice's early-payment discount when "
        "it was posted (posted nonetheless): reminders and the statement do not "
        "offer it.",
        groups="base.group_user",
    )
    # -- end of the fields stored at posting
    gentle_discount_guard_note = fields.Char(
        string="Discount Guard",
        compute="_compute_gentle_discount_guard_note",
        help="Why the early-payment discount takes too much of the invoice's "
        "margin to be posted as it is.",
        groups="base.group_user",
    )
    gentle_plan_ids = fields.Many2many(
        "gentle.payment.plan",
        "gentle_payment_plan_move_rel",
        "move_id",
        "plan_id",
        string="Payment Plans",
        copy=False,
        readonly=True,
        groups="base.group_user",
    )
    gentle_promise_ids = fields.Many2many(
        "gentle.payment.promise",
        "gentle_payment_promise_move_rel",
        "move_id",
        "promise_id",
        string="Promises to Pay",
        copy=False,
        readonly=True,
        groups="base.group_user",
    )
    gentle_thanked_on = fields.Date(
        string="Thanked On",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="When the customer was thanked for paying this invoice.",
        groups="base.group_user",
    )

    @api.depends(
        "line_ids.gentle_last_level_id",
        "line_ids.gentle_last_date",
        "line_ids.gentle_next_date",
    )
    def _compute_gentle_summary(self):
        for move in self:
            lines = move.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            )
            reached = lines.filtered("gentle_last_level_id")
            last = max(
                reached, key=lambda line: (line.gentle_last_date, line.id), default=None
            )
            move.gentle_last_level_id = last.gentle_last_level_id if last else False
            move.gentle_last_followup_date = last.gentle_last_date if last else False
            dates = [d for d in lines.mapped("gentle_next_date") if d]
            move.gentle_next_followup_date = min(dates) if dates else False

    @api.depends(
        "gentle_hold_until",
        "gentle_hold_note",
        "payment_state",
        "commercial_partner_id.gentle_paused",
        "gentle_case_ids.state",
        "gentle_case_ids.needs_triage",
        "gentle_promise_ids.state",
        "gentle_promise_ids.date_deadline",
        "gentle_plan_ids.state",
    )
    @api.depends_context("company")
    def _compute_gentle_hold(self):
        today = fields.Date.context_today(self)
        for move in self:
            reasons = move._gentle_hold_reasons(today)
            move.gentle_on_hold = bool(reasons)
            move.gentle_hold_reason = "; ".join(reasons) or False

    @api.depends("commercial_partner_id", "company_id")
    @api.depends_context("company")
    def _compute_gentle_partner_grade(self):
        for move in self:
            partner = move.commercial_partner_id.with_company(move.company_id)
            move.gentle_partner_grade = partner.gentle_grade

    @api.model
    def _gentle_owed_invoices_domain(
        self, partner, company=None, types=CHASED_MOVE_TYPES
    ):
        """The one definition of "an invoice of this customer with an amount
        left", as the promise, plan and call forms list them: posted, of
        ``types``, with a residual (lines open in the "owed" sense of
        ``account.move.line._gentle_is_open``, summed per invoice)."""
        domain = [
            ("commercial_partner_id", "=", partner.commercial_partner_id.id),
            ("move_type", "in", types),
            ("state", "=", "posted"),
            ("amount_residual", ">", 0),
        ]
        if company is not None:
            domain.append(("company_id", "=", company.id))
        return domain

    def _gentle_hold_reasons(self, today):
        """Why the follow-up of this invoice is on hold on ``today``, in words
        (empty: it isn't): the texts of :meth:`_gentle_holds`."""
        return [hold.text for hold in self._gentle_holds(today)]

    def _gentle_holds(self, today):
        """Why the follow-up of this invoice is on hold on ``today``, as
        :data:`Hold` tuples (empty: it isn't). Every hold reason is listed
        here, and only here:

        - the payment is blocked;
        - the customer is paused in the invoice's company;
        - the invoice is on hold up to and including ``gentle_hold_until``;
        - an open case is about it (a case to triage, from an unknown sender,
          holds nothing until confirmed);
        - an open promise to pay covers it, up to its deadline;
        - an agreed payment plan covers it.

        Hardship mode holds nothing: it softens the reminders instead. The SQL
        twin is ``gentle.followup.engine._gentle_hold_sql``; keep them in step
        (``tests/test_hold_parity.py`` runs both on the same invoices). The
        customer's blocker (``res.partner.gentle_followup_blocker``) words the
        same tuples.
        """
        self.ensure_one()
        holds = []
        if self.payment_state == "blocked":
            holds.append(Hold("blocked", self, self.env._("Payment blocked")))
        if self.commercial_partner_id.gentle_paused:
            holds.append(Hold("paused", self, self.env._("Customer paused")))
        for case in self._gentle_holding_cases():
            text = self.env._(
                "Open case %(case)s (%(category)s)",
                case=case.name,
                category=case.category_id.name,
            )
            holds.append(Hold("case", case, text))
        if self.gentle_hold_until and self.gentle_hold_until >= today:
            text = self.env._(
                "On hold until %(date)s",
                date=format_date(self.env, self.gentle_hold_until),
            )
            if self.gentle_hold_note:
                text = f"{text} ({self.gentle_hold_note})"
            holds.append(Hold("hold", self, text))
        for promise in self.sudo().gentle_promise_ids.filtered(
            lambda p: p.state == "open" and p.date_deadline >= today
        ):
            text = self.env._(
                "Promise to pay %(amount)s by %(date)s",
                amount=format_amount(self.env, promise.amount, promise.currency_id),
                date=format_date(self.env, promise.date_promised),
            )
            holds.append(Hold("promise", promise, text))
        for plan in self.sudo().gentle_plan_ids.filtered(lambda p: p.state == "agreed"):
            text = self.env._("Payment plan %(plan)s agreed", plan=plan.name)
            holds.append(Hold("plan", plan, text))
        return holds

    def _gentle_holding_cases(self):
        """The open cases about these invoices that hold them (the case rule of
        :meth:`_gentle_hold_reasons`): a case to triage, from an unknown
        sender, holds nothing until confirmed."""
        return self.gentle_case_ids.filtered(
            lambda c: c.state in OPEN_CASE_STATES and not c.needs_triage
        )

    def _search_gentle_on_hold(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(operator)
        held = operator == "=" and value or operator == "!=" and not value
        engine = self.env["gentle.followup.engine"]
        self.env["account.move"].flush_model()
        self.env["res.partner"].flush_model()
        query = SQL(
            """(SELECT am.id FROM account_move am
               JOIN res_partner rp ON rp.id = am.commercial_partner_id
               WHERE %s)""",
            engine._gentle_hold_sql(fields.Date.context_today(self)),
        )
        return [("id", "in" if held else "not in", query)]

    def _compute_gentle_case_count(self):
        groups = self.env["gentle.collection.case"]._read_group(
            [("move_ids", "in", self.ids)], ["move_ids"], ["__count"]
        )
        counts = {move.id: count for move, count in groups}
        for move in self:
            move.gentle_case_count = counts.get(move.id, 0)

    def action_gentle_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "gentle_collections.gentle_collection_case_action"
        )
        action["domain"] = [("move_ids", "in", self.ids)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_gentle_open_case(self):
        """A new case about this invoice, in a form the collector completes."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "gentle.collection.case",
            "view_mode": "form",
            "target": "current",
            "context": {
                "default_partner_id": self.commercial_partner_id.id,
                "default_company_id": self.company_id.id,
                "default_move_ids": [Command.set(self.ids)],
                "default_subject": self.env._(
                    "Question about %(invoice)s", invoice=self.name
                ),
            },
        }

    def action_gentle_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "gentle_collections.gentle_followup_action_action"
        )
        action["domain"] = [("move_ids", "in", self.ids)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # Promises to pay
    # ------------------------------------------------------------------

    def _message_post_after_hook(self, message, msg_values):
        result = super()._message_post_after_hook(message, msg_values)
        if msg_values.get("message_type") == "email":
            self.env["gentle.payment.promise"]._gentle_promise_from_reply(self, message)
        return result

    def action_gentle_promise(self):
        self.ensure_one()
        if self.state != "posted" or self.move_type not in PROMISE_INVOICE_TYPES:
            raise UserError(
                self.env._("Record a promise to pay on a posted customer invoice.")
            )
        return self.env["gentle.payment.promise"]._gentle_open_form(
            self.commercial_partner_id, self
        )

    # ------------------------------------------------------------------
    # Early-payment discount: margin guard
    # ------------------------------------------------------------------

    def _gentle_discount_guard_message(self):
        """Why posting this invoice with its discount is refused (False: it
        isn't); see ``gentle.discount.guard``."""
        self.ensure_one()
        return self.env["gentle.discount.guard"]._gentle_refusal(self)

    @api.depends(
        "line_ids.discount_balance",
        "line_ids.balance",
        "line_ids.product_id",
        "line_ids.quantity",
        "company_id.gentle_discount_max_margin_share",
        "company_id.gentle_discount_guard_unknown_cost",
        "state",
    )
    def _compute_gentle_discount_guard_note(self):
        for move in self:
            move.gentle_discount_guard_note = (
                move.state == "draft" and move._gentle_discount_guard_message()
            ) or False

    @api.depends("state")
    def _compute_gentle_discount_refused(self):
        for move in self:
            move.gentle_discount_refused = bool(
                move.state == "posted"
                and move.move_type == "out_invoice"
                and any(
                    line.display_type == "payment_term" and line.discount_date
                    for line in move.line_ids
                )
                and move._gentle_discount_guard_message()
            )

    def _post(self, soft=True):
        if not self.env.context.get("gentle_skip_discount_guard"):
            for move in self:
                message = move._gentle_discount_guard_message()
                if message:
                    raise UserError(
                        self.env._(
                            "%(invoice)s cannot be posted: %(reason)s Post it with "
                            '"Post without discount", choose a payment term without '
                            "early discount, or raise the allowed share of margin in "
                            "the Collections settings.",
                            invoice=move.display_name,
                            reason=message,
                        )
                    )
        return super()._post(soft=soft)

    def action_gentle_post_without_discount(self):
        """Post the invoices without their early-payment discount: the payment
        term is replaced by its due date, so neither the PDF nor the payment
        offers the discount."""
        for move in self.filtered(lambda m: m.state == "draft"):
            term = move.invoice_payment_term_id
            if not term.early_discount:
                continue
            due = max(
                move.line_ids.filtered(
                    lambda line: line.display_type == "payment_term"
                ).mapped("date_maturity"),
                default=move.invoice_date_due,
            )
            move.write({"invoice_payment_term_id": False, "invoice_date_due": due})
            move.message_post(
                body=self.env._(
                    "Posted without the early-payment discount of %(term)s; "
                    "due on %(date)s.",
                    term=term.display_name,
                    date=format_date(self.env, due),
                ),
                subtype_xmlid="mail.mt_note",
            )
        return self.with_context(gentle_skip_discount_guard=True).action_post()

    # ------------------------------------------------------------------
    # Early-payment discount: nudge
    # ------------------------------------------------------------------

    def _gentle_discount_lines(self, today):
        """Receivable lines of these invoices whose discount is still open on
        ``today`` (``account.move.line._gentle_discount_pending``)."""
        return self.line_ids.filtered(lambda line: line._gentle_discount_pending(today))

    def _gentle_discount_eligible(self, today):
        """True when this invoice's customer may be nudged about its discount."""
        self.ensure_one()
        partner = self.commercial_partner_id.with_company(self.company_id)
        if partner._gentle_in_hardship(today):
            return False
        if self.gentle_discount_refused:
            return False
        policy = self._gentle_fee_policy()
        grades = policy.discount_grade_ids.mapped("code")
        return not grades or partner.gentle_grade in grades

    # ------------------------------------------------------------------
    # Late fees
    # ------------------------------------------------------------------

    def _gentle_fee_policy(self):
        """This invoice's follow-up policy, whose late-fee clause and discount
        grades apply: its receivable lines' (stored), else resolved the same way
        (``gentle.followup.engine._gentle_resolve_policy``)."""
        self.ensure_one()
        receivables = self.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        )
        engine = self.env["gentle.followup.engine"]
        return receivables.gentle_policy_id[:1] or engine._gentle_resolve_policy(
            self.commercial_partner_id, self.company_id, self
        )

    @api.depends("partner_id", "company_id", "currency_id", "gentle_policy_id")
    def _compute_gentle_fee_clause(self):
        for move in self:
            # Printed by anyone who may print the invoice, collector or not.
            move.gentle_fee_clause = move.sudo()._gentle_fee_clause() or False

    def _gentle_fee_clause(self):
        """The late-fee clause printed on this invoice (False: none)."""
        self.ensure_one()
        if self.move_type != "out_invoice" or self.gentle_is_fee:
            return False
        policy = self._gentle_fee_policy()
        return policy and policy._gentle_fee_clause(self.currency_id)

    def _gentle_charge_late_fee(self, date, policy):
        """Charge ``policy``'s late fee on this invoice for the month of ``date``,
        once; returns the new ``gentle.late.fee`` (empty if waived or done). See
        ``gentle.late.fee.charge``."""
        self.ensure_one()
        return self.env["gentle.late.fee.charge"]._gentle_charge_late_fee(
            self, date, policy
        )

    # ------------------------------------------------------------------
    # Expected payment date (gentle.payment.behaviour)
    # ------------------------------------------------------------------

    gentle_expected_date = fields.Date(
        string="Expected Payment",
        compute="_compute_gentle_expected",
        help="When this open invoice is expected to be paid: its due date plus "
        "the median days late of the customer's invoices paid in the last 12 "
        "months (from 3 of them), else of all customers of the company, else the "
        "due date. Read afresh each time, never stored.",
        groups="base.group_user",
    )
    gentle_expected_note = fields.Char(
        string="Expected Payment Basis",
        compute="_compute_gentle_expected",
        help="Why the payment is expected then, in one line.",
        groups="base.group_user",
    )

    @api.depends(
        "state",
        "move_type",
        "payment_state",
        "amount_residual",
        "invoice_date_due",
        "commercial_partner_id",
    )
    @api.depends_context("company")
    def _compute_gentle_expected(self):
        # Not stored: it moves with today and with every payment of the
        # customer's other invoices; one query for all the invoices in self.
        open_moves = self.filtered(
            lambda move: (
                move.state == "posted"
                and move.move_type in CHASED_MOVE_TYPES
                and move.amount_residual > 0
                and move.payment_state not in CLOSED_PAYMENT_STATES
                and move.invoice_date_due
                and move.id
            )
        )
        Behaviour = self.env["gentle.payment.behaviour"]
        expected = Behaviour._gentle_expected(
            (
                move.id,
                move.company_id.id,
                move.commercial_partner_id.id,
                move.invoice_date_due,
            )
            for move in open_moves
        )
        for move in self:
            found = expected.get(move.id) if move.id else None
            move.gentle_expected_date = found.date if found else False
            move.gentle_expected_note = (
                Behaviour._gentle_expected_note(found.basis, found.delay, found.count)
                if found
                else False
            )
