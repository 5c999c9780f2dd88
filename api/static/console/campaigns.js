// Campaigns: the list with delivery figures, a campaign's page, and the composer (texts per
// locale with placeholders, a preview as a chosen member, audience, schedule).
import { currentSession, gql } from "./api.js";
import { confirmDialog, debounce, isoToLocal, localToIso, showErrorsByPath, simpleTable } from "./forms.js";
import { field, format, h, loading, toast } from "./ui.js";

const DELIVERY = "delivery { recipients delivered failed skipped pending opened }";
const LIST = `query Campaigns($after: String) {
  campaigns(first: 25, after: $after) {
    nodes { code title source status sendAt segmentCode ${DELIVERY} }
    pageInfo { hasNextPage endCursor }
  }
}`;
const ONE = `query Campaign($code: String!) {
  campaign(code: $code) {
    code title body deepLink source status sendAt segmentCode bonusPoints createdAt startedAt finishedAt
    texts { locale title body }
    ${DELIVERY}
  }
}`;
const COMPOSER = `query CampaignComposer { campaignPlaceholders { name description } segments { code name memberCount } }`;
const PREVIEW = `query CampaignPreview($input: CampaignPreviewInput!) {
  campaignPreview(input: $input) {
    preview { customerId memberLocale textLocale title body }
    userErrors { code field message }
  }
}`;
const SEND = `mutation SendCampaign($input: CampaignInput!) {
  sendCampaign(input: $input) {
    campaign { code status }
    userErrors { code field message }
  }
}`;

const STATUS = { SCHEDULED: "Scheduled", SENDING: "Sending", SENT: "Sent" };

function rate(part, whole) {
  return whole ? ` (${Math.round((part / whole) * 100)}%)` : "";
}

export async function renderCampaigns(main) {
  const admin = currentSession().role === "admin";
  const body = h("tbody");
  const more = h("button.ghost", { type: "button", hidden: true }, "Show older campaigns");
  main.replaceChildren(
    h(
      "div.page-head.with-action",
      {},
      h("div", {}, h("h1", {}, "Campaigns"), h("p.muted", {}, "Messages to members, in their language, with what became of them.")),
      admin ? h("a.button.primary", { href: "#/campaigns/new" }, "New campaign") : null,
    ),
    h(
      "table.card.campaigns",
      {},
      h("caption.sr-only", {}, "Campaigns, newest first"),
      h(
        "thead",
        {},
        h("tr", {}, ["Campaign", "Audience", "Status", "Sends"].map((c) => h("th", { scope: "col" }, c)), ["Recipients", "Delivered", "Failed", "Opened"].map((c) => h("th.num", { scope: "col" }, c))),
      ),
      body,
    ),
    h("div.actions.below", {}, more),
  );
  let after = null;
  async function page() {
    const result = (await gql(LIST, { after })).campaigns;
    for (const c of result.nodes) {
      const d = c.delivery;
      body.append(
        h(
          "tr",
          { dataset: { campaign: c.code } },
          h("td", {}, h("a", { href: `#/campaigns/${encodeURIComponent(c.code)}` }, c.code), h("div.muted.small", {}, c.title)),
          h("td", {}, c.source === "DROP" ? "Drop's audience" : c.segmentCode || "Every member"),
          h("td", {}, h(`span.pill.status-${c.status.toLowerCase()}`, {}, STATUS[c.status])),
          h("td", {}, format.time(c.sendAt)),
          h("td.num", {}, format.number(d.recipients)),
          h("td.num", {}, format.number(d.delivered)),
          h("td.num", {}, format.number(d.failed)),
          h("td.num", {}, `${format.number(d.opened)}${rate(d.opened, d.recipients)}`),
        ),
      );
    }
    if (!body.children.length) body.append(h("tr", {}, h("td.muted", { colspan: "8" }, "No campaign yet.")));
    after = result.pageInfo.endCursor;
    more.hidden = !result.pageInfo.hasNextPage;
  }
  more.addEventListener("click", page);
  await page();
}

function figure(label, value, key, hint) {
  return h("div.card.stat", {}, h("p.label", {}, label), h("p.value", { dataset: { value: key } }, value), hint ? h("p.muted.small", {}, hint) : null);
}

