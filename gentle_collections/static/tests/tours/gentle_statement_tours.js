import { registry } from "@web/core/registry";

// The customer opens the signed statement link and pays the amount asked at
// once with the demo payment provider.
registry.category("web_tour.tours").add("gentle_statement_pay_all_tour", {
    steps: () => [
        {
            content: "The statement asks for the invoices' amount, net of the credit note",
            trigger: ".o_gentle_statement_asked:contains(750.00)",
        },
        {
            content: "Pay all offers the demo provider",
            trigger:
                "#gentle_statement_pay_all input[name=o_payment_radio][data-payment-method-code=demo]",
            run: "click",
        },
        {
            content: "Enter the test card details",
            trigger: "#gentle_statement_pay_all #customer_input",
            run: "edit 4242424242424242",
        },
        {
            content: "Pay the whole statement",
            trigger: "#gentle_statement_pay_all button[name=o_payment_submit_button]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the statement, nothing more is asked",
            trigger: ".o_gentle_statement .o_gentle_statement_asked:contains(0.00)",
        },
        {
            content: "The invoice under review is still listed",
            trigger: ".o_gentle_statement .o_gentle_statement_review:contains(Under review: case)",
        },
    ],
});
