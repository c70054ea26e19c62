"""What other features tell the relationship score: disputes, promises to pay
decided and payment plans broken."""

from odoo import api, models
from odoo.tools import SQL


class GentleScoreEvents(models.AbstractModel):
    """The score's inputs that other features own, as one SQL row set that
    ``gentle.score.engine._gentle_components_sql`` sums per customer. A feature
    adding an input overrides :meth:`_gentle_score_events_sql`."""

    _name = "gentle.score.events"
    _description = "Relationship Score Events"

    @api.model
    def _gentle_score_events_sql(self, company, date_from, date_to, partner_ids=None):
        """SQL giving per customer ``(partner_id, disputes, promises_kept,
        promises_broken, plans_broken)`` between the two dates: one row set per
        source, joined with ``UNION ALL`` (a customer may have several rows);
        only of ``partner_ids`` when given (a payment's refresh reads that
        customer's events, not the whole company's).

        - disputes: support cases of a dispute category, except a case resolved
          with a credit note (the seller's error), cancelled ones and cases to
          triage;
        - promises to pay decided (kept or broken) in the period;
        - payment plans broken in the period.
        """
        self.env["gentle.collection.case"].flush_model(
            [
                "partner_id",
                "company_id",
                "category_id",
                "state",
                "outcome",
                "opened_on",
                "needs_triage",
            ]
        )
        self.env["gentle.payment.promise"].flush_model(
            ["partner_id", "company_id", "state", "decided_on"]
        )
        self.env["gentle.payment.plan"].flush_model(
            ["partner_id", "company_id", "state", "broken_on"]
        )
        return SQL(
            """(SELECT gcc.partner_id, COUNT(*)::int AS disputes, 0 AS promises_kept,
                       0 AS promises_broken, 0 AS plans_broken
                  FROM gentle_collection_case gcc
                  JOIN gentle_case_category gcat ON gcat.id = gcc.category_id
                 WHERE gcat.is_dispute
                   AND gcc.company_id = %(company)s
                   AND gcc.partner_id IS NOT NULL
                   AND NOT COALESCE(gcc.needs_triage, FALSE)
                   AND gcc.state != 'cancelled'
                   AND NOT (gcc.state = 'resolved'
                            AND gcc.outcome IS NOT DISTINCT FROM 'credit_note')
                   AND gcc.opened_on::date BETWEEN %(date_from)s AND %(date_to)s
                   AND %(cases)s
              GROUP BY gcc.partner_id)
            UNION ALL (
                SELECT gpp.partner_id, 0 AS disputes,
                       COUNT(*) FILTER (WHERE gpp.state = 'kept')::int
                           AS promises_kept,
                       COUNT(*) FILTER (WHERE gpp.state = 'broken')::int
                           AS promises_broken,
                       0 AS plans_broken
                  FROM gentle_payment_promise gpp
                 WHERE gpp.company_id = %(company)s
                   AND gpp.state IN ('kept', 'broken')
                   AND gpp.decided_on BETWEEN %(date_from)s AND %(date_to)s
                   AND %(promises)s
              GROUP BY gpp.partner_id)
            UNION ALL (
                SELECT gpl.partner_id, 0 AS disputes, 0 AS promises_kept,
                       0 AS promises_broken, COUNT(*)::int AS plans_broken
                  FROM gentle_payment_plan gpl
                 WHERE gpl.company_id = %(company)s
                   AND gpl.state = 'broken'
                   AND gpl.broken_on BETWEEN %(date_from)s AND %(date_to)s
                   AND %(plans)s
              GROUP BY gpl.partner_id)""",
            company=company.id,
            date_from=date_from,
            date_to=date_to,
            cases=self._gentle_partner_filter("gcc", partner_ids),
            promises=self._gentle_partner_filter("gpp", partner_ids),
            plans=self._gentle_partner_filter("gpl", partner_ids),
        )

    @api.model
    def _gentle_partner_filter(self, alias, partner_ids):
        """``alias.partner_id`` among ``partner_ids`` (TRUE when None)."""
        if partner_ids is None:
            return SQL("TRUE")
        return SQL("%s.partner_id = ANY(%s)", SQL.identifier(alias), list(partner_ids))