/** The preview box: a member's customer id and the text as their phone would show it. */
function previewPanel(draft) {
  const customerId = h("input", { type: "text", name: "preview-member", autocomplete: "off", placeholder: "customer id, e.g. alice" });
  const button = h("button.ghost", { type: "button" }, "Preview");
  const phone = h("div.phone", { "aria-live": "polite" }, h("p.muted", {}, "Choose a member to see the text as they will read it."));
  const form = h("div.preview-form", {}, h("p.form-error", { role: "alert" }), field("Preview as member", customerId), h("div.actions", {}, button));
  let shown = false;
  let asked = 0;
  async function show() {
    const mine = ++asked;
    const value = customerId.value.trim();
    const input = draft();
    if (!input) return;
    const payload = (await gql(PREVIEW, { input: { ...input, customerId: value } })).campaignPreview;
    if (mine !== asked) return; // a newer draft was previewed meanwhile
    shown = true;
    const own = payload.userErrors.filter((e) => e.field && e.field[1] === "customerId");
    showErrorsByPath(form, own, { customerId }, { focus: false });
    draft.showErrors?.(payload.userErrors.filter((e) => !own.includes(e)));
    if (!payload.preview) {
      phone.replaceChildren(h("p.muted", {}, "No preview: see the errors."));
      return;
    }
    const p = payload.preview;
    phone.replaceChildren(
      h(
        "div.push",
        { dataset: { preview: p.customerId } },
        h("div.push-app", {}, h("span.brand-mark.small", { "aria-hidden": "true" }, "F"), " Fidelio · now"),
        h("p.push-title", {}, p.title),
        h("p.push-body", {}, p.body),
      ),
      h("p.muted.small", {}, `${p.customerId} reads ${p.textLocale ? `the ${p.textLocale} text` : "the default text"} (their locale: ${p.memberLocale}).`),
    );
  }
  button.addEventListener("click", show);
  customerId.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      show();
    }
  });
  const panel = h("section.card.preview", { "aria-label": "Preview" }, h("h2", {}, "Preview"), form, phone);
  // Once a member is previewed, the preview follows the draft as it is typed.
  panel.refresh = debounce(() => shown && customerId.value.trim() && show(), 400);
  return panel;
}

export async function renderCampaign(main, code) {
  loading(main);
  const c = (await gql(ONE, { code })).campaign;
  if (!c) {
    main.replaceChildren(h("div.page-head", {}, h("h1", {}, "No such campaign"), h("p", {}, h("a", { href: "#/campaigns" }, "Back to the campaigns"))));
    return;
  }
  const d = c.delivery;
  const admin = currentSession().role === "admin";
  const texts = [{ locale: "Default", title: c.title, body: c.body }, ...c.texts];
  const draft = () => ({ title: c.title, body: c.body, texts: c.texts });
  main.replaceChildren(
    h("p.crumbs", {}, h("a", { href: "#/campaigns" }, "Campaigns"), " / ", c.code),
    h(
      "div.page-head.with-action",
      {},
      h("div", {}, h("h1", {}, c.code, " ", h(`span.pill.status-${c.status.toLowerCase()}`, {}, STATUS[c.status])), h("p.muted", {}, `${c.source === "DROP" ? "A drop's announcement" : c.segmentCode ? `To segment ${c.segmentCode}` : "To every member"} · ${c.status === "SCHEDULED" ? "sends" : "sent"} ${format.time(c.sendAt)}${c.bonusPoints ? ` · ${format.number(c.bonusPoints)} bonus points each` : ""}`)),
      admin && c.status === "SCHEDULED" && c.source === "ADMIN" ? h("a.button.ghost", { href: `#/campaigns/${encodeURIComponent(c.code)}/edit` }, "Edit") : null,
    ),
    h(
      "div.grid.six",
      {},
      figure("Recipients", format.number(d.recipients), "recipients", "in their feed"),
      figure("Delivered", format.number(d.delivered), "delivered", `pushed to a device${rate(d.delivered, d.recipients)}`),
      figure("Failed", format.number(d.failed), "failed", "push failed for good"),
      figure("Feed only", format.number(d.skipped), "skipped", "push off, capped or no device"),
      figure("Pending", format.number(d.pending), "pending", "due, or held for quiet hours"),
      figure("Opened", format.number(d.opened), "opened", `read in the app${rate(d.opened, d.recipients)}`),
    ),
    h(
      "div.grid.member",
      {},
      h(
        "section.card",
        { "aria-label": "Texts" },
        h("h2", {}, "Texts"),
        simpleTable(
          "Texts by locale",
          ["Locale", "Title", "Text"],
          texts.map((t) => h("tr", { dataset: { locale: t.locale } }, h("td", {}, h("span.pill", {}, t.locale)), h("td", {}, t.title), h("td.pre", {}, t.body))),
          "",
        ),
        h("p.muted.small", {}, `Written ${format.time(c.createdAt)}${c.startedAt ? ` · fan-out began ${format.time(c.startedAt)}` : ""}${c.finishedAt ? ` · ended ${format.time(c.finishedAt)}` : ""}${c.deepLink ? ` · opens ${c.deepLink}` : ""}`),
      ),
      c.source === "ADMIN" ? previewPanel(draft) : h("div"),
    ),
  );
}

