// Members: search by customer id or name; a member's page with their points, ledger (with
// who wrote each entry), badges, progress in the running challenges, coupons, devices and
// notifications; adjusting points.
import { currentSession, gql } from "./api.js";
import { MEMBER_EXTRAS, memberExtras } from "./member-extras.js";
import { simpleTable } from "./forms.js";
import { field, format, h, loading, section, showUserErrors, toast } from "./ui.js";

const SEARCH = `query SearchMembers($text: String!) {
  searchMembers(text: $text, first: 50) { customerId displayName email city country joinedAt tier { name } }
}`;
const MEMBER = `query ConsoleMember($customerId: String!) {
  member(customerId: $customerId) {
    customerId displayName email locale timeZone country city joinedAt
    tier { code name level }
    nextTier { tier { name } qualifyingPoints qualifyingPointsNeeded }
    points { balance pending lifetimeEarned expiringSoon { points expiresAt } }
    pointsHistory(first: 50) { edges { node { id kind delta description createdAt actor } } }
    badges { earnedAt badge { code name } }
    challengeProgress {
      challenge { code title startsAt endsAt recurrence goal { description } }
      periodKey periodStartsAt periodEndsAt current target completed completedAt segmentCode
    }
    redemptions(first: 20) { couponCode status pointsSpent createdAt reward { name } }
    devices { platform appVersion lastSeenAt }
    notifications(first: 10) { unreadCount edges { node { title category createdAt pushStatus } } }
    ${MEMBER_EXTRAS}
  }
}`;
const ADJUST = `mutation AdjustPoints($input: AdjustPointsInput!) {
  adjustPoints(input: $input) { points { balance } userErrors { code field message } }
}`;

export async function renderMembers(main) {
  const text = h("input", { type: "search", name: "q", placeholder: "e.g. alice or Alice", autocomplete: "off" });
  const results = h("div.results", { "aria-live": "polite" });
  const form = h(
    "form.search",
    { role: "search", "aria-label": "Find a member" },
    field("Customer id or name", text),
    h("div.actions", {}, h("button.primary", { type: "submit" }, "Search")),
  );
  main.replaceChildren(
    h("div.page-head", {}, h("h1", {}, "Members"), h("p.muted", {}, "Find a member by the shop's customer id or by name.")),
    form,
    results,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    loading(results, "Searching…");
    const found = (await gql(SEARCH, { text: text.value })).searchMembers;
    if (!found.length) {
      results.replaceChildren(h("p.muted", {}, `No member matches “${text.value}”.`));
      return;
    }
    results.replaceChildren(
      h(
        "table.card",
        {},
        h("caption.sr-only", {}, "Members found"),
        h("thead", {}, h("tr", {}, ["Member", "Customer id", "Tier", "Email", "Place", "Joined"].map((c) => h("th", { scope: "col" }, c)))),
        h(
          "tbody",
          {},
          found.map((m) =>
            h(
              "tr",
              {},
              h("td", {}, h("a", { href: `#/members/${encodeURIComponent(m.customerId)}` }, m.displayName || m.customerId)),
              h("td.mono", {}, m.customerId),
              h("td", {}, h("span.pill", {}, m.tier.name)),
              h("td", {}, m.email || "—"),
              h("td", {}, [m.city, m.country].filter(Boolean).join(", ") || "—"),
              h("td", {}, format.date(m.joinedAt)),
            ),
          ),
        ),
      ),
    );
  });
  text.focus();
}

/** The member's progress in each active challenge, in its current period for them; days are
 * the member's (their time zone), as the periods are. */
function challengeProgress(items, timeZone) {
  if (!items.length) return h("p.muted", {}, "No challenge is running.");
  let days;
  try {
    days = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone });
  } catch {
    days = new Intl.DateTimeFormat("en", { dateStyle: "medium" }); // a zone this browser lacks
  }
  const day = (v) => days.format(new Date(v));
  const lastDay = (v) => days.format(new Date(new Date(v).getTime() - 1));
  const periods = { DAILY: "today", WEEKLY: "this week", MONTHLY: "this month" };
  return h(
    "ul.challenges",
    {},
    items.map((p) => {
      const c = p.challenge;
      const span = day(p.periodStartsAt) === lastDay(p.periodEndsAt) ? day(p.periodStartsAt) : `${day(p.periodStartsAt)} – ${lastDay(p.periodEndsAt)}`;
      const period = periods[c.recurrence] ? `${periods[c.recurrence]} (${span}) · ` : "";
      return h(
        "li",
        { dataset: { challenge: c.code, completed: String(p.completed) } },
        h("div.challenge-head", {}, h("span.badge-name", {}, c.title), h(`span.pill${p.completed ? ".done" : ""}`, {}, p.completed ? "Completed" : "In progress")),
        h("progress", { max: String(p.target), value: String(Math.min(p.current, p.target)), "aria-label": `Progress in ${c.title}` }),
        h("p.muted.small", {}, `${format.number(p.current)} of ${format.number(p.target)} · ${c.goal.description}`),
        h("p.muted.small", {}, p.completed ? `Completed ${format.time(p.completedAt)} · ` : "", `${period}runs ${day(c.startsAt)} – ${lastDay(c.endsAt)}`),
        p.segmentCode ? h("p.muted.small", {}, "For the segment ", h("span.mono", {}, p.segmentCode), " only") : null,
      );
    }),
  );
}

