from odoo.exceptions import ValidationError
from odoo.tests import Form, TransactionCase, tagged

from .common import create_gentle_users


@tagged("post_install", "-at_install")
class TestGentleSettings(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = create_gentle_users(cls.env)
        cls.company = cls.env.company

    def test_defaults(self):
        company = self.env["res.company"].create({"name": "Fresh Co"})
        self.assertEqual(company.gentle_window_start, 9.0)
        self.assertEqual(company.gentle_window_end, 17.0)
        self.assertFalse(company.gentle_go_live_date)

    def test_admin_saves_the_collections_block(self):
        settings = Form(self.env["res.config.settings"])
        settings.gentle_window_start = 8.5
        settings.gentle_window_end = 18.0
        settings.gentle_go_live_date = "2026-01-01"
        settings.save().execute()
        self.assertEqual(self.company.gentle_window_start, 8.5)
        self.assertEqual(self.company.gentle_window_end, 18.0)
        self.assertEqual(str(self.company.gentle_go_live_date), "2026-01-01")

    def test_window_must_open_before_it_closes(self):
        for start, end in ((17.0, 9.0), (9.0, 9.0), (-1.0, 9.0), (9.0, 24.5)):
            with self.subTest(start=start, end=end):
                with self.assertRaises(ValidationError) as err:
                    self.company.write(
                        {"gentle_window_start": start, "gentle_window_end": end}
                    )
                self.assertIn("must open before it closes", str(err.exception))
        self.assertEqual(self.company.gentle_window_start, 9.0)
        self.assertEqual(self.company.gentle_window_end, 17.0)
        # Both edges of the day are allowed.
        self.company.write({"gentle_window_start": 0.0, "gentle_window_end": 24.0})
        self.assertEqual(self.company.gentle_window_end, 24.0)

    def test_settings_view_has_collections_block(self):
        arch = self.env["res.config.settings"].get_view(view_type="form")["arch"]
        self.assertIn('id="gentle_collections_settings"', arch)
        self.assertIn('name="gentle_window_start"', arch)
