// Small DOM helpers: elements are built with textContent only (no HTML from data).

/** h("div.card", {attrs}, children...) */
export function h(tag, attrs = {}, ...children) {
  const [name, ...classes] = tag.split(".");
  const element = document.createElement(name);
  if (classes.length) element.className = classes.join(" ");
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

let fieldIds = 0;

/** A labelled input with a slot for its error, linked by aria-describedby. */
export function field(label, input, hint) {
  const id = input.id || `f${++fieldIds}`;
  input.id = id;
  const error = h("p.field-error", { id: `${id}-error`, role: "alert" });
  input.setAttribute("aria-describedby", `${id}-error`);
  return h("div.field", {}, h("label", { for: id }, label), input, hint ? h("p.hint", {}, hint) : null, error);
}

/** The key of a userError's field: its path without the leading "input", joined by dots. */
export function pathKey(field) {
  if (!field) return null;
  const path = field[0] === "input" ? field.slice(1) : field;
  return path.join(".");
}

/**
 * Show userErrors next to their fields: `fields` maps a path key ("title", "texts.1.body",
 * "rule.minAge"; "input" left out) to an input made with field(). Errors of no known field go
 * to the form's .form-error. Returns whether there were errors. The first field at fault takes
 * the focus, unless `focus` is false (errors shown while the user types elsewhere).
 * Also exported as showUserErrors (its name on the first pages).
 */
export function showErrorsByPath(form, userErrors, fields, { focus = true } = {}) {
  for (const slot of form.querySelectorAll(".field-error")) slot.textContent = "";
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const general = form.querySelector(".form-error");
  if (general) general.textContent = "";
  let focused = false;
  const unplaced = [];
  for (const error of userErrors) {
    let key = pathKey(error.field);
    // An error on a list item's field may be reported on the list: try the longest known prefix.
    while (key && !fields[key] && key.includes(".")) key = key.slice(0, key.lastIndexOf("."));
    const input = key ? fields[key] : null;
    const slot = input && input.id ? document.getElementById(`${input.id}-error`) : null;
    if (slot) {
      slot.textContent = slot.textContent ? `${slot.textContent} ${error.message}` : error.message;
      input.setAttribute("aria-invalid", "true");
      if (!focused && focus) input.focus();
      focused = true;
    } else {
      unplaced.push(error.message);
    }
  }
  if (general) general.textContent = unplaced.join(" ");
  return userErrors.length > 0;
}

export { showErrorsByPath as showUserErrors };

/** A titled card of a page. */
export function section(title, ...content) {
  return h("section.card", { "aria-label": title }, h("h2", {}, title), ...content);
}

/** Show a short message at the foot of the page for a few seconds. */
export function toast(message) {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.classList.add("shown");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => box.classList.remove("shown"), 4000);
}

const numbers = new Intl.NumberFormat("en");
const dates = new Intl.DateTimeFormat("en", { dateStyle: "medium" });
const times = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });

export const format = {
  number: (v) => (v === null || v === undefined ? "—" : numbers.format(v)),
  money: (v, currency = "EUR") =>
    v === null || v === undefined
      ? "—"
      : new Intl.NumberFormat("en", { style: "currency", currency }).format(Number(v)),
  percent: (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`),
  decimal: (v) => (v === null || v === undefined ? "—" : Number(v).toFixed(2)),
  score: (v) => (v === null || v === undefined ? "—" : Number(v).toFixed(0)),
  date: (v) => (v ? dates.format(new Date(v)) : "—"),
  time: (v) => (v ? times.format(new Date(v)) : "—"),
};

/** Replace `main` with a loading line. */
export function loading(main, text = "Loading…") {
  main.replaceChildren(h("p.muted", { role: "status" }, text));
}
