// Wafi cockpit: sign-in, Today, Alerts (live), Customers, Incidents. No framework, no network
// but this server's /graphql.
import { gql, LiveAlerts } from "./api.js";
import { applyLanguage, duration, language, setLanguage, t } from "./i18n.js";

const ALERT_FIELDS = "id kind severity subject createdAt acknowledgedAt";
const state = { token: null, me: null, alerts: new Map(), live: null, timers: [], pane: null };
window.cockpit = state; // for tests and the console: never holds more than the page shows

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function refusal(error) {
  const field = error.field ? ` (${error.field})` : "";
  return `${t("refused")}${field}: ${error.message}`;
}

function notice(target, text) {
  target.replaceChildren(el("p", { class: "error", role: "alert" }, text));
}

// ---- sign-in -----------------------------------------------------------------------------

async function signIn(token) {
  const data = await gql(token, "{ me { role mayApproveDrafts mayAcknowledgeAlerts } }");
  state.token = token;
  state.me = data.me;
  sessionStorage.setItem("wafi.token", token);
  $("sign-in").hidden = true;
  $("nav").hidden = false;
  $("sign-out").hidden = false;
  await startAlerts();
  route();
}

function signOut() {
  sessionStorage.removeItem("wafi.token");
  if (state.live) state.live.stop();
  location.reload();
}

function showSignIn(message = "") {
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message;
  $("view").replaceChildren();
}

// ---- routing and timers ------------------------------------------------------------------

const VIEWS = { today: today, alerts: alertsView, customers: customersView, incidents: incidentsView };

function route() {
  if (!state.token) return;
  for (const timer of state.timers) clearInterval(timer);
  state.timers = [];
  const name = location.hash.slice(1) in VIEWS ? location.hash.slice(1) : "today";
  for (const link of document.querySelectorAll("#nav a")) {
    link.classList.toggle("active", link.getAttribute("href") === `#${name}`);
  }
  // Each visit draws into a pane of its own: a slower earlier view never overwrites this one.
  const view = el("div", { class: "pane" }, el("p", { class: "muted" }, t("loading")));
  state.pane = view;
  $("view").dataset.view = name;
  $("view").replaceChildren(view);
  VIEWS[name](view).catch((error) => notice(view, refusal(error)));
}

function every(ms, fn) {
  state.timers.push(setInterval(fn, ms));
}

// A countdown that ticks each second from the server's remaining seconds.
function countdown(remaining) {
  const node = el("span", { class: "countdown" });
  const started = performance.now();
  const paint = () => {
    const left = remaining - (performance.now() - started) / 1000;
    node.dataset.seconds = String(Math.round(left));
    node.classList.toggle("late", left < 0);
    node.textContent = left < 0 ? `${t("overdueBy")} ${duration(left)}` : `${duration(left)} ${t("left")}`;
  };
  paint();
  every(1000, paint);
  return node;
}

function untilDate(iso) {
  return countdown((Date.parse(iso) - Date.now()) / 1000);
}

// ---- Today -------------------------------------------------------------------------------

const TODAY = `{
  tickets(first: 100, filter: {status: OPEN}) { edges { node {
    id subject priority customer { name }
    sla { breached firstResponse { state remainingSeconds } resolution { state remainingSeconds } }
  } } }
}`;
const ORDER = ["BREACHED", "AT_RISK", "ON_TRACK", "MET"];

function runningClock(sla) {
  const first = sla.firstResponse;
  return first.state === "MET" ? ["resolution", sla.resolution] : ["firstResponse", first];
}

// Every draft in one state (§1), newest first, page after page: scans write most of them.
const DRAFTS = `query Drafts($status: [DraftStatus!], $after: String) {
  drafts(status: $status, first: 100, after: $after) {
    edges { node { id version kind body status locale customer { name } } }
    pageInfo { hasNextPage endCursor } } }`;

async function draftsIn(status) {
  const all = [];
  for (let after = null; ;) {
    const { drafts } = await gql(state.token, DRAFTS, { status: [status], after });
    all.push(...drafts.edges.map((e) => e.node));
    if (!drafts.pageInfo.hasNextPage) return all;
    after = drafts.pageInfo.endCursor;
  }
}

// Red flags (§8.2) across customers, newest first; their reasons in the request's language.
const FLAGS = `{ customers(first: 100) { edges { node {
  name redFlags { id category source reason raisedAt }
} } } }`;

