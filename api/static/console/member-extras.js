// A member's page, continued: the challenges they completed, their drop claims, and the
// data rights an admin exercises for them (export everything; erase, with a confirmation).
import { currentSession, gql } from "./api.js";
import { confirmDialog, download, simpleTable } from "./forms.js";
import { format, h, section, toast } from "./ui.js";

/** The fields member(customerId) reads for these sections. */
export const MEMBER_EXTRAS = `
    challengeCompletions(first: 10) { challengeCode challengeTitle periodKey completedAt points }
    dropClaims(first: 10) { dropCode dropTitle status couponCode pointsSpent createdAt completedAt }`;

const EXPORT = `mutation ExportMemberData($customerId: String!) {
  exportMemberData(customerId: $customerId) { json userErrors { code field message } }
}`;
const ERASE = `mutation EraseMember($input: EraseMemberInput!) {
  eraseMember(input: $input) { erased userErrors { code field message } }
}`;

function rights(member) {
  const exportButton = h("button.ghost", { type: "button" }, "Export data (JSON)");
  const eraseButton = h("button.danger", { type: "button" }, "Erase member…");
  const error = h("p.form-error", { role: "alert" });
  exportButton.addEventListener("click", async () => {
    exportButton.disabled = true;
    try {
      const payload = (await gql(EXPORT, { customerId: member.customerId })).exportMemberData;
      if (payload.userErrors.length) {
        error.textContent = payload.userErrors.map((e) => e.message).join(" ");
        return;
      }
      download(`fidelio-member-${member.customerId}.json`, payload.json, "application/json");
      toast("Export downloaded (recorded in the audit log).");
    } finally {
      exportButton.disabled = false;
    }
  });
  eraseButton.addEventListener("click", async () => {
    const ok = await confirmDialog({
      title: `Erase ${member.displayName || member.customerId}?`,
      text: "Their profile, devices and notifications go for good; points and purchases stay, anonymised, for the accounts. This cannot be undone.",
      confirmLabel: "Erase for good",
      typeToConfirm: member.customerId,
    });
    if (!ok) return;
    const payload = (await gql(ERASE, { input: { customerId: member.customerId, confirm: true } })).eraseMember;
    if (payload.userErrors.length) {
      error.textContent = payload.userErrors.map((e) => e.message).join(" ");
      return;
    }
    toast(`${member.customerId} was erased.`);
    location.hash = "#/members";
  });
  return section(
    "Data rights",
    h("p.muted.small", {}, "For a request the member made to the shop. Both are recorded in the audit log."),
    error,
    h("div.actions", {}, exportButton, eraseButton),
  );
}

/** The sections to add to the member page's side column. */
export function memberExtras(member) {
  const admin = currentSession().role === "admin";
  return [
    section(
      "Challenges completed",
      simpleTable(
        "Challenges completed",
        ["Challenge", "Period", "#Points", "When"],
        member.challengeCompletions.map((c) => h("tr", {}, h("td", {}, c.challengeTitle), h("td.mono", {}, c.periodKey), h("td.num", {}, format.number(c.points)), h("td", {}, format.date(c.completedAt)))),
        "No challenge completed.",
      ),
    ),
    section(
      "Drop claims",
      simpleTable(
        "Drop claims",
        ["Drop", "Status", "#Points", "When"],
        member.dropClaims.map((c) => h("tr", {}, h("td", {}, c.dropTitle), h("td", {}, h("span.pill", {}, c.completedAt ? "BOUGHT" : c.status)), h("td.num", {}, format.number(c.pointsSpent)), h("td", {}, format.date(c.createdAt)))),
        "No drop claimed.",
      ),
    ),
    admin ? rights(member) : null,
  ];
}
