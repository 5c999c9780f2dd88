// The program: tiers, earning rules (a rate per channel), badges and challenges with a rule
// editor (the rule in members' words and how many qualify today) and back-fill with a progress
// bar, rewards with stock, drops with live claims, leaderboards with the live top 10.
// Routes: #/program[/tiers|/earning|/badges[/<code>|/new]|/challenges[/<code>|/new]|/rewards|
// /drops|/boards].
import { currentSession, gql } from "./api.js";
import { debounce, isoToLocal, localToIso, showErrorsByPath, simpleTable } from "./forms.js";
import { field, format, h, loading, toast } from "./ui.js";

const ERRORS = "userErrors { code field message }";
const RULE = "event aggregate target windowDays category channel storeCode minAmount description";
const TIERS = `query ProgramTiers { tiers { code name level qualifyingPoints pointsMultiplier benefits } }`;
const CONFIGURE_TIERS = `mutation ConfigureTiers($input: [TierInput!]!) { configureTiers(input: $input) { tiers { code } ${ERRORS} } }`;
const RULES = `query ProgramEarning { earningRules { pointsPerCurrencyUnit pendingDays expiryDays tierWindowMonths
  referrerPoints refereePoints sharePoints reviewPoints surveyPoints engagementDailyCap
  categoryMultipliers { category multiplier } channelMultipliers { channel multiplier } } }`;
const CONFIGURE_RULES = `mutation ConfigureEarningRules($input: EarningRulesInput!) { configureEarningRules(input: $input) { earningRules { pointsPerCurrencyUnit } ${ERRORS} } }`;
const BADGES = `query ProgramBadges { badges { code name description secret rewardPoints rarity rule { ${RULE} } } }`;
const CHALLENGES = `query ProgramChallenges { challenges(status: null) { code title description startsAt endsAt recurrence rewardPoints goal { ${RULE} } } }`;
const UPSERT_BADGE = `mutation UpsertBadge($input: BadgeInput!) { upsertBadge(input: $input) { badge { code } ${ERRORS} } }`;
const UPSERT_CHALLENGE = `mutation UpsertChallenge($input: ChallengeInput!) { upsertChallenge(input: $input) { challenge { code } ${ERRORS} } }`;
// The words in English and Spanish, the count once (previewRule counts only when asked).
const PREVIEW = `query PreviewRule($rule: RuleInput!) {
  en: previewRule(rule: $rule, locale: "en") { words members ${ERRORS} }
  es: previewRule(rule: $rule, locale: "es") { words } }`;
const RUN_FIELDS = "id badgeCode status done total progress awarded error startedBy startedAt finishedAt";
const START_BACKFILL = `mutation StartBackfill($input: StartBackfillInput!) { startBackfill(input: $input) { run { ${RUN_FIELDS} } ${ERRORS} } }`;
const RUN = `query BackfillRun($id: ID!) { backfillRun(id: $id) { ${RUN_FIELDS} } }`;
const RUNS = `query BackfillRuns($code: String) { backfillRuns(badgeCode: $code, first: 5) { ${RUN_FIELDS} } }`;
const REWARDS = `query ProgramRewards { rewards(includeInactive: true) { code name description kind costPoints value minTierLevel stock remainingStock perMemberLimit couponValidDays active } }`;
const UPSERT_REWARD = `mutation UpsertReward($input: RewardInput!) { upsertReward(input: $input) { reward { code } ${ERRORS} } }`;
const DROPS = `query ProgramDrops { drops { code title mode status totalQuantity remainingQuantity pricePoints opensAt closesAt } }`;
const BOARDS = `query ProgramBoards { leaderboards { code name metric windows } }`;
const TOP = `query BoardTop($code: String!, $window: LeaderboardWindow!) { leaderboard(code: $code, window: $window) {
  code name totalEntries periodStart periodEnd top(first: 10) { rank score member { displayName tier { name } } } } }`;

const TABS = [
  ["tiers", "Tiers"],
  ["earning", "Earning"],
  ["badges", "Badges"],
  ["challenges", "Challenges"],
  ["rewards", "Rewards"],
  ["drops", "Drops"],
  ["boards", "Leaderboards"],
];
const EVENTS = ["PURCHASE", "REFERRAL", "SHARE", "REVIEW", "SURVEY", "STORE_VISIT", "REDEMPTION", "DROP_CLAIM"];
const AGGREGATES = ["COUNT", "SUM_AMOUNT", "SUM_POINTS", "DISTINCT_DAYS", "DISTINCT_CATEGORIES", "STREAK_DAYS", "STREAK_WEEKS"];
const CHANNELS = ["APP", "WEB", "STORE"];
/** How often live figures (drops' claims, a board's top 10, a running back-fill) are read again. */
const LIVE_MS = 3000;
const RUN_MS = 700;

