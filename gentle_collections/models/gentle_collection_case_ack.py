"""Acknowledging a collection case to the customer."""

import pytz

from odoo import api, fields, models
from odoo.tools import format_date


class GentleCollectionCaseAck(models.AbstractModel):
    """Tells the customer who handles their case and by when (the case
    acknowledgement e-mail template)."""

    _name = "gentle.collection.case.ack"
    _description = "Collection Case Acknowledgement"

    @api.model
    def _gentle_acknowledge(self, cases):
        """Acknowledge ``cases`` to their customers; a case whose customer has no
        address is skipped, one without a sender address gets a note saying so."""
        template = self.env.ref(
            "gentle_collections.gentle_case_ack_mail_template", raise_if_not_found=False
        )
        if not template:
            return
        # The customer opened it (portal, email), or the team chose to tell
        # them: a case the team opens for itself is not announced.
        cases = cases.filtered(
            lambda c: c.source in ("portal", "email") or c.notify_customer
        )
        layout = self.env["gentle.followup.channel"]._gentle_layout
        for case in cases.filtered(lambda c: c.partner_id.email):
            company = case.company_id
            sender = company._gentle_collections_sender(
                case.partner_id, user=case.user_id
            )
            if not sender:
                # Without a sender address Odoo cannot send: say so instead.
                case.message_post(
                    body=self.env._(
                        "The customer was not acknowledged: give %(company)s or "
                        "the assignee an email address.",
                        company=company.name,
                    ),
                    subtype_xmlid="mail.mt_note",
                )
                continue
            # Rendered here, in the customer's language, so that the email
            # comes from the company's collections identity (settings) like
            # every other Collections email.
            lang = template._render_lang(case.ids)[case.id]
            subject = template._render_field("subject", case.ids, compute_lang=True)
            body = template._render_field("body_html", case.ids, compute_lang=True)
            case.with_context(lang=lang).message_post(
                body=body[case.id],
                subject=subject[case.id],
                partner_ids=case.partner_id.ids,
                subtype_xmlid="mail.mt_comment",
                message_type="comment",
                email_layout_xmlid=layout,
                force_email_company=company,
                gentle_mail_kind="case_ack",
                record_company_id=company.id,
                **sender,
            )

    @api.model
    def _gentle_ack_sentence(self, case):
        """Who comes back to the customer and by which day, in their language
        and on their calendar: "Maria from our accounts team will come back to
        you by Thursday 5 March." No internal tier, no time of day."""
        env = case.env
        name = case.user_id.name
        deadline = case.sla_deadline
        if not deadline:
            if name:
                return env._(
                    "%(name)s from our accounts team will come back to you shortly.",
                    name=name,
                )
            return env._("Our accounts team will come back to you shortly.")
        zone = pytz.timezone(
            case.partner_id.tz
            or case.company_id.resource_calendar_id.tz
            or case.company_id.partner_id.tz
            or "UTC"
        )
        local = pytz.utc.localize(deadline).astimezone(zone).date()
        today = pytz.utc.localize(fields.Datetime.now()).astimezone(zone).date()
        if local <= today:
            if name:
                return env._(
                    "%(name)s from our accounts team will come back to you today.",
                    name=name,
                )
            return env._("Our accounts team will come back to you today.")
        day = format_date(env, local, date_format="EEEE d MMMM")
        if name:
            return env._(
                "%(name)s from our accounts team will come back to you by %(day)s.",
                name=name,
                day=day,
            )
        return env._("Our accounts team will come back to you by %(day)s.", day=day)
