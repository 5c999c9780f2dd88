// The dashboard: the key figures of a period and segment, each with its series over time,
// the members per tier and the most redeemed rewards; a CSV of what is shown.
import { ApiError, gql } from "./api.js";
import { DROPS_FIELDS, dropsCard, dropsCsv } from "./dashboard-drops.js";
import { csvField, download } from "./forms.js";
import { field, format, h, loading } from "./ui.js";

export const FIGURES = [
  ["activeMembers", "Active members", format.number],
  ["members", "Members", format.number],
  ["newMembers", "New members", format.number],
  ["retentionRate", "Retention", format.percent],
  ["repeatPurchaseRate", "Repeat purchase rate", format.percent],
  ["purchaseFrequency", "Purchase frequency", format.decimal],
  ["averageOrderValue", "Average order value", format.money],
  ["averageSpendPerActiveMember", "Spend per active member", format.money],
  ["revenue", "Revenue", format.money],
  ["pointsIssued", "Points issued", format.number],
  ["pointsRedeemed", "Points redeemed", format.number],
  ["pointsExpired", "Points expired", format.number],
  ["outstandingPoints", "Outstanding points (liability)", format.number],
  ["redemptionRate", "Redemption rate", format.percent],
  ["netPromoterScore", "Net Promoter Score", format.score],
];

const FIELDS = `from to ${FIGURES.map(([key]) => key).join(" ")}`;
const DASHBOARD = `query Dashboard($from: DateTime!, $to: DateTime!, $bucket: KpiBucket!, $segmentCode: String) {
  programKpis(from: $from, to: $to, segmentCode: $segmentCode) { ${FIELDS} }
  programKpiSeries(from: $from, to: $to, bucket: $bucket, segmentCode: $segmentCode) { ${FIELDS} }
  tierDistribution { level name members }
  mostRedeemedRewards(from: $from, to: $to, first: 5) { code name redemptions pointsSpent }
  ${DROPS_FIELDS}
}`;
const SEGMENTS = `query Segments { segments { code name memberCount } }`;

const PRESETS = {
  "12w": { label: "Last 12 weeks", bucket: "WEEK", weeks: 12 },
  "6m": { label: "Last 6 months", bucket: "MONTH", months: 6 },
  "12m": { label: "Last 12 months", bucket: "MONTH", months: 12 },
  custom: { label: "Custom range…" },
};

const ACCENT = "#4f46e5";
let charts = [];

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

/** [from, to) of a preset, in whole UTC days (weeks) or months. */
function presetRange(preset) {
  const now = new Date();
  if (preset.weeks) {
    const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
    return { from: new Date(to - preset.weeks * 7 * 86400000), to };
  }
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { from: new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - preset.months, 1)), to };
}

function bucketLabel(entry, bucket) {
  const start = new Date(entry.from);
  return bucket === "MONTH"
    ? start.toLocaleDateString("en", { month: "short", year: "2-digit", timeZone: "UTC" })
    : start.toLocaleDateString("en", { day: "numeric", month: "short", timeZone: "UTC" });
}

function toCsv(result, state) {
  const keys = FIGURES.map(([key]) => key);
  const rows = [["from", "to", ...keys].join(",")];
  for (const entry of [...result.programKpiSeries, result.programKpis]) {
    rows.push([entry.from, entry.to, ...keys.map((k) => entry[k])].map(csvField).join(","));
  }
  rows.push("");
  rows.push(["tier", "members"].join(","));
  for (const t of result.tierDistribution) rows.push([csvField(t.name ?? `Level ${t.level}`), t.members].join(","));
  rows.push("");
  rows.push(["reward", "redemptions", "points spent"].join(","));
  for (const r of result.mostRedeemedRewards) rows.push([csvField(r.name), r.redemptions, r.pointsSpent].join(","));
  rows.push(...dropsCsv(result.drops, csvField));
  download(`fidelio-kpis-${state.segment || "all"}-${isoDay(state.from)}-${isoDay(state.to)}.csv`, `${rows.join("\n")}\n`, "text/csv");
}

function lineChart(canvas, labels, values, key) {
  const rate = key.endsWith("Rate");
  return new window.Chart(canvas, {
    type: "line",
    data: {
      labels,
      datasets: [
        {
          label: key,
          data: values.map((v) => (v === null ? null : Number(v))),
          borderColor: ACCENT,
          backgroundColor: "rgba(79, 70, 229, 0.10)",
          fill: true,
          tension: 0.3,
          pointRadius: 2,
          borderWidth: 2,
          spanGaps: true,
        },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false }, tooltip: { intersect: false } },
      scales: {
        x: { grid: { display: false }, ticks: { maxTicksLimit: 6, font: { size: 10 } } },
        y: {
          beginAtZero: true,
          ticks: {
            maxTicksLimit: 4,
            font: { size: 10 },
            callback: rate ? (v) => `${Math.round(v * 100)}%` : undefined,
          },
        },
      },
    },
  });
}

function barChart(canvas, labels, values) {
  return new window.Chart(canvas, {
    type: "bar",
    data: { labels, datasets: [{ label: "Members", data: values, backgroundColor: ACCENT, borderRadius: 6 }] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { grid: { display: false } } },
    },
  });
}

