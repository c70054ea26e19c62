"""The service level of collection cases: deadlines counted in the company's
working hours, and the escalation of cases past them."""

from datetime import timedelta

from odoo import api, fields, models


class GentleCollectionCaseSla(models.AbstractModel):
    """Plans a case's SLA deadline and escalates a case past it: to the next
    support tier, or to the collections managers after the last one."""

    _name = "gentle.collection.case.sla"
    _description = "Collection Case SLA"

    @api.model
    def _gentle_calendar(self, case):
        case.ensure_one()
        return case.company_id.resource_calendar_id or self.env.ref(
            "resource.resource_calendar_std"
        )

    @api.model
    def _gentle_plan(self, case, hours, start):
        """``start`` plus ``hours`` working hours of ``case``'s company calendar
        (naive UTC in and out)."""
        case.ensure_one()
        if hours <= 0:
            return start
        deadline = self._gentle_calendar(case).plan_hours(hours, start)
        return deadline or start + timedelta(hours=hours)

    @api.model
    def _gentle_hours_left(self, case, now):
        """Working hours left on ``case``'s SLA at ``now`` (0 when past)."""
        case.ensure_one()
        if not case.sla_deadline or case.sla_deadline <= now:
            return 0.0
        return self._gentle_calendar(case).get_work_hours_count(
            now, case.sla_deadline, compute_leaves=False
        )

    @api.model
    def _gentle_escalate(self, case, now):
        """``case`` passed its SLA at ``now``: on to the next tier, or alert the
        managers when it is at the last one."""
        case.ensure_one()
        next_tier = case.tier_id._gentle_next_tier()
        if next_tier:
            self._gentle_escalate_to(case, next_tier, now)
        else:
            self._gentle_alert_managers(case)

    @api.model
    def _gentle_escalate_to(self, case, tier, now):
        previous = case.tier_id
        case.write(
            {
                "tier_id": tier.id,
                "user_id": tier._gentle_least_busy_member().id,
                "sla_deadline": self._gentle_plan(case, tier.sla_hours, now),
                "escalation_count": case.escalation_count + 1,
            }
        )
        summary = self.env._(
            "Escalated: %(case)s passed its SLA at %(tier)s",
            case=case.name,
            tier=previous.name,
        )
        for user in tier.member_ids:
            case.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                user_id=user.id,
                date_deadline=fields.Date.context_today(case),
            )
        case.message_post(
            body=self.env._(
                "SLA of %(old)s passed: escalated to %(new)s, due by %(deadline)s.",
                old=previous.name,
                new=tier.name,
                deadline=fields.Datetime.to_string(case.sla_deadline),
            ),
            subtype_xmlid="mail.mt_note",
        )

    @api.model
    def _gentle_alert_managers(self, case):
        managers = self.env.ref(
            "gentle_collections.group_gentle_manager"
        ).users.filtered(
            lambda u: (
                not u.share
                and u.active
                and case.company_id in u.company_ids
                and u.id != self.env.ref("base.user_root").id
            )
        )
        for user in managers:
            case.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._(
                    "Case %(case)s breached the SLA of the last tier", case=case.name
                ),
                user_id=user.id,
                date_deadline=fields.Date.context_today(case),
            )
        case.write({"managers_alerted": True})
        case.message_post(
            body=self.env._(
                "The last tier (%(tier)s) passed its SLA: the collections managers "
                "have been alerted.",
                tier=case.tier_id.name,
            ),
            subtype_xmlid="mail.mt_note",
        )
