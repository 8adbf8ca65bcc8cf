"""A bilingual demo organisation that shows the product (`wafi demo`).

The demo is a client of the API: after creating the organisation it plays the scenario of
schema/demo_data.py through the real GraphQL mutations, in-process, as the organisation's
owner, each at the moment the scenario says it happened (the request clock `ctx.now`). Every
rule, history line and ledger row is therefore the product's own. Without Redis the relay is
not enqueued; a worker's sweep publishes the alerts when one runs.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.onboarding import STEPS
from domain.roles import Principal
from jobs import once
from resolvers.store import engine, orgs
from schema import demo_data as scenario
from schema.context import Context, Resources
from schema.demo_data import DAY
from schema.root import schema

RIYADH = ZoneInfo("Asia/Riyadh")  # the demo organisation's zone (the default)


class DemoError(RuntimeError):
    """A demo step was refused or failed: the scenario no longer fits the product."""


def _document(field: str, input_type: str, select: str = "") -> str:
    return (
        f"mutation Demo($input: {input_type}!) {{ r: {field}(input: $input) {{ "
        f"__typename {select} ... on UserError {{ field code message }} }} }}"
    )


CREATE_CUSTOMER = _document(
    "createCustomer", "CreateCustomerInput", "... on CustomerPayload { customer { id } }"
)
RECORD_ACTIVITY = _document("recordCustomerActivity", "RecordCustomerActivityInput")
OPEN_TICKET = _document(
    "openTicket",
    "OpenTicketInput",
    "... on OpenTicketPayload { ticket { id version openedAt } draft { id version } }",
)
APPROVE_DRAFT = _document(
    "approveDraft", "ApproveDraftInput", "... on DraftPayload { draft { version } }"
)
MARK_DRAFT_SENT = _document("markDraftSent", "MarkDraftSentInput")
TICKET_VERSION = "... on TicketPayload { ticket { version } }"
RESOLVE_TICKET = _document("resolveTicket", "TicketStepInput", TICKET_VERSION)
CONFIRM_CLOSED = _document("confirmTicketClosed", "ConfirmTicketClosedInput", TICKET_VERSION)
RATE_TICKET = _document("rateTicket", "RateTicketInput")
DECLARE_INCIDENT = _document(
    "declareIncident", "DeclareIncidentInput", "... on IncidentPayload { incident { id } }"
)
TICK_STEP = _document("tickResponseStep", "TickResponseStepInput")
ATTACH_TICKET = _document("attachTicketToIncident", "AttachTicketToIncidentInput")
COMPLETE_ONBOARDING = _document("completeOnboardingStep", "OnboardingStepInput")
MOVE_CONNECTOR = _document("moveConnector", "MoveConnectorInput")
START_PLAN = _document(
    "startSuccessPlan",
    "StartSuccessPlanInput",
    "... on SuccessPlanPayload { plan { items { id dayOffset kind dueOn } } }",
)
COMPLETE_PLAN_ITEM = _document("completePlanItem", "CompletePlanItemInput")
DELIVER_PROOF_PACK = _document("deliverProofPack", "DeliverProofPackInput")
RECORD_CHECK_IN = _document("recordCheckInMetrics", "RecordCheckInMetricsInput")
RECORD_NPS = _document("recordNps", "RecordNpsInput")
RECORD_CHANNEL_STATS = _document("recordChannelStats", "RecordChannelStatsInput")
START_PILOT = _document("startPilot", "StartPilotInput", "... on PilotPayload { pilot { id } }")
RECORD_DAILY_CHECK_IN = _document("recordDailyCheckIn", "RecordDailyCheckInInput")
RECORD_RED_FLAG = _document("recordRedFlag", "RecordRedFlagInput")
TICKET = "query Demo($id: ID!) { r: ticket(id: $id) { version } }"


@dataclass(frozen=True, slots=True)
class Client:
    """Runs mutations in-process as one principal, each with its own request clock."""

    resources: Resources
    principal: Principal

    async def run(self, document: str, at: datetime, **input: Any) -> dict[str, Any]:
        """A mutation's answer; a refusal raises DemoError."""
        return await self.read(document, at, input=input)

    async def read(self, document: str, at: datetime, **variables: Any) -> dict[str, Any]:
        """The operation's field aliased `r`, executed with the request clock at `at`."""
        async with AsyncExitStack() as stack:
            ctx = Context(
                resources=self.resources, principal=self.principal, exit_stack=stack, now=at
            )
            result = await schema.execute(document, variable_values=variables, context_value=ctx)
        if result.errors or result.data is None:
            raise DemoError(f"{document}: {result.errors}")
        answer: dict[str, Any] = result.data["r"]
        if "code" in answer:
            raise DemoError(
                f"{answer['__typename']} on {answer['field']}: {answer['code']} {answer['message']}"
            )
        return answer


