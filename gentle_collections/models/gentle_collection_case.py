import re
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import email_normalize, html2plaintext

from ..tools.reply_parser import REPLY_HTML_CHARS, REPLY_SCAN_CHARS
from .account_move import PLAN_INVOICE_TYPES
from .gentle_support_tier import OPEN_CASE_STATES

# An invoice number named in an e-mail: a token of letters, digits and
# / _ . - ending with a digit, at most 42 characters. It only starts where a
# token starts, so that a long run is not rescanned from each of its positions.
INVOICE_NUMBER = re.compile(
    r"(?<![A-Za-z0-9/_.-])[A-Za-z0-9][A-Za-z0-9/_.-]{0,40}[0-9](?![A-Za-z0-9])"
)
# At most this many distinct numbers of an e-mail are looked up.
INVOICE_NUMBERS_READ = 100

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
        for case in cases:
            if not case.sla_deadline and case.tier_id:
                case.sla_deadline = case._gentle_plan(case.tier_id.sla_hours, now)
        triage = cases.filtered("needs_triage")
        triage._gentle_ask_triage()
        for case in cases - triage:
            case._gentle_note_invoices(
                case.move_ids,
                case.env._("Follow-up on hold: case %(case)s opened.", case=case.name),
            )
        (cases - triage)._gentle_acknowledge()
        return cases

    def write(self, vals):
        if "partner_id" in vals and vals["partner_id"]:
            partner = self.env["res.partner"].browse(vals["partner_id"])
            vals["partner_id"] = partner.commercial_partner_id.id
        # A case to triage holds nothing: closing it resumes nothing.
        closing = self.filtered(
            lambda c: c.state in OPEN_CASE_STATES and not c.needs_triage
        )
        result = super().write(vals)
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

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_start(self):
        """Take the case in hand; from waiting, the SLA clock runs again."""
        now = self._gentle_now()
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
                vals["sla_deadline"] = case._gentle_plan(case.sla_remaining_hours, now)
                vals["sla_remaining_hours"] = 0.0
            if not case.user_id:
                vals["user_id"] = self.env.user.id
            case.write(vals)
        return True

    def action_wait(self):
        """Waiting on the customer: the SLA clock stops."""
        now = self._gentle_now()
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
            remaining = 0.0
            if case.sla_deadline and case.sla_deadline > now:
                remaining = case._gentle_calendar().get_work_hours_count(
                    now, case.sla_deadline, compute_leaves=False
                )
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
        for case in self:
            case.write(
                {
                    "state": "in_progress",
                    "outcome": False,
                    "resolved_on": False,
                    "sla_deadline": case._gentle_plan(case.tier_id.sla_hours, now),
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
        summary = self._gentle_triage_summary()
        for case in self:
            case._gentle_note_invoices(
                case.move_ids,
                case.env._("Follow-up on hold: case %(case)s opened.", case=case.name),
            )
            case.activity_ids.filtered(lambda a: a.summary == summary).action_feedback(
                feedback=self.env._(
                    "Sender confirmed by %(user)s.", user=self.env.user.name
                )
            )
            case.message_post(
                body=self.env._(
                    "Sender confirmed: the follow-up of %(invoices)s is on hold "
                    "while the case is open.",
                    invoices=", ".join(case.move_ids.mapped("display_name")),
                ),
                subtype_xmlid="mail.mt_note",
            )
        self._gentle_acknowledge()
        return True

    # ------------------------------------------------------------------
    # SLA and escalation
    # ------------------------------------------------------------------

    def _gentle_now(self):
        return self.env.context.get("gentle_now") or fields.Datetime.now()

    def _gentle_state_label(self):
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _gentle_calendar(self):
        self.ensure_one()
        return self.company_id.resource_calendar_id or self.env.ref(
            "resource.resource_calendar_std"
        )

    def _gentle_plan(self, hours, start):
        """``start`` plus ``hours`` working hours of the company's calendar (naive
        UTC in and out)."""
        self.ensure_one()
        if hours <= 0:
            return start
        deadline = self._gentle_calendar().plan_hours(hours, start)
        return deadline or start + timedelta(hours=hours)

    @api.model
    def _cron_escalate(self, now=None):
        """Escalate open cases past their SLA to the next tier; alert the managers
        when the last tier breaches."""
        now = now or fields.Datetime.now()
        cases = self.with_context(gentle_now=now).search(
            [("is_breached", "=", True), ("managers_alerted", "=", False)]
        )
        for case in cases:
            next_tier = case.tier_id._gentle_next_tier()
            if next_tier:
                case._gentle_escalate_to(next_tier, now)
            else:
                case._gentle_alert_managers()
        return cases

    def _gentle_escalate_to(self, tier, now):
        self.ensure_one()
        previous = self.tier_id
        self.write(
            {
                "tier_id": tier.id,
                "user_id": tier._gentle_least_busy_member().id,
                "sla_deadline": self._gentle_plan(tier.sla_hours, now),
                "escalation_count": self.escalation_count + 1,
            }
        )
        summary = self.env._(
            "Escalated: %(case)s passed its SLA at %(tier)s",
            case=self.name,
            tier=previous.name,
        )
        for user in tier.member_ids:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                user_id=user.id,
                date_deadline=fields.Date.context_today(self),
            )
        self.message_post(
            body=self.env._(
                "SLA of %(old)s passed: escalated to %(new)s, due by %(deadline)s.",
                old=previous.name,
                new=tier.name,
                deadline=fields.Datetime.to_string(self.sla_deadline),
            ),
            subtype_xmlid="mail.mt_note",
        )

    def _gentle_alert_managers(self):
        self.ensure_one()
        managers = self.env.ref(
            "gentle_collections.group_gentle_manager"
        ).users.filtered(
            lambda u: (
                not u.share
                and u.active
                and self.company_id in u.company_ids
                and u.id != self.env.ref("base.user_root").id
            )
        )
        for user in managers:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._(
                    "Case %(case)s breached the SLA of the last tier", case=self.name
                ),
                user_id=user.id,
                date_deadline=fields.Date.context_today(self),
            )
        self.write({"managers_alerted": True})
        self.message_post(
            body=self.env._(
                "The last tier (%(tier)s) passed its SLA: the collections managers "
                "have been alerted.",
                tier=self.tier_id.name,
            ),
            subtype_xmlid="mail.mt_note",
        )

    # ------------------------------------------------------------------
    # Customer communication
    # ------------------------------------------------------------------

    def _gentle_acknowledge(self):
        """Tell the customer who handles their case and by when."""
        template = self.env.ref(
            "gentle_collections.gentle_case_ack_mail_template", raise_if_not_found=False
        )
        if not template:
            return
        for case in self.filtered(lambda c: c.partner_id.email):
            if not (case.user_id.email or case.company_id.email):
                # Without a sender address Odoo cannot send: say so instead.
                case.message_post(
                    body=self.env._(
                        "The customer was not acknowledged: give %(company)s or "
                        "the assignee an email address.",
                        company=case.company_id.name,
                    ),
                    subtype_xmlid="mail.mt_note",
                )
                continue
            case.message_post_with_source(
                template,
                subtype_xmlid="mail.mt_comment",
                message_type="comment",
            )

    def _gentle_triage_summary(self):
        return self.env._("Triage an email from an unknown sender")

    def _gentle_ask_triage(self):
        """A to-do for whoever the case was assigned to: check the sender."""
        for case in self.filtered("user_id"):
            case.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=case._gentle_triage_summary(),
                note=case.env._(
                    "The sender is not a known contact of the customer whose "
                    "invoices the email names: nothing is on hold and nobody was "
                    "answered. Check who wrote, then set the customer and the "
                    "invoices and click “Confirm Sender”, or cancel the case."
                ),
                user_id=case.user_id.id,
                date_deadline=fields.Date.context_today(case),
            )

    def _gentle_note_invoices(self, moves, body):
        """A note on each invoice's chatter (one batch insert)."""
        moves = moves.sudo()
        if moves:
            moves._message_log_batch(bodies=dict.fromkeys(moves.ids, body))

    # ------------------------------------------------------------------
    # Mail gateway
    # ------------------------------------------------------------------

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A case from an email to the case alias, for the invoices named in the
        subject or body.

        The sender is known for a customer when one of the customer's partners
        (the customer or a contact) has the sender's address: their case holds
        the invoices and they are acknowledged. An email from an address no
        partner has opens a case to triage that holds nothing and answers
        nobody; a known contact naming only another customer's invoices is
        refused.
        """
        values = dict(custom_values or {})
        email = msg_dict.get("email_from") or ""
        senders = self._gentle_sender_partners(email)
        # Only the start is read, whatever the size: the HTML is cut before it
        # is parsed, the text before it is scanned.
        body = html2plaintext(str(msg_dict.get("body") or "")[:REPLY_HTML_CHARS])
        subject = (msg_dict.get("subject") or "")[:1000]
        text = f"{subject}\n{body}"[:REPLY_SCAN_CHARS]
        # A number may exist in several companies: those of the user the
        # gateway runs as come first, its current company before the others.
        companies = self.env.companies
        named = self._gentle_invoices_named(text, None).sorted(
            lambda move: (
                move.company_id != self.env.company,
                move.company_id not in companies,
            )
        )
        known = named.filtered(
            lambda move: any(
                partner.commercial_partner_id == move.commercial_partner_id
                and partner.company_id in (move.company_id, self.env["res.company"])
                for partner in senders
            )
        )
        if known:
            first = known[:1]
            moves = known.filtered(
                lambda move: (
                    move.commercial_partner_id == first.commercial_partner_id
                    and move.company_id == first.company_id
                )
            )
            values.setdefault("partner_id", first.commercial_partner_id.id)
            values.setdefault("move_ids", [Command.set(moves.ids)])
        elif named and not senders:
            first = named[:1]
            values.update(
                needs_triage=True,
                partner_id=False,
                move_ids=[Command.set([])],
                description=self._gentle_triage_description(email, named),
            )
        else:
            raise ValueError(
                f"gentle_collections: cannot open a case from {email}: unknown "
                "customer or no invoice of theirs named"
            )
        # The subject as a line of at most 200 printable characters; the
        # reference always comes from the sequence, never from the e-mail.
        clean = " ".join(
            "".join(c if c.isprintable() else " " for c in subject).split()
        )[:200]
        values["subject"] = clean or self.env._("Query")
        values["name"] = "New"
        values.setdefault("source", "email")
        values.setdefault("company_id", first.company_id.id)
        if "category_id" not in values:
            values["category_id"] = self.env.ref(
                "gentle_collections.gentle_case_category_payment_question"
            ).id
        return super().message_new(msg_dict, custom_values=values)

    @api.model
    def _gentle_sender_partners(self, email):
        """The active partners, of any company, whose normalized address is the
        sender's (none when it is not a valid address)."""
        normalized = email_normalize(email or "")
        if not normalized:
            return self.env["res.partner"]
        return (
            self.env["res.partner"]
            .sudo()
            .search([("email_normalized", "=", normalized)])
        )

    @api.model
    def _gentle_triage_description(self, email, moves):
        """What the collector needs to triage: who wrote, which invoice numbers
        were named (as plain text, nothing is linked)."""
        return Markup("<p>%s</p><p>%s</p>") % (
            self.env._(
                "Email from %(email)s, who is not a known contact of the "
                "customers whose invoices it names. Nothing is on hold and "
                "nobody was answered.",
                email=email or "?",
            ),
            self.env._(
                "Invoice numbers mentioned: %(numbers)s",
                numbers=", ".join(sorted(set(moves.mapped("name")))),
            ),
        )

    @api.model
    def _gentle_invoices_named(self, text, customer):
        """Posted customer invoices whose number appears in ``text`` (of
        ``customer`` when known)."""
        tokens = []
        for match in INVOICE_NUMBER.finditer((text or "")[:REPLY_SCAN_CHARS]):
            if match[0] not in tokens:
                tokens.append(match[0])
                if len(tokens) >= INVOICE_NUMBERS_READ:
                    break
        if not tokens:
            return self.env["account.move"]
        domain = [
            ("name", "in", tokens),
            ("state", "=", "posted"),
            ("move_type", "in", ("out_invoice", "out_refund", "out_receipt")),
        ]
        if customer:
            domain.append(("commercial_partner_id", "in", customer.ids))
        return self.env["account.move"].sudo().search(domain)

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

    def _message_post_after_hook(self, message, msg_values):
        result = super()._message_post_after_hook(message, msg_values)
        # An unknown sender's e-mail (a case to triage) promises nothing.
        if msg_values.get("message_type") == "email" and not self.needs_triage:
            self.env["gentle.payment.promise"]._gentle_promise_from_reply(self, message)
        return result
