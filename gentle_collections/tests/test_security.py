from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged

from .common import create_gentle_users


@tagged("post_install", "-at_install")
class TestGentleSecurity(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = create_gentle_users(cls.env)
        cls.menu_root = cls.env.ref("gentle_collections.gentle_collections_menu")
        cls.menu_customers = cls.env.ref("gentle_collections.res_partner_menu_gentle")
        cls.menu_config = cls.env.ref(
            "gentle_collections.gentle_collections_menu_config"
        )
        cls.menu_settings = cls.env.ref("gentle_collections.res_config_settings_menu")

    def visible_menus(self, user):
        return self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()

    def test_group_implications(self):
        user_group = self.env.ref("gentle_collections.group_gentle_user")
        manager_group = self.env.ref("gentle_collections.group_gentle_manager")
        self.assertIn(
            self.env.ref("account.group_account_invoice"), user_group.trans_implied_ids
        )
        self.assertIn(user_group, manager_group.trans_implied_ids)
        self.assertIn(
            manager_group,
            self.env.ref("account.group_account_manager").trans_implied_ids,
        )
        accountant = self.users["accountant"]
        self.assertTrue(accountant.has_group("account.group_account_invoice"))
        self.assertFalse(
            accountant.has_group("gentle_collections.group_gentle_manager")
        )
        admin = self.users["account_admin"]
        self.assertTrue(admin.has_group("gentle_collections.group_gentle_manager"))
        self.assertTrue(admin.has_group("gentle_collections.group_gentle_user"))

    def test_accountant_reaches_the_work_menus_not_configuration(self):
        visible = self.visible_menus(self.users["accountant"])
        self.assertIn(self.menu_root.id, visible)
        self.assertIn(self.menu_customers.id, visible)
        self.assertNotIn(self.menu_config.id, visible)
        self.assertNotIn(self.menu_settings.id, visible)

    def test_managers_reach_collections_admins_reach_settings(self):
        for role in ("manager", "account_admin"):
            visible = self.visible_menus(self.users[role])
            self.assertIn(self.menu_root.id, visible, role)
            # Settings are for system administrators, as everywhere in Odoo.
            self.assertNotIn(self.menu_settings.id, visible, role)
        visible = self.visible_menus(self.env.ref("base.user_admin"))
        self.assertIn(self.menu_settings.id, visible)
        self.assertIn(self.menu_config.id, visible)

    def test_sales_user_sees_no_collections(self):
        visible = self.visible_menus(self.users["salesman"])
        self.assertNotIn(self.menu_root.id, visible)
        self.assertNotIn(self.menu_customers.id, visible)
        self.assertFalse(
            self.users["salesman"].has_group("gentle_collections.group_gentle_user")
        )

    def test_demo_collector(self):
        demo_user = self.env.ref("base.user_demo", raise_if_not_found=False)
        if demo_user is None:
            self.assertFalse(
                self.env["ir.module.module"]
                .search([("name", "=", "gentle_collections")])
                .demo
            )
            return
        self.assertTrue(demo_user.has_group("gentle_collections.group_gentle_user"))

    def test_settings_block_only_for_managers(self):
        settings = self.env["res.config.settings"].with_user(self.users["accountant"])
        with self.assertRaises(AccessError):
            settings.create({"gentle_window_start": 8.0}).execute()
        self.assertEqual(self.env.company.gentle_window_start, 9.0)
