// Per-browser preferences, kept in localStorage and shared live between tabs.
//
//   preferences.get("enterToSend")            // true
//   preferences.set("theme", "dark")
//   const stop = preferences.subscribe("theme", (value) => …);
//
// Importing this module applies the theme (data-theme on <html>, absent for
// "system" so the OS preference decides) and the font scale (--mm-font-scale
// on <html>, used by panels.css to size the root font) at once.

const STORAGE_PREFIX = "minimost:pref:";

export const DEFAULTS = Object.freeze({
  enterToSend: true, // Enter sends, Shift+Enter new line; false: Enter new line, Ctrl+Enter sends
  theme: "system", // "system" | "dark" | "light"
  fontScale: 1, // 0.8 … 1.6
  notifications: true, // desktop notifications
  notifyWhileFocused: false, // also notify for the open channel while looking at it
  sounds: true, // message and ringing sounds
});

export const FONT_SCALE = Object.freeze({ min: 0.8, max: 1.6, step: 0.1 });
const THEMES = ["system", "dark", "light"];

const subscribers = new Map();

function valid(key, value) {
  switch (key) {
    case "theme":
      return THEMES.includes(value);
    case "fontScale":
      return typeof value === "number" && value >= FONT_SCALE.min && value <= FONT_SCALE.max;
    default:
      return key in DEFAULTS ? typeof value === typeof DEFAULTS[key] : value !== undefined;
  }
}

function read(key) {
  try {
    const raw = localStorage.getItem(STORAGE_PREFIX + key);
    if (raw === null) return undefined;
    const value = JSON.parse(raw);
    return valid(key, value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function emit(key, value) {
  for (const handler of subscribers.get(key) || []) {
    try {
      handler(value);
    } catch (error) {
      console.error(error);
    }
  }
}

export const preferences = {
  /** The stored value, or the default when nothing (valid) is stored. */
  get(key) {
    const value = read(key);
    return value === undefined ? DEFAULTS[key] : value;
  },

  /** Store a value and tell this tab's subscribers (other tabs hear it too). */
  set(key, value) {
    if (!valid(key, value)) throw new TypeError(`invalid value for preference ${key}: ${value}`);
    if (this.get(key) === value && read(key) !== undefined) return;
    try {
      localStorage.setItem(STORAGE_PREFIX + key, JSON.stringify(value));
    } catch (error) {
      console.warn("preferences could not be saved", error);
    }
    emit(key, value);
  },

  /** Call `handler(value)` on every change of `key`; returns unsubscribe. */
  subscribe(key, handler) {
    if (!subscribers.has(key)) subscribers.set(key, new Set());
    subscribers.get(key).add(handler);
    return () => subscribers.get(key)?.delete(handler);
  },
};

window.addEventListener("storage", (event) => {
  if (!event.key || !event.key.startsWith(STORAGE_PREFIX)) return;
  const key = event.key.slice(STORAGE_PREFIX.length);
  emit(key, preferences.get(key));
});

// ------------------------------------------------------------ theme and zoom

function applyTheme(theme) {
  const root = document.documentElement;
  if (theme === "dark" || theme === "light") root.dataset.theme = theme;
  else delete root.dataset.theme;
  const dark =
    theme === "dark" || (theme !== "light" && !window.matchMedia("(prefers-color-scheme: light)").matches);
  for (const meta of document.querySelectorAll('meta[name="theme-color"]')) {
    // One colour for the browser chrome once the user chose a theme.
    if (!meta.dataset.systemMedia) meta.dataset.systemMedia = meta.getAttribute("media") || "";
    if (theme === "system") meta.setAttribute("media", meta.dataset.systemMedia);
    else if (meta.dataset.systemMedia.includes(dark ? "dark" : "light")) meta.removeAttribute("media");
    else meta.setAttribute("media", "not all");
  }
}

function applyFontScale(scale) {
  document.documentElement.style.setProperty("--mm-font-scale", String(scale));
}

/** Round to the step so repeated zooming never drifts (0.30000000000000004). */
export function clampFontScale(value) {
  const stepped = Math.round(value / FONT_SCALE.step) * FONT_SCALE.step;
  return Math.min(FONT_SCALE.max, Math.max(FONT_SCALE.min, Number(stepped.toFixed(2))));
}

export function zoom(direction) {
  const next = direction === 0 ? DEFAULTS.fontScale : clampFontScale(preferences.get("fontScale") + direction * FONT_SCALE.step);
  preferences.set("fontScale", next);
  return next;
}

applyTheme(preferences.get("theme"));
applyFontScale(preferences.get("fontScale"));
preferences.subscribe("theme", applyTheme);
preferences.subscribe("fontScale", applyFontScale);
