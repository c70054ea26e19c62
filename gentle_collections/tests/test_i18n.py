"""The French translation loads cleanly and reaches menus, fields and mails."""

from datetime import date

from odoo import Command
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestGentleI18nFrench(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"].search(
            [("name", "=", "gentle_collections")]
        )._update_translations(["fr_FR"])
        cls.fr_env = cls.env(context=dict(cls.env.context, lang="fr_FR"))

    def test_menu_and_field_labels(self):
        menu = self.env.ref("gentle_collections.gentle_collections_menu")
        self.assertEqual(menu.name, "Collections")
        self.assertEqual(menu.with_env(self.fr_env).name, "Recouvrement")
        policy_menu = self.fr_env.ref("gentle_collections.gentle_followup_policy_menu")
        self.assertEqual(policy_menu.name, "Politiques de relance")

        level_fields = self.fr_env["gentle.followup.level"].fields_get(["tone"])
        tone = level_fields["tone"]
        self.assertEqual(tone["string"], "Ton")
        labels = dict(tone["selection"])
        self.assertEqual(labels["friendly"], "Cordial")
        self.assertEqual(labels["firm"], "Ferme")
        # The English source stays untouched for English users.
        en_labels = dict(
            self.env["gentle.followup.level"].fields_get(["tone"])["tone"]["selection"]
        )
        self.assertEqual(en_labels["friendly"], "Friendly")

    def test_friendly_reminder_in_french(self):
        company = self.env.company
        customer = self.env["res.partner"].create(
            {
                "name": "Client Dupont",
                "email": "dupont@example.com",
                "lang": "fr_FR",
                "is_company": True,
            }
        )
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "company_id": company.id,
                "invoice_date": date(2026, 10, 1),
                "invoice_date_due": date(2026, 10, 31),
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Conseil", "quantity": 1, "price_unit": 250.0}
                    )
                ],
            }
        )
        invoice.action_post()
        line = invoice.line_ids.filtered(
            lambda aml: aml.account_id.account_type == "asset_receivable"
        )
        self.assertTrue(line)
        template = self.env.ref("gentle_collections.mail_template_followup_friendly")
        company.name = "Ma Société"
        level = company.gentle_default_policy_id.level_ids[:1]
        self.assertTrue(level)
        # The message as the follow-up saves it before rendering it.
        message = (
            self.env["gentle.followup.communication"]
            .sudo()
            .create(
                {
                    "partner_id": customer.id,
                    "company_id": company.id,
                    "date": date(2026, 11, 10),
                    "step_ids": [
                        Command.create({"move_line_id": line.id, "level_id": level.id})
                    ],
                }
            )
        )
        body = template._render_field("body_html", message.ids, compute_lang=True)[
            message.id
        ]
        subject = template._render_field("subject", message.ids, compute_lang=True)[
            message.id
        ]
        self.assertEqual(
            subject, "Ma Société\xa0: petit rappel concernant vos factures"
        )
        self.assertIn("Bonjour Client Dupont", body)
        self.assertIn("Nous espérons que vous allez bien", body)
        self.assertIn("Bien cordialement", body)
        self.assertNotIn("Dear", body)
        # The invoice table is still there, with its code strings in French.
        self.assertIn(invoice.name, body)
        self.assertIn("<th>Facture</th>", body)
        self.assertIn("Montant dû", body)
        self.assertIn("10 jours de retard", body)

        # An English-speaking customer still gets the English wording.
        customer.lang = "en_US"
        body_en = template._render_field("body_html", message.ids, compute_lang=True)[
            message.id
        ]
        self.assertIn("Dear Client Dupont", body_en)
        self.assertIn(invoice.name, body_en)

    def test_overview_in_french(self):
        """Collections → Overview: its menu, the lists its figures open (Python)
        and its cards (JavaScript) read in French."""
        menu = self.fr_env.ref("gentle_collections.gentle_overview_menu")
        self.assertEqual(menu.name, "Vue d'ensemble")
        overview = self.fr_env["gentle.overview"]
        self.assertEqual(overview.action_open_overdue()["name"], "Créances en retard")
        translations, _params = self.env["ir.http"].get_translations_for_webclient(
            ["gentle_collections"], "fr_FR"
        )
        messages = {
            message["id"]: message["string"]
            for message in translations["gentle_collections"]["messages"]
        }
        self.assertEqual(messages["Total receivable"], "Total des créances")
        self.assertEqual(
            messages["Oldest waits %(days)s day(s)"],
            "La plus ancienne attend depuis %(days)s jour(s)",
        )

    def test_case_acknowledgement_and_outbox_in_french(self):
        """A French customer's case acknowledgement is French from its first
        line to the handler's sentence; the outbox reads in French."""
        self.assertEqual(
            self.fr_env.ref("gentle_collections.gentle_outbox_menu").name,
            "Boîte d'envoi",
        )
        company = self.env.company
        company.email = "ar@ma-societe.example.com"
        customer = self.env["res.partner"].create(
            {
                "name": "Client Martin",
                "email": "martin@example.com",
                "lang": "fr_FR",
                "is_company": True,
            }
        )
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": date(2026, 10, 1),
                "invoice_line_ids": [
                    Command.create({"name": "Conseil", "quantity": 1, "price_unit": 90})
                ],
            }
        )
        invoice.action_post()
        case = self.env["gentle.collection.case"].create(
            {
                "subject": "Question",
                "partner_id": customer.id,
                "source": "portal",
                "category_id": self.env.ref(
                    "gentle_collections.gentle_case_category_payment_question"
                ).id,
                "move_ids": [Command.set(invoice.ids)],
            }
        )
        ack = case.message_ids.filtered(lambda m: m.gentle_mail_kind == "case_ack")
        self.assertEqual(len(ack), 1)
        self.assertIn("Bonjour Client Martin", ack.body)
        self.assertIn("Merci de nous avoir contactés", ack.body)
        self.assertIn("reviendra vers vous", ack.body)
        self.assertNotIn("Thank you", ack.body)