async def load(database_url: str, *, now: datetime) -> tuple[str, str]:
    """A new demo organisation; returns its slug and its owner's token."""
    now = now.astimezone(UTC)
    system = await engine.create_system_pool(database_url, size=1)
    try:
        async with system.acquire() as conn:
            org, token = await orgs.create_organisation(
                conn,
                slug="demo-" + secrets.token_hex(3),
                name=scenario.ORG_NAME,
                owner_name=scenario.OWNER_NAME,
                now=now - scenario.ORG_AGE_DAYS * DAY,
            )
    finally:
        await system.close()
    settings = replace(engine.Settings.from_env(), database_url=database_url, redis_url=None)
    pool = await engine.create_read_pool(database_url, size=1)
    write = engine.create_write_engine(database_url, size=1)
    try:
        async with pool.acquire() as conn:
            principal = await orgs.authenticate(conn, token=token)
        assert principal is not None
        resources = Resources(
            settings=settings,
            pool=pool,
            sessions=engine.sessions(write),
            queue=None,
            clock=lambda: now,
        )
        await _play(Client(resources, principal), now)
    finally:
        await write.dispose()
        await pool.close()
    # Sequences in progress (§8.3): the hourly scan as it ran on the past days, then today's.
    await once.replay_sequences(settings, now=now, days_ago=scenario.SEQUENCE_DAYS_AGO)
    # The scans a worker runs every minute or hour, once now: the alert list is not empty.
    await once.run_scans(settings, now=now)
    return org.slug, token


async def _play(client: Client, now: datetime) -> None:
    ids = {}
    for key, seed in scenario.CUSTOMERS.items():
        created = await client.run(CREATE_CUSTOMER, seed.started(now), **seed.create_input(now))
        ids[key] = created["customer"]["id"]
        at = seed.last_activity(now)
        await client.run(RECORD_ACTIVITY, at, customerId=ids[key])
    await _support(client, ids, now)
    await _success(client, ids, now)
    today = now.astimezone(RIYADH).date()
    for channel, days_ago, sent, bounced, complaints, blocks in scenario.CHANNEL_STATS:
        await client.run(
            RECORD_CHANNEL_STATS,
            now,
            channel=channel.name,
            day=(today - timedelta(days=days_ago)).isoformat(),
            sent=sent,
            bounced=bounced,
            complaints=complaints,
            blocks=blocks,
        )
    await _playbooks(client, ids, now)


async def _playbooks(client: Client, ids: dict[str, str], now: datetime) -> None:
    started = scenario.CUSTOMERS[scenario.PILOT_CUSTOMER].started(now)
    pilot = await client.run(START_PILOT, started, customerId=ids[scenario.PILOT_CUSTOMER])
    for day, attended, leads, demos, seconds in scenario.PILOT_CHECK_INS:
        await client.run(
            RECORD_DAILY_CHECK_IN,
            started + day * DAY + timedelta(hours=1),
            pilotId=pilot["pilot"]["id"],
            day=day,
            attended=attended,
            leads=leads,
            demos=demos,
            responseSeconds=seconds,
        )
    key, category, detail = scenario.RED_FLAG
    await client.run(
        RECORD_RED_FLAG,
        now - scenario.RED_FLAG_AGO,
        customerId=ids[key],
        category=category,
        detail=detail,
    )


