"""The cockpit in a real browser: Debian's chromium driven by Playwright against a real uvicorn
serving the app, the demo organisation, a real `wafi worker` process and a Redis of the test's
own. Screenshots of each view are written to docs/screenshots/ (README: Cockpit)."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from arq.connections import ArqRedis
from arq.jobs import Job, JobStatus
from playwright.async_api import Browser, Page, Route, async_playwright

from domain.alerts import AlertKind
from domain.drafts import DraftKind
from domain.incidents import IncidentStatus
from domain.roles import Role
from resolvers.store import engine, namespaces, orgs, outbox
from schema import demo
from schema.app import create_app
from schema.types.relay import to_global_id
from tests.e2e.test_live_alerts import WorkerProcess
from tests.factories import Clock, raise_alerts
from tests.live import NAMESPACE, PrivateRedis, private_redis, until, uvicorn_server
from tests.test_demo import DEMO_ALERTS

CHROMIUM = shutil.which("chromium")  # Debian's package, /usr/bin/chromium (.ci/run installs it)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WAIT_MS = 10_000


@dataclass
class Cockpit:
    url: str
    owner: str
    viewer: str
    org_id: int
    pool: asyncpg.Pool
    queue: ArqRedis
    worker: WorkerProcess
    browser: Browser


@pytest.fixture(scope="module")
def redis_server() -> Iterator[PrivateRedis]:
    with private_redis() as server:
        yield server


@pytest.fixture(scope="module")
async def cockpit(
    settings: engine.Settings,
    database_url: str,
    redis_server: PrivateRedis,
    system_pool: asyncpg.Pool,
) -> AsyncIterator[Cockpit]:
    if CHROMIUM is None:
        pytest.fail("chromium is not installed (.ci/run installs it: apt-get install chromium)")
    # The browser counts down from its own clock: the server's is the real time, held still.
    clock = Clock()
    clock.now = datetime.now(UTC).replace(microsecond=0)
    slug, owner = await demo.load(database_url, now=clock())
    async with system_pool.acquire() as conn:
        org_id = await conn.fetchval("SELECT id FROM organisations WHERE slug = $1", slug)
        viewer = await orgs.create_token(
            conn, slug=slug, role=Role.VIEWER, name="مشاهد", now=clock()
        )
    assert viewer is not None
    app = create_app(replace(settings, redis_url=redis_server.url), clock=clock)
    with tempfile.TemporaryDirectory(prefix="wafi-cockpit-") as folder:
        worker = WorkerProcess(database_url, redis_server.url, Path(folder) / "worker.log")
        # The deployment's queue, where the app and its worker (WAFI_REDIS_PREFIX) meet.
        queue = namespaces.queue_pool(redis_server.url, NAMESPACE, timeout=5)
        try:
            async with (
                uvicorn_server(app) as url,
                async_playwright() as driver,
            ):
                browser = await driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    yield Cockpit(url, owner, viewer, org_id, system_pool, queue, worker, browser)
                finally:
                    await browser.close()
        finally:
            worker.stop()
            await queue.aclose()


async def _signed_in(
    cockpit: Cockpit, token: str, *, view: str = "today"
) -> tuple[Page, list[str]]:
    page = await cockpit.browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    async def this_server_only(route: Route) -> None:  # no CDN, nothing off the machine
        if route.request.url.startswith(cockpit.url):
            await route.continue_()
        else:
            errors.append(f"asked {route.request.url}")
            await route.abort()

    await page.route("**/*", this_server_only)
    await page.goto(cockpit.url + "/")
    await page.fill("#token", token)
    await page.click("#sign-in button[type=submit]")
    await page.wait_for_selector("#nav:not([hidden])", timeout=WAIT_MS)
    if view != "today":
        await page.evaluate(f"location.hash = '#{view}'")
    await page.wait_for_selector(f"#view[data-view={view}] h2", timeout=WAIT_MS)
    return page, errors


async def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def test_today_is_arabic_rtl_counts_the_p0_down_and_approving_empties_the_queue(
    cockpit: Cockpit,
) -> None:
    page = await cockpit.browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    await page.goto(cockpit.url + "/")
    assert await page.evaluate("[document.dir, document.documentElement.lang]") == ["rtl", "ar"]
    assert await page.text_content("#sign-in h1") == "تسجيل الدخول"
    await page.close()

    page, errors = await _signed_in(cockpit, cockpit.owner)
    assert cockpit.owner not in page.url
    assert not await page.is_visible("#sign-in")
    assert await page.evaluate("sessionStorage.getItem('wafi.token')") == cockpit.owner
    # Breached first, then at risk, then on track; the demo's P0 leak is 20 minutes old.
    states = await page.eval_on_selector_all("#tickets article", "n => n.map(a => a.className)")
    order = ["BREACHED", "AT_RISK", "ON_TRACK"]
    ranks = [order.index(name.split()[1]) for name in states]
    assert ranks == sorted(ranks)
    assert len(states) == 5
    p0 = "#tickets article[data-priority=P0] .countdown"
    first = int(await page.get_attribute(p0, "data-seconds") or "")
    assert 9 * 60 < first <= 10 * 60  # P0: first response within 30 minutes (§2.1)
    await page.wait_for_function(
        f"document.querySelector('{p0}').dataset.seconds < {first}", timeout=WAIT_MS
    )
    assert "null" not in await page.inner_text("#view")
    await _shot(page, "today")

    # Every draft awaiting approval, of every kind, newest first, as the API lists them; and
    # the approved ones waiting to be sent.
    queue = "#queue article"
    waiting = await _drafts(cockpit, "DRAFT")
    assert len({kind for _, kind, _ in waiting}) > 1  # not only tickets' first responses
    assert await _shown_drafts(page, "queue") == [
        [pk, DRAFT_KINDS_AR[kind], name] for pk, kind, name in waiting
    ]
    approved = await _drafts(cockpit, "APPROVED")
    assert [row[0] for row in await _shown_drafts(page, "ready")] == [pk for pk, *_ in approved]

    # The P0's customer is frozen by the SEV1 leak: refused in Arabic, the field named.
    leak_id = await _ticket_draft(cockpit, "اكتشفت تسريب")
    leak = page.locator(f"#queue article[data-draft='{leak_id}']")
    await leak.locator("button.approveDraft").click()
    await page.wait_for_function("document.querySelector('#refusal').textContent.length > 0")
    refusal = await page.text_content("#refusal")
    assert refusal is not None
    assert refusal.startswith("رُفض (")
    assert await page.locator(queue).count() == len(waiting)

    # A draft that may be approved leaves the queue for the ready list.
    draft = await _ticket_draft(cockpit, "سؤال بسيط عن الأسعار")
    await page.locator(f"#queue article[data-draft='{draft}'] button.approveDraft").click()
    await page.wait_for_selector(f"#ready article[data-draft='{draft}']", timeout=WAIT_MS)
    assert await page.locator(f"#queue article[data-draft='{draft}']").count() == 0
    assert await page.locator(queue).count() == len(waiting) - 1
    assert len(await _drafts(cockpit, "DRAFT")) == len(waiting) - 1
    assert errors == []


DRAFT_KINDS_AR = {  # every DraftKind (the labels test below checks i18n.js has them all)
    "FIRST_RESPONSE": "رد أول على تذكرة",
    "CHECK_IN": "ملاحظة check-in أسبوعية",
    "AT_RISK_EMAIL": "رسالة لعميل في خطر",
    "INCIDENT_UPDATE": "تحديث حادثة",
    "RENEWAL_OFFER": "عرض تجديد",
    "ONBOARDING_STEP": "خطوة تهيئة",
    "WIN_BACK_STEP": "خطوة استعادة عميل",
    "CS_OUTREACH": "تواصل المراجعة الأسبوعية",
    "PILOT_CHECK_IN": "متابعة التجربة",
    "PILOT_SOFT_ASK": "طلب لطيف في التجربة",
    "PILOT_FIRM_ASK": "طلب حاسم في التجربة",
    "TESTIMONIAL_ASK": "طلب شهادة",
    "REFERRAL_ASK": "طلب إحالة",
}


async def _drafts(cockpit: Cockpit, status: str) -> list[tuple[str, str, str]]:
    """The API's drafts in one state, newest first: (id, kind, customer name)."""
    data = await _api(
        cockpit,
        f"{{ drafts(status: [{status}], first: 100) {{ totalCount "
        "edges { node { id kind customer { name } } } } }",
        "ar",
    )
    assert data["drafts"]["totalCount"] <= 100
    return [
        (e["node"]["id"], e["node"]["kind"], e["node"]["customer"]["name"])
        for e in data["drafts"]["edges"]
    ]


