import { registry } from "@web/core/registry";

// A customer asks about an invoice from its portal page.
registry.category("web_tour.tours").add("gentle_case_portal_tour", {
    steps: () => [
        {
            content: "The invoice page offers to ask a question",
            trigger: "#gentle_case summary:contains(Question about this invoice?)",
            run: "click",
        },
        {
            content: "Choose the topic",
            trigger: "#gentle_case_category",
            run: "selectByLabel Pricing dispute",
        },
        {
            content: "Write the question",
            trigger: "#gentle_case_message",
            run: "edit The unit price is higher than in your quote.",
        },
        {
            content: "Send it",
            trigger: "#gentle_case button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The customer is told a case was opened",
            trigger: "#gentle_case .alert-success:contains(we opened CASE/)",
        },
    ],
});

// The specialist finds the customer's question in the cases queue.
registry.category("web_tour.tours").add("gentle_case_queue_tour", {
    url: "/odoo/action-gentle_collections.gentle_collection_case_action",
    steps: () => [
        {
            content: "The question is in the queue, in the billing tier",
            trigger:
                ".o_kanban_group:contains(Billing) .o_kanban_record:contains(Pricing dispute)",
            run: "click",
        },
        {
            content: "The case shows the customer's message",
            trigger: ".o_form_view .o_field_html:contains(higher than in your quote)",
        },
        {
            content: "Start working on it",
            trigger: "button[name=action_start]",
            run: "click",
        },
        {
            content: "The case is in progress",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(In Progress)",
        },
    ],
});