const isAdmin = () => currentSession().role === "admin";
const words = (value) => value.toLowerCase().replaceAll("_", " ");

function head(tab, text) {
  return h(
    "div.page-head",
    {},
    h("h1", {}, "Program"),
    h("p.muted", {}, text),
    h("nav.tabs", { "aria-label": "Program" }, TABS.map(([key, label]) => h("a", { href: `#/program/${key}`, "aria-current": key === tab ? "page" : null }, label))),
  );
}

function readOnlyNote() {
  // An empty text when there is nothing to say (replaceChildren would write "null").
  return isAdmin() ? "" : h("p.notice", { role: "note" }, "Read only: your analyst role can look at the program but not change it.");
}

/** Call `run` every `ms` while `node` is on the page (a view that is left stops its polling). */
function poll(node, ms, run) {
  let timer = null;
  const tick = async () => {
    if (!node.isConnected) return;
    try {
      await run();
    } finally {
      if (node.isConnected) timer = setTimeout(tick, ms);
    }
  };
  timer = setTimeout(tick, ms);
  return () => clearTimeout(timer);
}

function numberOrNull(value) {
  const text = String(value).trim();
  return text === "" ? null : Number(text);
}

/** The form's submit: run `save()` (a payload with userErrors), errors next to their fields. */
function onSave(form, fields, submit, save, done) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const payload = await save();
      if (!payload || showErrorsByPath(form, payload.userErrors, fields)) return;
      await done(payload);
    } catch (error) {
      showErrorsByPath(form, [{ field: null, message: error.message }], fields);
    } finally {
      submit.disabled = false;
    }
  });
}

export async function renderProgram(main, tab, code) {
  loading(main);
  const render = {
    tiers: renderTiers,
    earning: renderEarning,
    badges: renderBadges,
    challenges: renderChallenges,
    rewards: renderRewards,
    drops: renderDrops,
    boards: renderBoards,
  }[tab || "tiers"];
  if (!render) return false;
  await render(main, code || null);
  return true;
}

// Tiers ------------------------------------------------------------------------------------

async function renderTiers(main) {
  const tiers = (await gql(TIERS)).tiers;
  const admin = isAdmin();
  const fields = {};
  const rows = tiers.map((t, i) => {
    const input = (key, attrs) => (fields[`${i}.${key}`] = h("input", { ...attrs, disabled: !admin }));
    const cells = [
      input("name", { type: "text", name: `name-${i}`, value: t.name, "aria-label": `Name of ${t.code}` }),
      input("qualifyingPoints", { type: "number", name: `qualifying-${i}`, min: "0", step: "1", value: t.qualifyingPoints, "aria-label": `Qualifying points of ${t.name}` }),
      input("pointsMultiplier", { type: "text", inputmode: "decimal", name: `multiplier-${i}`, value: t.pointsMultiplier, "aria-label": `Points multiplier of ${t.name}` }),
      input("benefits", { type: "text", name: `benefits-${i}`, value: t.benefits.join(", "), "aria-label": `Benefits of ${t.name} (comma separated)` }),
    ];
    const errors = ["name", "qualifyingPoints", "pointsMultiplier", "benefits"].map((key) => {
      const id = `tier-${i}-${key}`;
      fields[`${i}.${key}`].id = id;
      fields[`${i}.${key}`].setAttribute("aria-describedby", `${id}-error`);
      return h("p.field-error", { id: `${id}-error`, role: "alert" });
    });
    return h("tr", { dataset: { tier: t.code } }, h("td", {}, h("strong", {}, t.code), h("div.muted.small", {}, `level ${t.level}`)), cells.map((c, k) => h("td", {}, c, errors[k])));
  });
  const submit = h("button.primary", { type: "submit", hidden: !admin }, "Save tiers");
  const form = h(
    "form.card",
    { novalidate: true, "aria-label": "Tier ladder" },
    h("h2", {}, "Tier ladder"),
    h("p.form-error", { role: "alert" }),
    simpleTable("Tiers", ["Tier", "Name", "#Qualifying points", "#Multiplier", "Benefits"], rows, "No tier yet."),
    h("p.hint", {}, "Points earned in the tier window qualify a member for a tier; purchases made while holding it earn its multiplier."),
    h("div.actions", {}, submit),
  );
  onSave(
    form,
    fields,
    submit,
    async () => {
      const input = tiers.map((t, i) => ({
        code: t.code,
        name: fields[`${i}.name`].value,
        level: t.level,
        qualifyingPoints: Number(fields[`${i}.qualifyingPoints`].value),
        pointsMultiplier: Number(fields[`${i}.pointsMultiplier`].value),
        benefits: fields[`${i}.benefits`].value.split(",").map((b) => b.trim()).filter(Boolean),
      }));
      const bad = input.flatMap((t, i) =>
        ["qualifyingPoints", "pointsMultiplier"].filter((k) => !Number.isFinite(t[k]) || fields[`${i}.${k}`].value.trim() === "").map((k) => ({ field: ["input", String(i), k], message: "Enter a number." })),
      );
      if (bad.length) return { userErrors: bad };
      return (await gql(CONFIGURE_TIERS, { input })).configureTiers;
    },
    async () => {
      toast("Tiers saved.");
      await renderTiers(main);
    },
  );
  main.replaceChildren(head("tiers", "The ladder members climb with the points they earn."), readOnlyNote(), form);
}

