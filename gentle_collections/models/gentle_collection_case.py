"""A customer's query or dispute about invoices (``gentle.collection.case``).

Services of the case, each in its own file: the mail gateway and the triage
of e-mails from unknown senders (``gentle.collection.case.gateway``), the SLA
and escalation (``gentle.collection.case.sla``) and the acknowledgement to the
customer (``gentle.collection.case.ack``).

Over 400 lines because what is left is the case itself: some 25 fields with
their help texts (150 lines), their computes and checks, create/write (which
hold and release the invoices) and the actions of its workflow (start, wait,
resolve, cancel, reopen, confirm the sender, agree a plan).
"""

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .account_move import PLAN_INVOICE_TYPES
from .gentle_support_tier import OPEN_CASE_STATES

OUTCOMES = [
    ("explained", "Explained"),
    ("credit_note", "Credit note issued"),
    ("plan_agreed", "Payment plan agreed"),
    ("written_off", "Written off"),
    ("other", "Other"),
]


class GentleCollectionCase(models.Model):
    """A customer's query or dispute about invoices, routed to a support tier."""

    _name = "gentle.collection.case"
    _description = "Collection Case"
    _inherit = [
        "portal.mixin",
        "mail.thread",
        "mail.activity.mixin",
        "gentle.invoice.owner.mixin",
    ]
    _order = "state_rank, sla_deadline, id desc"
    _mail_post_access = "read"

    name = fields.Char(
        string="Reference", required=True, copy=False, readonly=True, default="New"
    )
    subject = fields.Char(required=True, tracking=True)
    description = fields.Html(
        string="Customer's Message", help="What the customer asked or disputes."
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        index=True,
        tracking=True,
        help="The customer (company) the case is about. Only a case to triage "
        "may have none.",
    )
    needs_triage = fields.Boolean(
        string="To Triage",
        copy=False,
        readonly=True,
        tracking=True,
        help="Opened from an email whose sender is not a known contact of the "
        "customer whose invoices it names. The case holds nothing and nobody was "
        "answered: check the sender, set the customer and the invoices, then "
        "click “Confirm Sender”.",
    )
    move_ids = fields.Many2many(
        "account.move",
        "gentle_collection_case_move_rel",
        "case_id",
        "move_id",
        string="Invoices",
        check_company=True,
        domain="[('move_type', 'in', ('out_invoice', 'out_refund', 'out_receipt')),"
        " ('state', '=', 'posted'), ('company_id', '=', company_id),"
        " ('commercial_partner_id', '=', partner_id)]",
        help="Their follow-up is on hold while the case is open.",
    )
    category_id = fields.Many2one(
        "gentle.case.category", required=True, tracking=True, ondelete="restrict"
    )
    is_dispute = fields.Boolean(
        related="category_id.is_dispute", groups="base.group_user"
    )
    category_code = fields.Char(related="category_id.code", groups="base.group_user")
    tier_id = fields.Many2one(
        "gentle.support.tier",
        compute="_compute_tier_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        index=True,
        ondelete="restrict",
        groups="base.group_user",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Assigned to",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        index=True,
        domain=[("share", "=", False)],
        groups="base.group_user",
    )
    state = fields.Selection(
        [
            ("new", "New"),
            ("in_progress", "In Progress"),
            ("waiting", "Waiting on Customer"),
            ("resolved", "Resolved"),
            ("cancelled", "Cancelled"),
        ],
        default="new",
        required=True,
        tracking=True,
        index=True,
    )
    # Not internal: the case order, derived from the state the customer sees.
    state_rank = fields.Integer(compute="_compute_state_rank", store=True)
    source = fields.Selection(
        [("backend", "Collections team"), ("portal", "Portal"), ("email", "Email")],
        default="backend",
        required=True,
        readonly=True,
    )
    notify_customer = fields.Boolean(
        string="Tell the Customer",
        copy=False,
        help="Email the customer who handles this case and by when. A case the "
        "customer opened (portal, email) is always acknowledged; one the team "
        "opens for itself only when this is ticked.",
    )
    opened_on = fields.Datetime(default=fields.Datetime.now, required=True, copy=False)
    sla_deadline = fields.Datetime(
        string="SLA Deadline",
        copy=False,
        tracking=True,
        help="When the case escalates to the next tier if it is still open, counted "
        "in the company's working hours. The clock stops while waiting on the "
        "customer.",
    )
    sla_remaining_hours = fields.Float(
        copy=False,
        help="Working hours left on the SLA when the case started waiting on the "
        "customer.",
        groups="base.group_user",
    )
    is_breached = fields.Boolean(
        string="SLA Breached",
        compute="_compute_is_breached",
        search="_search_is_breached",
        groups="base.group_user",
    )
    escalation_count = fields.Integer(
        copy=False, readonly=True, groups="base.group_user"
    )
    managers_alerted = fields.Boolean(
        copy=False, readonly=True, groups="base.group_user"
    )
    outcome = fields.Selection(OUTCOMES, tracking=True, copy=False)
    resolution_note = fields.Text(copy=False)
    resolved_on = fields.Datetime(copy=False, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount_residual = fields.Monetary(
        string="Amount Due",
        compute="_compute_amount_residual",
        help="What the case's invoices still owe, in company currency.",
    )

    @api.depends("category_id", "company_id")
    def _compute_tier_id(self):
        for case in self:
            first_routing = case.state == "new" and not case.escalation_count
            if case.category_id and (not case.tier_id or first_routing):
                case.tier_id = case.category_id._gentle_first_tier(case.company_id)

    @api.depends("tier_id")
    def _compute_user_id(self):
        for case in self:
            if case.tier_id and case.user_id not in case.tier_id.member_ids:
                case.user_id = case.tier_id._gentle_least_busy_member()

    @api.depends("state")
    def _compute_state_rank(self):
        ranks = {"new": 0, "in_progress": 1, "waiting": 2, "resolved": 3}
        for case in self:
            case.state_rank = ranks.get(case.state, 4)

    @api.depends("sla_deadline", "state")
    @api.depends_context("gentle_now")
    def _compute_is_breached(self):
        now = self._gentle_now()
        for case in self:
            case.is_breached = bool(
                case.state in ("new", "in_progress")
                and case.sla_deadline
                and case.sla_deadline < now
            )

    def _search_is_breached(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(self.env._("Search breached cases with = or !=."))
        breached = [
            ("state", "in", ("new", "in_progress")),
            ("sla_deadline", "<", self._gentle_now()),
        ]
        if (operator == "=") == bool(value):
            return breached
        return ["!", "&", *breached]

    @api.depends("move_ids.amount_residual_signed")
    def _compute_amount_residual(self):
        for case in self:
            case.amount_residual = sum(case.move_ids.mapped("amount_residual_signed"))

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for case in self:
            case.access_url = f"/my/cases/{case.id}"
        return result

    @api.constrains("move_ids", "partner_id", "company_id", "needs_triage")
    def _check_invoices(self):
        for case in self:
            if not case.partner_id and not case.needs_triage:
                raise ValidationError(
                    self.env._(
                        "Case “%(case)s” has no customer: choose the customer the "
                        "case is about.",
                        case=case.subject or case.name,
                    )
                )
            if not case.move_ids and not case.needs_triage:
                raise ValidationError(
                    self.env._(
                        "Case “%(case)s” names no invoice: add the invoice(s) the "
                        "customer asks about.",
                        case=case.subject or case.name,
                    )
                )
            customer = case.partner_id.commercial_partner_id
            if case.move_ids and not customer:
                raise ValidationError(
                    self.env._(
                        "Case “%(case)s” has no customer: choose the customer "
                        "before adding invoices.",
                        case=case.subject or case.name,
                    )
                )

    @api.model
    def _gentle_allowed_move_types(self):
        """Customers ask about their credit notes too."""
        return ("out_invoice", "out_refund", "out_receipt")

    def _gentle_invoice_owner_error(self, problem, moves):
        move = moves[:1]
        if problem == "customer":
            return self.env._(
                "Invoice %(invoice)s belongs to %(other)s, not to "
                "%(customer)s: open a separate case for that customer.",
                invoice=move.display_name,
                other=move.commercial_partner_id.display_name,
                customer=self.partner_id.commercial_partner_id.display_name,
            )
        if problem == "company":
            return self.env._(
                "Invoice %(invoice)s belongs to company %(company)s: a "
                "case only holds invoices of its own company.",
                invoice=move.display_name,
                company=move.company_id.name,
            )
        return self.env._(
            "%(move)s is not a customer invoice: cases are about "
            "customer invoices and credit notes.",
            move=move.display_name,
        )

    @api.constrains("state", "outcome")
    def _check_outcome(self):
        for case in self:
            if case.state == "resolved" and not case.outcome:
                raise ValidationError(
                    self.env._(
                        "Choose how case %(case)s was resolved (explained, credit "
                        "note issued, plan agreed, written off or other) before "
                        "resolving it.",
                        case=case.name,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        now = self._gentle_now()
        for vals in vals_list:
            vals.setdefault("opened_on", now)
            if (
                not vals.get("partner_id")
                and not vals.get("needs_triage")
                and not self.env.context.get("default_partner_id")
            ):
                raise UserError(
                    self.env._(
                        "Choose the customer the case is about before saving it."
                    )
                )
            if vals.get("partner_id"):
                partner = self.env["res.partner"].browse(vals["partner_id"])
                vals["partner_id"] = partner.commercial_partner_id.id
            # The reference always comes from the sequence.
            vals["name"] = (
                self.env["ir.sequence"].next_by_code("gentle.collection.case") or "New"
            )
        cases = super().create(vals_list)
        sla = self.env["gentle.collection.case.sla"]
        for case in cases:
            if not case.sla_deadline and case.tier_id:
                case.sla_deadline = sla._gentle_plan(case, case.tier_id.sla_hours, now)
        triage = cases.filtered("needs_triage")
        self.env["gentle.collection.case.gateway"]._gentle_ask_triage(triage)
        for case in cases - triage:
            case._gentle_note_invoices(
                case.move_ids,
                case.env._("Follow-up on hold: case %(case)s opened.", case=case.name),
            )
        self.env["gentle.collection.case.ack"]._gentle_acknowledge(cases - triage)
        return cases

    def write(self, vals):
        if "partner_id" in vals and vals["partner_id"]:
            partner = self.env["res.partner"].browse(vals["partner_id"])
            vals["partner_id"] = partner.commercial_partner_id.id
        # A case to triage holds nothing: closing it resumes nothing.
        closing = self.filtered(
            lambda c: c.state in OPEN_CASE_STATES and not c.needs_triage
        )
        # Ticking "Tell the customer" on a case the team opened tells them now.
        announce = (
            self.filtered(
                lambda c: (
                    c.source == "backend"
                    and not c.notify_customer
                    and not c.needs_triage
                    and c.state in OPEN_CASE_STATES
                )
            )
            if vals.get("notify_customer")
            else self.browse()
        )
        result = super().write(vals)
        if announce:
            self.env["gentle.collection.case.ack"]._gentle_acknowledge(announce)
        if vals.get("state") in ("resolved", "cancelled"):
            for case in closing:
                case._gentle_note_invoices(
                    case.move_ids,
                    case.env._(
                        "Follow-up resumes: case %(case)s is %(state)s.",
                        case=case.name,
                        state=case._gentle_state_label().lower(),
                    ),
                )
        return result

    def _gentle_ack_sentence(self):
        """Who comes back to the customer, by which day (the acknowledgement
        template; see ``gentle.collection.case.ack``)."""
        self.ensure_one()
        return self.env["gentle.collection.case.ack"]._gentle_ack_sentence(self)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_start(self):
        """Take the case in hand; from waiting, the SLA clock runs again."""
        now = self._gentle_now()
        sla = self.env["gentle.collection.case.sla"]
        for case in self:
            if case.state not in ("new", "waiting"):
                raise UserError(
                    self.env._(
                        "Case %(case)s is %(state)s: only new or waiting cases can be "
                        "started.",
                        case=case.name,
                        state=case._gentle_state_label(),
                    )
                )
            vals = {"state": "in_progress"}
            if case.state == "waiting":
                vals["sla_deadline"] = sla._gentle_plan(
                    case, case.sla_remaining_hours, now
                )
                vals["sla_remaining_hours"] = 0.0
            if not case.user_id:
                vals["user_id"] = self.env.user.id
            case.write(vals)
        return True

    def action_wait(self):
        """Waiting on the customer: the SLA clock stops."""
        now = self._gentle_now()
        sla = self.env["gentle.collection.case.sla"]
        for case in self:
            if case.state not in ("new", "in_progress"):
                raise UserError(
                    self.env._(
                        "Case %(case)s is %(state)s: only new or in-progress cases "
                        "can wait on the customer.",
                        case=case.name,
                        state=case._gentle_state_label(),
                    )
                )
            remaining = sla._gentle_hours_left(case, now)
            case.write({"state": "waiting", "sla_remaining_hours": remaining})
        return True

    def action_resolve(self):
        """Resolve with the outcome chosen on the form; releases the invoices."""
        for case in self:
            if case.state not in OPEN_CASE_STATES:
                raise UserError(
                    self.env._(
                        "Case %(case)s is already closed.",
                        case=case.name,
                    )
                )
        self.write({"state": "resolved", "resolved_on": fields.Datetime.now()})
        return True

    def action_cancel(self):
        """Cancel (e.g. opened by mistake); releases the invoices."""
        self.write({"state": "cancelled"})
        return True

    def action_reopen(self):
        now = self._gentle_now()
        sla = self.env["gentle.collection.case.sla"]
        for case in self:
            case.write(
                {
                    "state": "in_progress",
                    "outcome": False,
                    "resolved_on": False,
                    "sla_deadline": sla._gentle_plan(case, case.tier_id.sla_hours, now),
                }
            )
        return True

    def action_confirm_triage(self):
        """The collector checked the sender of a case to triage and set its
        customer and invoices: the case now holds them like any other, and the
        customer is acknowledged."""
        for case in self:
            if not case.needs_triage:
                raise UserError(
                    self.env._(
                        "Case %(case)s is not waiting for triage.", case=case.name
                    )
                )
            if case.state not in OPEN_CASE_STATES:
                raise UserError(
                    self.env._("Case %(case)s is already closed.", case=case.name)
                )
            if not case.partner_id or not case.move_ids:
                raise UserError(
                    self.env._(
                        "Case %(case)s: set the customer and the invoices the "
                        "sender asks about before confirming the sender.",
                        case=case.name,
                    )
                )
        self.write({"needs_triage": False})
        self.env["gentle.collection.case.gateway"]._gentle_triage_confirmed(self)
        self.env["gentle.collection.case.ack"]._gentle_acknowledge(self)
        return True

    def action_gentle_payment_plan(self):
        """Open the plan proposal for the case's customer and invoices; the case is
        resolved as "plan agreed" when the plan is agreed."""
        self.ensure_one()
        if self.state not in OPEN_CASE_STATES:
            raise UserError(
                self.env._("Case %(case)s is already closed.", case=self.name)
            )
        moves = self.move_ids.filtered(
            lambda m: (
                m.move_type in PLAN_INVOICE_TYPES
                and m.state == "posted"
                and m.amount_residual > 0
            )
        )
        return self.env["gentle.payment.plan.propose"]._gentle_open(
            self.partner_id.commercial_partner_id, moves, case=self
        )

    # ------------------------------------------------------------------
    # SLA, notes and mail
    # ------------------------------------------------------------------

    def _gentle_now(self):
        return self.env.context.get("gentle_now") or fields.Datetime.now()

    def _gentle_state_label(self):
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    @api.model
    def _cron_escalate(self, now=None):
        """Escalate open cases past their SLA to the next tier; alert the managers
        when the last tier breaches."""
        now = now or fields.Datetime.now()
        cases = self.with_context(gentle_now=now).search(
            [("is_breached", "=", True), ("managers_alerted", "=", False)]
        )
        sla = cases.env["gentle.collection.case.sla"]
        for case in cases:
            sla._gentle_escalate(case, now)
        return cases

    def _gentle_note_invoices(self, moves, body):
        """A note on each invoice's chatter (one batch insert)."""
        moves = moves.sudo()
        if moves:
            moves._message_log_batch(bodies=dict.fromkeys(moves.ids, body))

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A case from an email to the case alias, for the invoices named in the
        subject or body (see ``gentle.collection.case.gateway``)."""
        values = self.env["gentle.collection.case.gateway"]._gentle_case_values(
            msg_dict, custom_values
        )
        return super().message_new(msg_dict, custom_values=values)

    def _message_post_after_hook(self, message, msg_values):
        result = super()._message_post_after_hook(message, msg_values)
        # An unknown sender's e-mail (a case to triage) promises nothing.
        if msg_values.get("message_type") == "email" and not self.needs_triage:
            self.env["gentle.payment.promise"]._gentle_promise_from_reply(self, message)
        return result
