from odoo import api, models


class AccountPartialReconcile(models.Model):
    """A payment matched to an invoice refreshes that customer's score."""

    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._gentle_refresh_scores()
        return partials

    def unlink(self):
        lines = self.debit_move_id
        result = super().unlink()
        lines.exists()._gentle_refresh_customer_scores()
        return result

    def _gentle_refresh_scores(self):
        self.debit_move_id._gentle_refresh_customer_scores()