// Earning rules ----------------------------------------------------------------------------

const EARNING_NUMBERS = [
  ["pointsPerCurrencyUnit", "Points per currency unit", "decimal"],
  ["pendingDays", "Days before points are spendable", "int"],
  ["expiryDays", "Days before unspent points expire", "int", "Empty: never."],
  ["tierWindowMonths", "Months that count for tiers", "int"],
  ["referrerPoints", "Points for a referrer", "int"],
  ["refereePoints", "Points for a referred friend", "int"],
  ["sharePoints", "Points for a share", "int"],
  ["reviewPoints", "Points for a review", "int"],
  ["surveyPoints", "Points for a survey answer", "int"],
  ["engagementDailyCap", "Engagement awards a day, at most", "int"],
];

async function renderEarning(main) {
  const rules = (await gql(RULES)).earningRules;
  const admin = isAdmin();
  const fields = {};
  const numbers = EARNING_NUMBERS.map(([key, label, kind, hint]) =>
    field(label, (fields[key] = h("input", { type: "text", inputmode: kind === "int" ? "numeric" : "decimal", name: key, value: rules[key] ?? "", disabled: !admin })), hint),
  );
  const byChannel = Object.fromEntries(rules.channelMultipliers.map((c) => [c.channel, c.multiplier]));
  const channels = CHANNELS.map((channel, i) =>
    field(`${channel[0]}${channel.slice(1).toLowerCase()} purchases ×`, (fields[`channelMultipliers.${i}.multiplier`] = h("input", { type: "text", inputmode: "decimal", name: `channel-${channel.toLowerCase()}`, value: byChannel[channel] ?? 1, disabled: !admin }))),
  );
  const submit = h("button.primary", { type: "submit", hidden: !admin }, "Save earning rules");
  const form = h(
    "form.card",
    { novalidate: true, "aria-label": "Earning rules" },
    h("h2", {}, "Earning rules"),
    h("p.form-error", { role: "alert" }),
    h("fieldset.channel-rates", {}, h("legend", {}, "Rate per channel"), h("p.hint", {}, "A purchase earns points per currency unit × its channel's rate × the tier's multiplier (1: as usual, 2: double, 0: nothing)."), h("div.row", {}, channels)),
    h("div.row.wrap", {}, numbers),
    rules.categoryMultipliers.length
      ? h("p.muted.small", {}, "Category multipliers (kept as they are): ", rules.categoryMultipliers.map((c) => `${c.category} ×${c.multiplier}`).join(", "))
      : null,
    h("div.actions", {}, submit),
  );
  onSave(
    form,
    fields,
    submit,
    async () => {
      const input = { categoryMultipliers: rules.categoryMultipliers };
      const local = [];
      for (const [key, , kind] of EARNING_NUMBERS) {
        const value = numberOrNull(fields[key].value);
        if (value === null && key !== "expiryDays") local.push({ field: ["input", key], message: "Enter a number." });
        else if (value !== null && (Number.isNaN(value) || (kind === "int" && !Number.isInteger(value)))) local.push({ field: ["input", key], message: kind === "int" ? "Enter a whole number." : "Enter a number." });
        input[key] = value;
      }
      input.channelMultipliers = CHANNELS.map((channel, i) => {
        const value = numberOrNull(fields[`channelMultipliers.${i}.multiplier`].value);
        if (value === null || Number.isNaN(value)) local.push({ field: ["input", "channelMultipliers", String(i), "multiplier"], message: "Enter a rate, 1 for as usual." });
        return { channel, multiplier: value };
      });
      if (local.length) return { userErrors: local };
      return (await gql(CONFIGURE_RULES, { input })).configureEarningRules;
    },
    async () => {
      toast("Earning rules saved.");
      await renderEarning(main);
    },
  );
  main.replaceChildren(head("earning", "How members earn points: per currency unit, per channel, and for what they do besides buying."), readOnlyNote(), form);
}

