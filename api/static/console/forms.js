// Helpers of the pages' forms and tables: confirmation dialogs, small tables, dates of
// inputs, downloads and CSV. The DOM basics (h, field, errors by path, toast) are in ui.js;
// pathKey and showErrorsByPath are exported from here too, as the pages import them.
import { h } from "./ui.js";

export { pathKey, showErrorsByPath } from "./ui.js";

/** Ask for a confirmation in a modal dialog; resolves to true when confirmed. */
export function confirmDialog({ title, text, confirmLabel, typeToConfirm }) {
  return new Promise((resolve) => {
    const typed = typeToConfirm
      ? h("input", { type: "text", name: "confirm-text", autocomplete: "off", "aria-label": `Type ${typeToConfirm} to confirm` })
      : null;
    const yes = h("button.danger", { type: "submit", disabled: Boolean(typeToConfirm) }, confirmLabel);
    const no = h("button.ghost", { type: "button" }, "Cancel");
    const dialog = h(
      "dialog.confirm",
      { "aria-labelledby": "confirm-title" },
      h(
        "form",
        { method: "dialog" },
        h("h2", { id: "confirm-title" }, title),
        h("p", {}, text),
        typed ? h("p.muted", {}, "Type ", h("strong.mono", {}, typeToConfirm), " to confirm.") : null,
        typed,
        h("div.actions", {}, no, yes),
      ),
    );
    if (typed) typed.addEventListener("input", () => (yes.disabled = typed.value.trim() !== typeToConfirm));
    const finish = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    no.addEventListener("click", () => finish(false));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(false);
    });
    dialog.querySelector("form").addEventListener("submit", (event) => {
      event.preventDefault();
      finish(true);
    });
    document.body.append(dialog);
    dialog.showModal();
    (typed || no).focus();
  });
}

/** A table, or a muted line when there are no rows. */
export function simpleTable(caption, columns, rows, empty) {
  if (!rows.length) return h("p.muted", {}, empty);
  return h(
    "table",
    {},
    h("caption.sr-only", {}, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => (c.startsWith("#") ? h("th.num", { scope: "col" }, c.slice(1)) : h("th", { scope: "col" }, c))))),
    h("tbody", {}, rows),
  );
}

/** A value of a datetime-local input as an ISO time with the browser's offset (null: empty). */
export function localToIso(value) {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** An ISO time as a datetime-local input's value, in the browser's time zone. */
export function isoToLocal(value) {
  if (!value) return "";
  const date = new Date(value);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Wait until the user stops typing for `ms`, then call `run` (the last call wins). */
export function debounce(run, ms = 300) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => run(...args), ms);
  };
}

/** A value as one CSV field: empty for null, objects as JSON, quoted when it must be. */
export function csvField(value) {
  const text = value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Save a text as a file download. */
export function download(filename, text, type) {
  const blob = new Blob([text], { type });
  const link = h("a", { href: URL.createObjectURL(blob), download: filename });
  document.body.append(link);
  link.click();
  link.remove();
}