/** The composer: a new campaign, or a scheduled one (`code`) to edit. */
export async function renderComposer(main, code) {
  loading(main);
  const [setup, existing] = await Promise.all([gql(COMPOSER), code ? gql(ONE, { code }).then((d) => d.campaign) : null]);
  const fields = {};
  const make = (key, input) => {
    fields[key] = input;
    return input;
  };
  const codeInput = make("code", h("input", { type: "text", name: "code", autocomplete: "off", placeholder: "e.g. spring-sale", value: existing?.code || "" }));
  if (existing) codeInput.readOnly = true;
  const segment = make(
    "segmentCode",
    h(
      "select",
      { name: "segment" },
      h("option", { value: "" }, "Every member"),
      setup.segments.map((s) => h("option", { value: s.code, selected: existing?.segmentCode === s.code }, `${s.name} (${format.number(s.memberCount)} members)`)),
    ),
  );
  const when = h("select", { name: "when" }, h("option", { value: "now" }, "Now"), h("option", { value: "later", selected: existing?.status === "SCHEDULED" }, "Later…"));
  const sendAt = make("sendAt", h("input", { type: "datetime-local", name: "send-at", value: existing ? isoToLocal(existing.sendAt) : "" }));
  const sendAtField = field("Send at (your time)", sendAt);
  sendAtField.hidden = when.value !== "later";
  when.addEventListener("change", () => {
    sendAtField.hidden = when.value !== "later";
    submit.textContent = when.value === "later" ? "Schedule campaign" : "Send campaign";
  });
  const bonus = make("bonusPoints", h("input", { type: "number", name: "bonus", min: "0", step: "1", value: String(existing?.bonusPoints ?? 0) }));
  const deepLink = make("deepLink", h("input", { type: "text", name: "deep-link", placeholder: "fidelio://rewards", value: existing?.deepLink || "" }));

  let lastText = null;
  const remember = (input) => input.addEventListener("focus", () => (lastText = input));
  const baseTitle = make("title", h("input", { type: "text", name: "title", maxlength: "100", value: existing?.title || "" }));
  const baseBody = make("body", h("textarea", { name: "body", rows: "3", maxlength: "500" }, existing?.body || ""));
  remember(baseTitle);
  remember(baseBody);

  const chips = h(
    "div.chips",
    { role: "group", "aria-label": "Insert a placeholder" },
    h("span.muted.small", {}, "Insert:"),
    setup.campaignPlaceholders.map((p) =>
      h(
        "button.chip",
        {
          type: "button",
          title: p.description,
          onmousedown: (event) => event.preventDefault(),
          onclick: () => {
            const target = lastText || baseBody;
            const at = target.selectionStart ?? target.value.length;
            target.value = `${target.value.slice(0, at)}{${p.name}}${target.value.slice(target.selectionEnd ?? at)}`;
            target.focus();
            target.selectionStart = target.selectionEnd = at + p.name.length + 2;
            target.dispatchEvent(new Event("input", { bubbles: true }));
          },
        },
        `{${p.name}}`,
      ),
    ),
  );

  const localeList = h("div.locales");
  const localeBlocks = [];
  function addLocale(text = { locale: "", title: "", body: "" }) {
    const locale = h("input", { type: "text", name: "locale", placeholder: "es, es-MX, pt-BR", value: text.locale, size: "8" });
    const title = h("input", { type: "text", name: "locale-title", maxlength: "100", value: text.title });
    const body = h("textarea", { name: "locale-body", rows: "3", maxlength: "500" }, text.body);
    remember(title);
    remember(body);
    const remove = h("button.ghost.small", { type: "button" }, "Remove");
    const block = { locale, title, body, element: null };
    block.element = h(
      "fieldset.locale",
      {},
      h("legend", {}, "Text in another language"),
      h("div.locale-row", {}, field("Locale", locale), remove),
      field("Title", title),
      field("Text", body),
    );
    remove.addEventListener("click", () => {
      localeBlocks.splice(localeBlocks.indexOf(block), 1);
      block.element.remove();
    });
    localeBlocks.push(block);
    localeList.append(block.element);
    return block;
  }
  for (const t of existing?.texts || []) addLocale(t);
  const addButton = h("button.ghost", { type: "button" }, "+ Add a language");
  addButton.addEventListener("click", () => addLocale().locale.focus());

  const submit = h("button.primary", { type: "submit" }, when.value === "later" ? "Schedule campaign" : "Send campaign");
  const form = h(
    "form.composer.card",
    { novalidate: true, "aria-label": "Campaign" },
    h("p.form-error", { role: "alert" }),
    h("div.row", {}, field("Code", codeInput, "Unique; members never see it."), field("Audience", segment)),
    h("div.row", {}, field("When", when), sendAtField, field("Bonus points each", bonus), field("Opens (deep link)", deepLink)),
    h("h2", {}, "Texts"),
    chips,
    h("fieldset.locale.base", {}, h("legend", {}, "Default text: for members whose language has no text below"), field("Title", baseTitle), field("Text", baseBody)),
    localeList,
    h("div.actions", {}, addButton),
    h("div.actions.submit", {}, submit, h("a", { href: "#/campaigns" }, "Cancel")),
  );

  function textsFields() {
    localeBlocks.forEach((b, i) => {
      fields[`texts.${i}.locale`] = b.locale;
      fields[`texts.${i}.title`] = b.title;
      fields[`texts.${i}.body`] = b.body;
    });
    fields.texts = addButton;
    return fields;
  }
  const textsInput = () => localeBlocks.map((b) => ({ locale: b.locale.value, title: b.title.value, body: b.body.value }));
  const draft = () => ({ title: baseTitle.value, body: baseBody.value, texts: textsInput() });
  draft.showErrors = (errors) => showErrorsByPath(form, errors, textsFields(), { focus: false });
  const preview = previewPanel(draft);
  form.addEventListener("input", () => preview.refresh());

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const at = when.value === "later" ? localToIso(sendAt.value) : null;
    if (when.value === "later" && !at) {
      showErrorsByPath(form, [{ field: ["input", "sendAt"], message: "Choose when to send it." }], textsFields());
      return;
    }
    const points = Number(bonus.value || 0);
    if (!Number.isInteger(points)) {
      showErrorsByPath(form, [{ field: ["input", "bonusPoints"], message: "Enter a whole number of points." }], textsFields());
      return;
    }
    const input = {
      code: codeInput.value,
      ...draft(),
      segmentCode: segment.value || null,
      bonusPoints: points,
      deepLink: deepLink.value || null,
      sendAt: at,
    };
    if (!at) {
      const audience = segment.value ? segment.selectedOptions[0].textContent : "every member";
      const ok = await confirmDialog({
        title: "Send this campaign now?",
        text: `It goes out to ${audience} at once, and cannot be called back.`,
        confirmLabel: "Send now",
      });
      if (!ok) return;
    }
    submit.disabled = true;
    try {
      const payload = (await gql(SEND, { input })).sendCampaign;
      if (showErrorsByPath(form, payload.userErrors, textsFields())) return;
      toast(payload.campaign.status === "SCHEDULED" ? "Campaign scheduled." : "Campaign on its way.");
      location.hash = `#/campaigns/${encodeURIComponent(payload.campaign.code)}`;
    } catch (error) {
      showErrorsByPath(form, [{ field: null, message: error.message }], {});
    } finally {
      submit.disabled = false;
    }
  });

  main.replaceChildren(
    h("p.crumbs", {}, h("a", { href: "#/campaigns" }, "Campaigns"), " / ", existing ? `Edit ${existing.code}` : "New"),
    h("div.page-head", {}, h("h1", {}, existing ? `Edit ${existing.code}` : "New campaign"), h("p.muted", {}, "Write it once per language; placeholders are filled for each member when it goes out.")),
    h("div.grid.member", {}, form, preview),
  );
  (existing ? baseTitle : codeInput).focus();
}