// The rule editor (badges and challenges) --------------------------------------------------

/**
 * Inputs of a rule under `prefix` ("rule" or "goal") in `fields`, and a live preview: the rule
 * in members' words (English and Spanish) and how many members qualify today.
 */
function ruleEditor(rule, prefix, fields, form, admin) {
  const r = rule || { event: "PURCHASE", aggregate: "COUNT", target: 1 };
  const select = (key, values, value, optional) =>
    (fields[`${prefix}.${key}`] = h("select", { name: `${prefix}-${key}`, disabled: !admin }, optional ? h("option", { value: "" }, "Any") : null, values.map((v) => h("option", { value: v, selected: v === value }, words(v)))));
  const input = (key, attrs) => (fields[`${prefix}.${key}`] = h("input", { name: `${prefix}-${key}`, disabled: !admin, ...attrs }));
  select("event", EVENTS, r.event);
  select("aggregate", AGGREGATES, r.aggregate);
  input("target", { type: "text", inputmode: "decimal", value: r.target ?? "" });
  input("windowDays", { type: "number", min: "1", step: "1", value: r.windowDays ?? "" });
  input("category", { type: "text", value: r.category ?? "" });
  select("channel", CHANNELS, r.channel, true);
  input("storeCode", { type: "text", value: r.storeCode ?? "" });
  input("minAmount", { type: "text", inputmode: "decimal", value: r.minAmount ?? "" });
  const f = (key) => fields[`${prefix}.${key}`];
  const english = h("p.rule-words", { dataset: { locale: "en" } }, "…");
  const spanish = h("p.rule-words.muted", { dataset: { locale: "es" }, lang: "es" }, "…");
  const count = h("p.size", { dataset: { qualifying: "" } }, "…");
  const box = h(
    "div.rule-preview",
    { "aria-live": "polite", "aria-label": "The rule as members read it" },
    h("p.muted.small", {}, "Members read"),
    english,
    spanish,
    h("div.size-box", {}, h("span.muted.small", {}, "Members who qualify today"), count),
  );
  const value = () => {
    const out = { event: f("event").value, aggregate: f("aggregate").value, target: numberOrNull(f("target").value) };
    const days = numberOrNull(f("windowDays").value);
    if (days !== null) out.windowDays = days;
    if (f("category").value.trim()) out.category = f("category").value.trim();
    if (f("channel").value) out.channel = f("channel").value;
    if (f("storeCode").value.trim()) out.storeCode = f("storeCode").value.trim();
    if (f("minAmount").value.trim()) out.minAmount = f("minAmount").value.trim();
    return out;
  };
  const ruleErrors = (errors) => errors.map((e) => ({ ...e, field: e.field ? ["input", prefix, ...e.field.slice(1)] : null }));
  let asked = 0;
  const refresh = debounce(async () => {
    const mine = ++asked;
    const rule = value();
    if (rule.target === null || Number.isNaN(rule.target)) {
      showErrorsByPath(form, [{ field: ["input", prefix, "target"], message: "Enter the value to reach." }], fields, { focus: false });
      return;
    }
    count.textContent = "counting…";
    try {
      const answer = await gql(PREVIEW, { rule });
      if (mine !== asked) return; // a newer draft was sent meanwhile
      showErrorsByPath(form, ruleErrors(answer.en.userErrors), fields, { focus: false });
      english.textContent = answer.en.words ?? "—";
      spanish.textContent = answer.es.words ?? "";
      count.textContent = answer.en.members === null ? "—" : format.number(answer.en.members);
      count.dataset.qualifying = answer.en.members === null ? "" : String(answer.en.members);
    } catch (error) {
      if (mine === asked) count.textContent = "—";
      showErrorsByPath(form, [{ field: null, message: error.message }], fields, { focus: false });
    }
  }, 300);
  const inputs = h(
    "fieldset.rule",
    {},
    h("legend", {}, prefix === "goal" ? "Goal (within one period)" : "Rule"),
    h("div.row", {}, field("Counts", f("event")), field("Folded as", f("aggregate")), field("Target", f("target"))),
    h("div.row", {}, field("Within days", f("windowDays"), "Empty: all time."), field("Category", f("category")), field("Channel", f("channel"))),
    h("div.row", {}, field("Store code", f("storeCode")), field("Minimum amount", f("minAmount"))),
  );
  inputs.addEventListener("input", refresh);
  inputs.addEventListener("change", refresh);
  refresh();
  return { inputs, box, value };
}