async def _shown_drafts(page: Page, list_id: str) -> list[list[str]]:
    return await page.eval_on_selector_all(  # type: ignore[no-any-return]
        f"#{list_id} article",
        "n => n.map(a => [a.dataset.draft, a.querySelector('.kind').textContent,"
        " a.querySelector('.customer').textContent])",
    )


async def _ticket_draft(cockpit: Cockpit, subject: str) -> str:
    """The first-response draft of the demo's open ticket whose subject holds `subject`."""
    data = await _api(
        cockpit,
        "{ tickets(first: 100, filter: {status: OPEN}) { edges { node { subject "
        "firstResponseDraft { id } } } } }",
        "ar",
    )
    found = [
        e["node"]["firstResponseDraft"]["id"]
        for e in data["tickets"]["edges"]
        if subject in e["node"]["subject"] and e["node"]["firstResponseDraft"]
    ]
    assert len(found) == 1, found
    pk: str = found[0]
    return pk


async def test_refusals_follow_the_chosen_language_and_english_is_left_to_right(
    cockpit: Cockpit,
) -> None:
    page, errors = await _signed_in(cockpit, cockpit.owner)
    await page.click("#lang")
    await page.wait_for_selector("#view[data-view=today] h2", timeout=WAIT_MS)
    assert await page.evaluate("[document.dir, document.documentElement.lang]") == ["ltr", "en"]
    assert await page.text_content("#nav a[href='#today']") == "Today"
    leak_id = await _ticket_draft(cockpit, "اكتشفت تسريب")
    leak = page.locator(f"#queue article[data-draft='{leak_id}']")
    assert await leak.locator(".kind").text_content() == "Ticket first response"
    await leak.locator("button.approveDraft").click()
    await page.wait_for_function("document.querySelector('#refusal').textContent.length > 0")
    refusal = await page.text_content("#refusal")
    assert refusal is not None
    assert refusal.startswith("Refused (")
    await _shot(page, "today-en")
    assert errors == []


