{
    "name": "Gentle Collections",
    "summary": "Get paid on time without straining customer relationships: "
    "gentle multi-step follow-up, relationship scores, disputes and clear terms",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "gentle_collections developers",
    "website": "https://github.com/gentle-collections/gentle_collections",
    "maintainers": ["gentle-collections"],
    "development_status": "Alpha",
    # account: invoices, receivable lines, payment terms (cash discounts).
    # account_payment: pay-now links on the portal invoice page and statement.
    # mail: templates, chatter, activities and the mail queue used to send.
    # portal: customers open queries and see plans on their invoice pages.
    # calendar: follow-up calls booked as calendar events.
    # resource: working-hours calendars for contact windows and support SLAs.
    # sms: an SMS action on follow-up levels.
    "depends": [
        "account",
        "account_payment",
        "mail",
        "portal",
        "calendar",
        "resource",
        "sms",
    ],
    "data": [
        "security/gentle_collections_groups.xml",
        "security/ir.model.access.csv",
        "security/gentle_followup_security.xml",
        "security/gentle_collection_case_security.xml",
        "security/gentle_payment_plan_security.xml",
        "data/gentle_grade_data.xml",
        "data/ir_cron_data.xml",
        "data/mail_template_data.xml",
        "data/gentle_followup_policy_data.xml",
        "data/gentle_support_data.xml",
        "report/gentle_followup_letter_report.xml",
        "report/gentle_late_fee_report.xml",
        "report/gentle_statement_report.xml",
        "data/gentle_clear_terms_data.xml",
        "views/gentle_followup_policy_views.xml",
        "views/gentle_followup_level_views.xml",
        "views/gentle_followup_template_views.xml",
        "views/gentle_grade_views.xml",
        "views/gentle_followup_action_views.xml",
        "views/gentle_followup_history_views.xml",
        "views/res_config_settings_views.xml",
        "views/res_partner_views.xml",
        "views/account_move_views.xml",
        "views/account_payment_term_views.xml",
        "wizards/gentle_followup_send_views.xml",
        "wizards/gentle_call_schedule_views.xml",
        "views/gentle_collection_case_views.xml",
        "views/gentle_collection_case_portal_templates.xml",
        "views/gentle_collections_menus.xml",
        "report/gentle_analytics_views.xml",
        "data/gentle_payment_plan_data.xml",
        "views/gentle_payment_plan_views.xml",
        "views/gentle_payment_plan_portal_templates.xml",
        "wizards/gentle_payment_plan_propose_views.xml",
        "data/gentle_payment_promise_data.xml",
        "views/gentle_payment_promise_views.xml",
        "data/gentle_thanks_data.xml",
    ],
    "demo": [
        "demo/res_users_demo.xml",
        "demo/gentle_collection_case_demo.xml",
        "demo/gentle_clear_terms_demo.xml",
        "demo/gentle_collections_demo.xml",
        "demo/gentle_thanks_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "gentle_collections/static/tests/tours/**/*",
        ],
    },
}