// The last 8 weeks, ending at the next UTC midnight: one slaHealth per week (§2.7).
function weeks(count = 8) {
  const now = new Date();
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  const week = 7 * 864e5;
  return Array.from({ length: count }, (_, i) => ({
    start: new Date(end - (count - i) * week).toISOString(),
    end: new Date(end - (count - 1 - i) * week).toISOString(),
  }));
}

function slaQuery(spans) {
  return `{ ${spans.map((s, i) => `w${i}: slaHealth(periodStart: "${s.start}", periodEnd: "${s.end}") {
    total breached breachRate verdict }`).join("\n")} }`;
}

async function today(view) {
  const spans = weeks();
  const [data, flags, sla, queue, ready] = await Promise.all([
    gql(state.token, TODAY), gql(state.token, FLAGS), gql(state.token, slaQuery(spans)),
    draftsIn("DRAFT"), draftsIn("APPROVED"),
  ]);
  if (state.pane !== view) return; // the user has moved on
  every(60_000, route); // SLA states move on: read them again each minute
  const tickets = data.tickets.edges.map((e) => e.node);
  const rows = tickets.map((ticket) => ({ ticket, clock: runningClock(ticket.sla) }));
  rows.sort((a, b) => ORDER.indexOf(a.clock[1].state) - ORDER.indexOf(b.clock[1].state)
    || a.clock[1].remainingSeconds - b.clock[1].remainingSeconds);
  const list = el("div", { id: "tickets" });
  for (const slaState of ORDER) {
    const group = rows.filter((r) => r.clock[1].state === slaState);
    if (!group.length) continue;
    list.append(el("h3", { class: `state ${slaState}` }, `${t(slaState)} · ${group.length}`));
    for (const { ticket, clock } of group) {
      list.append(el("article", { class: `ticket ${slaState}`, "data-ticket": ticket.id, "data-priority": ticket.priority },
        el("span", { class: `priority ${ticket.priority}` }, ticket.priority),
        el("span", { class: "subject", dir: "auto" }, ticket.subject),
        el("span", { class: "muted", dir: "auto" }, ticket.customer ? ticket.customer.name : ""),
        el("span", { class: "clock" }, `${t(clock[0])}: `, countdown(clock[1].remainingSeconds))));
    }
  }
  if (!rows.length) list.append(el("p", { class: "muted" }, t("noTickets")));

  const message = el("p", { id: "refusal", class: "error", role: "alert" });
  view.replaceChildren(...[
    el("h2", {}, t("redFlags")), redFlags(flags),
    el("h2", {}, t("openTickets")), list,
    el("h2", {}, t("queue")), message,
    state.me.mayApproveDrafts ? null : el("p", { class: "muted", id: "viewer-note" }, t("viewerNote")),
    draftList("queue", queue, message),
    el("h2", {}, t("ready")),
    draftList("ready", ready, message),
    el("h2", {}, t("slaWeeks")), slaChart(spans.map((s, i) => ({ ...s, ...sla[`w${i}`] }))),
  ].filter(Boolean));
}

function redFlags(data) {
  const flags = data.customers.edges.flatMap(({ node }) => node.redFlags.map((f) => ({ ...f, customer: node.name })));
  flags.sort((a, b) => Date.parse(b.raisedAt) - Date.parse(a.raisedAt));
  const list = el("div", { id: "red-flags" });
  if (!flags.length) list.append(el("p", { class: "muted" }, t("noRedFlags")));
  for (const flag of flags) {
    list.append(el("article", { class: "flag", "data-flag": flag.id, "data-source": flag.source },
      el("span", { class: "customer", dir: "auto" }, flag.customer),
      el("span", { class: "source" }, t(`source.${flag.source}`)),
      el("span", { class: "reason", dir: "auto" }, flag.reason),
      el("time", { datetime: flag.raisedAt }, new Date(flag.raisedAt).toLocaleString(language() === "ar" ? "ar-SA-u-nu-latn" : "en-GB"))));
  }
  return list;
}