function listPage(kind, items, columns, row, admin) {
  return h(
    "section.card",
    { "aria-label": kind },
    h("h2", {}, kind),
    simpleTable(kind, columns, items.map(row), `No ${kind.toLowerCase()} yet.`),
    admin ? h("div.actions.below", {}, h("a.button.primary", { href: `#/program/${kind.toLowerCase()}/new` }, `New ${kind.toLowerCase().slice(0, -1)}`)) : null,
  );
}

// Badges -------------------------------------------------------------------------------------

async function renderBadges(main, code) {
  const badges = (await gql(BADGES)).badges;
  const admin = isAdmin();
  const editing = code && code !== "new" ? badges.find((b) => b.code === code) || null : null;
  const list = listPage(
    "Badges",
    badges,
    ["Badge", "Rule", "#Bonus points", "#Held by"],
    (b) => h("tr", { dataset: { badge: b.code } }, h("td", {}, h("a", { href: `#/program/badges/${encodeURIComponent(b.code)}` }, b.name), h("div.muted.small.mono", {}, b.code)), h("td.small", {}, b.rule.description), h("td.num", {}, format.number(b.rewardPoints)), h("td.num", {}, `${format.percent(b.rarity)} of members`)),
    admin,
  );
  const side = code ? h("div.stack", {}, badgeForm(editing, admin), editing ? backfillCard(editing, admin) : null) : h("div");
  main.replaceChildren(head("badges", "Achievements members earn by what they do; their rule is shown to them in words."), readOnlyNote(), h("div.grid.member", {}, list, side));
}

function badgeForm(badge, admin) {
  const b = badge || {};
  const fields = {
    code: h("input", { type: "text", name: "code", value: b.code || "", readonly: Boolean(badge), disabled: !admin, autocomplete: "off" }),
    name: h("input", { type: "text", name: "name", maxlength: "120", value: b.name || "", disabled: !admin }),
    description: h("textarea", { name: "description", rows: "2", maxlength: "500", disabled: !admin }, b.description || ""),
    rewardPoints: h("input", { type: "number", name: "reward-points", min: "0", step: "1", value: b.rewardPoints ?? 0, disabled: !admin }),
    secret: h("input", { type: "checkbox", name: "secret", checked: Boolean(b.secret), disabled: !admin }),
  };
  const submit = h("button.primary", { type: "submit", hidden: !admin }, badge ? "Save badge" : "Create badge");
  const form = h("form.card.rule-form", { novalidate: true, "aria-label": "Badge" });
  const rule = ruleEditor(b.rule, "rule", fields, form, admin);
  form.append(
    h("h2", {}, badge ? `Badge ${b.code}` : "New badge"),
    h("p.form-error", { role: "alert" }),
    h("div.row", {}, field("Code", fields.code), field("Name", fields.name)),
    field("Description", fields.description),
    h("div.row", {}, field("Bonus points when earned", fields.rewardPoints), h("label.check", {}, fields.secret, " Secret until earned")),
    rule.inputs,
    rule.box,
    h("div.actions", {}, submit, h("a", { href: "#/program/badges" }, "Close")),
  );
  onSave(
    form,
    fields,
    submit,
    async () => {
      const input = {
        code: fields.code.value.trim(),
        name: fields.name.value,
        description: fields.description.value,
        rewardPoints: Number(fields.rewardPoints.value || 0),
        secret: fields.secret.checked,
        rule: rule.value(),
      };
      if (input.rule.target === null) return { userErrors: [{ field: ["input", "rule", "target"], message: "Enter the value to reach." }] };
      return (await gql(UPSERT_BADGE, { input })).upsertBadge;
    },
    async (payload) => {
      toast("Badge saved.");
      location.hash = `#/program/badges/${encodeURIComponent(payload.badge.code)}`;
    },
  );
  return form;
}

