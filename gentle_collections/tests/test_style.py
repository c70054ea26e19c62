from datetime import date

from psycopg2 import IntegrityError

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import GentleFollowupCommon


@tagged("post_install", "-at_install")
class TestGentleStyle(GentleFollowupCommon):
    """A customer's communication style picks the wording of their reminders."""

    def test_style_defaults_from_the_country_and_can_be_changed(self):
        japan = self.env.ref("base.jp")
        germany = self.env.ref("base.de")
        tokyo = self._gentle_customer("Tokyo Trading", country_id=japan.id)
        berlin = self._gentle_customer("Berlin Bikes", country_id=germany.id)
        nowhere = self._gentle_customer("Nowhere Ltd")
        self.assertEqual(tokyo.gentle_style, "subtle")
        self.assertEqual(berlin.gentle_style, "direct")
        self.assertEqual(nowhere.gentle_style, "direct")
        berlin.gentle_style = "subtle"
        berlin.write({"phone": "+49 30 1234"})
        self.assertEqual(berlin.gentle_style, "subtle")
        nowhere.country_id = japan
        self.assertEqual(nowhere.gentle_style, "subtle")

    def test_wording_of_the_style_first_then_generic_then_other_style(self):
        Template = self.env["mail.template"]
        generic = Template.create({"name": "Generic", "model_id": self.ref_model()})
        subtle = Template.create({"name": "Subtle", "model_id": self.ref_model()})
        neutral = Template.create({"name": "Neutral", "model_id": self.ref_model()})
        policy = self.env["gentle.followup.policy"].create(
            {
                "name": "Styled",
                "template_ids": [
                    (0, 0, {"tone": "friendly", "mail_template_id": generic.id}),
                    (
                        0,
                        0,
                        {
                            "tone": "friendly",
                            "style": "subtle",
                            "mail_template_id": subtle.id,
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "tone": "neutral",
                            "style": "subtle",
                            "mail_template_id": neutral.id,
                        },
                    ),
                ],
            }
        )
        self.assertEqual(policy._get_template("friendly", "subtle"), subtle)
        self.assertEqual(policy._get_template("friendly", "direct"), generic)
        self.assertEqual(policy._get_template("friendly"), generic)
        # Only a subtle neutral wording: a direct customer still gets the
        # neutral tone rather than a softer one.
        self.assertEqual(policy._get_template("neutral", "direct"), neutral)

    def ref_model(self):
        return self.env["ir.model"]._get_id("gentle.followup.communication")

    def test_one_wording_per_tone_and_style(self):
        policy = self.policy
        friendly = policy.template_ids.filtered(
            lambda t: t.tone == "friendly" and not t.style
        )
        self.assertTrue(friendly)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["gentle.followup.template"].create(
                {
                    "policy_id": policy.id,
                    "tone": "friendly",
                    "mail_template_id": friendly.mail_template_id.id,
                }
            )
            self.env.flush_all()

    def test_reminders_use_the_customer_style(self):
        direct = self.customer
        subtle = self._gentle_customer(
            "Kyoto Crafts", country_id=self.env.ref("base.jp").id
        )
        for partner in direct | subtle:
            self._gentle_invoice(partner, date(2026, 10, 1), due=date(2026, 10, 31))
        with self.trap_followups() as trap:
            self.run_followup()
        by_partner = {p: trap.assert_sent(p) for p in direct | subtle}
        tone = by_partner[subtle].tone
        self.assertEqual(by_partner[direct].tone, tone)
        subtle_subjects = {
            "friendly": "for your convenience",
            "neutral": "a kind request",
            "firm": "your help with",
            "final": "a last request",
        }
        [to_subtle] = trap.messages(subtle)
        [to_direct] = trap.messages(direct)
        self.assertIn(subtle_subjects[tone], to_subtle["subject"])
        self.assertNotIn(subtle_subjects[tone], to_direct["subject"])
        self.assertEqual(
            self.policy._get_template(tone, "subtle").name,
            self.policy._get_template(tone).name + " (subtle)",
        )
