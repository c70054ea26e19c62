from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestGentleFoundationTour(HttpCase):
    def test_accountant_finds_collections(self):
        self.start_tour("/odoo", "gentle_collections_foundation_tour", login="admin")
        self.env.invalidate_all()
        # The tour saves the settings: the new window start is stored.
        self.assertEqual(self.env.ref("base.main_company").gentle_window_start, 8.0)