async def _api(cockpit: Cockpit, query: str, language: str) -> dict[str, Any]:
    """The API itself, as the cockpit asks it (the expected values of the views)."""
    headers = {"Authorization": f"Bearer {cockpit.owner}", "Accept-Language": language}
    async with httpx.AsyncClient(base_url=cockpit.url, headers=headers, timeout=30) as client:
        response = await client.post("/graphql", json={"query": query})
    body = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def _expected_flags(cockpit: Cockpit, language: str) -> list[list[str]]:
    data = await _api(
        cockpit,
        "{ customers(first: 100) { edges { node { name redFlags { source reason raisedAt } } } } }",
        language,
    )
    flags = [
        (flag["raisedAt"], node["name"], flag["source"], flag["reason"])
        for edge in data["customers"]["edges"]
        for node in [edge["node"]]
        for flag in node["redFlags"]
    ]
    flags.sort(key=lambda flag: datetime.fromisoformat(flag[0]), reverse=True)
    return [[name, source, reason] for _, name, source, reason in flags]


async def _shown_flags(page: Page) -> list[list[str]]:
    shown: list[list[str]] = await page.eval_on_selector_all(
        "#red-flags article",
        "n => n.map(a => [a.querySelector('.customer').textContent, a.dataset.source,"
        " a.querySelector('.reason').textContent])",
    )
    return shown