async def _support(client: Client, ids: dict[str, str], now: datetime) -> None:
    opened = {}
    for key, subject, body, channel, minutes in scenario.TICKETS:
        at = now - timedelta(minutes=minutes)
        opened[subject] = await client.run(
            OPEN_TICKET, at, customer=ids[key], subject=subject, body=body, channel=channel.name
        )
    # Sahara's missing Proof Pack: answered through its draft, fixed, confirmed, rated.
    first = opened[scenario.RESOLVED]
    ticket_id, draft = first["ticket"]["id"], first["draft"]
    opened_at = datetime.fromisoformat(first["ticket"]["openedAt"])
    answered_at = opened_at + scenario.ANSWERED_AFTER
    approved = await client.run(
        APPROVE_DRAFT, answered_at, id=draft["id"], version=draft["version"]
    )
    version = approved["draft"]["version"]
    await client.run(MARK_DRAFT_SENT, answered_at, id=draft["id"], version=version)
    # Sending the draft recorded the ticket's first response: read the ticket's new version.
    version = (await client.read(TICKET, answered_at, id=ticket_id))["version"]
    resolved = await client.run(
        RESOLVE_TICKET, opened_at + scenario.RESOLVED_AFTER, id=ticket_id, version=version
    )
    await client.run(
        CONFIRM_CLOSED,
        opened_at + scenario.CLOSED_AFTER,
        id=ticket_id,
        version=resolved["ticket"]["version"],
        confirmedBy=scenario.CONFIRMED_BY,
    )
    at = opened_at + scenario.RATED_AFTER
    await client.run(RATE_TICKET, at, ticketId=ticket_id, rating=scenario.CSAT)

    detected = now - scenario.DETECTED_AGO
    declared = await client.run(
        DECLARE_INCIDENT,
        detected,
        **scenario.INCIDENT,
        affectedCustomerIds=[ids[key] for key in scenario.INCIDENT_CUSTOMERS],
        detectedAt=detected.isoformat(),
    )
    incident_id = declared["incident"]["id"]
    for position, minutes in scenario.TICKED:
        at = detected + timedelta(minutes=minutes)
        await client.run(TICK_STEP, at, incidentId=incident_id, position=position)
    leak_ticket = opened[scenario.LEAK]["ticket"]["id"]
    at = detected + scenario.ATTACHED_AFTER
    await client.run(ATTACH_TICKET, at, incidentId=incident_id, ticketId=leak_ticket)


async def _success(client: Client, ids: dict[str, str], now: datetime) -> None:
    for key, done in scenario.ONBOARDED.items():
        started = scenario.CUSTOMERS[key].started(now)
        pace = DAY if done == len(STEPS) else timedelta(hours=7)
        for i, spec in enumerate(STEPS[:done]):
            at = started + (i + 1) * pace
            await client.run(COMPLETE_ONBOARDING, at, customerId=ids[key], step=spec.step.name)
    moved_at = now - scenario.CONNECTORS_MOVED_AGO
    for key, connector, path in scenario.CONNECTORS:
        for state in path:
            await client.run(
                MOVE_CONNECTOR, moved_at, customerId=ids[key], key=connector.name, to=state.name
            )
    today = now.date()
    plan_at = now - scenario.PLAN_STARTED_AGO * DAY
    plan = await client.run(
        START_PLAN,
        plan_at,
        customerId=ids[scenario.PLAN_CUSTOMER],
        startOn=(today - timedelta(days=scenario.PLAN_STARTED_AGO)).isoformat(),
    )
    for key, title, days in scenario.PROOF_PACKS:
        at = now - days * DAY
        await client.run(DELIVER_PROOF_PACK, at, customerId=ids[key], title=title)
    marked_at = now - scenario.PLAN_MARKED_AGO * DAY
    for item in _plan_items(plan["plan"]["items"], scenario.PLAN_DONE_OFFSETS):
        await client.run(COMPLETE_PLAN_ITEM, marked_at, id=item["id"], doneOn=item["dueOn"])
    for key, weeks, approved, replies, meetings, risks, pipeline in scenario.CHECK_INS:
        at = now - (7 * weeks - 5) * DAY
        await client.run(
            RECORD_CHECK_IN,
            at,
            customerId=ids[key],
            weekOf=(today - timedelta(days=7 * weeks - 1)).isoformat(),
            draftsApproved=approved,
            replies=replies,
            meetings=meetings,
            risksBlocked=risks,
            pipelineSar=pipeline,
        )
    for key, score, days in scenario.NPS:
        await client.run(RECORD_NPS, now - days * DAY, customerId=ids[key], score=score)


def _plan_items(items: Iterable[dict[str, Any]], offsets: Iterable[int]) -> list[dict[str, Any]]:
    """The plan's items at these day offsets, quarterly reviews aside."""
    wanted = set(offsets)
    return [i for i in items if i["dayOffset"] in wanted and i["kind"] != "QBR"]
