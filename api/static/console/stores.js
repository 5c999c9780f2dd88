// Stores and their geofences, and the promotions members get when they come by.
import { currentSession, gql } from "./api.js";
import { isoToLocal, localToIso, showErrorsByPath, simpleTable } from "./forms.js";
import { field, format, h, loading, toast } from "./ui.js";

const STORES = `query ConsoleStores { stores { code name address latitude longitude geofenceRadiusMeters } }`;
const PROMOTIONS = `query ConsolePromotions {
  promotions { code title message startsAt endsAt bonusPoints rewardCode storeCodes segmentCode cooldownHours transitions }
  stores { code name }
  segments { code name }
}`;
const UPSERT_STORE = `mutation UpsertStore($input: StoreInput!) {
  upsertStore(input: $input) { store { code } userErrors { code field message } }
}`;
const UPSERT_PROMOTION = `mutation UpsertPromotion($input: PromotionInput!) {
  upsertPromotion(input: $input) { promotion { code } userErrors { code field message } }
}`;

function head(title, text, tabs) {
  return h(
    "div.page-head",
    {},
    h("h1", {}, title),
    h("p.muted", {}, text),
    h("nav.tabs", { "aria-label": "Stores and promotions" }, tabs.map(([href, label, current]) => h("a", { href, "aria-current": current ? "page" : null }, label))),
  );
}

function number(value) {
  return value.trim() === "" ? NaN : Number(value);
}

export async function renderStores(main, code) {
  loading(main);
  const stores = (await gql(STORES)).stores;
  const admin = currentSession().role === "admin";
  const editing = code && code !== "new" ? stores.find((s) => s.code === code) : null;
  const list = h(
    "section.card",
    { "aria-label": "Stores" },
    simpleTable(
      "Stores",
      ["Store", "Address", "#Geofence"],
      stores.map((s) => h("tr", { dataset: { store: s.code } }, h("td", {}, h("a", { href: `#/stores/${encodeURIComponent(s.code)}` }, s.name), h("div.muted.small.mono", {}, s.code)), h("td.small", {}, s.address || "—", h("div.muted.small", {}, `${s.latitude.toFixed(4)}, ${s.longitude.toFixed(4)}`)), h("td.num", {}, `${format.number(s.geofenceRadiusMeters)} m`))),
      "No store yet.",
    ),
    admin ? h("div.actions.below", {}, h("a.button.primary", { href: "#/stores/new" }, "New store")) : null,
  );
  main.replaceChildren(
    head("Stores", "Where members shop in person; each store's circle is the geofence the app watches.", [["#/stores", "Stores", true], ["#/promotions", "Promotions", false]]),
    h("div.grid.member", {}, list, code && admin ? storeForm(editing) : h("div")),
  );
}

