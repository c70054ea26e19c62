import { Component, onWillStart, useState } from "@odoo/owl";
import { formatCurrency } from "@web/core/currency";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { formatFloat } from "@web/core/utils/numbers";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

const NO_DATA = "—";

/**
 * Collections → Overview: today's figures of the current company
 * (gentle.overview.get_figures); a click opens the records behind a figure
 * (gentle.overview.action_open_*).
 */
export class GentleOverview extends Component {
    static template = "gentle_collections.GentleOverview";
    static components = { Layout };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ figures: null });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.figures = await this.orm.call("gentle.overview", "get_figures", []);
    }

    async open(figure) {
        const action = await this.orm.call("gentle.overview", `action_open_${figure}`, []);
        return this.action.doAction(action);
    }

    // ------------------------------------------------------------------
    // Formatting
    // ------------------------------------------------------------------

    amount(value, humanReadable = false) {
        return formatCurrency(value || 0, this.state.figures.currency_id, { humanReadable });
    }

    number(value, digits = 1) {
        return value === null || value === undefined
            ? NO_DATA
            : formatFloat(value, { digits: [false, digits] });
    }

    percent(value) {
        return value === null || value === undefined ? NO_DATA : `${this.number(value)} %`;
    }

    days(value) {
        return value === null || value === undefined
            ? NO_DATA
            : _t("%(days)s days", { days: this.number(value) });
    }

    get notes() {
        const f = this.state.figures;
        return {
            receivable: _t("%(count)s open item(s)", { count: f.receivable.count }),
            overdue: f.overdue.count
                ? _t("%(share)s of the receivable, %(count)s item(s)", {
                      share: this.percent(f.overdue.share),
                      count: f.overdue.count,
                  })
                : _t("Nothing overdue"),
            collected_last_month: _t("%(month)s: %(amount)s", {
                month: f.last_month,
                amount: this.amount(f.collected_last_month),
            }),
            best_dso: _t("Best possible: %(days)s", { days: this.days(f.best_dso) }),
            cei: _t("Collection effectiveness, %(month)s", { month: f.last_month }),
        };
    }

    get cards() {
        const f = this.state.figures;
        const oldest =
            f.approvals_oldest_days === null
                ? _t("Nothing awaits approval")
                : _t("Oldest waits %(days)s day(s)", { days: f.approvals_oldest_days });
        return [
            {
                figure: "promises_due_today",
                title: _t("Promises due today"),
                value: f.promises_due_today,
                note: _t("Open promises to pay falling due today"),
            },
            {
                figure: "promises_broken",
                title: _t("Promises broken"),
                value: f.promises_broken,
                note: _t("Decided broken in %(month)s", { month: f.month }),
                alert: f.promises_broken > 0,
            },
            {
                figure: "plans_at_risk",
                title: _t("Payment plans at risk"),
                value: f.plans_at_risk,
                note: _t("Agreed plans with an instalment overdue"),
                alert: f.plans_at_risk > 0,
            },
            {
                figure: "cases_breached",
                title: _t("Cases past their SLA"),
                value: f.cases_breached,
                note: _t("Open cases past their deadline"),
                alert: f.cases_breached > 0,
            },
            {
                figure: "approvals",
                title: _t("Approvals waiting"),
                value: f.approvals,
                note: oldest,
                alert: f.approvals_oldest_days > 7,
            },
            {
                figure: "outbox",
                title: _t("Failed or stuck sends"),
                value: f.outbox,
                note: _t("Emails in the Outbox"),
                alert: f.outbox > 0,
            },
        ];
    }

    get trend() {
        const points = this.state.figures.trend;
        const highest = Math.max(...points.map((point) => point.overdue), 0);
        return points.map((point) => ({
            ...point,
            height: highest > 0 ? Math.round((point.overdue / highest) * 100) : 0,
        }));
    }
}

registry.category("actions").add("gentle_collections.overview", GentleOverview);
