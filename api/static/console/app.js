// The console's router: #/sign-in, #/dashboard, #/members, #/members/<customer id>.
import { currentSession, loadSession, signIn, signOut } from "./api.js";
import { renderDashboard } from "./dashboard.js";
import { renderManaged } from "./manage.js";
import { renderMember, renderMembers } from "./members.js";
import { field, h, showUserErrors } from "./ui.js";

const main = document.getElementById("main");

function renderSignIn(reason) {
  document.querySelector(".topbar").hidden = true;
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: "current-password",
    required: true,
  });
  const submit = h("button.primary", { type: "submit" }, "Sign in");
  const form = h(
    "form.signin-card",
    { novalidate: true, "aria-labelledby": "signin-title" },
    h("div.brand.big", {}, h("span.brand-mark", { "aria-hidden": "true" }, "F"), " Fidelio"),
    h("h1", { id: "signin-title" }, "Sign in to the console"),
    reason ? h("p.notice", {}, reason) : null,
    h("p.form-error", { role: "alert" }),
    field("Email", email),
    field("Password", password),
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const result = await signIn(email.value, password.value);
      if (result.userErrors) {
        showUserErrors(form, result.userErrors, { email, password });
        return;
      }
      location.hash = "#/dashboard";
      await route();
    } finally {
      submit.disabled = false;
    }
  });
  main.replaceChildren(h("div.signin", {}, form));
  email.focus();
}

function showShell() {
  const session = currentSession();
  document.querySelector(".topbar").hidden = false;
  document.getElementById("who-email").textContent = session.email;
  const role = document.getElementById("who-role");
  role.textContent = session.role === "analyst" ? "Analyst · read only" : "Admin";
  role.className = `pill ${session.role}`;
  const page = location.hash.split("/")[1] || "dashboard";
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function route() {
  if (!currentSession()) await loadSession();
  if (!currentSession()) {
    renderSignIn();
    return;
  }
  const [, page, ...rest] = location.hash.split("/");
  if (!page || page === "sign-in") {
    location.replace("#/dashboard");
    return;
  }
  showShell();
  if (page === "members" && rest.length) await renderMember(main, decodeURIComponent(rest.join("/")));
  else if (page === "members") await renderMembers(main);
  else if (!(await renderManaged(main, page, rest))) await renderDashboard(main);
  // A new view takes the focus, so that the next Tab reaches its first control.
  if (!main.contains(document.activeElement)) main.focus({ preventScroll: true });
}

document.getElementById("sign-out").addEventListener("click", async () => {
  await signOut();
  location.hash = "#/sign-in";
  renderSignIn("You are signed out.");
});
window.addEventListener("console:signed-out", () => renderSignIn("Your session ended: sign in again."));
window.addEventListener("hashchange", route);
route();
