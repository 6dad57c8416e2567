// The emoji picker: reactions on a message, or emoji typed into the composer.
//
//   const picker = openEmojiPicker({ anchor: button, mode: "reaction", onPick: ({name, emoji, label}) => … });
//   picker.close();
//
// A popover next to `anchor` with a search box (name and label), a grid of the
// server's reaction emoji and a footer naming the one under the cursor.
// Arrows move through the grid, Enter picks the selected one (the first match
// while typing), Esc closes and gives focus back to the anchor. "reaction" mode
// closes after a pick; "insert" mode stays open for several.

import { h, uniqueId } from "./dom.js";
import { filterReactions, loadReactions } from "./reactions-data.js";

let current = null;

function columnsOf(grid) {
  const items = grid.querySelectorAll(".mm-emoji");
  if (items.length < 2) return 1;
  const top = items[0].offsetTop;
  let count = 0;
  for (const item of items) {
    if (item.offsetTop !== top) break;
    count += 1;
  }
  return Math.max(1, count);
}

function place(picker, anchor) {
  const margin = 8;
  const rect = anchor.getBoundingClientRect();
  const width = picker.offsetWidth;
  const height = picker.offsetHeight;
  let top = rect.top - height - margin;
  if (top < margin) top = Math.min(rect.bottom + margin, window.innerHeight - height - margin);
  // Right edges aligned when there is room on the left, else left edges.
  let left = rect.right - width >= margin ? rect.right - width : rect.left;
  left = Math.max(margin, Math.min(left, window.innerWidth - width - margin));
  picker.style.top = `${Math.max(margin, top)}px`;
  picker.style.left = `${left}px`;
}

/**
 * @param {{anchor: Element, mode?: "reaction"|"insert", onPick: Function, onClose?: Function}} options
 * @returns {{close: Function, element: HTMLElement}}
 */
export function openEmojiPicker({ anchor, mode = "reaction", onPick, onClose }) {
  if (current) current.close();
  const returnFocus = anchor instanceof HTMLElement ? anchor : document.activeElement;
  const gridId = uniqueId("mm-emoji-grid");
  const search = h("input", {
    className: "mm-input",
    type: "search",
    placeholder: "Search emoji",
    autocomplete: "off",
    spellcheck: false,
    attrs: {
      "aria-label": mode === "reaction" ? "Search reactions" : "Search emoji",
      role: "combobox",
      "aria-controls": gridId,
      "aria-expanded": "true",
      "aria-autocomplete": "list",
    },
  });
  const grid = h("ul", {
    id: gridId,
    className: "mm-emoji-grid",
    attrs: { role: "listbox", "aria-label": mode === "reaction" ? "Reactions" : "Emoji" },
  });
  const preview = h("span", { className: "mm-emoji-picker__preview", attrs: { "aria-hidden": "true" } });
  const label = h("span", { className: "mm-emoji-picker__label" });
  const picker = h(
    "div",
    {
      className: "mm-emoji-picker",
      attrs: { role: "dialog", "aria-label": mode === "reaction" ? "Add a reaction" : "Insert emoji" },
      dataset: { mode },
    },
    h("div", { className: "mm-emoji-picker__search" }, search),
    grid,
    h("div", { className: "mm-emoji-picker__footer" }, preview, label),
  );

  let shown = [];
  let selected = 0;
  let reactions = new Map();
  let closed = false;

  const describe = (item) => {
    preview.textContent = item ? item.emoji : "";
    label.replaceChildren();
    if (item) label.append(item.label, " ", h("code", {}, `:${item.name}:`));
    else label.append(mode === "insert" ? "Pick as many as you like" : "Pick a reaction");
  };

  const select = (index, { scroll = true } = {}) => {
    const items = grid.querySelectorAll(".mm-emoji");
    if (!items.length) {
      selected = 0;
      search.removeAttribute("aria-activedescendant");
      describe(null);
      return;
    }
    selected = Math.max(0, Math.min(index, items.length - 1));
    items.forEach((item, i) => item.setAttribute("aria-selected", String(i === selected)));
    const chosen = items[selected];
    search.setAttribute("aria-activedescendant", chosen.id);
    if (scroll) chosen.scrollIntoView({ block: "nearest" });
    describe(shown[selected]);
  };

  const render = () => {
    shown = filterReactions(reactions, search.value);
    grid.replaceChildren(
      ...shown.map((item, index) =>
        h(
          "li",
          {
            id: `${gridId}-${item.name}`,
            className: "mm-emoji",
            title: `${item.label} (:${item.name}:)`,
            attrs: { role: "option", "aria-selected": "false", "aria-label": item.label },
            dataset: { name: item.name, index: String(index) },
          },
          item.emoji,
        ),
      ),
    );
    if (!shown.length && reactions.size) {
      grid.append(h("li", { className: "mm-emoji-picker__empty", attrs: { role: "presentation" } }, "No emoji match that."));
    }
    select(0, { scroll: false });
    grid.scrollTop = 0;
  };

  const pick = (item) => {
    if (!item) return;
    onPick({ name: item.name, emoji: item.emoji, label: item.label });
    if (mode === "reaction") close();
    else search.focus();
  };

  const close = () => {
    if (closed) return;
    closed = true;
    if (current === handle) current = null;
    picker.remove();
    document.removeEventListener("pointerdown", outside, true);
    window.removeEventListener("resize", reposition);
    if (returnFocus instanceof HTMLElement && returnFocus.isConnected) returnFocus.focus({ preventScroll: true });
    if (onClose) onClose();
  };
  const handle = { close, element: picker };

  const outside = (event) => {
    if (!picker.contains(event.target) && !anchor.contains(event.target)) close();
  };
  const reposition = () => place(picker, anchor);

  search.addEventListener("input", render);
  picker.addEventListener("keydown", (event) => {
    const columns = columnsOf(grid);
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns, ArrowUp: -columns };
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation(); // only the picker closes, not a dialog around it
      close();
    } else if (event.key === "Enter") {
      event.preventDefault();
      pick(shown[selected]);
    } else if (event.key in moves && !(event.target === search && (event.key === "ArrowLeft" || event.key === "ArrowRight") && search.value)) {
      event.preventDefault();
      select(selected + moves[event.key]);
    } else if (event.key === "Tab") {
      event.preventDefault(); // the search box is the only stop; the grid follows it
    }
  });
  grid.addEventListener("click", (event) => {
    const item = event.target.closest(".mm-emoji");
    if (item) pick(shown[Number(item.dataset.index)]);
  });
  grid.addEventListener("pointermove", (event) => {
    const item = event.target.closest(".mm-emoji");
    if (item && Number(item.dataset.index) !== selected) select(Number(item.dataset.index), { scroll: false });
  });

  describe(null);
  grid.append(h("li", { className: "mm-emoji-picker__empty", attrs: { role: "presentation" } }, "Loading…"));
  // Inside a modal dialog everything outside it is inert: live in the dialog then.
  (anchor.closest("dialog[open]") || document.body).append(picker);
  place(picker, anchor);
  search.focus();
  document.addEventListener("pointerdown", outside, true);
  window.addEventListener("resize", reposition);
  current = handle;

  loadReactions().then(
    (loaded) => {
      if (closed) return;
      reactions = loaded;
      render();
    },
    (error) => {
      if (closed) return;
      grid.replaceChildren(
        h("li", { className: "mm-emoji-picker__empty", attrs: { role: "presentation" } }, error.message || "Could not load the emoji."),
      );
    },
  );
  return handle;
}
