// Wafi's GraphiQL: a welcome query, and the Authorization header to fill in (README: Cockpit).
(function () {
  var WELCOME = [
    "# مرحباً بك في وافي · Welcome to Wafi",
    "#",
    "# 1. `wafi demo` prints an owner token.",
    "# 2. Headers (below): {\"Authorization\": \"Bearer <token>\"}",
    "# 3. Run (Ctrl-Enter). The cockpit is at / .",
    "",
    "query Welcome {",
    "  me { role mayApproveDrafts }",
    "  tickets(first: 5, filter: {status: OPEN}) {",
    "    edges { node { subject priority sla { firstResponse { state remainingSeconds } } } }",
    "  }",
    "  alerts(first: 5) { edges { node { id kind severity createdAt } } }",
    "}",
    "",
  ].join("\n");
  var HEADERS = '{\n  "Authorization": "Bearer <token>"\n}';
  var url = location.origin + "/graphql";
  var fetcher = GraphiQL.createFetcher({
    url: url,
    subscriptionUrl: url.replace(/^http/, "ws"),
  });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: WELCOME,
      defaultHeaders: HEADERS,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    })
  );
})();
