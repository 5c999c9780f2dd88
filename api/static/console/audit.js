// The audit log: every admin change (who, what, when, before and after), filtered by who,
// what and when, newest first. The kinds and actions offered come from the API (auditKinds).
import { gql } from "./api.js";
import { csvField, download, showErrorsByPath } from "./forms.js";
import { field, format, h } from "./ui.js";

const AUDIT = `query AuditLog($filter: AuditLogFilter, $after: String) {
  auditLog(filter: $filter, first: 50, after: $after) {
    edges { node { id at actor action targetKind targetId before after requestId } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** The kinds of change the log records, each with its actions: from the code's own list. */
const KINDS = `query AuditKinds { auditKinds { kind actions } }`;

/** Nested before/after objects as dotted field names: {"a": {"b": 1}} -> {"a.b": 1}. */
function flatten(value, prefix = "", out = {}) {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, out);
    if (!Object.keys(value).length && prefix) out[prefix] = {};
  } else if (prefix) {
    out[prefix] = value;
  }
  return out;
}

function shown(value) {
  if (value === undefined) return h("span.muted", {}, "—");
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

function changes(entry) {
  if (entry.before === null && entry.after !== null) {
    const after = flatten(entry.after);
    return h("div.change", {}, h("span.pill.created", {}, "created"), h("dl.fields", {}, Object.entries(after).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, shown(v))])));
  }
  if (entry.after === null) return h("span.pill.removed", {}, "removed");
  const before = flatten(entry.before || {});
  const after = flatten(entry.after || {});
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  if (!keys.length) return h("span.muted", {}, "nothing changed");
  return h(
    "table.diff",
    {},
    h("caption.sr-only", {}, "Fields changed"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Field"), h("th", { scope: "col" }, "Before"), h("th", { scope: "col" }, "After"))),
    h("tbody", {}, keys.map((k) => h("tr", {}, h("td.mono", {}, k), h("td.before", {}, shown(before[k])), h("td.after", {}, shown(after[k]))))),
  );
}

export async function renderAudit(main) {
  const kinds = (await gql(KINDS)).auditKinds;
  const actor = h("input", { type: "text", name: "actor", placeholder: "ana@shop.example", autocomplete: "off" });
  const actions = h("datalist", { id: "audit-actions" });
  const action = h("input", { type: "text", name: "action", placeholder: "campaign.send", autocomplete: "off", list: "audit-actions" });
  const kind = h("select", { name: "kind" }, h("option", { value: "" }, "Anything"), kinds.map((k) => h("option", { value: k.kind }, k.kind)));
  // The actions offered are those of the kind chosen (every action when none is).
  const offerActions = () =>
    actions.replaceChildren(...kinds.filter((k) => !kind.value || k.kind === kind.value).flatMap((k) => k.actions.map((a) => h("option", { value: a }))));
  kind.addEventListener("change", offerActions);
  offerActions();
  const target = h("input", { type: "text", name: "target", placeholder: "code or customer id", autocomplete: "off" });
  const from = h("input", { type: "date", name: "from" });
  const to = h("input", { type: "date", name: "to" });
  const exportCsv = h("button.ghost", { type: "button", disabled: true }, "Download CSV");
  const filters = h(
    "form.filters",
    { "aria-label": "Filter the audit log", novalidate: true },
    field("Who", actor),
    field("Action", action),
    actions,
    field("Kind", kind),
    field("Target", target),
    field("From", from),
    field("To (included)", to),
    h("div.actions", {}, h("button.primary", { type: "submit" }, "Filter"), exportCsv),
    h("p.form-error", { role: "alert" }),
  );
  const body = h("tbody");
  const more = h("button.ghost", { type: "button", hidden: true }, "Show older changes");
  main.replaceChildren(
    h("div.page-head", {}, h("h1", {}, "Audit log"), h("p.muted", {}, "Every change made to the program: who, what, when, before and after.")),
    filters,
    h(
      "table.card.audit",
      {},
      h("caption.sr-only", {}, "Changes, newest first"),
      h("thead", {}, h("tr", {}, ["When", "Who", "What", "Target", "Change"].map((c) => h("th", { scope: "col" }, c)))),
      body,
    ),
    h("div.actions.below", {}, more),
  );
  let after = null;
  let filter = null;
  let rows = [];
  async function page() {
    let result;
    try {
      result = (await gql(AUDIT, { filter, after })).auditLog;
    } catch (error) {
      showErrorsByPath(filters, [{ field: null, message: error.message }], {});
      return;
    }
    for (const { node } of result.edges) {
      rows.push(node);
      body.append(
        h(
          "tr",
          { dataset: { entry: node.id, action: node.action } },
          h("td", {}, format.time(node.at)),
          h("td.actor", {}, node.actor),
          h("td", {}, h("span.mono", {}, node.action)),
          h("td", {}, h("span.muted", {}, `${node.targetKind} `), node.targetId),
          h("td", {}, changes(node)),
        ),
      );
    }
    if (!rows.length) body.replaceChildren(h("tr", {}, h("td.muted", { colspan: "5" }, "No change matches.")));
    after = result.pageInfo.endCursor;
    more.hidden = !result.pageInfo.hasNextPage;
    exportCsv.disabled = !rows.length;
  }
  async function load() {
    showErrorsByPath(filters, [], {});
    const day = (value, plus = 0) => (value ? new Date(new Date(`${value}T00:00:00`).getTime() + plus * 86400000).toISOString() : null);
    filter = {
      actor: actor.value.trim() || null,
      action: action.value.trim() || null,
      targetKind: kind.value || null,
      targetId: target.value.trim() || null,
      from: day(from.value),
      to: day(to.value, 1),
    };
    after = null;
    rows = [];
    body.replaceChildren();
    await page();
  }
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  more.addEventListener("click", page);
  exportCsv.addEventListener("click", () => {
    const lines = [["at", "actor", "action", "target kind", "target", "before", "after", "request id"].join(",")];
    for (const r of rows) lines.push([r.at, r.actor, r.action, r.targetKind, r.targetId, r.before, r.after, r.requestId].map(csvField).join(","));
    download("fidelio-audit-log.csv", `${lines.join("\n")}\n`, "text/csv");
  });
  await load();
}
