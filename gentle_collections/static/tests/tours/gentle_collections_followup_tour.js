import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("gentle_collections_followup_tour", {
    url: "/odoo/action-gentle_collections.gentle_followup_policy_action",
    steps: () => [
        {
            content: "Open the default follow-up policy",
            trigger: ".o_data_row td.o_data_cell:contains(Standard follow-up)",
            run: "click",
        },
        {
            content: "The policy shows its levels",
            trigger: "div[name='level_ids'] .o_data_row:contains(Final notice)",
        },
        {
            content: "Add a level",
            trigger: "div[name='level_ids'] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "60 days after the due date",
            trigger: "div[name='level_ids'] .o_selected_row div[name='day_offset'] input",
            run: "edit 60",
        },
        {
            content: "Name the level",
            trigger: "div[name='level_ids'] .o_selected_row div[name='name'] input",
            run: "edit Last word before collection agency",
        },
        {
            content: "In a final tone",
            trigger: "div[name='level_ids'] .o_selected_row div[name='tone'] select",
            run: 'select "final"',
        },
        {
            content: "Save the policy",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The new level is saved",
            trigger:
                "body:not(:has(.o_form_dirty)) div[name='level_ids'] .o_data_row:contains(Last word before collection agency)",
        },
        {
            content: "Open the Collections menu",
            trigger: ".o_main_navbar button:contains(Collections)",
            run: "click",
        },
        {
            content: "Open the work queue",
            trigger: ".dropdown-item:contains(Work Queue)",
            run: "click",
        },
        {
            content: "Find the customer",
            trigger: ".o_searchview_input",
            run: "edit Tour Lantern Supplies && press Enter",
        },
        {
            content: "Open the customer waiting for a reminder",
            trigger: ".o_data_row td.o_data_cell:contains(Tour Lantern Supplies)",
            run: "click",
        },
        {
            content: "Open the Collections page of the customer",
            trigger: ".o_notebook .nav-link:contains(Collections)",
            run: "click",
        },
        {
            content: "Follow up now",
            trigger: "button[name='action_gentle_followup_now']",
            run: "click",
        },
        {
            content: "The preview shows the message about the invoice",
            trigger: ".modal .o_gentle_preview:contains(Tour Lantern Supplies) .o_gentle_preview_body :iframe body:contains(Dear Tour Lantern Supplies)",
        },
        {
            content: "The preview says who receives it, in which language",
            trigger: ".modal .o_gentle_preview:contains(To:):contains(English)",
        },
        {
            content: "Rewrite the words of this one message",
            trigger: ".modal .o_gentle_preview button[name='action_gentle_edit']",
            run: "click",
        },
        {
            content: "Give it a subject of one's own",
            trigger: ".modal .o_field_widget[name='subject'] input",
            run: "edit A word about your lantern invoice",
        },
        {
            content: "Keep these words",
            trigger: ".modal button[name='action_save']",
            run: "click",
        },
        {
            content: "The preview shows the rewritten message",
            trigger: ".modal .o_gentle_preview:contains(A word about your lantern invoice):contains(Edited)",
        },
        {
            content: "Send it",
            trigger: ".modal button[name='action_send']",
            run: "click",
        },
        {
            content: "The follow-up says the email was queued, not that it arrived",
            trigger: ".o_notification:contains(Handed to the outgoing mail queue)",
        },
    ],
});
