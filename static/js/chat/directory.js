// Everyone's profile (name colour, avatar) and presence, for names, avatars and dots
// in the app shell: GET /api/users and /api/presence, then kept live from the socket.

import { api } from "../api.js";
import { defaultNameColor, el } from "./dom.js";

const users = new Map();
const presence = new Map(); // username -> "active" | "idle" | "hidden" (absent: offline)
const listeners = new Set();

function changed(kind) {
  for (const listener of listeners) listener(kind);
}

export const directory = {
  async load() {
    const [listed, online] = await Promise.all([api("GET", "/api/users"), api("GET", "/api/presence")]);
    users.clear();
    for (const user of listed.users || []) users.set(user.username, user);
    presence.clear();
    for (const [name, shown] of Object.entries(online.users || {})) presence.set(name, shown);
    changed("all");
  },

  follow(connection) {
    connection.on("user.created", (data) => {
      if (!users.has(data.username)) users.set(data.username, { username: data.username });
      changed("users");
    });
    connection.on("user.updated", (data) => {
      users.set(data.username, { ...users.get(data.username), ...data });
      changed("users");
    });
    connection.on("user.deleted", (data) => {
      users.delete(data.username);
      presence.delete(data.username);
      changed("users");
    });
    connection.on("presence", (frame) => {
      if (frame.state === "offline") presence.delete(frame.username);
      else presence.set(frame.username, frame.state);
      changed("presence");
    });
  },

  onChange(handler) {
    listeners.add(handler);
    return () => listeners.delete(handler);
  },

  names() {
    return [...users.keys()];
  },

  user(name) {
    return users.get(name) || { username: name };
  },

  known(name) {
    return users.has(name);
  },

  presence(name) {
    const shown = presence.get(name);
    if (!shown) return "offline";
    return shown === "hidden" ? "idle" : shown;
  },

  color(name) {
    const chosen = users.get(name)?.name_color;
    return chosen && /^#[0-9a-f]{6}$/i.test(chosen) ? chosen : defaultNameColor(name);
  },
};

const PRESENCE_WORDS = { active: "Online", idle: "Away", offline: "Offline" };

export function presenceWord(name) {
  return PRESENCE_WORDS[directory.presence(name)];
}

/** An avatar: the picture, or the initial on the person's colour. */
export function avatarOf(name, { size = "md", system = false } = {}) {
  const box = el("span", { className: `mm-chat-avatar mm-chat-avatar--${size}`, attrs: { "aria-hidden": "true" } });
  if (system) {
    box.classList.add("mm-chat-avatar--system");
    box.append(el("img", { src: "/static/img/favicon.svg", alt: "" }));
    return box;
  }
  const url = directory.user(name).avatar_url;
  const initial = () => el("span", { className: "mm-chat-avatar__initial" }, (Array.from(name)[0] || "?").toUpperCase());
  box.style.setProperty("--mm-avatar-bg", directory.color(name));
  if (url) {
    const img = el("img", { src: url, alt: "", loading: "lazy", decoding: "async" });
    img.addEventListener("error", () => img.replaceWith(initial()), { once: true });
    box.append(img);
  } else {
    box.append(initial());
  }
  return box;
}

export function presenceDot(name) {
  const shown = directory.presence(name);
  return el("span", { className: `mm-dot mm-dot--${shown}`, title: presenceWord(name), attrs: { "aria-hidden": "true" } });
}
