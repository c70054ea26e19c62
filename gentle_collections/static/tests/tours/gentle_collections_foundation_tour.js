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
            content: "The settings open at the Collections block, not at the top",
            trigger: "#gentle_contact_window",
            run() {
                const settings = this.anchor.closest(".settings");
                const top = this.anchor.getBoundingClientRect().top;
                const view = settings.getBoundingClientRect();
                if (settings.scrollTop === 0 || top < view.top || top > view.top + view.height / 2) {
                    throw new Error(
                        `Collections block not at the top of the settings (scrollTop ${settings.scrollTop}, block at ${top}px)`
                    );
                }
            },
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
