// Translations: the catalogue's names and descriptions per locale (rewards, badges,
// challenges, drops, tiers), entered apart from their other settings (setTranslations).
// Every item of a kind is listed, newest first, searched by name or code and paged by the API
// (catalogueItems), so an old item can be found and translated.
import { currentSession, gql } from "./api.js";
import { showErrorsByPath } from "./forms.js";
import { field, h, loading, toast } from "./ui.js";

const KINDS = {
  rewards: { label: "Rewards", kind: "REWARD", description: true },
  badges: { label: "Badges", kind: "BADGE", description: true },
  challenges: { label: "Challenges", kind: "CHALLENGE", description: true },
  drops: { label: "Drops", kind: "DROP", description: true },
  tiers: { label: "Tiers", kind: "TIER", description: false },
};
const ITEMS = `query CatalogueItems($kind: CatalogueKind!, $search: String, $first: Int, $after: String) {
  catalogueItems(kind: $kind, search: $search, first: $first, after: $after) {
    edges { node { code name description translations { locale name description } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const SAVE = `mutation SetTranslations($input: SetTranslationsInput!) {
  setTranslations(input: $input) { translations { locale name description } userErrors { code field message } }
}`;
const PAGE = 20;

/** The last search of the page, kept while the manager opens and saves items of that kind. */
let remembered = { key: null, text: "" };

/** The item of `kind` whose code is `code`, found by the API's search (null: none). */
async function findItem(spec, code) {
  const found = (await gql(ITEMS, { kind: spec.kind, search: code, first: 100 })).catalogueItems;
  const edge = found.edges.find((e) => e.node.code === code);
  return edge ? edge.node : null;
}

export async function renderTranslations(main, kindKey, code) {
  const key = KINDS[kindKey] ? kindKey : "rewards";
  const spec = KINDS[key];
  const text = h("input", { type: "search", name: "search", placeholder: "e.g. coffee", autocomplete: "off", value: remembered.key === key ? remembered.text : "" });
  const search = h(
    "form.search",
    { role: "search", "aria-label": `Find ${spec.label.toLowerCase()}` },
    field("Search by name or code", text),
    h("div.actions", {}, h("button.primary", { type: "submit" }, "Search")),
    h("p.form-error", { role: "alert" }),
  );
  const body = h("tbody");
  const empty = h("p.muted", { role: "status" });
  const more = h("button.ghost", { type: "button", hidden: true }, `Show older ${spec.label.toLowerCase()}`);
  const slot = h("div");
  main.replaceChildren(
    h(
      "div.page-head",
      {},
      h("h1", {}, "Translations"),
      h("p.muted", {}, "Names and descriptions in each language; members read their locale's, then its language's, then the program's default."),
      h("nav.tabs", { "aria-label": "Kinds" }, Object.entries(KINDS).map(([k, s]) => h("a", { href: `#/translations/${k}`, "aria-current": k === key ? "page" : null }, s.label))),
    ),
    search,
    h(
      "div.grid.member",
      {},
      h(
        "section.card",
        { "aria-label": spec.label },
        h(
          "table",
          {},
          h("caption.sr-only", {}, `${spec.label}, newest first`),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Item"), h("th", { scope: "col" }, "Languages"))),
          body,
        ),
        empty,
        h("div.actions", {}, more),
      ),
      slot,
    ),
  );
  let after = null;
  async function page() {
    let found;
    try {
      found = (await gql(ITEMS, { kind: spec.kind, search: remembered.text || null, first: PAGE, after })).catalogueItems;
    } catch (error) {
      showErrorsByPath(search, [{ field: ["search"], message: error.message }], { search: text });
      return;
    }
    for (const { node: i } of found.edges) {
      body.append(
        h(
          "tr",
          { dataset: { item: i.code } },
          h("td", {}, h("a", { href: `#/translations/${key}/${encodeURIComponent(i.code)}` }, i.name), h("div.muted.small.mono", {}, i.code)),
          h("td", {}, i.translations.length ? i.translations.map((t) => h("span.pill", {}, t.locale)) : h("span.muted.small", {}, "base text only")),
        ),
      );
    }
    after = found.pageInfo.endCursor;
    more.hidden = !found.pageInfo.hasNextPage;
    empty.textContent = body.children.length ? "" : remembered.text ? `No ${spec.label.toLowerCase()} match “${remembered.text}”.` : `No ${spec.label.toLowerCase()} yet.`;
  }
  async function load() {
    showErrorsByPath(search, [], {});
    remembered = { key, text: text.value.trim() };
    after = null;
    body.replaceChildren();
    await page();
  }
  search.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  more.addEventListener("click", page);
  await load();
  if (code) {
    const item = await findItem(spec, code);
    slot.replaceChildren(item ? editor(spec, key, item) : h("p.muted", {}, `No ${spec.kind.toLowerCase()} with the code ${code}.`));
  }
}

function editor(spec, key, item) {
  const admin = currentSession().role === "admin";
  const fields = {};
  const rows = [];
  const list = h("div.locales");
  function add(t = { locale: "", name: "", description: "" }) {
    const locale = h("input", { type: "text", name: "locale", placeholder: "es, es-MX", value: t.locale, size: "8" });
    const name = h("input", { type: "text", name: "name", value: t.name });
    const description = spec.description ? h("textarea", { name: "description", rows: "2" }, t.description || "") : null;
    const remove = h("button.ghost.small", { type: "button" }, "Remove");
    const row = { locale, name, description };
    row.element = h("fieldset.locale", {}, h("legend", {}, t.locale || "New language"), h("div.locale-row", {}, field("Locale", locale), remove), field(spec.kind === "CHALLENGE" || spec.kind === "DROP" ? "Title" : "Name", name), description ? field("Description", description) : null);
    remove.addEventListener("click", () => {
      rows.splice(rows.indexOf(row), 1);
      row.element.remove();
    });
    rows.push(row);
    list.append(row.element);
    return row;
  }
  for (const t of item.translations) add(t);
  const addButton = h("button.ghost", { type: "button" }, "+ Add a language");
  addButton.addEventListener("click", () => add().locale.focus());
  const submit = h("button.primary", { type: "submit" }, "Save translations");
  const form = h(
    "form.card",
    { novalidate: true, "aria-label": `Translations of ${item.name}` },
    h("h2", {}, item.name),
    h("p.muted.small", {}, "Base text: ", h("strong", {}, item.name), item.description ? ` — ${item.description}` : ""),
    h("p.form-error", { role: "alert" }),
    list,
    admin ? h("div.actions", {}, addButton) : null,
    admin ? h("div.actions", {}, submit, h("a", { href: `#/translations/${key}` }, "Close")) : null,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    rows.forEach((r, i) => {
      fields[`translations.${i}.locale`] = r.locale;
      fields[`translations.${i}.name`] = r.name;
      if (r.description) fields[`translations.${i}.description`] = r.description;
    });
    const translations = rows.map((r) => ({ locale: r.locale.value, name: r.name.value, description: r.description ? r.description.value : null }));
    submit.disabled = true;
    try {
      const payload = (await gql(SAVE, { input: { kind: spec.kind, code: item.code, translations } })).setTranslations;
      if (showErrorsByPath(form, payload.userErrors, fields)) return;
      toast(`Translations of ${item.name} saved.`);
      location.hash = `#/translations/${key}`;
    } catch (error) {
      showErrorsByPath(form, [{ field: null, message: error.message }], fields);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
