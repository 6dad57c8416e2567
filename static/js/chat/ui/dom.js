// Tiny DOM builders for the panels: every piece of user text goes in as a text node.

import { el as h } from "../../dom.js";

export { h };

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
