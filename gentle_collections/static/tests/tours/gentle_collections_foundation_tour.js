import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("gentle_collections_foundation_tour", {
    url: "/odoo/action-gentle_collections.res_partner_action_gentle",
    steps: () => [
        {
            content: "The Collections customers list opens",
            trigger: ".o_breadcrumb:contains(Customers)",
        },
        {
            content: "Open the Collections menu",
            trigger: ".o_main_navbar button:contains(Collections)",
            run: "click",
        },
        {
            content: "Open Collections settings",
            trigger: ".dropdown-item:contains(Settings)",
            run: "click",
        },
        {
            content: "The Collections block is in the Invoicing settings",
            trigger: ".o_settings_container:has(div[name='gentle_window_start'])",
        },
        {
            content: "Open the contact window earlier",
            trigger: "div[name='gentle_window_start'] input",
            run: "edit 08:00",
        },
        {
            content: "Save the settings",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Settings saved and reloaded",
            trigger:
                "body:not(:has(.o_form_dirty)) div[name='gentle_window_start'] input:value(08:00)",
        },
    ],
});
