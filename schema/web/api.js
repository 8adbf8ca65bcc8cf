// The public GraphQL API over HTTP POST /graphql, and a graphql-transport-ws client for alerts.
import { language } from "./i18n.js";

export class ApiError extends Error {
  constructor(message, field, code) {
    super(message);
    this.field = field;
    this.code = code;
  }
}

export async function gql(token, query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "accept-language": language(),
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json().catch(() => ({}));
  if (body.errors && body.errors.length) {
    const [error] = body.errors;
    const ext = error.extensions || {};
    throw new ApiError(error.message, ext.field || null, ext.code || String(response.status));
  }
  if (!response.ok) throw new ApiError(String(response.status), null, String(response.status));
  return body.data;
}

// graphql-transport-ws: connection_init {authorization}, one `alerts` subscription resumed with
// `after:` the last id seen; repeats are dropped by id; reconnects with backoff.
export class LiveAlerts {
  constructor(token, selection, { onAlert, onState }) {
    this.token = token;
    this.selection = selection;
    this.onAlert = onAlert;
    this.onState = onState;
    this.lastId = null;
    this.seen = new Set();
    this.ws = null;
    this.stopped = true;
    this.delay = 250;
    this.opId = 0;
  }

  start(lastId) {
    if (lastId && !this.lastId) this.lastId = lastId;
    this.stopped = false;
    this.connect();
  }

  // Close and stay closed until `start()` again (sign-out, tests of resuming).
  stop() {
    this.stopped = true;
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  // Drop the socket as a network would: it reconnects by itself.
  drop() {
    if (this.ws) this.ws.close(4000);
  }

  connect() {
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
    const ws = new WebSocket(url, "graphql-transport-ws");
    this.ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${this.token}` } }));
    };
    ws.onmessage = (event) => this.receive(ws, JSON.parse(event.data));
    ws.onclose = () => {
      if (this.ws === ws) this.ws = null;
      this.onState(false);
      if (!this.stopped) {
        setTimeout(() => { if (!this.stopped && !this.ws) this.connect(); }, this.delay);
        this.delay = Math.min(this.delay * 2, 5000);
      }
    };
  }

  receive(ws, message) {
    switch (message.type) {
      case "connection_ack": {
        this.delay = 250;
        this.onState(true);
        this.opId += 1;
        ws.send(JSON.stringify({
          id: String(this.opId),
          type: "subscribe",
          payload: {
            query: `subscription Live($after: ID) { alerts(after: $after) { ${this.selection} } }`,
            variables: { after: this.lastId },
          },
        }));
        break;
      }
      case "ping":
        ws.send(JSON.stringify({ type: "pong" }));
        break;
      case "next": {
        const alert = message.payload && message.payload.data && message.payload.data.alerts;
        if (alert) this.accept(alert);
        break;
      }
      case "error":
      case "complete":
        // The server ended the subscription (e.g. too slow): resume from the last id.
        if (!this.stopped) ws.close(4001);
        break;
      default:
        break;
    }
  }

  accept(alert) {
    this.lastId = alert.id;
    if (this.seen.has(alert.id)) return;
    this.seen.add(alert.id);
    this.onAlert(alert);
  }
}