/** Back-fill: award the badge over the recorded history, with a bar that follows the run. */
function backfillCard(badge, admin) {
  const bar = h("progress", { max: "1", value: "0", "aria-label": `Back-fill of ${badge.code}` });
  const status = h("p.small", { role: "status", dataset: { status: "" } });
  const runs = h("div.runs");
  const start = h("button.primary", { type: "button", hidden: !admin }, "Back-fill over history");
  const error = h("p.form-error", { role: "alert" });
  const card = h(
    "section.card.backfill",
    { "aria-label": "Back-fill" },
    h("h2", {}, "Back-fill"),
    h("p.muted.small", {}, "Award the badge to every member whose history already meets its rule, as if it had always existed. Running it again awards nobody twice."),
    error,
    h("div.actions", {}, start),
    h("div.backfill-bar", { hidden: true }, bar, status),
    runs,
  );
  const show = (run) => {
    bar.parentElement.hidden = false;
    bar.value = run.progress;
    status.dataset.status = run.status;
    const figures = `${format.number(run.done)} of ${format.number(run.total)} members · ${format.number(run.awarded)} awarded`;
    status.textContent = run.status === "RUNNING" ? `Running: ${figures}` : run.status === "DONE" ? `Done: ${figures}` : `Failed: ${run.error}`;
  };
  const listRuns = async () => {
    const found = (await gql(RUNS, { code: badge.code })).backfillRuns;
    runs.replaceChildren(
      simpleTable(
        "Recent back-fills",
        ["Started", "By", "Status", "#Awarded"],
        found.map((r) => h("tr", {}, h("td.small", {}, format.time(r.startedAt)), h("td.small", {}, r.startedBy), h("td", {}, h("span.pill", {}, words(r.status))), h("td.num", {}, format.number(r.awarded)))),
        "Never back-filled.",
      ),
    );
    return found;
  };
  const follow = (id) => {
    const stop = poll(card, RUN_MS, async () => {
      const run = (await gql(RUN, { id })).backfillRun;
      show(run);
      if (run.status !== "RUNNING") {
        stop();
        start.disabled = false;
        await listRuns();
      }
    });
  };
  start.addEventListener("click", async () => {
    start.disabled = true;
    error.textContent = "";
    try {
      const payload = (await gql(START_BACKFILL, { input: { badgeCode: badge.code } })).startBackfill;
      if (payload.userErrors.length) {
        error.textContent = payload.userErrors.map((e) => e.message).join(" ");
        start.disabled = false;
        return;
      }
      show(payload.run);
      follow(payload.run.id);
    } catch (failure) {
      error.textContent = failure.message;
      start.disabled = false;
    }
  });
  listRuns().then((found) => {
    const running = found.find((r) => r.status === "RUNNING");
    if (running) {
      start.disabled = true;
      show(running);
      follow(running.id);
    }
  });
  return card;
}

// Challenges ---------------------------------------------------------------------------------

async function renderChallenges(main, code) {
  const challenges = (await gql(CHALLENGES)).challenges;
  const admin = isAdmin();
  const editing = code && code !== "new" ? challenges.find((c) => c.code === code) || null : null;
  const list = listPage(
    "Challenges",
    challenges,
    ["Challenge", "Goal", "When", "#Points"],
    (c) => h("tr", { dataset: { challenge: c.code } }, h("td", {}, h("a", { href: `#/program/challenges/${encodeURIComponent(c.code)}` }, c.title), h("div.muted.small.mono", {}, c.code)), h("td.small", {}, c.goal.description), h("td.small", {}, `${format.date(c.startsAt)} – ${format.date(c.endsAt)}`, c.recurrence !== "NONE" ? h("div.muted.small", {}, words(c.recurrence)) : null), h("td.num", {}, format.number(c.rewardPoints))),
    admin,
  );
  main.replaceChildren(head("challenges", "Time-boxed goals, once or every day, week or month."), readOnlyNote(), h("div.grid.member", {}, list, code ? challengeForm(editing, admin) : h("div")));
}