async def test_today_lists_the_red_flags_newest_first_and_eight_weeks_of_sla_health(
    cockpit: Cockpit,
) -> None:
    page, errors = await _signed_in(cockpit, cockpit.owner)
    # The demo's two red flags: Al-Ibdaa's raised by an operator, Itqan's by its connector.
    arabic = await _expected_flags(cockpit, "ar")
    assert sorted((name, source) for name, source, _ in arabic) == [
        ("مؤسسة إتقان التجارية", "CONNECTOR"),
        ("مكتب الإبداع الهندسي", "OPERATOR"),
    ]
    assert await _shown_flags(page) == arabic
    assert await page.locator("#red-flags .source").all_text_contents() == [
        {"OPERATOR": "المشغّل", "CONNECTOR": "موصل"}[source] for _, source, _ in arabic
    ]

    # Eight consecutive weeks ending at the next UTC midnight, each bar as slaHealth says.
    bars = await page.eval_on_selector_all(
        "#sla-chart rect.bar",
        "n => n.map(b => [b.dataset.start, b.dataset.end, b.getAttribute('aria-label'),"
        " b.getAttribute('class')])",
    )
    assert len(bars) == 8
    starts = [datetime.fromisoformat(start) for start, *_ in bars]
    ends = [datetime.fromisoformat(end) for _, end, *_ in bars]
    now = datetime.now(UTC)
    assert ends[-1] == datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    assert all(end - start == timedelta(days=7) for start, end in zip(starts, ends, strict=True))
    assert starts[1:] == ends[:-1]
    query = " ".join(
        f'w{i}: slaHealth(periodStart: "{start}", periodEnd: "{end}")'
        " { total breached breachRate verdict }"
        for i, (start, end, *_) in enumerate(bars)
    )
    weeks = await _api(cockpit, "{ " + query + " }", "ar")
    verdicts = {"HEALTHY": "سليم", "WATCH": "مراقبة", "CRITICAL": "حرج"}
    expected = []
    for i, (start, *_) in enumerate(bars):
        week = weeks[f"w{i}"]
        expected.append(
            [
                f"أسبوع {start[:10]}: {week['breachRate'] * 100:.1f}% تجاوز"
                f" ({week['breached']}/{week['total']}) · {verdicts[week['verdict']]}",
                f"bar {week['verdict']}",
            ]
        )
    assert [bar[2:] for bar in bars] == expected
    assert sum(weeks[f"w{i}"]["total"] for i in range(8)) > 0  # the demo's tickets are in them

    await page.click("#lang")
    await page.wait_for_selector("#view[data-view=today] #sla-chart", timeout=WAIT_MS)
    english = await _expected_flags(cockpit, "en")
    assert [reason for *_, reason in english] != [reason for *_, reason in arabic]
    assert await _shown_flags(page) == english
    labels = await page.eval_on_selector_all(
        "#sla-chart rect.bar", "n => n.map(b => b.getAttribute('aria-label'))"
    )
    assert labels == [
        f"Week of {start[:10]}: {weeks[f'w{i}']['breachRate'] * 100:.1f}% breached"
        f" ({weeks[f'w{i}']['breached']}/{weeks[f'w{i}']['total']})"
        f" · {weeks[f'w{i}']['verdict'].title()}"
        for i, (start, *_) in enumerate(bars)
    ]
    assert errors == []