function adjustForm(member, onDone) {
  const delta = h("input", { type: "number", name: "delta", step: "1", inputmode: "numeric" });
  const reason = h("input", { type: "text", name: "reason", maxlength: "200" });
  const submit = h("button.primary", { type: "submit" }, "Adjust points");
  const form = h(
    "form.adjust",
    { "aria-label": "Adjust points", novalidate: true },
    h("p.form-error", { role: "alert" }),
    field("Points (negative to take)", delta),
    field("Reason", reason, "Kept in the ledger with your email."),
    h("div.actions", {}, submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = delta.value.trim();
    const number = Number(value);
    if (!value || !Number.isInteger(number)) {
      showUserErrors(form, [{ field: ["input", "delta"], message: "Enter a whole number of points." }], { delta, reason });
      return;
    }
    submit.disabled = true;
    try {
      const payload = (
        await gql(ADJUST, { input: { customerId: member.customerId, delta: number, reason: reason.value } })
      ).adjustPoints;
      showUserErrors(form, payload.userErrors, { delta, reason });
      if (!payload.userErrors.length) {
        toast(`${number > 0 ? "Added" : "Took"} ${Math.abs(number)} points. Balance: ${payload.points.balance}.`);
        await onDone();
      }
    } catch (error) {
      showUserErrors(form, [{ field: null, message: error.message }], {});
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export async function renderMember(main, customerId) {
  loading(main);
  const member = (await gql(MEMBER, { customerId })).member;
  if (!member) {
    main.replaceChildren(h("div.page-head", {}, h("h1", {}, "No such member"), h("p", {}, h("a", { href: "#/members" }, "Back to the search"))));
    return;
  }
  const admin = currentSession().role === "admin";
  const next = member.nextTier;
  const progress = next
    ? h(
        "div.progress",
        {},
        h("progress", {
          max: String(next.qualifyingPoints + next.qualifyingPointsNeeded),
          value: String(next.qualifyingPoints),
          "aria-label": `Progress to ${next.tier.name}`,
        }),
        h("p.muted", {}, `${format.number(next.qualifyingPointsNeeded)} points to ${next.tier.name}`),
      )
    : h("p.muted", {}, "Top tier reached.");
  const ledgerRows = member.pointsHistory.edges.map(({ node }) =>
    h(
      "tr",
      { dataset: { entry: node.id } },
      h("td", {}, format.time(node.createdAt)),
      h("td", {}, h(`span.kind.${node.kind.toLowerCase()}`, {}, node.kind)),
      h(`td.num.${node.delta < 0 ? "neg" : "pos"}`, {}, `${node.delta > 0 ? "+" : ""}${format.number(node.delta)}`),
      h("td", {}, node.description),
      h("td.actor", {}, node.actor || h("span.muted", {}, "program")),
    ),
  );
  main.replaceChildren(
    h("p.crumbs", {}, h("a", { href: "#/members" }, "Members"), " / ", member.customerId),
    h(
      "div.member-head.card",
      {},
      h("div.avatar", { "aria-hidden": "true" }, (member.displayName || member.customerId).slice(0, 1).toUpperCase()),
      h(
        "div",
        {},
        h("h1", {}, member.displayName || member.customerId),
        h("p.muted", {}, [member.customerId, member.email, [member.city, member.country].filter(Boolean).join(", "), `joined ${format.date(member.joinedAt)}`].filter(Boolean).join(" · ")),
      ),
      h("div.tier", {}, h("span.pill.tier-pill", {}, member.tier.name), progress),
    ),
    h(
      "div.grid.stats",
      {},
      [
        ["Balance", member.points.balance, "balance"],
        ["Pending", member.points.pending, "pending"],
        ["Lifetime earned", member.points.lifetimeEarned, "lifetime"],
      ].map(([label, value, key]) => h("div.card.stat", {}, h("p.label", {}, label), h("p.value", { dataset: { value: key } }, format.number(value)))),
    ),
    h(
      "div.grid.member",
      {},
      section(
        "Points ledger",
        simpleTable("Ledger entries, newest first", ["When", "Kind", "#Points", "What", "By"], ledgerRows, "No ledger entry yet."),
      ),
      h(
        "div.side",
        {},
        admin ? section("Adjust points", adjustForm(member, () => renderMember(main, customerId))) : null,
        section(
          "Badges",
          member.badges.length
            ? h("ul.badges", {}, member.badges.map((b) => h("li", {}, h("span.badge-name", {}, b.badge.name), h("span.muted", {}, format.date(b.earnedAt)))))
            : h("p.muted", {}, "No badge yet."),
        ),
        section("Challenges running", challengeProgress(member.challengeProgress, member.timeZone)),
        section(
          "Coupons",
          simpleTable(
            "Coupons",
            ["Reward", "Status", "#Points"],
            member.redemptions.map((r) => h("tr", {}, h("td", {}, r.reward.name), h("td", {}, h("span.pill", {}, r.status)), h("td.num", {}, format.number(r.pointsSpent)))),
            "No coupon.",
          ),
        ),
        section(
          "Devices",
          simpleTable(
            "Devices",
            ["Platform", "App", "Last seen"],
            member.devices.map((d) => h("tr", {}, h("td", {}, d.platform), h("td", {}, d.appVersion || "—"), h("td", {}, format.date(d.lastSeenAt)))),
            "No device registered.",
          ),
        ),
        section(
          `Notifications (${member.notifications.unreadCount} unread)`,
          simpleTable(
            "Latest notifications",
            ["Title", "Push", "When"],
            member.notifications.edges.map(({ node }) => h("tr", {}, h("td", {}, node.title), h("td", {}, node.pushStatus), h("td", {}, format.date(node.createdAt)))),
            "No notification.",
          ),
        ),
        ...memberExtras(member),
      ),
    ),
  );
  window.scrollTo(0, 0);
  main.focus({ preventScroll: true });
}
