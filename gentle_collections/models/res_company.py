from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import formataddr

from ..tools import contact_window
from .gentle_payment_promise import PROMISE_MAX_GRACE_DAYS, PROMISE_MAX_HORIZON_DAYS

THANKS_MODES = [
    ("off", "Off"),
    ("always", "Every paid invoice"),
    ("after_reminder", "Invoices paid after a reminder"),
    ("first_on_time", "First on-time payment in a year"),
]


class ResCompany(models.Model):
    """Company-wide collections settings."""

    _inherit = "res.company"

    gentle_window_start = fields.Float(
        string="Contact Window Opens",
        default=9.0,
        help="Local time (in the customer's time zone) from which reminders may be "
        "sent, e.g. 9.0 for 09:00.",
    )
    gentle_window_end = fields.Float(
        string="Contact Window Closes",
        default=17.0,
        help="Local time (in the customer's time zone) after which no reminder is "
        "sent until the next contact day, e.g. 17.0 for 17:00.",
    )
    gentle_window_days = fields.Selection(
        [
            ("weekdays", "Monday to Friday"),
            ("mon_sat", "Monday to Saturday"),
            ("all", "Every day"),
        ],
        string="Contact Days",
        default="weekdays",
        required=True,
        help="Days of the week (in the customer's time zone) on which reminders "
        "may be sent.",
    )
    gentle_batch_size = fields.Integer(
        string="Follow-up Batch Size",
        default=200,
        help="Customers handled per batch by the hourly follow-up; progress is "
        "saved after each batch.",
    )
    gentle_policy_ids = fields.One2many("gentle.followup.policy", "company_id")
    gentle_discount_max_margin_share = fields.Float(
        string="Discount: Maximum Share of Margin",
        default=0.0,
        help="An invoice whose early-payment discount exceeds this share of its "
        "margin (sale price minus product cost) is refused at posting, e.g. 0.5: "
        "the discount may take at most half the margin. 0 turns the guard off.",
    )
    gentle_discount_guard_unknown_cost = fields.Boolean(
        string="Guard Invoices of Unknown Cost",
        help="When a line has no product or no cost, count its whole sale amount "
        "as margin and still apply the guard. Unticked: such invoices are not "
        "guarded.",
    )
    gentle_promise_grace_days = fields.Integer(
        string="Promise Grace Days",
        default=3,
        help="Days after a promised payment date before an unpaid promise counts "
        "as broken; the follow-up stays on hold until then.",
    )
    gentle_discount_nudge_days = fields.Integer(
        string="Discount Nudge (days before)",
        default=3,
        help="Eligible customers are reminded this many days before the discount "
        "date that paying by then saves them the discount; 0 sends no reminder.",
    )
    gentle_attachment_limit_mb = fields.Float(
        string="Attach Invoice PDFs up to (MB)",
        default=20.0,
        help="Reminder emails attach the invoices' PDFs already stored on them "
        "(never generated for a reminder) while their total stays under this "
        "size; the other invoices are reached through the portal links in the "
        "message. 0 attaches none.",
    )
    gentle_default_policy_id = fields.Many2one(
        "gentle.followup.policy",
        string="Default Follow-up Policy",
        compute="_compute_gentle_default_policy_id",
        store=True,
    )
    gentle_score_min_paid = fields.Integer(
        string="Paid Invoices Before Grading",
        default=3,
        help="Customers with fewer invoices paid in the last 12 months are graded "
        "New with a neutral score of 50.",
    )
    gentle_grade_a_min = fields.Integer(string="Grade A from", default=85)
    gentle_grade_b_min = fields.Integer(string="Grade B from", default=70)
    gentle_grade_c_min = fields.Integer(
        string="Grade C from",
        default=50,
        help="Scores below this threshold are graded D (at risk).",
    )
    gentle_go_live_date = fields.Date(
        string="Collections Go-Live Date",
        help="Receivables due before this date are never chased by the automatic "
        "follow-up: it avoids surprising customers with reminders about old "
        "invoices when collections are switched on.",
    )

    # Caps on collection terms (issue 11, item 7)
    gentle_late_fee_max_rate = fields.Float(
        string="Late Fee: Maximum Rate per Month (%)",
        default=5.0,
        digits=(16, 4),
        help="Highest monthly interest a follow-up policy may charge, in percent "
        "(default 5 %, at most 100 %). Set it to your country's legal limit; the "
        "fee actually charged is capped by it too, so lowering it later protects "
        "customers at once.",
    )
    gentle_late_fee_max_amount = fields.Float(
        string="Late Fee: Maximum Fixed Amount",
        default=100.0,
        help="Highest fixed late fee per invoice and month, in the company "
        "currency (default 100). The fee actually charged is capped by it too.",
    )
    gentle_promise_max_days = fields.Integer(
        string="Promise: Furthest Date (days ahead)",
        default=365,
        help="A promise to pay may be dated at most this many days from today "
        "(default 365, at most 1,825).",
    )

    gentle_statement_link_days = fields.Integer(
        string="Statement Links Valid (days)",
        default=90,
        help="Days a statement link sent to a customer opens the statement "
        "(default 90, from 1 to 3,650); it then asks the customer for a new one.",
    )
    gentle_thanks_mode = fields.Selection(
        THANKS_MODES,
        string="Thank-you Notes",
        default="off",
        required=True,
        help="When customers get a short thank-you after paying, sent by the "
        "follow-up run in their contact window: for every paid invoice, only for "
        "invoices paid after a reminder, or only for the first invoice paid on "
        "time in a year (a customer who used to pay late).",
    )
    gentle_thanks_period_days = fields.Integer(
        string="At Most One Thank-you Every (days)",
        default=30,
        help="A customer is thanked at most once in this many days, however many "
        "invoices they pay.",
    )

    gentle_promise_confirm = fields.Boolean(
        string="Confirm Promises to Pay",
        default=True,
        help="When a promise to pay is recorded, the follow-up run sends the "
        "customer a short confirmation of the amount and date noted, in their "
        "contact window and language, with their other news of the day.",
    )

    gentle_sender = fields.Selection(
        [
            ("company", "The company"),
            ("collector", "The customer's collector"),
        ],
        string="Collections Emails From",
        default="company",
        required=True,
        help="Who the customer emails of Collections come from: the company "
        "(its name and email), or the customer's collector (the responsible "
        "user on the customer, shown with the company name; the company when the "
        "customer has none or the collector has no email). Replies go to the "
        "company's catchall address when an alias domain is set, else to the "
        "sender, and land on the customer's record.",
    )

    def _gentle_collections_sender(self, partner, user=None):
        """Who a Collections email to ``partner`` comes from, for ``message_post``.

        Returns ``author_id``, ``email_from`` and ``reply_to``. The collector is
        ``user`` when given, else the customer's responsible user; with the
        setting on "collector" and a collector with an email, the email is
        theirs ("Name (Company)"), otherwise the company's (the collector's
        again when the company has no email). Replies go to the
        company's catchall address (Odoo routes a reply there to the record the
        email was posted on, by its Message-Id, where the promise reader runs),
        else to the sender. The case alias is not used: Odoo would open a new
        case with each reply instead of threading it on the customer.
        """
        self.ensure_one()
        company = self.sudo()
        collector = (user or partner.commercial_partner_id.user_id).sudo()
        if collector.email and (
            company.gentle_sender == "collector"
            or not (company.email or company.default_from_email)
        ):
            # The collector when the setting says so, or when the company has
            # no address of its own.
            author = collector.partner_id
            name = self.env._(
                "%(collector)s (%(company)s)",
                collector=collector.name,
                company=company.name,
            )
            email = collector.email
        else:
            author = company.partner_id
            name = company.name
            email = company.email or company.default_from_email
        if not email:
            # No address anywhere: Odoo's own default sender applies.
            return {}
        email_from = formataddr((name, email))
        catchall = company.catchall_email
        return {
            "author_id": author.id,
            "email_from": email_from,
            "reply_to": formataddr((name, catchall)) if catchall else email_from,
        }

    @api.constrains("gentle_thanks_period_days")
    def _check_gentle_thanks_period(self):
        for company in self:
            if company.gentle_thanks_period_days < 1:
                raise ValidationError(
                    self.env._(
                        "Thank-you notes of %(company)s: enter a period of at least "
                        "one day between two thank-yous to the same customer.",
                        company=company.name,
                    )
                )

    @api.constrains("gentle_statement_link_days")
    def _check_gentle_statement_link_days(self):
        for company in self:
            if not 1 <= company.gentle_statement_link_days <= 3650:
                raise ValidationError(
                    self.env._(
                        "Statement links of %(company)s must stay valid between 1 "
                        "and 3,650 days (it is now %(days)s).",
                        company=company.name,
                        days=company.gentle_statement_link_days,
                    )
                )

    @api.constrains(
        "gentle_late_fee_max_rate",
        "gentle_late_fee_max_amount",
        "gentle_promise_max_days",
        "gentle_promise_grace_days",
    )
    def _check_gentle_term_caps(self):
        for company in self:
            if not 0 <= company.gentle_late_fee_max_rate <= 100:
                raise ValidationError(
                    self.env._(
                        "The maximum late-fee rate of %(company)s must be between "
                        "0 and 100 %% a month: enter your country's legal limit.",
                        company=company.name,
                    )
                )
            if company.gentle_late_fee_max_amount < 0:
                raise ValidationError(
                    self.env._(
                        "The maximum fixed late fee of %(company)s is negative: "
                        "enter 0 or more.",
                        company=company.name,
                    )
                )
            if not 1 <= company.gentle_promise_max_days <= PROMISE_MAX_HORIZON_DAYS:
                raise ValidationError(
                    self.env._(
                        "The furthest promise date of %(company)s must be between "
                        "1 and %(max)s days ahead.",
                        company=company.name,
                        max=PROMISE_MAX_HORIZON_DAYS,
                    )
                )
            if not 0 <= company.gentle_promise_grace_days <= PROMISE_MAX_GRACE_DAYS:
                raise ValidationError(
                    self.env._(
                        "The promise grace days of %(company)s must be between 0 "
                        "and %(max)s.",
                        company=company.name,
                        max=PROMISE_MAX_GRACE_DAYS,
                    )
                )

    @api.depends("gentle_policy_ids.is_default", "gentle_policy_ids.active")
    def _compute_gentle_default_policy_id(self):
        for company in self:
            defaults = company.gentle_policy_ids.filtered(lambda p: p.is_default)
            company.gentle_default_policy_id = defaults[:1]

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._gentle_create_default_policy()
        return companies

    def _gentle_create_default_policy(self):
        """Give new companies a copy of the shipped default follow-up policy."""
        model = self.env["gentle.followup.policy"].sudo()
        shipped = self.env.ref(
            "gentle_collections.gentle_followup_policy_default",
            raise_if_not_found=False,
        )
        if not shipped:
            return
        for company in self:
            copy = shipped.sudo().copy({"company_id": company.id, "is_default": False})
            copy.name = shipped.name
            if not model.search_count(
                [("company_id", "=", company.id), ("is_default", "=", True)]
            ):
                copy.is_default = True

    @api.constrains("gentle_attachment_limit_mb")
    def _check_gentle_attachment_limit(self):
        for company in self:
            if not 0 <= company.gentle_attachment_limit_mb <= 100:
                raise ValidationError(
                    self.env._(
                        "Attachments of %(company)s: enter a size limit between 0 "
                        "(no attachment) and 100 MB.",
                        company=company.name,
                    )
                )

    @api.constrains("gentle_batch_size")
    def _check_gentle_batch_size(self):
        for company in self:
            if not 1 <= company.gentle_batch_size <= 10000:
                raise ValidationError(
                    self.env._(
                        "The follow-up batch size must be between 1 and 10,000 "
                        "customers."
                    )
                )

    @api.constrains(
        "gentle_grade_a_min",
        "gentle_grade_b_min",
        "gentle_grade_c_min",
        "gentle_score_min_paid",
    )
    def _check_gentle_grades(self):
        for company in self:
            if not (
                100
                >= company.gentle_grade_a_min
                > company.gentle_grade_b_min
                > company.gentle_grade_c_min
                > 0
            ):
                raise ValidationError(
                    self.env._(
                        "Grade thresholds must decrease from A to C, between 1 and "
                        "100 (e.g. A from 85, B from 70, C from 50)."
                    )
                )
            if company.gentle_score_min_paid < 0:
                raise ValidationError(
                    self.env._("The number of paid invoices cannot be negative.")
                )

    @api.constrains("gentle_window_start", "gentle_window_end")
    def _check_gentle_window(self):
        for company in self:
            start, end = company.gentle_window_start, company.gentle_window_end
            days = company.gentle_window_days or "all"
            if not contact_window.is_valid(contact_window.window(start, end, days)):
                raise ValidationError(
                    self.env._(
                        "The contact window of %(company)s must open before it "
                        "closes, between 00:00 and 24:00 (it is now %(start)s to "
                        "%(end)s). Adjust the hours in Accounting settings.",
                        company=company.name,
                        start=start,
                        end=end,
                    )
                )

    @api.constrains("gentle_discount_max_margin_share", "gentle_discount_nudge_days")
    def _check_gentle_discount_settings(self):
        for company in self:
            if not 0 <= company.gentle_discount_max_margin_share <= 1:
                raise ValidationError(
                    self.env._(
                        "The share of margin a discount may take must be between 0 "
                        "(guard off) and 1 (the whole margin), e.g. 0.5."
                    )
                )
            if company.gentle_discount_nudge_days < 0:
                raise ValidationError(
                    self.env._(
                        "The discount nudge is sent a number of days before the "
                        "discount date: enter 0 or more."
                    )
                )