async def test_a_viewer_sees_no_approve_buttons(cockpit: Cockpit) -> None:
    page, errors = await _signed_in(cockpit, cockpit.viewer)
    await page.wait_for_selector("#viewer-note", timeout=WAIT_MS)
    shown = [row[0] for row in await _shown_drafts(page, "queue")]
    assert shown == [pk for pk, *_ in await _drafts(cockpit, "DRAFT")]
    assert shown
    assert await page.locator("button.approveDraft, button.rejectDraft").count() == 0
    assert await page.locator("button.markDraftSent").count() == 0
    await page.evaluate("location.hash = '#alerts'")
    await page.wait_for_selector("#view[data-view=alerts] h2", timeout=WAIT_MS)
    assert await page.locator("form.ack").count() == 0
    assert errors == []


async def _raise(cockpit: Cockpit, count: int, first: int) -> list[str]:
    ids = await raise_alerts(
        cockpit.pool, cockpit.org_id, count=count, kind="AT_RISK", first_subject_id=first
    )
    return [to_global_id("Alert", pk) for pk in ids]


async def _done(job: Job) -> None:
    """The worker took the job and finished it (the relay keeps no result)."""

    async def finished() -> bool:
        return await job.status() in (JobStatus.complete, JobStatus.not_found)

    await until(finished, within=30, what="the worker to run the relay")


async def _alert_ids(page: Page) -> list[str]:
    ids: list[str] = await page.eval_on_selector_all(
        "#alert-list article", "n => n.map(a => a.dataset.alert)"
    )
    return ids


async def test_a_worker_pushes_an_alert_live_and_a_reconnect_resumes_without_repeats(
    cockpit: Cockpit,
) -> None:
    cockpit.worker.start()
    warm = await cockpit.queue.enqueue_job(outbox.RELAY_JOB)  # the worker is up and polling
    assert warm is not None
    await _done(warm)
    page, errors = await _signed_in(cockpit, cockpit.owner, view="alerts")
    await page.wait_for_selector("#live-state[data-up=true]", timeout=WAIT_MS)
    unread = int(await page.text_content("#unread") or "")
    assert unread == len(await _alert_ids(page)) == len(DEMO_ALERTS)  # the demo's scans

    [live] = await _raise(cockpit, 1, 10**6)
    started = time.monotonic()
    job = await cockpit.queue.enqueue_job(outbox.RELAY_JOB)
    assert job is not None
    await page.wait_for_selector(f"#alert-list article[data-alert='{live}']", timeout=WAIT_MS)
    assert time.monotonic() - started < 2.0
    assert await page.text_content("#unread") == str(unread + 1)

    # Offline while three alerts happen; back online, `after:` the last id replays them once.
    await page.evaluate("window.cockpit.live.stop()")
    await page.wait_for_selector("#live-state[data-up=false]", timeout=WAIT_MS)
    missed = await _raise(cockpit, 3, 10**6 + 10)
    job = await cockpit.queue.enqueue_job(outbox.RELAY_JOB)
    assert job is not None
    await _done(job)
    await page.evaluate("window.cockpit.live.start()")
    for alert_id in missed:
        await page.wait_for_selector(f"#alert-list article[data-alert='{alert_id}']")
    # A dropped socket reconnects by itself and resumes too.
    await page.evaluate("window.cockpit.live.drop()")
    [after_drop] = await _raise(cockpit, 1, 10**6 + 20)
    await cockpit.queue.enqueue_job(outbox.RELAY_JOB)
    await page.wait_for_selector(f"#alert-list article[data-alert='{after_drop}']")
    ids = await _alert_ids(page)
    total = len(DEMO_ALERTS) + 5  # the demo's, then one live, three missed, one after the drop
    assert len(ids) == len(set(ids)) == total
    assert ids[:5] == [after_drop, *reversed(missed), live]
    assert await page.text_content("#unread") == str(total)

    # Acknowledge: the unread count drops.
    row = page.locator(f"#alert-list article[data-alert='{live}']")
    await row.locator("input.action").fill("اتصلنا بالعميل")
    await row.locator("form.ack button").click()
    await row.locator(".done").wait_for(timeout=WAIT_MS)
    assert await page.text_content("#unread") == str(total - 1)
    assert await page.text_content("#unread-title") == f"({total - 1} غير مقروءة)"
    await _shot(page, "alerts")
    assert errors == []


