import { registry } from "@web/core/registry";

const openCollectionsMenu = (entry) => [
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
        content: `Open ${entry}`,
        trigger: `.dropdown-menu .dropdown-item:contains(${entry})`,
        run: "click",
    },
];

// A collector opens the Work Queue, lists the customers whose invoices are
// on hold, reads why one gets no reminder and opens it.
registry.category("web_tour.tours").add("gentle_work_queue_tour", {
    url: "/odoo",
    steps: () => [
        ...openCollectionsMenu("Work Queue"),
        {
            content: "The Work Queue opens on the customers due for follow-up",
            trigger: ".o_breadcrumb .active:contains(Work Queue)",
        },
        {
            content: "Remove the default filter",
            trigger: ".o_searchview_facet:contains(Follow-up Due)",
            run: "hover && click .o_facet_remove",
        },
        {
            content: "The default filter is gone",
            trigger: ".o_searchview:not(:has(.o_searchview_facet))",
        },
        {
            content: "Open the filters",
            trigger: ".o_control_panel .o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Filter the customers whose invoices are on hold",
            trigger: ".o_filter_menu .dropdown-item:contains(On Hold: Invoice Held or Blocked)",
            run: "click",
        },
        {
            content: "The held customer is listed with the reason, in words",
            trigger:
                ".o_list_view .o_data_row:contains(Tour Held Hardware) [name=gentle_followup_blocker]:contains(Waiting for the signed delivery note)",
        },
        {
            content: "Open the customer",
            trigger: ".o_list_view .o_data_row:contains(Tour Held Hardware) td[name=display_name]",
            run: "click",
        },
        {
            content: "Open the customer's Collections tab",
            trigger: ".o_form_view .o_notebook .nav-link:contains(Collections)",
            run: "click",
        },
        {
            content: "The customer form says why no reminder goes out",
            trigger:
                ".o_form_view [name=gentle_followup_blocker]:contains(Waiting for the signed delivery note)",
        },
    ],
});

// A collections manager opens the Approvals, approves a waiting reminder and
// sees it leave the list.
registry.category("web_tour.tours").add("gentle_approvals_tour", {
    url: "/odoo",
    steps: () => [
        ...openCollectionsMenu("Approvals"),
        {
            content: "The reminder waits for a decision",
            trigger: ".o_list_view .o_data_row:contains(Tour Approval Traders)",
        },
        {
            content: "Select it",
            trigger: ".o_list_view .o_data_row:contains(Tour Approval Traders) .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Approve it",
            trigger: "button[name=action_approve]",
            run: "click",
        },
        {
            content: "It has left the list",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(Tour Approval Traders)))",
        },
    ],
});
