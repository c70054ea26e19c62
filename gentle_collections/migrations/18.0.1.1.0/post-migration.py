"""18.0.1.1.0: follow-up mail templates render on ``gentle.followup.communication``.

Every follow-up template still written on the customer – the addon's own
(``noupdate``, so that a company's edits stay) and those a company wrote for its
policies – moves to the message model, its expressions on the customer
rewritten to ``object.partner_id``; nothing else in it changes.
"""

import re

from odoo import SUPERUSER_ID, api

# ``object.x`` on the customer, except the follow-up's own table helpers.
CUSTOMER_EXPRESSION = re.compile(r"\bobject\.(?!_gentle_|partner_id\b|company_id\b)")
SOURCE_TEMPLATES = (
    "gentle_collections.mail_template_thanks",
    "gentle_collections.mail_template_discount_nudge",
    "gentle_collections.mail_template_plan_instalment",
)
COMPANY_CONTEXT = re.compile(r"ctx\.get\(['\"]gentle_company_name['\"]\)")


def _rewrite(text):
    if not text:
        return text
    text = COMPANY_CONTEXT.sub("object.company_id.name", text)
    return CUSTOMER_EXPRESSION.sub("object.partner_id.", text)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    model = env["ir.model"]._get("gentle.followup.communication")
    templates = (
        env["gentle.followup.template"]
        .with_context(active_test=False)
        .search([])
        .mail_template_id
    )
    for xmlid in SOURCE_TEMPLATES:
        templates |= env.ref(xmlid, raise_if_not_found=False) or templates.browse()
    templates = templates.filtered(lambda t: t.model == "res.partner")
    for template in templates:
        values = {"model_id": model.id}
        for field in ("subject", "lang", "email_to", "partner_to", "email_cc"):
            values[field] = _rewrite(template[field])
        template.write(values)
        # The body in every language it is written in.
        for lang, _name in env["res.lang"].get_installed():
            localized = template.with_context(lang=lang)
            localized.body_html = _rewrite(localized.body_html)
