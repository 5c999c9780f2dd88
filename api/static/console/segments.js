// Segments: the list with sizes, and an editor that counts the members of the rule as it is
// typed (segmentSize, debounced; the stale answers are dropped).
import { currentSession, gql } from "./api.js";
import { debounce, showErrorsByPath, simpleTable } from "./forms.js";
import { field, format, h, loading, toast } from "./ui.js";

const RULE = `minTierLevel countries cities minAge maxAge minLifetimeSpend minPurchases
  purchasedWithinDays notPurchasedWithinDays hasBadgeCode channels likelyToRedeem { rewardCode top minScore }`;
const LIST = `query SegmentList { segments { code name memberCount countedAt rule { ${RULE} } } }`;
const SIZE = `query SegmentSize($input: SegmentSizeInput!) {
  segmentSize(input: $input) { members capped cap userErrors { code field message } }
}`;
const UPSERT = `mutation UpsertSegment($input: SegmentInput!) {
  upsertSegment(input: $input) { segment { code memberCount } userErrors { code field message } }
}`;

const NUMBERS = [
  ["minTierLevel", "Tier level at least", "0 is the base tier."],
  ["minAge", "Age at least", null],
  ["maxAge", "Age at most", null],
  ["minPurchases", "Purchases kept, at least", null],
  ["purchasedWithinDays", "Bought in the last … days", null],
  ["notPurchasedWithinDays", "Not bought in the last … days", "Lapsed members; those who never bought match."],
];

function describe(rule) {
  const parts = [];
  if (rule.minTierLevel !== null) parts.push(`tier level ≥ ${rule.minTierLevel}`);
  if (rule.countries?.length) parts.push(`in ${rule.countries.join(", ")}`);
  if (rule.cities?.length) parts.push(`cities ${rule.cities.join(", ")}`);
  if (rule.minAge !== null) parts.push(`age ≥ ${rule.minAge}`);
  if (rule.maxAge !== null) parts.push(`age ≤ ${rule.maxAge}`);
  if (rule.minLifetimeSpend !== null) parts.push(`spent ≥ ${rule.minLifetimeSpend}`);
  if (rule.minPurchases !== null) parts.push(`≥ ${rule.minPurchases} purchases`);
  if (rule.purchasedWithinDays !== null) parts.push(`bought in ${rule.purchasedWithinDays} days`);
  if (rule.notPurchasedWithinDays !== null) parts.push(`no purchase in ${rule.notPurchasedWithinDays} days`);
  if (rule.hasBadgeCode) parts.push(`holds ${rule.hasBadgeCode}`);
  if (rule.channels?.length) parts.push(`buys via ${rule.channels.join("/")}`);
  if (rule.likelyToRedeem) parts.push(`likely to redeem ${rule.likelyToRedeem.rewardCode}`);
  return parts.length ? parts.join(" · ") : "every member";
}

export async function renderSegments(main, code) {
  loading(main);
  const segments = (await gql(LIST)).segments;
  const admin = currentSession().role === "admin";
  const editing = code === "new" ? null : segments.find((s) => s.code === code) || null;
  const list = h(
    "section.card",
    { "aria-label": "Segments" },
    h("h2", {}, "Segments"),
    simpleTable(
      "Segments",
      ["Segment", "Rule", "#Members"],
      segments.map((s) => h("tr", { dataset: { segment: s.code } }, h("td", {}, h("a", { href: `#/segments/${encodeURIComponent(s.code)}` }, s.name), h("div.muted.small.mono", {}, s.code)), h("td.small", {}, describe(s.rule)), h("td.num", {}, format.number(s.memberCount)))),
      "No segment yet.",
    ),
    admin ? h("div.actions.below", {}, h("a.button.primary", { href: "#/segments/new" }, "New segment")) : null,
  );
  main.replaceChildren(
    h("div.page-head", {}, h("h1", {}, "Segments"), h("p.muted", {}, "Groups of members by who they are and what they did; campaigns, promotions and the dashboard use them.")),
    h("div.grid.member", {}, list, code ? editor(editing, admin) : h("div")),
  );
}

