import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("gentle_collections_call_tour", {
    steps: () => [
        {
            content: "Open the customer's Collections tab",
            trigger: ".o_notebook .nav-link:contains(Collections)",
            run: "click",
        },
        {
            content: "Schedule a call",
            trigger: "button[name='action_gentle_schedule_call']",
            run: "click",
        },
        {
            content: "Times are proposed in both zones",
            trigger: ".modal div[name='slot_id'] .o_radio_item:contains(customer)",
        },
        {
            content: "Pick the second proposed time",
            trigger: ".modal div[name='slot_id'] .o_radio_item:eq(1) input",
            run: "click",
        },
        {
            content: "Book it and send the agenda",
            trigger: ".modal button[name='action_schedule']",
            run: "click",
        },
        {
            content: "The call is booked",
            trigger: ".o_notification:contains(Call booked)",
        },
    ],
});