// Inline SVG bars: a week's breach rate, in its verdict's colour, labelled for screen readers.
function slaChart(rows) {
  const ns = "http://www.w3.org/2000/svg";
  const w = 40, gap = 12, h = 120;
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("id", "sla-chart");
  svg.setAttribute("viewBox", `0 0 ${rows.length * (w + gap)} ${h + 16}`);
  svg.setAttribute("width", rows.length * (w + gap));
  svg.setAttribute("role", "list");
  svg.setAttribute("aria-label", t("slaWeeks"));
  // 0 at the bottom, the critical line (25 %, §2.7) or the worst week at the top.
  const top = Math.max(0.3, ...rows.map((r) => r.breachRate));
  for (const line of [0.1, 0.25]) {
    const rule = document.createElementNS(ns, "line");
    rule.setAttribute("x1", 0);
    rule.setAttribute("x2", rows.length * (w + gap));
    rule.setAttribute("y1", (h - (line / top) * h).toFixed(1));
    rule.setAttribute("y2", (h - (line / top) * h).toFixed(1));
    rule.setAttribute("class", line < 0.2 ? "rule WATCH" : "rule CRITICAL");
    svg.append(rule);
  }
  rows.forEach((row, i) => {
    const from = row.start.slice(0, 10);
    const pct = `${(row.breachRate * 100).toFixed(1)}%`;
    const bar = document.createElementNS(ns, "rect");
    const height = Math.max(2, (row.breachRate / top) * h);
    bar.setAttribute("x", i * (w + gap));
    bar.setAttribute("y", (h - height).toFixed(1));
    bar.setAttribute("width", w);
    bar.setAttribute("height", height.toFixed(1));
    bar.setAttribute("class", `bar ${row.verdict}`);
    bar.setAttribute("role", "listitem");
    bar.setAttribute("data-start", row.start);
    bar.setAttribute("data-end", row.end);
    bar.setAttribute("aria-label",
      `${t("weekOf")} ${from}: ${pct} ${t("breachRate")} (${row.breached}/${row.total}) · ${t(row.verdict)}`);
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", i * (w + gap) + w / 2);
    label.setAttribute("y", h + 12);
    label.setAttribute("aria-hidden", "true");
    label.textContent = from.slice(5);
    svg.append(bar, label);
  });
  return svg;
}

function draftList(id, drafts, message) {
  const list = el("div", { id });
  if (!drafts.length) list.append(el("p", { class: "muted" }, t("noDrafts")));
  for (const draft of drafts) {
    const actions = [];
    if (state.me.mayApproveDrafts) {
      const act = (field, label) => el("button", {
        type: "button", class: field, onclick: () => decide(field, draft, message),
      }, t(label));
      if (draft.status === "DRAFT") actions.push(act("approveDraft", "approve"), act("rejectDraft", "reject"));
      else actions.push(act("markDraftSent", "markSent"));
    }
    list.append(el("article", { class: "draft", "data-draft": draft.id, "data-kind": draft.kind },
      el("div", { class: "muted" }, el("span", { class: "kind" }, t(`draft.${draft.kind}`)), " · ",
        el("span", { class: "customer", dir: "auto" }, draft.customer ? draft.customer.name : "")),
      el("p", { class: "body", dir: "auto", lang: draft.locale }, draft.body),
      el("div", { class: "actions" }, actions)));
  }
  return list;
}

async function decide(field, draft, message) {
  message.textContent = "";
  const mutation = `mutation Decide($input: ${field[0].toUpperCase()}${field.slice(1)}Input!) {
    r: ${field}(input: $input) { __typename ... on UserError { field code message } } }`;
  try {
    const data = await gql(state.token, mutation, { input: { id: draft.id, version: draft.version } });
    if (data.r.field !== undefined) {
      message.textContent = refusal(data.r);
      return;
    }
    route(); // redrawn from the API, its countdowns restarted
  } catch (error) {
    message.textContent = refusal(error);
  }
}

// ---- Alerts ------------------------------------------------------------------------------

async function startAlerts() {
  const data = await gql(state.token, `{ alerts(first: 100) { edges { node { ${ALERT_FIELDS} } } } }`);
  const nodes = data.alerts.edges.map((e) => e.node);
  state.live = new LiveAlerts(state.token, ALERT_FIELDS, {
    onAlert: (alert) => {
      state.alerts.set(alert.id, alert);
      unread();
      if ($("view").dataset.view === "alerts") drawAlerts($("alert-list"), [alert], true);
    },
    onState: (up) => {
      const badge = $("live-state");
      badge.hidden = false;
      badge.textContent = up ? t("connected") : t("reconnecting");
      badge.classList.toggle("down", !up);
      badge.dataset.up = String(up);
    },
  });
  for (const alert of nodes.slice().reverse()) {
    state.alerts.set(alert.id, alert);
    state.live.seen.add(alert.id);
  }
  unread();
  state.live.start(nodes.length ? nodes[0].id : null);
}

