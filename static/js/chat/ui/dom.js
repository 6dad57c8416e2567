// Tiny DOM builders for the panels: every piece of user text goes in as a text node.

/**
 * Create an element. `props` sets properties (className, type, …), `attrs`
 * under props.attrs sets attributes, `on` under props.on adds listeners;
 * children are Nodes or strings (strings become text nodes).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  const { attrs, on, dataset, ...rest } = props || {};
  for (const [name, value] of Object.entries(rest)) {
    if (value !== undefined && value !== null) el[name] = value;
  }
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === undefined || value === null) continue;
    el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const [name, value] of Object.entries(dataset || {})) el.dataset[name] = value;
  for (const [type, handler] of Object.entries(on || {})) el.addEventListener(type, handler);
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let ids = 0;
/** A document-unique id with a readable prefix. */
export function uniqueId(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A status line (role=status, or role=alert for errors) that shows one message. */
export function statusLine() {
  const box = h("div", { className: "mm-panel-status", attrs: { "aria-live": "polite" } });
  return {
    element: box,
    show(kind, message) {
      box.replaceChildren();
      if (!message) return;
      box.append(
        h(
          "div",
          {
            className: `mm-alert mm-alert--${kind}`,
            attrs: { role: kind === "error" ? "alert" : "status" },
          },
          h("p", {}, message),
        ),
      );
    },
    clear() {
      box.replaceChildren();
    },
  };
}

/** "3:07 PM" today, otherwise "12 Mar, 3:07 PM" (a year is added when it differs). */
export function shortTime(epochSeconds) {
  const date = new Date(epochSeconds * 1000);
  const now = new Date();
  const time = date.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  if (date.toDateString() === now.toDateString()) return time;
  const options = { day: "numeric", month: "short" };
  if (date.getFullYear() !== now.getFullYear()) options.year = "numeric";
  return `${date.toLocaleDateString([], options)}, ${time}`;
}

/** The full local date and time, for tooltips. */
export function fullTime(epochSeconds) {
  return new Date(epochSeconds * 1000).toLocaleString();
}
