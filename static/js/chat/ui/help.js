// The keyboard help dialog: every shortcut registered with the app's keyboard
// registry, filterable.

import { openDialog } from "./dialog.js";
import { h } from "./dom.js";

/** "ctrl+shift+k" -> [Ctrl] [Shift] [K]; a space separates sequences ("g g"). */
function keys(combo) {
  const names = { ctrl: "Ctrl", meta: "⌘", shift: "Shift", alt: "Alt", escape: "Esc", arrowup: "↑", arrowdown: "↓", enter: "Enter", " ": "Space" };
  const parts = [];
  combo.split(" ").forEach((step, index) => {
    if (index) parts.push(" then ");
    step.split("+").forEach((key, i) => {
      if (i) parts.push("+");
      const lower = key.toLowerCase();
      parts.push(h("kbd", { className: "mm-kbd" }, names[lower] || (key.length === 1 ? key : key[0].toUpperCase() + key.slice(1))));
    });
  });
  return parts;
}

// Keys the panels and dialogs handle themselves (not global shortcuts).
const IN_PANELS = [
  { combo: "Escape", description: "Close the dialog, panel or picker" },
  { combo: "ArrowUp", description: "Previous search result, name suggestion or emoji row" },
  { combo: "ArrowDown", description: "Next search result, name suggestion or emoji row" },
  { combo: "Enter", description: "Open the chosen search result, pick the chosen emoji" },
  { combo: "Tab", description: "Accept the chosen name suggestion" },
];

/**
 * @param {Array<{combo: string, description: string}>} entries the registered shortcuts
 */
export function openHelpDialog(registered) {
  const entries = [...registered, ...IN_PANELS];
  const filter = h("input", { className: "mm-input", type: "search", placeholder: "Filter shortcuts", autocomplete: "off", attrs: { "aria-label": "Filter shortcuts" } });
  const list = h("dl", { className: "mm-shortcuts" });
  const empty = h("p", { className: "mm-muted", hidden: true }, "Nothing matches that.");
  const render = () => {
    const text = filter.value.trim().toLowerCase();
    list.replaceChildren();
    const shown = entries.filter((entry) => `${entry.combo} ${entry.description}`.toLowerCase().includes(text));
    for (const entry of shown) list.append(h("dt", {}, keys(entry.combo)), h("dd", {}, entry.description));
    empty.hidden = shown.length > 0;
  };
  filter.addEventListener("input", render);
  render();
  return openDialog({
    title: "Keyboard shortcuts",
    content: h("div", { className: "mm-stack" }, filter, list, empty),
    className: "mm-help-dialog",
  });
}