function unread() {
  const count = [...state.alerts.values()].filter((a) => !a.acknowledgedAt).length;
  $("unread").textContent = String(count);
  $("unread").dataset.count = String(count);
  const title = $("unread-title");
  if (title) title.textContent = `(${count} ${t("unread")})`;
}

async function alertsView(view) {
  const list = el("div", { id: "alert-list" });
  view.replaceChildren(el("h2", {}, t("alerts"), " ", el("span", { class: "muted", id: "unread-title" }, `(${$("unread").textContent} ${t("unread")})`)),
    el("p", { id: "refusal", class: "error", role: "alert" }), list);
  const alerts = [...state.alerts.values()].reverse();
  if (!alerts.length) list.append(el("p", { class: "muted" }, t("noAlerts")));
  drawAlerts(list, alerts, false);
}

function drawAlerts(list, alerts, prepend) {
  if (!list) return;
  for (const alert of alerts) {
    const row = el("article", { class: `alert ${alert.severity}`, "data-alert": alert.id },
      el("span", { class: `severity ${alert.severity}` }, t(alert.severity)),
      el("span", { class: "kind", "data-kind": alert.kind }, t(`kind.${alert.kind}`)),
      el("time", { datetime: alert.createdAt }, new Date(alert.createdAt).toLocaleString(language() === "ar" ? "ar-SA-u-nu-latn" : "en-GB")),
      alertAction(alert));
    if (prepend) list.prepend(row); else list.append(row);
  }
}

function alertAction(alert) {
  if (alert.acknowledgedAt) return el("span", { class: "done" }, t("acknowledged"));
  if (!state.me.mayAcknowledgeAlerts) return null;
  const input = el("input", { class: "action", placeholder: t("actionTaken"), "aria-label": t("actionTaken") });
  const form = el("form", { class: "ack" }, input, el("button", { type: "submit" }, t("acknowledge")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = $("refusal");
    try {
      const data = await gql(state.token, `mutation Ack($id: ID!, $action: String) {
        r: acknowledgeAlert(id: $id, action: $action) { __typename
          ... on AlertPayload { alert { ${ALERT_FIELDS} } } ... on UserError { field code message } } }`,
      { id: alert.id, action: input.value.trim() || null });
      if (data.r.field !== undefined) { message.textContent = refusal(data.r); return; }
      state.alerts.set(alert.id, data.r.alert);
      unread();
      form.replaceWith(el("span", { class: "done" }, t("acknowledged")));
      message.textContent = "";
    } catch (error) {
      message.textContent = refusal(error);
    }
  });
  return form;
}

// ---- Customers ---------------------------------------------------------------------------

const CUSTOMERS = `{ customers(first: 50) { edges { node {
  id name health { value band } atRisk { score severity reasons reasonsEn }
  healthHistory(days: 30) { day value }
  onboarding { progress done } connectorSummary { connected readyForFirstService blockingMissing }
  successPlan { items { id title kind dueOn doneOn } }
} } } }`;

