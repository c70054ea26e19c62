"""The relationship score of every customer, in a handful of queries
(``gentle.score.engine``): one components query, the set-based recompute of
the partners' scores and the monthly snapshots.

What other features add to the score (disputes, promises, plans) comes from
``gentle.score.events``, in its own file.
"""

import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.score import Components, compute_score
from .account_move_line import CHASED_MOVE_TYPES, PAID_PAYMENT_STATES

_logger = logging.getLogger(__name__)

# Company-dependent partner columns written by the recompute, with their SQL type.
SCORE_COLUMNS = {
    "gentle_score": "int",
    "gentle_grade": "text",
    "gentle_is_new": "boolean",
    "gentle_paid_invoice_count": "int",
    "gentle_avg_days_late": "float",
    "gentle_on_time_ratio": "float",
    "gentle_overdue_days": "float",
    "gentle_overdue_exposure": "float",
    "gentle_dispute_count": "int",
    "gentle_promises_kept": "int",
    "gentle_promises_broken": "int",
    "gentle_plans_broken": "int",
    "gentle_tenure_days": "int",
    "gentle_volume": "float",
    "gentle_score_date": "date",
}


class GentleScoreEngine(models.AbstractModel):
    """Computes every customer's relationship score in a handful of queries."""

    _name = "gentle.score.engine"
    _description = "Relationship Score Engine"

    # ------------------------------------------------------------------
    # Components
    # ------------------------------------------------------------------

    @api.model
    def _gentle_components_sql(self, company, date, partner_ids=None):
        """One query: the score components of every customer of ``company``.

        Amounts are in company currency (``balance``, ``amount_residual`` and the
        partials' ``amount``). Payments are the reconciliations of the invoices'
        receivable lines with anything but credit notes and reversals, dated by
        the reconciliation's ``max_date``; an invoice settled by payments without
        a journal entry (no reconciliation) counts its open amount as paid on the
        latest of those payments' dates, and is not overdue.
        """
        date_from = date - timedelta(days=365)
        partner_filter = (
            SQL("AND am.commercial_partner_id = ANY(%s)", list(partner_ids))
            if partner_ids is not None
            else SQL("")
        )
        return SQL(
            """
            WITH inv AS (
                SELECT aml.id AS line_id, am.id AS move_id,
                       am.commercial_partner_id AS partner_id,
                       aml.date_maturity, aml.balance, aml.amount_residual,
                       am.invoice_date, am.payment_state,
                       %(open)s AS is_open
                  FROM account_move_line aml
                  JOIN account_move am ON am.id = aml.move_id
                 WHERE aml.company_id = %(company)s
                   AND aml.display_type = 'payment_term'
                   AND aml.parent_state = 'posted'
                   AND am.move_type IN %(types)s
                   %(partner_filter)s
            ),
            pay AS (
                SELECT inv.partner_id, inv.move_id, inv.payment_state, apr.amount,
                       GREATEST(0, apr.max_date - inv.date_maturity) AS days_late
                  FROM inv
                  JOIN account_partial_reconcile apr ON apr.debit_move_id = inv.line_id
                  JOIN account_move_line cl ON cl.id = apr.credit_move_id
                  JOIN account_move cm ON cm.id = cl.move_id
                 WHERE cm.move_type NOT IN ('out_refund', 'in_refund')
                   AND inv.payment_state NOT IN ('reversed')
                   AND apr.max_date > %(date_from)s AND apr.max_date <= %(date)s
                UNION ALL
                -- Payments without a journal entry settle an invoice without any
                -- reconciliation: what is left of each instalment counts as paid
                -- on the latest such payment's date.
                SELECT inv.partner_id, inv.move_id, inv.payment_state,
                       inv.amount_residual,
                       GREATEST(0, moveless.date - inv.date_maturity)
                  FROM inv
                  JOIN (
                       SELECT rel.invoice_id, MAX(ap.date) AS date
                         FROM account_move__account_payment rel
                         JOIN account_payment ap ON ap.id = rel.payment_id
                        WHERE ap.move_id IS NULL
                          AND ap.state IN ('in_process', 'paid')
                        GROUP BY rel.invoice_id
                       ) moveless ON moveless.invoice_id = inv.move_id
                 WHERE inv.payment_state IN %(paid_states)s
                   AND inv.amount_residual > 0
                   AND moveless.date > %(date_from)s AND moveless.date <= %(date)s
            ),
            paid AS (
                SELECT partner_id,
                       COUNT(DISTINCT move_id) FILTER (
                           WHERE payment_state IN %(paid_states)s
                       ) AS paid_invoices,
                       SUM(amount * days_late) / NULLIF(SUM(amount), 0) AS avg_late,
                       SUM(amount) FILTER (WHERE days_late = 0)
                           / NULLIF(SUM(amount), 0) AS on_time
                  FROM pay GROUP BY partner_id
            ),
            open AS (
                SELECT partner_id,
                       SUM(amount_residual * GREATEST(0, %(date)s - date_maturity))
                           / NULLIF(SUM(amount_residual), 0) AS overdue_days,
                       SUM(amount_residual) FILTER (WHERE date_maturity < %(date)s)
                           AS overdue_amount
                  FROM inv
                 WHERE is_open
                 GROUP BY partner_id
            ),
            life AS (
                SELECT partner_id,
                       %(date)s - MIN(invoice_date) AS tenure,
                       SUM(balance) FILTER (
                           WHERE invoice_date > %(date_from)s
                             AND invoice_date <= %(date)s
                             AND payment_state NOT IN ('reversed')
                       ) AS volume
                  FROM inv GROUP BY partner_id
            ),
            events AS (
                SELECT partner_id, SUM(disputes) AS disputes,
                       SUM(promises_kept) AS kept, SUM(promises_broken) AS broken,
                       SUM(plans_broken) AS plans_broken
                  FROM (%(events)s) e GROUP BY partner_id
            )
            SELECT life.partner_id,
                   COALESCE(paid.paid_invoices, 0),
                   COALESCE(paid.avg_late, 0),
                   COALESCE(paid.on_time, 0),
                   COALESCE(open.overdue_days, 0),
                   COALESCE(open.overdue_amount, 0),
                   COALESCE(events.disputes, 0),
                   COALESCE(events.kept, 0),
                   COALESCE(events.broken, 0),
                   COALESCE(events.plans_broken, 0),
                   GREATEST(COALESCE(life.tenure, 0), 0),
                   COALESCE(life.volume, 0),
                   rp.gentle_grade ->> %(key)s
              FROM life
              JOIN res_partner rp ON rp.id = life.partner_id
              LEFT JOIN paid ON paid.partner_id = life.partner_id
              LEFT JOIN open ON open.partner_id = life.partner_id
              LEFT JOIN events ON events.partner_id = life.partner_id
             ORDER BY life.partner_id
            """,
            company=company.id,
            key=str(company.id),
            date=date,
            date_from=date_from,
            paid_states=PAID_PAYMENT_STATES,
            partner_filter=partner_filter,
            types=CHASED_MOVE_TYPES,
            open=self.env["account.move.line"]._gentle_open_sql(),
            events=self.env["gentle.score.events"]._gentle_score_events_sql(
                company, date_from, date, partner_ids=partner_ids
            ),
        )

    # ------------------------------------------------------------------
    # Recompute
    # ------------------------------------------------------------------

    @api.model
    def _gentle_recompute(self, company, date=None, partner_ids=None):
        """Recompute scores of ``company``'s customers (all, or ``partner_ids``).

        The same number of queries whatever the number of customers (see
        ``tests/test_score.py``): components, removal of the scores of customers
        left without posted invoices, partner update and monthly snapshot upsert
        in one statement (3); one more when some grade changed, to check whether
        policies depend on grades (4); when they do, the policy of the open
        lines of customers whose grade changed is re-resolved (9 in all). For
        ``partner_ids`` whose customers all still have invoices, the removal
        query is skipped.

        :returns: dict ``{partner_id: (score, grade, is_new)}``
        """
        date = date or fields.Date.context_today(self)
        for model in ("account.move.line", "account.move", "account.partial.reconcile"):
            self.env[model].flush_model()
        rows = self.env.execute_query(
            self._gentle_components_sql(company, date, partner_ids)
        )
        scored = {row[0] for row in rows}
        if partner_ids is None or set(partner_ids) - scored:
            # Customers without any posted invoice left lose their old score.
            self._gentle_forget_scores(company, scored, partner_ids)
        if not rows:
            return {}
        min_paid = company.gentle_score_min_paid
        thresholds = {
            "A": company.gentle_grade_a_min,
            "B": company.gentle_grade_b_min,
            "C": company.gentle_grade_c_min,
        }
        results, changed = {}, []
        columns = defaultdict(list)
        for row in rows:
            partner_id, old_grade = row[0], row[-1]
            components = Components(*(float(v) for v in row[1:-1]))
            score, grade, is_new = compute_score(components, min_paid, thresholds)
            results[partner_id] = (score, grade, is_new)
            if grade != old_grade:
                changed.append(partner_id)
            values = {
                "gentle_score": score,
                "gentle_grade": grade,
                "gentle_is_new": is_new,
                "gentle_paid_invoice_count": int(components.paid_invoices),
                "gentle_avg_days_late": round(components.avg_days_late, 2),
                "gentle_on_time_ratio": round(components.on_time_ratio, 4),
                "gentle_overdue_days": round(components.overdue_days, 2),
                "gentle_overdue_exposure": round(components.overdue_amount, 2),
                "gentle_dispute_count": int(components.disputes),
                "gentle_promises_kept": int(components.promises_kept),
                "gentle_promises_broken": int(components.promises_broken),
                "gentle_plans_broken": int(components.plans_broken),
                "gentle_tenure_days": int(components.tenure_days),
                "gentle_volume": round(components.volume, 2),
                "gentle_score_date": date,
            }
            columns["id"].append(partner_id)
            for name in SCORE_COLUMNS:
                columns[name].append(values[name])
        # One statement: the scores on the customers, the month's snapshots.
        self.env.execute_query(
            SQL(
                "WITH scores AS (%s) %s",
                self._gentle_write_scores_sql(company, columns),
                self._gentle_write_snapshots_sql(company, date, columns),
            )
        )
        self._gentle_invalidate_scores()
        if changed:
            self._gentle_grades_changed(company, changed)
        return results

    @api.model
    def _gentle_invalidate_scores(self):
        """Forget cached values written in SQL, and those computed from them."""
        self.env["gentle.score.snapshot"].invalidate_model()
        self.env["res.partner"].invalidate_model(
            [
                *SCORE_COLUMNS,
                "gentle_snapshot_ids",
                "gentle_score_explanation",
                "gentle_score_trend",
            ]
        )

    @api.model
    def _gentle_forget_scores(self, company, keep_ids, partner_ids=None):
        """Remove the scores of ``company`` from customers (all, or
        ``partner_ids``) that are scored but not in ``keep_ids``."""
        key = str(company.id)
        assignments = SQL(", ").join(
            SQL("%(col)s = rp.%(col)s - %(key)s", col=SQL.identifier(name), key=key)
            for name in SCORE_COLUMNS
        )
        self.env.execute_query(
            SQL(
                """UPDATE res_partner rp SET %s
                    WHERE rp.gentle_score_date ? %s
                      AND rp.id != ALL(%s) %s""",
                assignments,
                key,
                list(keep_ids),
                SQL("AND rp.id = ANY(%s)", list(partner_ids))
                if partner_ids is not None
                else SQL(""),
            )
        )

    @api.model
    def _gentle_write_scores_sql(self, company, columns):
        """The UPDATE of the customers' stored scores (``columns``: lists by
        column name, ``id`` first)."""
        key = str(company.id)
        assignments = SQL(", ").join(
            SQL(
                "%(col)s = COALESCE(rp.%(col)s, '{}'::jsonb) "
                "|| jsonb_build_object(%(key)s, v.%(col)s)",
                col=SQL.identifier(name),
                key=key,
            )
            for name in SCORE_COLUMNS
        )
        arrays = SQL(", ").join(
            SQL("%s::%s[]", columns[name], SQL(sql_type))
            for name, sql_type in [("id", "int"), *SCORE_COLUMNS.items()]
        )
        names = SQL(", ").join(SQL.identifier(name) for name in ["id", *SCORE_COLUMNS])
        return SQL(
            """UPDATE res_partner rp SET %s
                 FROM unnest(%s) AS v(%s)
                WHERE rp.id = v.id""",
            assignments,
            arrays,
            names,
        )

    @api.model
    def _gentle_write_snapshots_sql(self, company, date, columns):
        """Keep one snapshot per customer per month: the month's latest values
        (the INSERT ... ON CONFLICT)."""
        month = date.replace(day=1)
        now = self.env.cr.now()
        return SQL(
            """INSERT INTO gentle_score_snapshot
                       (partner_id, company_id, month, score, grade, avg_days_late,
                        on_time_ratio, overdue_exposure, create_uid, write_uid,
                        create_date, write_date)
                   SELECT id, %(company)s, %(month)s, score, grade, late, ontime,
                          exposure, %(uid)s, %(uid)s, %(now)s, %(now)s
                     FROM unnest(%(ids)s::int[], %(scores)s::int[],
                                 %(grades)s::text[], %(late)s::float[],
                                 %(ontime)s::float[], %(exposure)s::float[])
                          AS v(id, score, grade, late, ontime, exposure)
                   ON CONFLICT (partner_id, company_id, month) DO UPDATE
                      SET score = EXCLUDED.score, grade = EXCLUDED.grade,
                          avg_days_late = EXCLUDED.avg_days_late,
                          on_time_ratio = EXCLUDED.on_time_ratio,
                          overdue_exposure = EXCLUDED.overdue_exposure,
                          write_uid = EXCLUDED.write_uid,
                          write_date = EXCLUDED.write_date""",
            company=company.id,
            month=month,
            uid=self.env.uid,
            now=now,
            ids=columns["id"],
            scores=columns["gentle_score"],
            grades=columns["gentle_grade"],
            late=columns["gentle_avg_days_late"],
            ontime=columns["gentle_on_time_ratio"],
            exposure=columns["gentle_overdue_exposure"],
        )

    @api.model
    def _gentle_grades_changed(self, company, partner_ids):
        """Re-resolve the follow-up policy of open (and draft) lines whose
        customer changed grade, when some policy is chosen by grade."""
        graded = self.env["gentle.followup.policy"].search_count(
            [("company_id", "=", company.id), ("grade_ids", "!=", False)], limit=1
        )
        if not graded:
            return
        Line = self.env["account.move.line"]
        lines = Line.search(
            Line._gentle_policy_refresh_domain()
            + [("partner_id", "in", partner_ids), ("company_id", "=", company.id)]
        )
        lines._gentle_refresh_policy()
        lines.flush_recordset()

    @api.model
    def _cron_score(self, date=None):
        """Nightly: recompute every customer of every company."""
        groups = (
            self.env["account.move"]
            .sudo()
            ._read_group(
                [("move_type", "in", ("out_invoice", "out_receipt"))], ["company_id"]
            )
        )
        for (company,) in groups:
            results = self.with_company(company)._gentle_recompute(company, date)
            _logger.info(
                "Relationship scores of %s: %s customers", company.name, len(results)
            )
