// One side panel at a time (search, pins): a labelled <aside> at the right edge.
// Esc inside it closes it and gives focus back to the button that opened it.

import { h, uniqueId } from "./dom.js";
import { icon } from "./icons.js";

let active = null;

export function closeSidePanel() {
  if (active) active.close();
}

/**
 * @param {{name: string, title: string|Node, tools?: Node, body: Node, trigger?: HTMLElement, onClose?: Function}} options
 */
export function openSidePanel({ name, title, tools, body, trigger, onClose }) {
  if (active) active.close({ restoreFocus: false });
  const titleId = uniqueId("mm-panel-title");
  const closeButton = h("button", { type: "button", className: "mm-icon-button", attrs: { "aria-label": "Close" } }, icon("close"));
  const element = h(
    "aside",
    { className: `mm-side-panel mm-side-panel--${name}`, attrs: { "aria-labelledby": titleId }, dataset: { panel: name } },
    h("header", { className: "mm-side-panel__header" }, h("h2", { id: titleId, className: "mm-side-panel__title" }, title), closeButton),
    tools ? h("div", { className: "mm-side-panel__tools" }, tools) : null,
    h("div", { className: "mm-side-panel__body" }, body),
  );
  let closed = false;
  const close = ({ restoreFocus = true } = {}) => {
    if (closed) return;
    closed = true;
    element.remove();
    if (active === handle) active = null;
    trigger?.setAttribute("aria-expanded", "false");
    if (restoreFocus && trigger?.isConnected) trigger.focus();
    if (onClose) onClose();
  };
  const handle = { name, element, close };
  closeButton.addEventListener("click", () => close());
  element.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) {
      event.preventDefault();
      event.stopPropagation();
      close();
    }
  });
  document.body.append(element);
  trigger?.setAttribute("aria-expanded", "true");
  active = handle;
  return handle;
}

export function activePanel() {
  return active;
}
