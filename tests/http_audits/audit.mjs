// Runs every GraphQL-over-HTTP server audit of the `graphql-http` package against a running
// server and fails on any failure or warning.
//
//     node tests/http_audits/audit.mjs http://127.0.0.1:PORT/graphql [TOKEN]
//
// NODE_PATH (or a node_modules beside the caller) must hold graphql-http. The token, when
// given, goes in every request's Authorization header: Fidelio answers no operation without
// one. Prints one line per audit; exits 1 when any audit failed (MUST) or warned (SHOULD).
// Notices (MAY) are printed and allowed: queries over GET are off on purpose.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.NODE_PATH || process.cwd(), "noop.js"));
const { serverAudits } = require("graphql-http");

const [url, token] = process.argv.slice(2);
if (!url) {
  console.error("usage: node audit.mjs URL [TOKEN]");
  process.exit(2);
}

const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers || {});
  if (token) headers.set("authorization", `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

let failed = 0;
for (const audit of serverAudits({ url, fetchFn })) {
  const result = await audit.fn();
  const passed = result.status === "ok";
  if (result.status === "error" || result.status === "warn") failed += 1;
  const reason = passed ? "" : ` -- ${result.reason}`;
  console.log(`${result.status.toUpperCase().padEnd(5)} ${audit.id} ${audit.name}${reason}`);
}
console.log(`${failed} audits failed or warned`);
process.exit(failed ? 1 : 0);
