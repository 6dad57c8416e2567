// The app's keyboard shortcuts: one registry, one global keydown listener.
//
//   const off = keyboard.register("ctrl+k", "Jump to a conversation", () => …);
//   keyboard.entries()   // [{combo, description}] for the help dialog
//
// Combos: optional "ctrl+" (⌘ on a Mac counts as Ctrl), "alt+", "shift+" (only with
// keys that are not characters, e.g. "shift+arrowup"), then the key as the browser
// names it, lower-case for named keys ("arrowdown", "escape") and as typed for
// characters ("?", "G", "+"). Shortcuts without Ctrl or Alt never fire while typing
// in a field or while a dialog is open. A mode (visual mode) may take every key first.

const registered = new Map(); // combo -> [{description, handler}]
let mode = null;

export function comboOf(event) {
  const parts = [];
  if (event.ctrlKey || event.metaKey) parts.push("ctrl");
  if (event.altKey) parts.push("alt");
  const character = event.key.length === 1;
  if (event.shiftKey && !character) parts.push("shift");
  parts.push(character ? (parts.length ? event.key.toLowerCase() : event.key) : event.key.toLowerCase());
  return parts.join("+");
}

function typingIn(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  if (target.matches("textarea, select")) return true;
  if (target.matches("input")) return !["button", "checkbox", "radio", "submit", "reset", "range", "color", "file"].includes(target.type);
  return false;
}

function dialogOpen() {
  return Boolean(document.querySelector("dialog[open]"));
}

export const keyboard = {
  register(combo, description, handler) {
    const key = combo.toLowerCase() === combo || combo.length === 1 ? combo : combo.toLowerCase();
    const entry = { description, handler };
    if (!registered.has(key)) registered.set(key, []);
    registered.get(key).push(entry);
    return () => {
      const list = registered.get(key) || [];
      const at = list.indexOf(entry);
      if (at >= 0) list.splice(at, 1);
    };
  },

  entries() {
    const listed = [];
    for (const [combo, list] of registered) {
      for (const { description } of list) listed.push({ combo, description });
    }
    return listed;
  },

  list() {
    return keyboard.entries();
  },

  /** Give every keydown to `handler(event, combo) -> handled` first (null to end the mode). */
  setMode(handler) {
    mode = handler;
  },
};

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.isComposing) return;
  const combo = comboOf(event);
  if (mode && !dialogOpen() && mode(event, combo)) {
    event.preventDefault();
    return;
  }
  const list = registered.get(combo);
  if (!list || !list.length) return;
  const modified = event.ctrlKey || event.metaKey || event.altKey;
  if (!modified && (typingIn(event.target) || dialogOpen())) return;
  if (modified && dialogOpen() && combo !== "ctrl+k") return;
  const { handler } = list[list.length - 1];
  const result = handler(event);
  if (result !== false) event.preventDefault();
});