function editor(segment, admin) {
  const rule = segment?.rule || {};
  const fields = {};
  const input = (key, attrs) => (fields[key] = h("input", attrs));
  const codeInput = input("code", { type: "text", name: "code", value: segment?.code || "", readonly: Boolean(segment), autocomplete: "off" });
  const name = input("name", { type: "text", name: "name", value: segment?.name || "" });
  const numbers = NUMBERS.map(([key, label, hint]) => field(label, (fields[`rule.${key}`] = h("input", { type: "number", name: key, min: "0", step: "1", value: rule[key] ?? "" })), hint));
  const countries = (fields["rule.countries"] = h("input", { type: "text", name: "countries", placeholder: "ES, FR", value: (rule.countries || []).join(", ") }));
  const cities = (fields["rule.cities"] = h("input", { type: "text", name: "cities", placeholder: "Madrid, Lyon", value: (rule.cities || []).join(", ") }));
  const spend = (fields["rule.minLifetimeSpend"] = h("input", { type: "text", inputmode: "decimal", name: "spend", placeholder: "250.00", value: rule.minLifetimeSpend ?? "" }));
  const badge = (fields["rule.hasBadgeCode"] = h("input", { type: "text", name: "badge", placeholder: "badge code", value: rule.hasBadgeCode || "" }));
  const channelBoxes = ["APP", "WEB", "STORE"].map((c) => h("input", { type: "checkbox", name: "channel", value: c, checked: (rule.channels || []).includes(c) }));
  const channels = h("fieldset.channels", {}, h("legend", {}, "Bought through"), channelBoxes.map((box) => h("label.check", {}, box, ` ${box.value.toLowerCase()}`)));
  const size = h("p.size", { "aria-live": "polite", dataset: { size: "" } }, "…");
  const submit = h("button.primary", { type: "submit", hidden: !admin }, segment ? "Save segment" : "Create segment");
  const form = h(
    "form.card.segment-editor",
    { novalidate: true, "aria-label": "Segment" },
    h("div.size-box", {}, h("span.muted.small", {}, "Members matching now"), size),
    h("p.form-error", { role: "alert" }),
    h("div.row", {}, field("Code", codeInput), field("Name", name)),
    h("div.row", {}, field("Countries", countries, "ISO codes, comma separated."), field("Cities", cities)),
    h("div.row.wrap", {}, numbers),
    h("div.row", {}, field("Lifetime spend at least", spend), field("Holds badge", badge)),
    channels,
    h("div.actions", {}, submit, h("a", { href: "#/segments" }, "Close")),
  );
  const list = (text) => text.split(",").map((v) => v.trim()).filter(Boolean);
  function draftRule() {
    const out = {};
    for (const [key] of NUMBERS) {
      const value = fields[`rule.${key}`].value.trim();
      if (value !== "") out[key] = Number(value);
    }
    if (countries.value.trim()) out.countries = list(countries.value);
    if (cities.value.trim()) out.cities = list(cities.value);
    if (spend.value.trim()) out.minLifetimeSpend = spend.value.trim();
    if (badge.value.trim()) out.hasBadgeCode = badge.value.trim();
    const picked = channelBoxes.filter((b) => b.checked).map((b) => b.value);
    if (picked.length) out.channels = picked;
    if (rule.likelyToRedeem) out.likelyToRedeem = rule.likelyToRedeem;
    return out;
  }
  let asked = 0;
  const recount = debounce(async () => {
    const mine = ++asked;
    size.textContent = "counting…";
    let payload;
    try {
      payload = (await gql(SIZE, { input: { rule: draftRule() } })).segmentSize;
    } catch (error) {
      if (mine === asked) size.textContent = "—";
      showErrorsByPath(form, [{ field: null, message: error.message }], fields, { focus: false });
      return;
    }
    if (mine !== asked) return; // a newer draft was sent meanwhile
    showErrorsByPath(form, payload.userErrors, fields, { focus: false });
    size.textContent = payload.members === null ? "—" : `${format.number(payload.members)}${payload.capped ? "+" : ""}`;
    size.dataset.size = payload.members === null ? "" : String(payload.members);
  }, 300);
  form.addEventListener("input", (event) => {
    if (event.target !== codeInput && event.target !== name) recount();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const payload = (await gql(UPSERT, { input: { code: codeInput.value, name: name.value, rule: draftRule() } })).upsertSegment;
      if (showErrorsByPath(form, payload.userErrors, fields)) return;
      toast(`Segment saved: ${format.number(payload.segment.memberCount)} members.`);
      location.hash = `#/segments/${encodeURIComponent(payload.segment.code)}`;
    } catch (error) {
      showErrorsByPath(form, [{ field: null, message: error.message }], fields);
    } finally {
      submit.disabled = false;
    }
  });
  recount();
  return form;
}
