"""GraphiQL without internet (development only): strawberry's page, with its scripts and styles
served by the app from `api/static/graphiql/` instead of a CDN.

The page is strawberry's own GraphiQL page (React, GraphiQL and the explorer plugin, the same
versions and integrity hashes) with local addresses, Fidelio's welcome text, and without the
cookie-based CSRF header (Starlette sets no CSRF cookie).
"""

from __future__ import annotations

import json
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

ASSETS_DIR = Path(__file__).parent / "static" / "graphiql"
ASSETS_PATH = "/graphiql-assets"

#: (file, sha384) of each script and stylesheet, in the order the page loads them.
STYLESHEETS = (
    ("graphiql.min.css", "Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM"),
    ("plugin-explorer.css", "5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi"),
)
SCRIPTS = (
    ("react.production.min.js", "tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8"),
    (
        "react-dom.production.min.js",
        "bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
    ),
    ("graphiql.min.js", "HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie"),
    ("plugin-explorer.umd.js", "2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9"),
)

_WELCOME = """# Welcome to Fidelio's GraphiQL.
#
# Every operation needs a token. Mint one for a demo member:
#
#     .venv/bin/fidelio token --role member --sub alice
#
# and put it in the Headers pane below:
#
#     {"Authorization": "Bearer <token>"}
#
# Run with Ctrl-Enter; autocomplete with Ctrl-Space.

query Home {
  me {
    displayName
    tier { name }
    points { balance pending }
  }
  leaderboards { code name windows }
}
"""

_PAGE = """<!doctype html>
<html>
  <head>
    <title>Fidelio GraphiQL</title>
    <style>
      body { height: 100%; margin: 0; width: 100%; overflow: hidden; }
      #graphiql { height: 100vh; display: flex; }
      .graphiql-explorer-actions select { margin-left: 4px; }
    </style>
{stylesheets}
{scripts}
  </head>
  <body>
    <div id="graphiql" class="graphiql-container">Loading...</div>
    <script>
      const WELCOME = {welcome};
      const parameters = {};
      for (const entry of window.location.search.slice(1).split("&")) {
        const eq = entry.indexOf("=");
        if (eq >= 0) {
          parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(entry.slice(eq + 1));
        }
      }
      function updateURL(data) {
        Object.assign(parameters, data);
        const search = "?" + Object.keys(parameters)
          .filter((key) => Boolean(parameters[key]))
          .map((key) => encodeURIComponent(key) + "=" + encodeURIComponent(parameters[key]))
          .join("&");
        history.replaceState(null, null, search);
      }
      const fetchURL = window.location.href.split("?")[0];
      const subscriptionURL = new URL(fetchURL);
      subscriptionURL.protocol = subscriptionURL.protocol === "http:" ? "ws:" : "wss:";
      subscriptionURL.hash = "";
      const fetcher = GraphiQL.createFetcher({
        url: fetchURL,
        subscriptionUrl: subscriptionURL.toString(),
      });
      function FidelioGraphiQL() {
        const [query, setQuery] = React.useState(parameters.q || WELCOME);
        const [variables, setVariables] = React.useState(parameters.variables);
        const [headers, setHeaders] = React.useState(parameters.headers);
        return React.createElement(GraphiQL, {
          fetcher: fetcher,
          defaultEditorToolsVisibility: true,
          plugins: [GraphiQLPluginExplorer.explorerPlugin()],
          query: query,
          variables: variables,
          headers: headers,
          onEditQuery: (value) => { setQuery(value); updateURL({ q: value }); },
          onEditVariables: (value) => { setVariables(value); updateURL({ variables: value }); },
          onEditHeaders: setHeaders,
          inputValueDeprecation: true,
          isHeadersEditorEnabled: true,
          shouldPersistHeaders: true,
        });
      }
      ReactDOM.createRoot(document.getElementById("graphiql"))
        .render(React.createElement(FidelioGraphiQL));
    </script>
  </body>
</html>
"""


def graphiql_page() -> str:
    """The GraphiQL page, every script and stylesheet an address of this app."""
    stylesheets = "\n".join(
        f'    <link rel="stylesheet" href="{ASSETS_PATH}/{name}" integrity="sha384-{digest}" />'
        for name, digest in STYLESHEETS
    )
    scripts = "\n".join(
        f'    <script src="{ASSETS_PATH}/{name}" integrity="sha384-{digest}"></script>'
        for name, digest in SCRIPTS
    )
    return (
        _PAGE.replace("{stylesheets}", stylesheets)
        .replace("{scripts}", scripts)
        .replace("{welcome}", json.dumps(_WELCOME))
    )


def graphiql_assets() -> Mount:
    """The route serving the page's scripts and stylesheets."""
    return Mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="graphiql-assets")
