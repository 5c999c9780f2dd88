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

/** Show userErrors next to their fields: `fields` maps the last path segment to an input. */
export function showUserErrors(form, userErrors, fields) {
  for (const slot of form.querySelectorAll(".field-error")) slot.textContent = "";
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const general = form.querySelector(".form-error");
  if (general) general.textContent = "";
  let focused = false;
  for (const error of userErrors) {
    const name = error.field ? error.field[error.field.length - 1] : null;
    const input = name ? fields[name] : null;
    if (input) {
      document.getElementById(`${input.id}-error`).textContent = error.message;
      input.setAttribute("aria-invalid", "true");
      if (!focused) input.focus();
      focused = true;
    } else if (general) {
      general.textContent = error.message;
    }
  }
}

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

export function loading(main, text = "Loading…") {
  main.replaceChildren(h("p.muted", { role: "status" }, text));
}
