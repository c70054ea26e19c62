import { registry } from "@web/core/registry";

// A collector starts on Collections → Overview and opens the cases past their SLA.
registry.category("web_tour.tours").add("gentle_overview_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button:enabled",
            run: "click",
        },
        {
            content: "Open the Invoicing app",
            trigger: ".o_app[data-menu-xmlid='account.menu_finance']",
            run: "click",
        },
        {
            content: "Open the Collections menu",
            trigger: ".o_main_navbar button:contains(Collections)",
            run: "click",
        },
        {
            content: "Open the Overview",
            trigger: ".dropdown-menu .dropdown-item:contains(Overview)",
            run: "click",
        },
        {
            content: "The total receivable is shown in the company currency",
            trigger:
                ".o_gentle_overview_card[data-figure=receivable] .o_gentle_overview_value:contains(/\\d/)",
        },
        {
            content: "At least one case is past its SLA",
            trigger:
                ".o_gentle_overview_card[data-figure=cases_breached] .o_gentle_overview_value:not(:contains(/^0$/))",
        },
        {
            content: "Open the cases past their SLA",
            trigger: ".o_gentle_overview_card[data-figure=cases_breached]",
            run: "click",
        },
        {
            content: "The list of the cases past their SLA opens",
            trigger: ".o_breadcrumb .active:contains(Cases Past Their SLA)",
        },
        {
            content: "The tour's case is among them",
            trigger: ".o_list_view .o_data_row:contains(Tour: which invoice is this?)",
        },
    ],
});
