from odoo import api, models
from odoo.exceptions import ValidationError

from .account_move_line import CHASED_MOVE_TYPES


class GentleInvoiceOwnerMixin(models.AbstractModel):
    """Invoices held by a record of one customer and one company: the
    record's invoices (``move_ids``) are posted, of an allowed move type, of
    its customer (``partner_id``) and of its company (``company_id``).

    The models using it declare ``move_ids`` with ``check_company=True``; the
    check below names the invoice at fault and what to do about it, Odoo's
    company check stays as the guard behind it."""

    _name = "gentle.invoice.owner.mixin"
    _description = "Invoices of One Customer"
    _check_company_auto = True

    @api.model
    def _gentle_allowed_move_types(self):
        """The move types the record may hold: what the follow-up chases."""
        return CHASED_MOVE_TYPES

    def _gentle_invoice_owner_error(self, problem, moves):
        """The message refusing ``moves`` for ``problem`` ("customer",
        "company" or "type"); the models word it for what they are."""
        self.ensure_one()
        return self.env._(
            "Invoice %(invoice)s cannot be held here: choose posted invoices of "
            "%(customer)s in %(company)s.",
            invoice=moves[:1].display_name,
            customer=self.partner_id.commercial_partner_id.display_name,
            company=self.company_id.name,
        )

    @api.constrains(
        lambda self: [
            name
            for name in ("move_ids", "partner_id", "company_id")
            if name in self._fields
        ]
    )
    def _check_owned_invoices(self):
        allowed = self._gentle_allowed_move_types()
        for record in self:
            customer = record.partner_id.commercial_partner_id
            moves = record.move_ids
            problems = (
                ("customer", lambda m, c=customer: m.commercial_partner_id != c),
                ("company", lambda m, r=record: m.company_id != r.company_id),
                (
                    "type",
                    lambda m: m.move_type not in allowed or m.state != "posted",
                ),
            )
            for problem, refused in problems:
                wrong = moves.filtered(refused)
                if wrong:
                    raise ValidationError(
                        record._gentle_invoice_owner_error(problem, wrong)
                    )