async def test_customers_and_incidents_views(cockpit: Cockpit) -> None:
    page, errors = await _signed_in(cockpit, cockpit.owner, view="customers")
    assert await page.locator("article.customer").count() == 6
    ibdaa = page.locator("article.customer", has_text="مكتب الإبداع الهندسي")
    assert await ibdaa.locator(".reasons li").all_text_contents() == [
        "العميل غير نشط منذ 16 يوم.",
        "آخر Proof Pack قبل 60 يوم — يتجاوز SLA.",
        "علامة حمراء خلال آخر 14 يوم.",
    ]
    labels = await page.eval_on_selector_all(
        "article.customer svg.spark", "n => n.map(s => s.getAttribute('aria-label'))"
    )
    # One day of history in a fresh demo: today's point, drawn as a dot (values as in §4.2).
    # Itqan's point was taken with its three onboarding drafts pending (13 − 3), before the
    # pilot scan drafted two more (its live health is 8).
    assert labels == [f"اتجاه 30 يوماً: {v}" for v in (79, 10, 24, 0, 100, 0)]
    assert await page.locator("article.customer svg.spark circle").count() == 6
    itqan = page.locator("article.customer", has_text="مؤسسة إتقان التجارية")
    assert await itqan.locator("progress").get_attribute("value") == "37.5"
    await _shot(page, "customers")

    await page.evaluate("location.hash = '#incidents'")
    await page.wait_for_selector("#view[data-view=incidents] article.incident", timeout=WAIT_MS)
    incident = page.locator("article.incident")
    assert await incident.locator(".severity").text_content() == "SEV1"
    boxes = incident.locator(".plan input[type=checkbox]")
    assert [await boxes.nth(i).is_checked() for i in range(await boxes.count())] == [
        True,
        True,
        *[False] * 6,
    ]
    assert await incident.locator(".pdpl .countdown").count() == 1
    await boxes.nth(2).check()
    await page.wait_for_function(
        "document.querySelectorAll('.plan input:checked').length === 3", timeout=WAIT_MS
    )
    await _shot(page, "incidents")
    assert errors == []


async def test_graphiql_works_offline_with_a_welcome_query_and_the_header_hint(
    cockpit: Cockpit,
) -> None:
    page = await cockpit.browser.new_page(viewport={"width": 1280, "height": 900})
    asked: list[str] = []

    async def local_only(route: Route) -> None:
        asked.append(route.request.url)
        if route.request.url.startswith(cockpit.url):
            await route.continue_()
        else:
            await route.abort()

    await page.route("**/*", local_only)
    await page.goto(cockpit.url + "/graphql")  # a browser asks for text/html
    await page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=WAIT_MS)
    assert "Welcome to Wafi" in await page.inner_text(".graphiql-query-editor")
    assert '"Authorization": "Bearer <token>"' in await page.inner_text(
        ".graphiql-editor-tool .graphiql-editor:not(.hidden)"
    )
    assert [url for url in asked if not url.startswith(cockpit.url)] == []
    await _shot(page, "graphiql")


async def test_every_label_is_in_both_languages_and_every_alert_and_draft_kind_has_one(
    cockpit: Cockpit,
) -> None:
    page = await cockpit.browser.new_page(bypass_csp=True)
    await page.goto(cockpit.url + "/")
    labels: dict[str, list[str]] = await page.evaluate(
        "import('/cockpit/i18n.js').then(m => "
        "({ar: Object.keys(m.LABELS.ar), en: Object.keys(m.LABELS.en)}))"
    )
    assert labels["ar"] == labels["en"]
    wanted = {f"kind.{kind.name}" for kind in AlertKind} | {
        f"incident.{status.name}" for status in IncidentStatus
    }
    wanted |= {f"draft.{kind.name}" for kind in DraftKind}
    assert wanted <= set(labels["ar"])
    assert set(DRAFT_KINDS_AR) == {kind.name for kind in DraftKind}
