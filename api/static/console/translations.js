// Translations: the catalogue's names and descriptions per locale (rewards, badges,
// challenges, drops, tiers), entered apart from their other settings (setTranslations).
import { currentSession, gql } from "./api.js";
import { showErrorsByPath } from "./forms.js";
import { field, h, loading, toast } from "./ui.js";

const T = "translations { locale name description }";
const KINDS = {
  rewards: { label: "Rewards", kind: "REWARD", description: true, query: `{ items: rewards(includeInactive: true) { code name description ${T} } }` },
  badges: { label: "Badges", kind: "BADGE", description: true, query: `{ items: badges { code name description ${T} } }` },
  challenges: {
    label: "Challenges",
    kind: "CHALLENGE",
    description: true,
    query: `{ a: challenges(status: ACTIVE) { code name: title description ${T} }
      u: challenges(status: UPCOMING) { code name: title description ${T} }
      e: challenges(status: ENDED) { code name: title description ${T} } }`,
  },
  drops: { label: "Drops", kind: "DROP", description: true, query: `{ items: drops { code name: title description ${T} } }` },
  tiers: { label: "Tiers", kind: "TIER", description: false, query: `{ items: tiers { code name translations { locale name } } }` },
};
const SAVE = `mutation SetTranslations($input: SetTranslationsInput!) {
  setTranslations(input: $input) { translations { locale name description } userErrors { code field message } }
}`;

export async function renderTranslations(main, kindKey, code) {
  const key = KINDS[kindKey] ? kindKey : "rewards";
  const spec = KINDS[key];
  loading(main);
  const found = await gql(spec.query);
  const items = found.items || [...found.a, ...found.u, ...found.e];
  const chosen = code ? items.find((i) => i.code === code) : null;
  const list = h(
    "section.card",
    { "aria-label": spec.label },
    items.length
      ? h(
          "table",
          {},
          h("caption.sr-only", {}, spec.label),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Item"), h("th", { scope: "col" }, "Languages"))),
          h(
            "tbody",
            {},
            items.map((i) =>
              h(
                "tr",
                { dataset: { item: i.code } },
                h("td", {}, h("a", { href: `#/translations/${key}/${encodeURIComponent(i.code)}` }, i.name), h("div.muted.small.mono", {}, i.code)),
                h("td", {}, i.translations.length ? i.translations.map((t) => h("span.pill", {}, t.locale)) : h("span.muted.small", {}, "base text only")),
              ),
            ),
          ),
        )
      : h("p.muted", {}, `No ${spec.label.toLowerCase()} yet.`),
  );
  main.replaceChildren(
    h(
      "div.page-head",
      {},
      h("h1", {}, "Translations"),
      h("p.muted", {}, "Names and descriptions in each language; members read their locale's, then its language's, then the program's default."),
      h("nav.tabs", { "aria-label": "Kinds" }, Object.entries(KINDS).map(([k, s]) => h("a", { href: `#/translations/${k}`, "aria-current": k === key ? "page" : null }, s.label))),
    ),
    h("div.grid.member", {}, list, chosen ? editor(spec, key, chosen) : h("div")),
  );
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
