"""A follow-up message, saved before it is rendered.

The engine saves each customer's message of a run as a draft
``gentle.followup.communication``: what it lists (the receivable lines and the
level each reaches, the plan instalments, the invoices and promises it thanks
for, the discounts it recalls), its tone and channels. Mail templates of the
follow-up are written on this model and render on the draft like any Odoo
template (``object.partner_id``, ``object.move_line_ids``…), so that they can be
previewed and edited in the template editor. What a message lists is a set of
QWeb views (``gentle_collections.gentle_followup_table`` and the views it
calls), which another module extends with xpath.

When the engine records the message, the draft becomes *recorded* and its
actions (one per channel) point to it. A draft nobody recorded (a preview
closed without sending) is removed by the autovacuum after a day.
"""

from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_amount, format_date

from .gentle_followup_policy import TONES

DRAFT_LIFETIME = timedelta(days=1)


# Where the engine keeps, while it renders a batch, the dates and amounts
# already formatted (``_gentle_formatted``).
FORMAT_MEMO = "gentle_followup_format_memo"


class GentleFollowupCommunication(models.Model):
    _name = "gentle.followup.communication"
    _description = "Follow-up Message"
    _order = "date desc, id desc"
    _check_company_auto = True

    state = fields.Selection(
        [("draft", "Draft"), ("done", "Recorded")],
        default="draft",
        required=True,
        readonly=True,
        index=True,
        help="Draft: prepared by a run or shown in a preview, not recorded yet. "
        "Recorded: the follow-up acted on it (see its actions).",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    date = fields.Date(
        required=True, readonly=True, help="The date of the run, at the company."
    )
    level_id = fields.Many2one(
        "gentle.followup.level",
        readonly=True,
        ondelete="set null",
        help="The firmest follow-up level the message reaches.",
    )
    policy_id = fields.Many2one(
        "gentle.followup.policy", readonly=True, ondelete="set null"
    )
    tone = fields.Selection(TONES, readonly=True)
    channels = fields.Char(readonly=True, help="Comma-separated channels.")
    approval = fields.Boolean(string="Needs Approval", readonly=True)
    mail_template_id = fields.Many2one(
        "mail.template", string="Wording", readonly=True, ondelete="set null"
    )
    subject = fields.Char(readonly=True)
    # Stored as the chatter stores a message body (see the engine's rendering).
    body_html = fields.Html(string="Message", sanitize_style=True, readonly=True)
    edited_by_id = fields.Many2one(
        "res.users",
        string="Words Edited By",
        readonly=True,
        ondelete="set null",
        help="Set when a collector rewrote this one message before sending it: "
        "it was sent exactly as they wrote it.",
    )
    signature = fields.Text(
        readonly=True,
        help="What the follow-up identifies the message by: each source's items.",
    )
    step_ids = fields.One2many(
        "gentle.followup.communication.step", "communication_id", readonly=True
    )
    move_line_ids = fields.Many2many(
        "account.move.line",
        string="Invoice Lines",
        compute="_compute_move_line_ids",
        help="The receivable lines the message reminds of, oldest due date first.",
    )
    instalment_ids = fields.Many2many(
        "gentle.payment.plan.line",
        "gentle_followup_communication_instalment_rel",
        string="Instalments",
        readonly=True,
    )
    thanked_move_ids = fields.Many2many(
        "account.move",
        "gentle_followup_communication_thanked_move_rel",
        string="Invoices Thanked For",
        readonly=True,
    )
    thanked_promise_ids = fields.Many2many(
        "gentle.payment.promise",
        "gentle_followup_communication_promise_rel",
        string="Promises Thanked For",
        readonly=True,
    )
    confirmed_promise_ids = fields.Many2many(
        "gentle.payment.promise",
        "gentle_followup_communication_confirmed_promise_rel",
        string="Promises Confirmed",
        readonly=True,
    )
    broken_promise_ids = fields.Many2many(
        "gentle.payment.promise",
        "gentle_followup_communication_broken_promise_rel",
        string="Broken Promises Noted",
        readonly=True,
    )
    agreed_plan_ids = fields.Many2many(
        "gentle.payment.plan",
        "gentle_followup_communication_agreed_plan_rel",
        string="Plan Agreements Confirmed",
        readonly=True,
    )
    nudge_line_ids = fields.Many2many(
        "account.move.line",
        "gentle_followup_communication_nudge_rel",
        string="Discounts Recalled",
        readonly=True,
    )
    action_ids = fields.One2many(
        "gentle.followup.action", "communication_id", readonly=True
    )

    recipients = fields.Char(
        compute="_compute_recipients",
        help="Who the email goes to, with the language it is written in.",
    )

    @api.depends("step_ids.move_line_id")
    def _compute_move_line_ids(self):
        for communication in self:
            communication.move_line_ids = communication.step_ids.move_line_id

    @api.depends(
        "partner_id.lang",
        "step_ids.move_line_id.move_id.partner_id.email",
        "nudge_line_ids.move_id.partner_id.email",
    )
    def _compute_recipients(self):
        languages = dict(self.env["res.lang"].get_installed())
        for communication in self:
            contacts = communication._gentle_recipients()
            lang = communication.partner_id.lang or self.env.lang
            communication.recipients = self.env._(
                "%(contacts)s, in %(language)s",
                contacts=", ".join(
                    contact.email_formatted or contact.display_name
                    for contact in contacts
                ),
                language=languages.get(lang, lang),
            )

    def _gentle_recipients(self):
        """Who receives this message's email: the first source's contacts with
        an email address (the invoices' contacts), else the customer itself."""
        self.ensure_one()
        for source in self.env["gentle.followup.engine"]._gentle_sources():
            contacts = source._gentle_recipients(self)
            if contacts:
                return contacts
        return self.partner_id

    @api.depends("partner_id", "date")
    def _compute_display_name(self):
        for communication in self:
            communication.display_name = self.env._(
                "%(customer)s, %(date)s",
                customer=communication.partner_id.display_name,
                date=format_date(self.env, communication.date),
            )

    @api.model
    def _gentle_write_rendered(self, rendered):
        """Store ``{communication id: (subject, body)}`` in one query."""
        if not rendered:
            return
        ids = list(rendered)
        self.env.execute_query(
            SQL(
                """UPDATE gentle_followup_communication c
                      SET subject = r.subject, body_html = r.body
                     FROM unnest(%s::int[], %s::varchar[], %s::text[])
                          AS r(id, subject, body)
                    WHERE c.id = r.id""",
                ids,
                [rendered[i][0] or None for i in ids],
                [rendered[i][1] or None for i in ids],
            )
        )
        self.browse(ids).invalidate_recordset(["subject", "body_html"])

    def action_gentle_edit(self):
        """Rewrite the words of this one message before it is sent."""
        self.ensure_one()
        return self.env["gentle.followup.message.edit"]._gentle_open(self)

    def _gentle_edit(self, subject, body):
        """Keep ``subject`` and ``body`` as the words of this draft, sanitized
        as the chatter stores a message; who edited it is recorded."""
        self.ensure_one()
        self.check_access("read")
        if not self.env.user.has_group("gentle_collections.group_gentle_user"):
            raise UserError(
                self.env._("Only the collections team can edit follow-up messages.")
            )
        if self.state != "draft" or self.action_ids:
            raise UserError(
                self.env._(
                    "This message was sent already: its words cannot change. "
                    "Write to the customer from their chatter instead."
                )
            )
        Message = self.env["mail.message"]
        body = Message._fields["body"].convert_to_cache(body, Message)
        self._gentle_write_rendered({self.id: (subject, body)})
        self.sudo().edited_by_id = self.env.user

    @api.autovacuum
    def _gc_gentle_drafts(self):
        """Drafts nobody recorded (previews closed without sending)."""
        self.sudo().search(
            [
                ("state", "=", "draft"),
                ("create_date", "<", fields.Datetime.now() - DRAFT_LIFETIME),
            ]
        ).unlink()

    # ------------------------------------------------------------------
    # What the mail templates insert (QWeb views, see the module docstring)
    # ------------------------------------------------------------------

    def _gentle_render_view(self, xmlid):
        """The QWeb view ``xmlid`` rendered for this message, in the language
        of the environment (the customer's, when a template renders it)."""
        self.ensure_one()
        return self.env["ir.qweb"]._render(
            xmlid, {"communication": self, "today": self.date}
        )

    def _gentle_followup_table(self):
        """What a follow-up message lists: the thank-you first, then the
        invoices due (with the offer of a plan in hardship), the plan's
        instalments and a link to the full statement."""
        return self._gentle_render_view("gentle_collections.gentle_followup_table")

    def _gentle_thanks_list(self):
        """What a thank-you thanks for; and the discounts a message of its own
        recalls."""
        return self._gentle_render_view("gentle_collections.gentle_followup_thanks")

    def _gentle_nudge_list(self):
        """The early-payment discounts a message recalls, as a list."""
        return self._gentle_render_view("gentle_collections.gentle_followup_nudge_list")

    def _gentle_nudge_paragraph(self):
        """The discounts recalled in a message about something else too."""
        return self._gentle_render_view(
            "gentle_collections.gentle_followup_nudge_paragraph"
        )

    def _gentle_promise_notes(self):
        """What a message says of promises to pay: the broken ones, gently,
        then those it confirms."""
        return self._gentle_render_view("gentle_collections.gentle_followup_promises")

    def _gentle_promise_confirm_list(self):
        """The promises to pay a message confirms, one paragraph each."""
        return self._gentle_render_view(
            "gentle_collections.gentle_followup_promise_confirm"
        )

    def _gentle_promise_broken_list(self):
        """The broken promises to pay a message writes about, gently."""
        return self._gentle_render_view(
            "gentle_collections.gentle_followup_promise_broken"
        )

    @api.model
    def _gentle_insert_promise_view(self, communications, key, marker, method):
        """Add the view ``method`` renders to the body of each communication
        with items under ``key`` whose wording does not already show it (its
        ``marker`` class absent): at the end, in the customer's language."""
        Message = self.env["mail.message"]
        body_field = Message._fields["body"]
        for communication in communications:
            body = communication.body
            if not communication.items.get(key) or not body or marker in body:
                continue
            record = communication.record.with_context(
                lang=communication.partner.lang or self.env.lang
            )
            part = getattr(record, method)()
            if part:
                communication.body = body_field.convert_to_cache(
                    Markup(body) + part, Message
                )

    def _gentle_plan_agreement(self):
        """The payment plans a message confirms: each one's schedule, what
        happens when an instalment is missed, and its portal link."""
        return self._gentle_render_view(
            "gentle_collections.gentle_followup_plan_agreement"
        )

    def _gentle_instalment_table(self):
        """The plan instalments a message reminds of, as a table."""
        return self._gentle_render_view(
            "gentle_collections.gentle_followup_instalment_table"
        )

    # Helpers of the views: whole translatable sentences, amounts in the
    # customer's language and the document's currency.

    def _gentle_amount(self, amount, currency):
        return self._gentle_formatted(
            ("amount", currency.id, amount),
            lambda: format_amount(self.env, amount, currency),
        )

    def _gentle_date(self, date):
        return self._gentle_formatted(
            ("date", date), lambda: format_date(self.env, date)
        )

    def _gentle_formatted(self, key, format_value):
        """``format_value()``, formatted once per language for all the
        messages the engine renders together (see
        ``gentle.followup.engine._gentle_render``): a batch repeats the same
        dates and amounts in hundreds of tables."""
        memo = self.env.cr.cache.get(FORMAT_MEMO)
        if memo is None:
            return format_value()
        key = (self.env.lang, *key)
        if key not in memo:
            memo[key] = format_value()
        return memo[key]

    def _gentle_days_status(self, due, late_word=False):
        """``due in 3 days``, ``due tomorrow``, ``due today``, ``1 day
        overdue``, ``3 days overdue`` (``late`` with ``late_word``)."""
        days = (due - self.date).days
        if days > 1:
            return self.env._("due in %(days)s days", days=days)
        if days == 1:
            return self.env._("due tomorrow")
        if days == 0:
            return self.env._("due today")
        if days == -1:
            return (
                self.env._("1 day late") if late_word else self.env._("1 day overdue")
            )
        if late_word:
            return self.env._("%(days)s days late", days=-days)
        return self.env._("%(days)s days overdue", days=-days)

    def _gentle_line_status(self, line):
        """Where a reminded line stands, with the saving of paying early when
        its discount is still open."""
        self.ensure_one()
        status = self._gentle_days_status(line.date_maturity)
        if line._gentle_discount_open(self.date):
            saving = self.env._(
                "Pay by %(date)s and save %(amount)s",
                date=self._gentle_date(line.discount_date),
                amount=self._gentle_amount(
                    line.amount_currency - line.discount_amount_currency,
                    line.currency_id,
                ),
            )
            status = f"{status} – {saving}"
        return status

    def _gentle_line_amount(self, line):
        return self._gentle_amount(
            line.amount_residual_currency or line.amount_residual, line.currency_id
        )

    def _gentle_portal_url(self, record):
        """The portal link of ``record`` as a path: the email gets the base URL
        of the database when it is sent (``web.base.url`` then), not when the
        message was prepared."""
        return record.get_portal_url()

    def _gentle_fee_clauses(self):
        """The late-fee clauses of the reminded invoices, each once."""
        self.ensure_one()
        # Worded once per policy and currency, from the policy each reminded
        # line stores (the invoice's own resolution when it has none).
        pairs = {
            (line.gentle_policy_id or move._gentle_fee_policy(), move.currency_id)
            for line in self.move_line_ids
            if (move := line.move_id).move_type == "out_invoice"
            and not move.gentle_is_fee
        }
        return sorted(
            {
                clause
                for policy, currency in pairs
                if policy and (clause := policy._gentle_fee_clause(currency))
            }
        )

    def _gentle_in_hardship(self):
        self.ensure_one()
        return self.partner_id.with_company(self.company_id)._gentle_in_hardship(
            self.date
        )

    def _gentle_statement_link(self):
        self.ensure_one()
        Statement = self.env["gentle.statement"]
        if self.env.context.get("gentle_statement_tokens"):
            # The engine gave the open items of every customer it renders
            # for their access tokens already, in one batch.
            return Statement._gentle_statement_url(
                self.partner_id.commercial_partner_id, absolute=False
            )
        return Statement._gentle_statement_link(self.partner_id, absolute=False)

    def _gentle_nudge_lines(self):
        """The recalled discounts a message lists apart: those of lines the
        reminder table does not list already (it names their saving)."""
        self.ensure_one()
        return (self.nudge_line_ids - self.move_line_ids).sorted(
            lambda line: (line.discount_date, line.id)
        )

    def _gentle_nudge_text(self, line):
        return self.env._(
            "%(invoice)s: pay %(discounted)s instead of %(total)s by %(date)s "
            "and save %(saving)s.",
            invoice=line.move_id.name,
            discounted=self._gentle_amount(
                line.discount_amount_currency, line.currency_id
            ),
            total=self._gentle_amount(line.amount_currency, line.currency_id),
            date=self._gentle_date(line.discount_date),
            saving=self._gentle_amount(
                line.amount_currency - line.discount_amount_currency,
                line.currency_id,
            ),
        )

    def _gentle_thanks_texts(self):
        """What a thank-you thanks for, one sentence each: the invoices, then
        the kept promises."""
        self.ensure_one()
        texts = [
            self.env._(
                "%(invoice)s of %(amount)s, due %(date)s",
                invoice=move.name,
                amount=self._gentle_amount(move.amount_total, move.currency_id),
                date=self._gentle_date(move.invoice_date_due),
            )
            for move in self.thanked_move_ids
        ]
        texts += [
            self.env._(
                "the %(amount)s you promised to pay by %(date)s: thank you for "
                "keeping your word",
                amount=self._gentle_amount(promise.amount, promise.currency_id),
                date=self._gentle_date(promise.date_promised),
            )
            for promise in self.thanked_promise_ids.sudo()
        ]
        return texts

    def _gentle_promise_texts(self, promises):
        """``{promise: (amount, date, invoices)}`` as a message words them:
        the amount in its currency and the date spelled out, in the
        language of the environment (the customer's)."""
        return {
            promise: (
                self._gentle_amount(promise.amount, promise.currency_id),
                format_date(self.env, promise.date_promised, date_format="long"),
                ", ".join(promise.move_ids.sorted("name").mapped("name")),
            )
            for promise in promises.sudo()
        }

    def _gentle_promise_confirm_texts(self):
        """One sentence per promise confirmed."""
        self.ensure_one()
        return [
            self.env._(
                "Thank you – we have noted that you will pay %(amount)s by "
                "%(date)s (%(invoices)s).",
                amount=amount,
                date=date,
                invoices=invoices,
            )
            for amount, date, invoices in self._gentle_promise_texts(
                self.confirmed_promise_ids
            ).values()
        ]

    def _gentle_promise_broken_texts(self):
        """One sentence per broken promise written about."""
        self.ensure_one()
        return [
            self.env._(
                "We had noted that you would pay %(amount)s by %(date)s "
                "(%(invoices)s), and we have not received it yet.",
                amount=amount,
                date=date,
                invoices=invoices,
            )
            for amount, date, invoices in self._gentle_promise_texts(
                self.broken_promise_ids
            ).values()
        ]

    def _gentle_agreed_plans(self):
        self.ensure_one()
        return self.agreed_plan_ids.sudo().with_context(gentle_plan_today=self.date)

    def _gentle_plan_intro_text(self, plan):
        """What the customer agreed, in one sentence."""
        return self.env._(
            "Thank you for agreeing the payment plan %(plan)s with us. As agreed, "
            "you will pay %(total)s in %(count)s instalments:",
            plan=plan.name,
            total=self._gentle_amount(plan.amount_total, plan.currency_id),
            count=len(plan.line_ids),
        )

    def _gentle_plan_covers_text(self, plan):
        """The invoices ``plan`` pays, and that their reminders stop."""
        return self.env._(
            "It covers the invoices %(invoices)s: we will not send you reminders "
            "about them while the plan runs, only a friendly note a few days "
            "before each instalment.",
            invoices=", ".join(plan.move_ids.sorted("name").mapped("name")),
        )

    def _gentle_plan_grace_text(self, plan):
        """What happens when an instalment of ``plan`` is missed."""
        return self.env._(
            "If an instalment is not paid within %(days)s days of its due date, "
            "the plan ends and the usual reminders of the invoices resume. If a "
            "date no longer suits you, simply reply to this email before it "
            "comes: we will find a solution together.",
            days=plan.grace_days,
        )

    def _gentle_long_date(self, date):
        return format_date(self.env, date, date_format="long")

    def _gentle_instalment_lines(self):
        self.ensure_one()
        return self.instalment_ids.with_context(gentle_plan_today=self.date).sorted(
            lambda line: (line.date_due, line.id)
        )

    def _gentle_plan_kept(self):
        """Whether the customer already paid an instalment of a plan the
        message reminds of: only then is it thanked for keeping to it."""
        self.ensure_one()
        return any(
            line.state == "paid"
            for line in self._gentle_instalment_lines()
            .plan_id.with_context(gentle_plan_today=self.date)
            .line_ids
        )

    def _gentle_instalment_intro(self):
        """The reminder of an instalment before any was paid, as paragraphs."""
        return self._gentle_render_view(
            "gentle_collections.gentle_followup_instalment_intro"
        )

    def _gentle_instalment_intro_texts(self):
        """One sentence per plan reminded of, before any instalment was paid:
        its first (or next) instalment, the amount and the date spelled out."""
        self.ensure_one()
        texts = []
        for plan, lines in self._gentle_instalment_lines().grouped("plan_id").items():
            line = lines[0]
            first = (
                line
                == plan.line_ids.sorted(lambda x: (x.date_due, x.sequence, x.id))[:1]
            )
            values = {
                "amount": self._gentle_amount(line.amount, line.currency_id),
                "plan": plan.name,
                "date": self._gentle_long_date(line.date_due),
            }
            if line.date_due >= self.date:
                text = (
                    self.env._(
                        "Your first instalment of %(amount)s under the payment "
                        "plan %(plan)s is due on %(date)s.",
                        **values,
                    )
                    if first
                    else self.env._(
                        "Your next instalment of %(amount)s under the payment "
                        "plan %(plan)s is due on %(date)s.",
                        **values,
                    )
                )
            else:
                text = (
                    self.env._(
                        "Your first instalment of %(amount)s under the payment "
                        "plan %(plan)s was due on %(date)s.",
                        **values,
                    )
                    if first
                    else self.env._(
                        "Your next instalment of %(amount)s under the payment "
                        "plan %(plan)s was due on %(date)s.",
                        **values,
                    )
                )
            texts.append(text)
        return texts

    def _gentle_instalment_amount(self, line):
        return self._gentle_amount(line.amount - line.paid_amount, line.currency_id)