function challengeForm(challenge, admin) {
  const c = challenge || {};
  const fields = {
    code: h("input", { type: "text", name: "code", value: c.code || "", readonly: Boolean(challenge), disabled: !admin, autocomplete: "off" }),
    title: h("input", { type: "text", name: "title", maxlength: "120", value: c.title || "", disabled: !admin }),
    description: h("textarea", { name: "description", rows: "2", maxlength: "500", disabled: !admin }, c.description || ""),
    startsAt: h("input", { type: "datetime-local", name: "starts", value: isoToLocal(c.startsAt), disabled: !admin }),
    endsAt: h("input", { type: "datetime-local", name: "ends", value: isoToLocal(c.endsAt), disabled: !admin }),
    recurrence: h("select", { name: "recurrence", disabled: !admin }, ["NONE", "DAILY", "WEEKLY", "MONTHLY"].map((r) => h("option", { value: r, selected: r === (c.recurrence || "NONE") }, r === "NONE" ? "once" : words(r)))),
    rewardPoints: h("input", { type: "number", name: "reward-points", min: "0", step: "1", value: c.rewardPoints ?? 0, disabled: !admin }),
  };
  const submit = h("button.primary", { type: "submit", hidden: !admin }, challenge ? "Save challenge" : "Create challenge");
  const form = h("form.card.rule-form", { novalidate: true, "aria-label": "Challenge" });
  const goal = ruleEditor(c.goal, "goal", fields, form, admin);
  form.append(
    h("h2", {}, challenge ? `Challenge ${c.code}` : "New challenge"),
    h("p.form-error", { role: "alert" }),
    h("div.row", {}, field("Code", fields.code), field("Title", fields.title)),
    field("Description", fields.description),
    h("div.row", {}, field("Starts (your time)", fields.startsAt), field("Ends (your time)", fields.endsAt), field("Repeats", fields.recurrence)),
    field("Bonus points on completion", fields.rewardPoints),
    goal.inputs,
    goal.box,
    h("div.actions", {}, submit, h("a", { href: "#/program/challenges" }, "Close")),
  );
  onSave(
    form,
    fields,
    submit,
    async () => {
      const local = [];
      const startsAt = localToIso(fields.startsAt.value);
      const endsAt = localToIso(fields.endsAt.value);
      if (!startsAt) local.push({ field: ["input", "startsAt"], message: "Choose when it starts." });
      if (!endsAt) local.push({ field: ["input", "endsAt"], message: "Choose when it ends." });
      if (local.length) return { userErrors: local };
      const input = {
        code: fields.code.value.trim(),
        title: fields.title.value,
        description: fields.description.value,
        startsAt,
        endsAt,
        recurrence: fields.recurrence.value,
        rewardPoints: Number(fields.rewardPoints.value || 0),
        goal: goal.value(),
      };
      return (await gql(UPSERT_CHALLENGE, { input })).upsertChallenge;
    },
    async (payload) => {
      toast("Challenge saved.");
      location.hash = `#/program/challenges/${encodeURIComponent(payload.challenge.code)}`;
    },
  );
  return form;
}

// Rewards ------------------------------------------------------------------------------------

async function renderRewards(main, code) {
  const rewards = (await gql(REWARDS)).rewards;
  const admin = isAdmin();
  const editing = code && code !== "new" ? rewards.find((r) => r.code === code) || null : null;
  const stock = (r) => (r.stock === null ? "unlimited" : `${format.number(r.remainingStock)} of ${format.number(r.stock)}`);
  const list = listPage(
    "Rewards",
    rewards,
    ["Reward", "#Cost", "#Stock left", "State"],
    (r) => h("tr", { dataset: { reward: r.code } }, h("td", {}, h("a", { href: `#/program/rewards/${encodeURIComponent(r.code)}` }, r.name), h("div.muted.small.mono", {}, r.code)), h("td.num", {}, `${format.number(r.costPoints)} pts`), h("td.num", {}, stock(r)), h("td", {}, h(`span.pill.${r.active ? "active" : "ended"}`, {}, r.active ? "on offer" : "withdrawn"))),
    admin,
  );
  main.replaceChildren(head("rewards", "What members spend their points on, and how many coupons are left."), readOnlyNote(), h("div.grid.member", {}, list, code && admin ? rewardForm(editing) : h("div")));
}

function rewardForm(reward) {
  const r = reward || {};
  const fields = {
    code: h("input", { type: "text", name: "code", value: r.code || "", readonly: Boolean(reward), autocomplete: "off" }),
    name: h("input", { type: "text", name: "name", value: r.name || "" }),
    description: h("textarea", { name: "description", rows: "2" }, r.description || ""),
    kind: h("select", { name: "kind" }, ["PERCENT_DISCOUNT", "FIXED_DISCOUNT", "FREE_SHIPPING", "PRODUCT"].map((k) => h("option", { value: k, selected: k === r.kind }, words(k)))),
    costPoints: h("input", { type: "number", name: "cost", min: "1", step: "1", value: r.costPoints ?? "" }),
    value: h("input", { type: "text", inputmode: "decimal", name: "value", value: r.value ?? "" }),
    stock: h("input", { type: "number", name: "stock", min: "0", step: "1", value: r.stock ?? "" }),
    active: h("input", { type: "checkbox", name: "active", checked: reward ? r.active : true }),
  };
  const submit = h("button.primary", { type: "submit" }, reward ? "Save reward" : "Create reward");
  const form = h(
    "form.card",
    { novalidate: true, "aria-label": "Reward" },
    h("h2", {}, reward ? `Reward ${r.code}` : "New reward"),
    h("p.form-error", { role: "alert" }),
    h("div.row", {}, field("Code", fields.code), field("Name", fields.name)),
    field("Description", fields.description),
    h("div.row", {}, field("Kind", fields.kind), field("Cost (points)", fields.costPoints), field("Value", fields.value, "Percent or amount; empty for none.")),
    h("div.row", {}, field("Stock", fields.stock, "Coupons in total; empty: unlimited."), h("label.check", {}, fields.active, " On offer")),
    h("div.actions", {}, submit, h("a", { href: "#/program/rewards" }, "Close")),
  );
  onSave(
    form,
    fields,
    submit,
    async () => {
      const input = {
        code: fields.code.value.trim(),
        name: fields.name.value,
        description: fields.description.value,
        kind: fields.kind.value,
        costPoints: Number(fields.costPoints.value),
        value: fields.value.value.trim() || null,
        stock: numberOrNull(fields.stock.value),
        active: fields.active.checked,
      };
      if (!fields.costPoints.value.trim() || !Number.isInteger(input.costPoints)) return { userErrors: [{ field: ["input", "costPoints"], message: "Enter a whole number of points." }] };
      return (await gql(UPSERT_REWARD, { input })).upsertReward;
    },
    async () => {
      toast("Reward saved.");
      location.hash = "#/program/rewards";
    },
  );
  return form;
}