function storeForm(store) {
  const fields = {
    code: h("input", { type: "text", name: "code", value: store?.code || "", readonly: Boolean(store) }),
    name: h("input", { type: "text", name: "name", value: store?.name || "" }),
    address: h("input", { type: "text", name: "address", value: store?.address || "" }),
    latitude: h("input", { type: "text", inputmode: "decimal", name: "latitude", value: store?.latitude ?? "" }),
    longitude: h("input", { type: "text", inputmode: "decimal", name: "longitude", value: store?.longitude ?? "" }),
    geofenceRadiusMeters: h("input", { type: "number", name: "radius", min: "50", max: "50000", value: store?.geofenceRadiusMeters ?? 150 }),
  };
  const submit = h("button.primary", { type: "submit" }, store ? "Save store" : "Create store");
  const form = h(
    "form.card",
    { novalidate: true, "aria-label": "Store" },
    h("h2", {}, store ? `Store ${store.code}` : "New store"),
    h("p.form-error", { role: "alert" }),
    h("div.row", {}, field("Code", fields.code), field("Name", fields.name)),
    field("Address", fields.address),
    h("div.row", {}, field("Latitude", fields.latitude), field("Longitude", fields.longitude), field("Geofence radius (m)", fields.geofenceRadiusMeters, "50 to 50,000 metres.")),
    h("div.actions", {}, submit, h("a", { href: "#/stores" }, "Close")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const local = [];
    const values = {};
    for (const key of ["latitude", "longitude", "geofenceRadiusMeters"]) {
      values[key] = number(fields[key].value);
      if (Number.isNaN(values[key])) local.push({ field: ["input", key], message: "Enter a number." });
    }
    if (showErrorsByPath(form, local, fields)) return;
    submit.disabled = true;
    try {
      const input = { code: fields.code.value, name: fields.name.value, address: fields.address.value || null, ...values };
      const payload = (await gql(UPSERT_STORE, { input })).upsertStore;
      if (showErrorsByPath(form, payload.userErrors, fields)) return;
      toast("Store saved.");
      location.hash = "#/stores";
    } catch (error) {
      showErrorsByPath(form, [{ field: null, message: error.message }], fields);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export async function renderPromotions(main, code) {
  loading(main);
  const data = await gql(PROMOTIONS);
  const admin = currentSession().role === "admin";
  const editing = code && code !== "new" ? data.promotions.find((p) => p.code === code) : null;
  const now = Date.now();
  const state = (p) => (new Date(p.endsAt) <= now ? "ended" : new Date(p.startsAt) > now ? "upcoming" : "active");
  const list = h(
    "section.card",
    { "aria-label": "Promotions" },
    simpleTable(
      "Promotions",
      ["Promotion", "When", "Where", "Gives"],
      data.promotions.map((p) =>
        h(
          "tr",
          { dataset: { promotion: p.code } },
          h("td", {}, h("a", { href: `#/promotions/${encodeURIComponent(p.code)}` }, p.title), h("div.muted.small.mono", {}, p.code)),
          h("td.small", {}, h(`span.pill.${state(p)}`, {}, state(p)), h("div.muted.small", {}, `${format.date(p.startsAt)} – ${format.date(p.endsAt)}`)),
          h("td.small", {}, p.storeCodes.length ? p.storeCodes.join(", ") : "every store", p.segmentCode ? h("div.muted.small", {}, `segment ${p.segmentCode}`) : null),
          h("td.small", {}, [p.bonusPoints ? `${format.number(p.bonusPoints)} points` : null, p.rewardCode ? `coupon ${p.rewardCode}` : null].filter(Boolean).join(" + ") || "a message"),
        ),
      ),
      "No promotion yet.",
    ),
    admin ? h("div.actions.below", {}, h("a.button.primary", { href: "#/promotions/new" }, "New promotion")) : null,
  );
  main.replaceChildren(
    head("Promotions", "What members get when they come by a store: points, a coupon and a push, once per cooldown.", [["#/stores", "Stores", false], ["#/promotions", "Promotions", true]]),
    h("div.grid.member", {}, list, code && admin ? promotionForm(editing, data) : h("div")),
  );
}

function promotionForm(promotion, data) {
  const p = promotion || {};
  const fields = {
    code: h("input", { type: "text", name: "code", value: p.code || "", readonly: Boolean(promotion) }),
    title: h("input", { type: "text", name: "title", maxlength: "100", value: p.title || "" }),
    message: h("textarea", { name: "message", rows: "3", maxlength: "500" }, p.message || ""),
    startsAt: h("input", { type: "datetime-local", name: "starts", value: isoToLocal(p.startsAt) }),
    endsAt: h("input", { type: "datetime-local", name: "ends", value: isoToLocal(p.endsAt) }),
    segmentCode: h("select", { name: "segment" }, h("option", { value: "" }, "Every member"), data.segments.map((s) => h("option", { value: s.code, selected: p.segmentCode === s.code }, s.name))),
    bonusPoints: h("input", { type: "number", name: "bonus", min: "0", step: "1", value: p.bonusPoints ?? 0 }),
    rewardCode: h("input", { type: "text", name: "reward", placeholder: "reward code (optional)", value: p.rewardCode || "" }),
    cooldownHours: h("input", { type: "number", name: "cooldown", min: "1", step: "1", value: p.cooldownHours ?? 24 }),
  };
  const storeBoxes = data.stores.map((s) => h("input", { type: "checkbox", name: "store", value: s.code, checked: (p.storeCodes || []).includes(s.code) }));
  const transitionBoxes = ["ENTER", "DWELL", "EXIT"].map((t) => h("input", { type: "checkbox", name: "transition", value: t, checked: (p.transitions || ["ENTER"]).includes(t) }));
  const storesSet = h("fieldset.checks", {}, h("legend", {}, "Stores (none: every store)"), storeBoxes.map((b, i) => h("label.check", {}, b, ` ${data.stores[i].name}`)));
  fields.storeCodes = storesSet;
  const transitionsSet = h("fieldset.checks", {}, h("legend", {}, "Fires on"), transitionBoxes.map((b) => h("label.check", {}, b, ` ${b.value.toLowerCase()}`)));
  fields.transitions = transitionsSet;
  const submit = h("button.primary", { type: "submit" }, promotion ? "Save promotion" : "Create promotion");
  const form = h(
    "form.card",
    { novalidate: true, "aria-label": "Promotion" },
    h("h2", {}, promotion ? `Promotion ${p.code}` : "New promotion"),
    h("p.form-error", { role: "alert" }),
    h("div.row", {}, field("Code", fields.code), field("Push title", fields.title)),
    field("Push text", fields.message),
    h("div.row", {}, field("Starts (your time)", fields.startsAt), field("Ends (your time)", fields.endsAt)),
    h("div.row", {}, field("Bonus points", fields.bonusPoints), field("Coupon of reward", fields.rewardCode), field("Cooldown (hours)", fields.cooldownHours)),
    field("Audience", fields.segmentCode),
    storesSet,
    transitionsSet,
    h("div.actions", {}, submit, h("a", { href: "#/promotions" }, "Close")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const local = [];
    const startsAt = localToIso(fields.startsAt.value);
    const endsAt = localToIso(fields.endsAt.value);
    if (!startsAt) local.push({ field: ["input", "startsAt"], message: "Choose when it starts." });
    if (!endsAt) local.push({ field: ["input", "endsAt"], message: "Choose when it ends." });
    const ints = {};
    for (const key of ["bonusPoints", "cooldownHours"]) {
      ints[key] = Number(fields[key].value || 0);
      if (!Number.isInteger(ints[key])) local.push({ field: ["input", key], message: "Enter a whole number." });
    }
    if (showErrorsByPath(form, local, fields)) return;
    const input = {
      code: fields.code.value,
      title: fields.title.value,
      message: fields.message.value,
      startsAt,
      endsAt,
      storeCodes: storeBoxes.filter((b) => b.checked).map((b) => b.value),
      segmentCode: fields.segmentCode.value || null,
      rewardCode: fields.rewardCode.value.trim() || null,
      transitions: transitionBoxes.filter((b) => b.checked).map((b) => b.value),
      ...ints,
    };
    submit.disabled = true;
    try {
      const payload = (await gql(UPSERT_PROMOTION, { input })).upsertPromotion;
      if (showErrorsByPath(form, payload.userErrors, fields)) return;
      toast("Promotion saved.");
      location.hash = "#/promotions";
    } catch (error) {
      showErrorsByPath(form, [{ field: null, message: error.message }], fields);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
