import { onMounted } from "@odoo/owl";
import { patch } from "@web/core/utils/patch";
import { SettingsFormController } from "@web/webclient/settings_form_view/settings_form_controller";

/**
 * Open the settings at a given block instead of the top of the app's page.
 *
 * An action's context may name a setting with ``gentle_settings_anchor`` (the
 * ``id`` of a ``<setting>`` in the settings view): once the page is shown, it is
 * scrolled so that this setting's block is at the top. The Collections menu's
 * Settings entry uses it to land on the Collections block of Invoicing settings.
 */
patch(SettingsFormController.prototype, {
    setup() {
        super.setup(...arguments);
        const anchor = this.props.context && this.props.context.gentle_settings_anchor;
        if (anchor) {
            onMounted(() => {
                const setting = this.rootRef.el && this.rootRef.el.querySelector(`#${CSS.escape(anchor)}`);
                if (setting) {
                    const block = setting.closest(".o_settings_container") || setting;
                    let title = block.previousElementSibling;
                    if (title && title.tagName === "H3") {
                        title = title.previousElementSibling; // the block's tip
                    }
                    (title && title.tagName === "H2" ? title : block).scrollIntoView({ block: "start" });
                }
            });
        }
    },
});
