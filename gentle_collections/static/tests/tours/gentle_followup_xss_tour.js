import { registry } from "@web/core/registry";

// A follow-up action whose message holds an image with an error handler (stored
// before bodies were sanitized): opening it must not run the handler.
registry.category("web_tour.tours").add("gentle_followup_xss_tour", {
    steps: () => [
        {
            content: "The action opens on its message",
            trigger: ".o_form_view div[name='body_html']",
        },
        {
            content: "The message is shown, in a sandboxed frame",
            trigger: ":iframe p:contains(Legacy reminder)",
        },
        {
            content: "The image failed to load, and its error handler did not run",
            trigger: ".o_form_view div[name='body_html'] iframe",
            run: async () => {
                const frame = document.querySelector(
                    ".o_form_view div[name='body_html'] iframe"
                );
                const image = frame.contentDocument.querySelector("img");
                // Give the browser time to try the image and fire its error.
                for (let tries = 0; tries < 50 && !image.complete; tries++) {
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                await new Promise((resolve) => setTimeout(resolve, 500));
                if (window.__gentle_xss || frame.contentWindow.__gentle_xss) {
                    throw new Error("A script stored in a follow-up message ran");
                }
            },
        },
    ],
});