export async function renderDashboard(main) {
  const state = { preset: "12w", bucket: "WEEK", segment: "", ...presetRange(PRESETS["12w"]) };
  const preset = h("select", { name: "period" }, Object.entries(PRESETS).map(([k, p]) => h("option", { value: k }, p.label)));
  const from = h("input", { type: "date", name: "from", value: isoDay(state.from) });
  const to = h("input", { type: "date", name: "to", value: isoDay(new Date(state.to - 86400000)) });
  const bucket = h("select", { name: "bucket" }, h("option", { value: "WEEK" }, "Weeks"), h("option", { value: "MONTH" }, "Months"));
  const segment = h("select", { name: "segment" }, h("option", { value: "" }, "Every member"));
  const customFields = h("div.custom", { hidden: true }, field("From", from), field("To (included)", to), field("Bucket", bucket));
  const downloadButton = h("button.ghost", { type: "button", disabled: true }, "Download CSV");
  const filters = h(
    "form.filters",
    { "aria-label": "Period and segment" },
    field("Period", preset),
    customFields,
    field("Segment", segment),
    h("div.actions", {}, h("button.primary", { type: "submit" }, "Show"), downloadButton),
  );
  const body = h("div.dashboard-body");
  main.replaceChildren(
    h("div.page-head", {}, h("h1", {}, "Dashboard"), h("p.muted", {}, "The program's key figures, bucket by bucket.")),
    filters,
    body,
  );

  gql(SEGMENTS)
    .then((d) => {
      for (const s of d.segments) segment.append(h("option", { value: s.code }, `${s.name} (${format.number(s.memberCount)})`));
    })
    .catch(() => {});

  preset.addEventListener("change", () => {
    customFields.hidden = preset.value !== "custom";
  });

  let result = null;
  downloadButton.addEventListener("click", () => result && toCsv(result, state));

  async function load() {
    const toError = document.getElementById(`${to.id}-error`);
    toError.textContent = "";
    to.removeAttribute("aria-invalid");
    if (preset.value === "custom") {
      state.from = new Date(`${from.value}T00:00:00Z`);
      state.to = new Date(new Date(`${to.value}T00:00:00Z`).getTime() + 86400000);
      state.bucket = bucket.value;
    } else {
      Object.assign(state, presetRange(PRESETS[preset.value]));
      state.bucket = PRESETS[preset.value].bucket;
    }
    state.segment = segment.value;
    for (const chart of charts) chart.destroy();
    charts = [];
    loading(body);
    downloadButton.disabled = true;
    try {
      if (Number.isNaN(state.from.getTime()) || Number.isNaN(state.to.getTime())) {
        throw new ApiError("Choose both dates.", "INVALID_INPUT");
      }
      result = await gql(DASHBOARD, {
        from: state.from.toISOString(),
        to: state.to.toISOString(),
        bucket: state.bucket,
        segmentCode: state.segment || null,
      });
    } catch (error) {
      body.replaceChildren();
      if (error.code === "INVALID_INPUT" || error.code === "BAD_USER_INPUT") {
        toError.textContent = error.message;
        to.setAttribute("aria-invalid", "true");
        if (preset.value !== "custom") body.append(h("p.form-error", { role: "alert" }, error.message));
      } else {
        body.append(h("p.form-error", { role: "alert" }, error.message));
      }
      return;
    }
    downloadButton.disabled = false;
    draw(body, result, state);
  }
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  await load();
}

function draw(body, result, state) {
  const labels = result.programKpiSeries.map((e) => bucketLabel(e, state.bucket));
  const pending = [];
  const cards = FIGURES.map(([key, label, show]) => {
    const canvas = h("canvas", { role: "img", "aria-label": `${label} by ${state.bucket === "WEEK" ? "week" : "month"}`, dataset: { figure: key } });
    const card = h(
      "section.card.figure",
      { dataset: { figure: key }, "aria-label": label },
      h("h2", {}, label),
      h("p.value", { dataset: { value: key } }, show(result.programKpis[key])),
      h("div.spark", {}, canvas),
    );
    pending.push(() => lineChart(canvas, labels, result.programKpiSeries.map((e) => e[key]), key));
    return card;
  });
  const tiers = h("canvas", { role: "img", "aria-label": "Members per tier", dataset: { figure: "tiers" } });
  const rewards = result.mostRedeemedRewards.length
    ? h(
        "table",
        {},
        h("caption.sr-only", {}, "Most redeemed rewards"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Reward"), h("th.num", { scope: "col" }, "Redemptions"), h("th.num", { scope: "col" }, "Points"))),
        h("tbody", {}, result.mostRedeemedRewards.map((r) => h("tr", {}, h("td", {}, r.name), h("td.num", {}, format.number(r.redemptions)), h("td.num", {}, format.number(r.pointsSpent))))),
      )
    : h("p.muted", {}, "No reward was redeemed in this period.");
  body.replaceChildren(
    h("div.grid.figures", {}, cards),
    h(
      "div.grid.two",
      {},
      h("section.card", { "aria-label": "Members per tier" }, h("h2", {}, "Members per tier (now)"), h("div.chart", {}, tiers)),
      h("section.card", { "aria-label": "Most redeemed rewards" }, h("h2", {}, "Most redeemed rewards"), rewards),
    ),
    dropsCard(result.drops),
  );
  for (const make of pending) charts.push(make());
  charts.push(barChart(tiers, result.tierDistribution.map((t) => t.name ?? `Level ${t.level}`), result.tierDistribution.map((t) => t.members)));
}
