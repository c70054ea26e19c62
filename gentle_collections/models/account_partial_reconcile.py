from odoo import api, models


class AccountPartialReconcile(models.Model):
    """A payment matched to an invoice refreshes that customer's score when the
    transaction commits (once for all the matching done in it)."""

    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials.debit_move_id._gentle_schedule_score_refresh()
        return partials

    def unlink(self):
        lines = self.debit_move_id
        result = super().unlink()
        lines.exists()._gentle_schedule_score_refresh()
        return result