function sparkline(points) {
  const w = 120, h = 28;
  const values = points.map((p) => p.value);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.setAttribute("width", w);
  svg.setAttribute("height", h);
  svg.setAttribute("class", "spark");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${t("trend")}: ${values.join(", ")}`);
  const step = values.length > 1 ? w / (values.length - 1) : 0;
  const y = (v) => (h - 2 - (v / 100) * (h - 4)).toFixed(1);
  if (values.length > 1) {
    const line = document.createElementNS("http://www.w3.org/2000/svg", "path");
    line.setAttribute("d", values.map((v, i) => `${i ? "L" : "M"}${(i * step).toFixed(1)},${y(v)}`).join(" "));
    svg.append(line);
  }
  if (values.length) {
    // Today's point, always drawn (a single day of history is a dot).
    const dot = document.createElementNS("http://www.w3.org/2000/svg", "circle");
    dot.setAttribute("cx", ((values.length - 1) * step || w).toFixed(1));
    dot.setAttribute("cy", y(values[values.length - 1]));
    dot.setAttribute("r", "2.5");
    svg.append(dot);
  }
  return svg;
}

async function customersView(view) {
  const data = await gql(state.token, CUSTOMERS);
  const soon = new Date(Date.now() + 7 * 864e5).toISOString().slice(0, 10);
  const cards = data.customers.edges.map(({ node: c }) => {
    const due = c.successPlan ? c.successPlan.items.filter((i) => !i.doneOn && i.dueOn <= soon) : [];
    const reasons = language() === "ar" ? c.atRisk.reasons : c.atRisk.reasonsEn;
    return el("article", { class: `customer ${c.health.band}`, "data-customer": c.id },
      el("h3", { dir: "auto" }, c.name),
      el("p", {}, `${t("health")}: `, el("b", { class: `band ${c.health.band}` }, `${t(c.health.band)} ${c.health.value}`),
        " · ", `${t("atRisk")}: ${c.atRisk.score} (${t(c.atRisk.severity)})`),
      reasons.length ? el("ul", { class: "reasons" }, reasons.map((r) => el("li", { dir: "auto" }, r))) : null,
      el("p", {}, `${t("trend")}: `, sparkline(c.healthHistory)),
      el("p", {}, `${t("onboarding")}: `, el("progress", { max: "100", value: String(c.onboarding.progress) }), ` ${c.onboarding.progress}%`),
      el("p", {}, `${t("connectors")}: ${c.connectorSummary.connected}`,
        c.connectorSummary.readyForFirstService ? ` · ${t("ready1")}` : "",
        c.connectorSummary.blockingMissing.length ? ` · ${t("blocking")}: ${c.connectorSummary.blockingMissing.join(", ")}` : ""),
      el("p", {}, `${t("planDue")}: `, due.length ? due.map((i) => `${i.title} (${i.dueOn})`).join(" · ") : t("none")));
  });
  view.replaceChildren(el("h2", {}, t("customers")), el("div", { class: "grid" }, cards));
}

// ---- Incidents ---------------------------------------------------------------------------

const INCIDENTS = `{ incidents(first: 20) { edges { node {
  id title severity status liveActionsFrozen postMortemRequired nextUpdateDueAt updateOverdue
  pdplNotifyBy pdplNotifiedAt responsePlan { position textAr done }
} } } }`;

async function incidentsView(view) {
  const data = await gql(state.token, INCIDENTS);
  const message = el("p", { id: "refusal", class: "error", role: "alert" });
  const cards = data.incidents.edges.map(({ node: i }) => el("article", { class: `incident ${i.severity}`, "data-incident": i.id },
    el("h3", { dir: "auto" }, el("span", { class: `severity ${i.severity}` }, i.severity), " ", i.title),
    el("p", {}, `${t("status")}: ${t(`incident.${i.status}`)}`, i.liveActionsFrozen ? el("b", { class: "frozen" }, ` · ${t("frozen")}`) : null,
      i.postMortemRequired ? ` · ${t("postMortem")}` : ""),
    i.nextUpdateDueAt ? el("p", { class: "cadence" }, `${t("nextUpdate")}: `, untilDate(i.nextUpdateDueAt)) : null,
    i.pdplNotifyBy ? el("p", { class: "pdpl" }, `${t("pdpl")}: `, i.pdplNotifiedAt ? t("notified") : untilDate(i.pdplNotifyBy)) : null,
    el("h4", {}, t("checklist")),
    el("ol", { class: "plan" }, i.responsePlan.map((step) => el("li", {},
      el("label", {}, el("input", {
        type: "checkbox", checked: step.done, disabled: step.done || !state.me.mayApproveDrafts,
        "data-position": step.position, onchange: () => tick(i.id, step.position, message),
      }), el("span", { lang: "ar", dir: "rtl" }, step.textAr)))))));
  view.replaceChildren(el("h2", {}, t("incidents")), message,
    cards.length ? el("div", { class: "grid" }, cards) : el("p", { class: "muted" }, t("noIncidents")));
}

async function tick(incidentId, position, message) {
  try {
    const data = await gql(state.token, `mutation Tick($input: TickResponseStepInput!) {
      r: tickResponseStep(input: $input) { __typename ... on UserError { field code message } } }`,
    { input: { incidentId, position } });
    if (data.r.field !== undefined) { message.textContent = refusal(data.r); return; }
    route();
  } catch (error) {
    message.textContent = refusal(error);
  }
}

// ---- start -------------------------------------------------------------------------------

applyLanguage();
$("lang").addEventListener("click", () => { setLanguage(language() === "ar" ? "en" : "ar"); route(); });
$("sign-out").addEventListener("click", signOut);
window.addEventListener("hashchange", route);
$("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("token");
  try {
    await signIn(input.value.trim());
    input.value = "";
  } catch (error) {
    showSignIn(error.code === "UNAUTHENTICATED" || error.code === "401" ? t("badToken") : refusal(error));
  }
});
const saved = sessionStorage.getItem("wafi.token");
if (saved) signIn(saved).catch(() => { sessionStorage.removeItem("wafi.token"); showSignIn(); });
else showSignIn();
