// The dashboard's drops: each recent or coming drop's sell-through (units claimed of the total).
import { format, h } from "./ui.js";

/** The fields the dashboard's query reads for this card. */
export const DROPS_FIELDS = "drops { code title mode status totalQuantity remainingQuantity opensAt closesAt }";

function sold(drop) {
  return drop.totalQuantity - drop.remainingQuantity;
}

/** The sell-through card of `drops` (those open, coming, or closed in the last 30 days). */
export function dropsCard(drops) {
  const rows = drops.map((d) => {
    const share = d.totalQuantity ? sold(d) / d.totalQuantity : 0;
    return h(
      "tr",
      { dataset: { drop: d.code } },
      h("td", {}, d.title, h("div.muted.small", {}, `${d.mode === "RAFFLE" ? "Raffle" : "First come"} · ${format.date(d.opensAt)} – ${format.date(d.closesAt)}`)),
      h("td", {}, h("span.pill", {}, d.status.replace("_", " ").toLowerCase())),
      h("td.num", {}, `${format.number(sold(d))} / ${format.number(d.totalQuantity)}`),
      h("td.num.sell-through", {}, h("progress", { max: "1", value: String(share), "aria-label": `${d.title}: ${format.percent(share)} sold` }), ` ${format.percent(share)}`),
    );
  });
  return h(
    "section.card",
    { "aria-label": "Drops' sell-through" },
    h("h2", {}, "Drops' sell-through"),
    rows.length
      ? h(
          "table",
          {},
          h("caption.sr-only", {}, "Drops and the share of their units claimed"),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Drop"), h("th", { scope: "col" }, "Status"), h("th.num", { scope: "col" }, "Claimed"), h("th.num", { scope: "col" }, "Sell-through"))),
          h("tbody", {}, rows),
        )
      : h("p.muted", {}, "No drop open, coming, or closed in the last 30 days."),
  );
}

/** The CSV lines of the drops card (after a blank line). */
export function dropsCsv(drops, quote) {
  const lines = ["", ["drop", "status", "claimed", "total", "sell-through"].join(",")];
  for (const d of drops) {
    const share = d.totalQuantity ? (sold(d) / d.totalQuantity).toFixed(4) : "";
    lines.push([quote(d.title), d.status, sold(d), d.totalQuantity, share].join(","));
  }
  return lines;
}
