"""Acknowledging a collection case to the customer."""

from odoo import api, models


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
        for case in cases.filtered(lambda c: c.partner_id.email):
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