// Drops (live claims) --------------------------------------------------------------------------

async function renderDrops(main) {
  const body = h("div");
  const updated = h("p.muted.small", { role: "status" });
  const card = h("section.card", { "aria-label": "Drops' claims" }, h("h2", {}, "Drops"), updated, body);
  const draw = (drops) => {
    body.replaceChildren(
      simpleTable(
        "Drops",
        ["Drop", "Status", "#Claimed", "#Sell-through"],
        drops.map((d) => {
          const sold = d.totalQuantity - d.remainingQuantity;
          const share = d.totalQuantity ? sold / d.totalQuantity : 0;
          return h(
            "tr",
            { dataset: { drop: d.code, claimed: String(sold) } },
            h("td", {}, d.title, h("div.muted.small", {}, `${d.mode === "RAFFLE" ? "Raffle" : "First come"} · ${format.number(d.pricePoints)} pts · ${format.time(d.opensAt)} – ${format.time(d.closesAt)}`)),
            h("td", {}, h("span.pill", {}, words(d.status))),
            h("td.num", {}, `${format.number(sold)} / ${format.number(d.totalQuantity)}`),
            h("td.num.sell-through", {}, h("progress", { max: "1", value: String(share), "aria-label": `${d.title}: ${format.percent(share)} claimed` }), ` ${format.percent(share)}`),
          );
        }),
        "No drop yet.",
      ),
    );
    updated.textContent = `Live: read again every ${LIVE_MS / 1000} seconds · last at ${new Date().toLocaleTimeString("en")}`;
  };
  draw((await gql(DROPS)).drops);
  main.replaceChildren(head("drops", "Limited editions members claim with points; the claims update live."), card);
  poll(card, LIVE_MS, async () => draw((await gql(DROPS)).drops));
}

// Leaderboards (live top 10) -------------------------------------------------------------------

async function renderBoards(main, code) {
  const boards = (await gql(BOARDS)).leaderboards;
  const chosen = boards.find((b) => b.code === code) || boards[0];
  if (!chosen) {
    main.replaceChildren(head("boards", "Boards members compete on."), h("p.muted", {}, "No leaderboard yet."));
    return;
  }
  const board = h("select", { name: "board" }, boards.map((b) => h("option", { value: b.code, selected: b.code === chosen.code }, b.name)));
  const period = h("select", { name: "window" }, chosen.windows.map((w) => h("option", { value: w }, words(w))));
  board.addEventListener("change", () => (location.hash = `#/program/boards/${encodeURIComponent(board.value)}`));
  const body = h("div");
  const updated = h("p.muted.small", { role: "status" });
  const card = h(
    "section.card",
    { "aria-label": "Top 10" },
    h("form.filters", { onsubmit: (e) => e.preventDefault() }, field("Board", board), field("Window", period)),
    updated,
    body,
  );
  const draw = async () => {
    const top = (await gql(TOP, { code: board.value, window: period.value })).leaderboard;
    body.replaceChildren(
      simpleTable(
        `Top 10 of ${top.name}`,
        ["#Rank", "Member", "Tier", "#Score"],
        top.top.map((e) => h("tr", { dataset: { rank: String(e.rank) } }, h("td.num", {}, e.rank), h("td", {}, e.member.displayName), h("td.small", {}, e.member.tier.name), h("td.num", {}, format.number(e.score)))),
        "Nobody on this board in this period yet.",
      ),
    );
    updated.textContent = `${format.number(top.totalEntries)} members on the board · live, read again every ${LIVE_MS / 1000} seconds · last at ${new Date().toLocaleTimeString("en")}`;
  };
  period.addEventListener("change", draw);
  await draw();
  main.replaceChildren(head("boards", "Boards members compete on, with the live top 10."), card);
  poll(card, LIVE_MS, draw);
}
