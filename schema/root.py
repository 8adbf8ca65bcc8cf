"""Query, Mutation and Subscription: each field bound to a resolver function."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Iterator

import strawberry
from graphql import GraphQLError, StringValueNode, Visitor, visit
from strawberry.extensions import (
    MaxTokensLimiter,
    SchemaExtension,
)
from strawberry.extensions.parser_cache import ParserCache
from strawberry.extensions.validation_cache import ValidationCache

from domain import text
from domain.messages import Msg
from resolvers import alerts as alert_resolvers
from resolvers import calendars as calendar_resolvers
from resolvers import channels as channel_resolvers
from resolvers import check_in_notes as check_in_note_resolvers
from resolvers import connectors as connector_resolvers
from resolvers import cs_plan as cs_plan_resolvers
from resolvers import customers as customer_resolvers
from resolvers import drafts as draft_resolvers
from resolvers import follow_ups as follow_up_resolvers
from resolvers import imports as import_resolvers
from resolvers import incidents as incident_resolvers
from resolvers import ledger as ledger_resolvers
from resolvers import nodes as node_resolvers
from resolvers import onboarding as onboarding_resolvers
from resolvers import playbooks as playbook_resolvers
from resolvers import reviews as review_resolvers
from resolvers import sequences as sequence_resolvers
from resolvers import sla as sla_resolvers
from resolvers import subscriptions as subscription_resolvers
from resolvers import success as success_resolvers
from resolvers import success_plans as plan_resolvers
from resolvers import tickets as ticket_resolvers
from resolvers import tokens as token_resolvers
from resolvers import webhooks as webhook_resolvers
from schema import compiled, depth, failures, fanout, language, limits, metrics
from schema.types import alerts as alert_types
from schema.types import calendars as calendar_types
from schema.types import channels as channel_types
from schema.types import connectors as connector_types
from schema.types import cs_plan as cs_plan_types
from schema.types import drafts as draft_types
from schema.types import errors, scalars
from schema.types import follow_ups as follow_up_types
from schema.types import imports as import_types
from schema.types import incidents as incident_types
from schema.types import onboarding as onboarding_types
from schema.types import playbooks as playbook_types
from schema.types import reviews as review_types
from schema.types import sequences as sequence_types
from schema.types import sla as sla_types
from schema.types import success as success_types
from schema.types import success_plans as plan_types
from schema.types import tickets as ticket_types
from schema.types import tokens as token_types
from schema.types import webhooks as webhook_types
from schema.types.customers import Customer, CustomerResult
from schema.types.ledger import LedgerEntry
from schema.types.relay import Connection, Node

log = logging.getLogger("wafi")

MAX_DEPTH = depth.MAX_DEPTH
MAX_TOKENS = 2_000


@strawberry.type(description="Everything you can read.")
class Query:
    node: Node | None = strawberry.field(
        resolver=node_resolvers.node, description="Anything by global id."
    )
    customers: Connection[Customer] = strawberry.field(
        resolver=customer_resolvers.list_customers,
        description="Your customers, oldest first unless `orderBy` says otherwise.",
    )
    customer: Customer = strawberry.field(
        resolver=customer_resolvers.get_customer, description="One customer by id."
    )
    alerts: Connection[alert_types.Alert] = strawberry.field(
        resolver=alert_resolvers.list_alerts,
        description="Stored alerts, newest first; filter by kinds, acknowledged or customer.",
    )
    api_tokens: Connection[token_types.ApiToken] = strawberry.field(
        resolver=token_resolvers.list_tokens,
        description="Your organisation's API tokens, oldest first, never their secrets "
        "(owners and managers).",
    )
    import_job: import_types.ImportJob = strawberry.field(
        resolver=import_resolvers.get_import_job,
        description="One CSV import by id: its progress, counts and refused rows "
        "(owners and managers).",
    )
    me: token_types.Me = strawberry.field(
        resolver=token_resolvers.me,
        description="Who is calling: the token's role and what it may do (README: Roles).",
    )
    webhook_endpoints: Connection[webhook_types.WebhookEndpoint] = strawberry.field(
        resolver=webhook_resolvers.list_endpoints,
        description="Your webhook endpoints, oldest first, never their secrets "
        "(owners and managers).",
    )
    webhook_deliveries: Connection[webhook_types.WebhookDelivery] = strawberry.field(
        resolver=webhook_resolvers.list_deliveries,
        description="One endpoint's delivery log, newest first: status, attempts, the "
        "receiver's last answer and latency (owners and managers).",
    )
    ledger: Connection[LedgerEntry] = strawberry.field(
        resolver=ledger_resolvers.list_entries,
        description="The action ledger, newest first; `entity` narrows it to one thing's id.",
    )
    incidents: Connection[incident_types.Incident] = strawberry.field(
        resolver=incident_resolvers.list_incidents,
        description="Your incidents, newest first; filter by status, severity or customer.",
    )
    incident: incident_types.Incident = strawberry.field(
        resolver=incident_resolvers.get_incident, description="One incident by id."
    )
    tickets: Connection[ticket_types.Ticket] = strawberry.field(
        resolver=ticket_resolvers.list_tickets,
        description="Support tickets, newest first unless `orderBy` says otherwise; filter by "
        "status, priority, customer, SLA.",
    )
    ticket_follow_ups: list[follow_up_types.TicketFollowUp] = strawberry.field(
        resolver=follow_up_resolvers.ticket_follow_ups,
        description="A ticket's escalation follow-ups, oldest first (§7).",
    )
    working_time: calendar_types.WorkingTime = strawberry.field(
        resolver=calendar_resolvers.working_time,
        description="The time zone, business calendars and each priority's calendar (§7).",
    )
    ticket: ticket_types.Ticket = strawberry.field(
        resolver=ticket_resolvers.get_ticket, description="One ticket by id."
    )
    support_priorities: list[sla_types.SupportPriority] = strawberry.field(
        resolver=ticket_resolvers.support_priorities,
        description="The priority tiers and their SLA targets (docs/rules.md §2.1).",
    )
    sla_health: sla_types.SlaHealthReport = strawberry.field(
        resolver=sla_resolvers.sla_health,
        description="SLA health of tickets opened in a period, for the organisation or a customer.",
    )
    draft: draft_types.Draft = strawberry.field(
        resolver=draft_resolvers.get_draft, description="One draft by id."
    )
    drafts: Connection[draft_types.Draft] = strawberry.field(
        resolver=draft_resolvers.list_drafts,
        description="Drafts, newest first; filter by status, kinds or customer (docs/rules.md §1).",
    )
    cs_reviews: list[review_types.CsReview] = strawberry.field(
        resolver=review_resolvers.cs_reviews,
        description="Weekly CS reviews, latest first, or one past week (docs/rules.md §8.4).",
    )
    cs_plan_report: cs_plan_types.CsPlanReport = strawberry.field(
        resolver=cs_plan_resolvers.cs_plan_report,
        description="The CS plan report over [from, to): traffic lights, top issues, exports "
        "(docs/rules.md §8.4).",
    )
    channel_health: list[channel_types.ChannelHealth] = strawberry.field(
        resolver=channel_resolvers.channel_health,
        description="Each channel's trailing 7 days and freeze (docs/rules.md §8.5).",
    )
    weekly_check_in: success_types.WeeklyCheckIn = strawberry.field(
        resolver=success_resolvers.weekly_check_in,
        description="The weekly check-in's agenda and talking points from that week's metrics.",
    )
    support_metrics: success_types.SupportMetrics = strawberry.field(
        resolver=success_resolvers.support_metrics,
        description="Support and success metrics over [from, to) (docs/rules.md §4.6).",
    )


@strawberry.type(description="Everything you can change; each call is one transaction.")
class Mutation:
    acknowledge_alert: alert_types.AcknowledgeAlertResult = strawberry.mutation(
        resolver=alert_resolvers.acknowledge_alert,
        description="Take an alert; a high at-risk alert needs the action you took.",
    )
    create_customer: CustomerResult = strawberry.mutation(
        resolver=customer_resolvers.create_customer, description="Add a customer."
    )
    update_customer: CustomerResult = strawberry.mutation(
        resolver=customer_resolvers.update_customer,
        description="Change a customer (pass its version).",
    )
    archive_customer: CustomerResult = strawberry.mutation(
        resolver=customer_resolvers.archive_customer,
        description="Archive a customer (owners, managers).",
    )
    # Customer success (docs/rules.md §4).
    record_check_in_metrics: success_types.RecordCheckInMetricsResult = strawberry.mutation(
        resolver=success_resolvers.record_check_in_metrics,
        description="Record a week's check-in metrics (one check-in per 7 days).",
    )
    draft_check_in_note: draft_types.DraftResult = strawberry.mutation(
        resolver=check_in_note_resolvers.draft_check_in_note,
        description="Draft the week's check-in note to the customer (approval first).",
    )
    rate_ticket: success_types.RateTicketResult = strawberry.mutation(
        resolver=success_resolvers.rate_ticket, description="Rate a closed ticket 1–5 (CSAT)."
    )
    record_nps: success_types.RecordNpsResult = strawberry.mutation(
        resolver=success_resolvers.record_nps, description="Record a 0–10 NPS answer."
    )
    record_exit_survey: sequence_types.RecordExitSurveyResult = strawberry.mutation(
        resolver=sequence_resolvers.record_exit_survey,
        description="Record a churned customer's exit survey (docs/rules.md §8.3).",
    )
    deliver_proof_pack: success_types.DeliverProofPackResult = strawberry.mutation(
        resolver=success_resolvers.deliver_proof_pack, description="Record a delivered Proof Pack."
    )
    record_customer_activity: CustomerResult = strawberry.mutation(
        resolver=success_resolvers.record_customer_activity,
        description="Record customer activity: moves lastActivityAt forward.",
    )
    change_customer_stage: CustomerResult = strawberry.mutation(
        resolver=success_resolvers.change_customer_stage,
        description="Move a customer along its lifecycle (pass its version).",
    )
    start_success_plan: plan_types.SuccessPlanResult = strawberry.mutation(
        resolver=plan_resolvers.start_success_plan,
        description="Start the customer's success plan from its bundle.",
    )
    complete_plan_item: plan_types.SuccessPlanResult = strawberry.mutation(
        resolver=plan_resolvers.complete_plan_item,
        description="Mark a plan item done (upsells only after the first Proof Pack).",
    )
    change_plan_cadence: plan_types.SuccessPlanResult = strawberry.mutation(
        resolver=plan_resolvers.change_plan_cadence,
        description="Change a plan's cadence; needs the customer's recorded consent.",
    )
    complete_onboarding_step: onboarding_types.OnboardingResult = strawberry.mutation(
        resolver=onboarding_resolvers.complete_onboarding_step,
        description="Mark an onboarding step done.",
    )
    reopen_onboarding_step: onboarding_types.OnboardingResult = strawberry.mutation(
        resolver=onboarding_resolvers.reopen_onboarding_step,
        description="Mark an onboarding step not done again.",
    )
    move_connector: connector_types.MoveConnectorResult = strawberry.mutation(
        resolver=connector_resolvers.move_connector,
        description="Move a customer's connector to another state (§4.5 state machine).",
    )
    # Playbooks (docs/rules.md §8.1, §8.2).
    start_pilot: playbook_types.PilotResult = strawberry.mutation(
        resolver=playbook_resolvers.start_pilot,
        description="Start a customer's 7-day pilot (§8.1).",
    )
    record_daily_check_in: playbook_types.PilotResult = strawberry.mutation(
        resolver=playbook_resolvers.record_daily_check_in,
        description="Record a pilot day's check-in and whether the customer attended (§8.1).",
    )
    convert_pilot: playbook_types.PilotResult = strawberry.mutation(
        resolver=playbook_resolvers.convert_pilot,
        description="Convert a pilot: Starter, 999 SAR a month, from the next Monday (§8.1).",
    )
    decline_pilot: playbook_types.PilotResult = strawberry.mutation(
        resolver=playbook_resolvers.decline_pilot,
        description="Decline a pilot, recording what stopped the customer (§8.1).",
    )
    record_red_flag: playbook_types.RedFlagResult = strawberry.mutation(
        resolver=playbook_resolvers.record_red_flag,
        description="Record a red flag; escalated within the hour (§8.2).",
    )
    declare_incident: incident_types.IncidentResult = strawberry.mutation(
        resolver=incident_resolvers.declare_incident,
        description="Declare an incident; triage sets its severity and response plan.",
    )
    raise_incident_severity: incident_types.IncidentResult = strawberry.mutation(
        resolver=incident_resolvers.raise_incident_severity,
        description="Set an incident's severity, never below triage (pass its version).",
    )
    add_affected_customers: incident_types.IncidentResult = strawberry.mutation(
        resolver=incident_resolvers.add_affected_customers,
        description="Add affected customers to an incident; it is re-triaged.",
    )
    change_incident_status: incident_types.IncidentResult = strawberry.mutation(
        resolver=incident_resolvers.change_incident_status,
        description="Move an incident one step: open → mitigated → resolved → closed.",
    )
    tick_response_step: incident_types.TickResponseStepResult = strawberry.mutation(
        resolver=incident_resolvers.tick_response_step,
        description="Tick a response-plan step as done by you, now.",
    )
    post_incident_update: incident_types.PostIncidentUpdateResult = strawberry.mutation(
        resolver=incident_resolvers.post_incident_update,
        description="Draft an update for every affected customer; the next is due a cadence later.",
    )
    record_pdpl_notification: incident_types.IncidentResult = strawberry.mutation(
        resolver=incident_resolvers.record_pdpl_notification,
        description="Record that the affected customers were notified of a data leak (PDPL).",
    )
    submit_post_mortem: incident_types.IncidentResult = strawberry.mutation(
        resolver=incident_resolvers.submit_post_mortem,
        description="Write a resolved incident's post-mortem.",
    )
    attach_ticket_to_incident: incident_types.AttachTicketToIncidentResult = strawberry.mutation(
        resolver=incident_resolvers.attach_ticket_to_incident,
        description="Attach a support ticket to an incident.",
    )
    set_time_zone: calendar_types.WorkingTimeResult = strawberry.mutation(
        resolver=calendar_resolvers.set_time_zone,
        description="Set the organisation's IANA time zone; due times are re-computed.",
    )
    create_calendar: calendar_types.CalendarResult = strawberry.mutation(
        resolver=calendar_resolvers.create_calendar,
        description="Create a business calendar (working days, hours, holidays).",
    )
    update_calendar: calendar_types.CalendarResult = strawberry.mutation(
        resolver=calendar_resolvers.update_calendar,
        description="Change a calendar's name, days or hours; due times are re-computed.",
    )
    add_holidays: calendar_types.CalendarResult = strawberry.mutation(
        resolver=calendar_resolvers.add_holidays,
        description="Add one holiday or a year's; due times are re-computed.",
    )
    remove_holiday: calendar_types.CalendarResult = strawberry.mutation(
        resolver=calendar_resolvers.remove_holiday,
        description="Remove a calendar's holiday; due times are re-computed.",
    )
    set_priority_calendar: calendar_types.WorkingTimeResult = strawberry.mutation(
        resolver=calendar_resolvers.set_priority_calendar,
        description="Choose the calendar a priority counts in (null: 24/7); due times follow.",
    )
    open_ticket: ticket_types.OpenTicketResult = strawberry.mutation(
        resolver=ticket_resolvers.open_ticket,
        description="Open a ticket; its priority and first-response draft come from its text.",
    )
    raise_ticket_priority: ticket_types.TicketResult = strawberry.mutation(
        resolver=ticket_resolvers.raise_ticket_priority,
        description="Raise a ticket's priority; never lower (pass its version).",
    )
    edit_ticket: ticket_types.TicketResult = strawberry.mutation(
        resolver=ticket_resolvers.edit_ticket,
        description="Change a ticket's text; it is classified again.",
    )
    log_reply: ticket_types.TicketResult = strawberry.mutation(
        resolver=ticket_resolvers.log_reply,
        description="Record a reply sent to the customer (the first one is the first response).",
    )
    resolve_ticket: ticket_types.TicketResult = strawberry.mutation(
        resolver=ticket_resolvers.resolve_ticket,
        description="Resolve a ticket that has had its first response.",
    )
    add_ticket_follow_up: follow_up_types.TicketFollowUpResult = strawberry.mutation(
        resolver=follow_up_resolvers.add_ticket_follow_up,
        description="Promise an escalation follow-up (§7), due in the ticket's business "
        "calendar; FOLLOW_UP_OVERDUE is alerted once when it passes undone.",
    )
    complete_ticket_follow_up: follow_up_types.TicketFollowUpResult = strawberry.mutation(
        resolver=follow_up_resolvers.complete_ticket_follow_up,
        description="Mark a follow-up done.",
    )
    set_ticket_support_mode: ticket_types.TicketResult = strawberry.mutation(
        resolver=ticket_resolvers.set_ticket_support_mode,
        description="Set or clear a ticket's support mode (§7); the earlier first-response "
        "due time of its tier and its mode counts.",
    )
    await_customer: ticket_types.TicketResult = strawberry.mutation(
        resolver=ticket_resolvers.await_customer,
        description="Wait on the customer (status waiting_on_customer): the resolution clock "
        "stops; the first-response clock never does, so the ticket must be answered first.",
    )
    log_customer_reply: ticket_types.TicketResult = strawberry.mutation(
        resolver=ticket_resolvers.log_customer_reply,
        description="Log the customer's reply to a waiting ticket: the resolution clock runs "
        "again and its due time moves later by the working time paused.",
    )
    confirm_ticket_closed: ticket_types.TicketResult = strawberry.mutation(
        resolver=ticket_resolvers.confirm_ticket_closed,
        description="Close a resolved ticket with the customer's confirmation.",
    )
    reopen_ticket: ticket_types.TicketResult = strawberry.mutation(
        resolver=ticket_resolvers.reopen_ticket,
        description="Reopen a resolved or closed ticket; its clocks keep running.",
    )
    escalate_ticket: ticket_types.TicketResult = strawberry.mutation(
        resolver=ticket_resolvers.escalate_ticket,
        description="Escalate an open ticket (one tier up unless a priority is given).",
    )
    record_ticket_event: ticket_types.TicketResult = strawberry.mutation(
        resolver=ticket_resolvers.record_ticket_event,
        description="Record an SLA event by name: first_response, resolved or escalated.",
    )
    approve_draft: draft_types.DraftResult = strawberry.mutation(
        resolver=draft_resolvers.approve_draft,
        description="Approve a draft (not while live actions are frozen).",
    )
    reject_draft: draft_types.DraftResult = strawberry.mutation(
        resolver=draft_resolvers.reject_draft,
        description="Reject a draft.",
    )
    mark_draft_sent: draft_types.DraftResult = strawberry.mutation(
        resolver=draft_resolvers.mark_draft_sent,
        description="Record that you sent an approved draft yourself.",
    )
    lift_freeze: sla_types.LiftFreezeResult = strawberry.mutation(
        resolver=sla_resolvers.lift_freeze,
        description="Lift the organisation-wide freeze of live actions (owners).",
    )
    log_objection: review_types.LogObjectionResult = strawberry.mutation(
        resolver=review_resolvers.log_objection,
        description="Log a customer's objection for the weekly CS review (docs/rules.md §8.4).",
    )
    record_channel_stats: channel_types.RecordChannelStatsResult = strawberry.mutation(
        resolver=channel_resolvers.record_channel_stats,
        description="Record a channel's counts for a local day; may freeze it "
        "(docs/rules.md §8.5).",
    )
    lift_channel_freeze: channel_types.LiftChannelFreezeResult = strawberry.mutation(
        resolver=channel_resolvers.lift_channel_freeze,
        description="Lift a channel's freeze (owners; docs/rules.md §8.5).",
    )
    create_webhook_endpoint: webhook_types.WebhookSecretResult = strawberry.mutation(
        resolver=webhook_resolvers.create_endpoint,
        description="Send alerts to a URL, signed (Standard Webhooks); the secret is in this "
        "answer only (owners and managers).",
    )
    rotate_webhook_secret: webhook_types.WebhookSecretResult = strawberry.mutation(
        resolver=webhook_resolvers.rotate_secret,
        description="A new signing secret, shown once; the old one also signs for "
        "`overlapHours` (owners and managers).",
    )
    disable_webhook_endpoint: webhook_types.WebhookEndpointResult = strawberry.mutation(
        resolver=webhook_resolvers.disable_endpoint,
        description="Stop sending to an endpoint; alerts raised meanwhile are not kept for it.",
    )
    enable_webhook_endpoint: webhook_types.WebhookEndpointResult = strawberry.mutation(
        resolver=webhook_resolvers.enable_endpoint,
        description="Send to an endpoint again; its pending messages go out in order.",
    )
    redeliver_webhook: webhook_types.WebhookDeliveryResult = strawberry.mutation(
        resolver=webhook_resolvers.redeliver,
        description="Send one delivery again, with its message id, after the endpoint's "
        "earlier pending messages.",
    )
    create_api_token: token_types.CreateApiTokenResult = strawberry.mutation(
        resolver=token_resolvers.create_token,
        description="A new operator and its token, with a role at most yours and an optional "
        "expiry; the secret is in this answer only (owners and managers).",
    )
    import_customers: import_types.ImportResult = strawberry.mutation(
        resolver=import_resolvers.import_customers,
        description="Import customers from CSV text; rows whose external_id was imported before "
        "are skipped (owners and managers; README: CSV import and export).",
    )
    import_tickets: import_types.ImportResult = strawberry.mutation(
        resolver=import_resolvers.import_tickets,
        description="Import historical tickets from CSV text, each with its own opening time "
        "(owners and managers; README: CSV import and export).",
    )
    revoke_api_token: token_types.RevokeApiTokenResult = strawberry.mutation(
        resolver=token_resolvers.revoke_token,
        description="Revoke a token of a role at most yours: its requests are refused from then "
        "on, and its open subscriptions end within a minute (owners and managers).",
    )


@strawberry.type(
    description="Live events over graphql-transport-ws; each replays from `after`, then follows."
)
class Subscription:
    alerts: AsyncGenerator[alert_types.Alert, None] = strawberry.subscription(
        resolver=subscription_resolvers.alerts_feed,
        description="Every alert of your organisation (optionally only some kinds).",
    )
    sla_breached: AsyncGenerator[alert_types.Alert, None] = strawberry.subscription(
        resolver=subscription_resolvers.sla_breached,
        description="First-response and resolution breaches.",
    )
    customer_at_risk: AsyncGenerator[alert_types.Alert, None] = strawberry.subscription(
        resolver=subscription_resolvers.customer_at_risk,
        description="A customer's at-risk severity rose.",
    )
    incident_updated: AsyncGenerator[alert_types.Alert, None] = strawberry.subscription(
        resolver=subscription_resolvers.incident_updated,
        description="An incident's update is overdue or its PDPL deadline is near.",
    )


def _unstorable_path(value: object, path: str) -> str | None:
    """The first place in a variables tree holding text PostgreSQL cannot store."""
    if isinstance(value, str):
        return None if text.storable(value) else path
    if isinstance(value, dict):
        items: list[tuple[str, object]] = [
            (f"{path}.{k}" if path else k, v) for k, v in value.items()
        ]
    elif isinstance(value, list):
        items = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
    else:
        return None
    for where, item in items:
        found = _unstorable_path(item, where)
        if found is not None:
            return found
    return None


class _StringLiterals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.unstorable = False

    def enter_string_value(self, node: StringValueNode, *_: object) -> None:
        if not text.storable(node.value):
            self.unstorable = True


class RejectUnstorableText(SchemaExtension):
    """NUL characters and lone surrogates are refused before any resolver runs: PostgreSQL
    cannot store them, and a refusal names where they were instead of failing deep inside."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        where = _unstorable_path(context.variables or {}, "")
        if where is None and "\\u" in (context.query or ""):
            literals = _StringLiterals()
            if context.graphql_document is not None:
                visit(context.graphql_document, literals)
            where = "query" if literals.unstorable else None
        if where is not None:
            raise GraphQLError(
                language.text(Msg.TEXT_UNSTORABLE, where=where),
                extensions={"code": "INVALID", "field": where},
            )
        yield


def build_schema() -> strawberry.Schema:
    return failures.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[*errors.ERROR_TYPES],
        scalar_overrides=scalars.OVERRIDES,
        # A subscription's live events are executed once per render group.
        execution_context_class=fanout.SharedEvents,
        extensions=[
            depth.DepthLimit,
            limits.CostLimit,
            metrics.Measured,
            RejectUnstorableText,
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            lambda: failures.LoggedMaskErrors(
                should_mask_error=failures.unexpected, error_message="Internal error"
            ),
            failures.OperationRules,
            failures.RequestFields,
            compiled.CompiledReads,  # last: limits and checks above run on both paths
        ],
    )


schema = build_schema()
