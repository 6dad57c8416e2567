// Who is who, for the panels: the user directory (GET /api/users) and presence
// (GET /api/presence), both kept live from the websocket once started.

import { api } from "../../api.js";
import { h } from "./dom.js";

const users = new Map(); // username -> {username, name_color, bio, avatar_url}
const presence = new Map(); // username -> "active" | "idle" (absent: offline)
const listeners = new Set();
let loaded = null;

function changed() {
  for (const listener of listeners) listener();
}

function follow(connection) {
  connection.on("user.created", (data) => {
    if (!users.has(data.username)) users.set(data.username, { username: data.username, name_color: null, bio: null, avatar_url: null });
    changed();
  });
  connection.on("user.updated", (data) => {
    users.set(data.username, { ...users.get(data.username), ...data });
    changed();
  });
  connection.on("user.deleted", (data) => {
    users.delete(data.username);
    presence.delete(data.username);
    changed();
  });
  connection.on("presence", (frame) => {
    if (frame.state === "offline") presence.delete(frame.username);
    else presence.set(frame.username, frame.state);
    changed();
  });
}

let following = false;

/** Load the directory and presence once, then follow their events on `connection`. */
export function startPeople(connection) {
  if (connection && !following) {
    following = true;
    follow(connection);
  }
  if (loaded) return loaded;
  loaded = Promise.all([api("GET", "/api/users"), api("GET", "/api/presence")]).then(([directory, online]) => {
    for (const user of directory.users) users.set(user.username, { ...user, ...users.get(user.username) });
    for (const [name, state] of Object.entries(online.users || {})) if (!presence.has(name)) presence.set(name, state);
    changed();
  });
  loaded.catch(() => {
    loaded = null;
  });
  return loaded;
}

/** Call `handler` whenever someone's profile or presence changes; returns unsubscribe. */
export function onPeopleChange(handler) {
  listeners.add(handler);
  return () => listeners.delete(handler);
}

export function allUsers() {
  return Array.from(users.values());
}

export function userNamed(name) {
  return users.get(name) || { username: name, name_color: null, bio: null, avatar_url: null };
}

export function presenceOf(name) {
  return presence.get(name) || "offline";
}

const PRESENCE_WORDS = { active: "Online", idle: "Away", offline: "Offline" };

export function presenceWord(name) {
  return PRESENCE_WORDS[presenceOf(name)] || "Offline";
}

/** The DM channel id of these people (sorted by code point, as the server does). */
export function dmChannel(...names) {
  return `dm:${Array.from(new Set(names)).sort().join(":")}`;
}

/** The participants of a dm:… channel id. */
export function dmMembers(channel) {
  return channel.startsWith("dm:") ? channel.slice(3).split(":") : [];
}

function luminance(hex) {
  const part = (i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * part(1) + 0.7152 * part(3) + 0.0722 * part(5);
}

/** A small avatar (picture or initial on the name colour) with a presence dot. */
export function personAvatar(name, { size = "sm", withPresence = true } = {}) {
  const user = userNamed(name);
  const avatar = h("span", { className: `mm-avatar mm-avatar--${size}`, attrs: { "aria-hidden": "true" } });
  const initial = () => h("span", { className: "mm-avatar__initial" }, (Array.from(name)[0] || "?").toUpperCase());
  if (user.name_color && /^#[0-9a-f]{6}$/i.test(user.name_color)) {
    avatar.style.setProperty("--mm-avatar-tint", user.name_color);
    avatar.style.setProperty("--mm-avatar-ink", 1.05 / (luminance(user.name_color) + 0.05) >= 3 ? "#ffffff" : "#111418");
  }
  if (user.avatar_url) {
    const img = h("img", { className: "mm-avatar__img", alt: "", src: user.avatar_url, loading: "lazy" });
    img.addEventListener("error", () => img.replaceWith(initial()), { once: true });
    avatar.append(img);
  } else {
    avatar.append(initial());
  }
  if (!withPresence) return avatar;
  const state = presenceOf(name);
  return h(
    "span",
    { className: "mm-avatar-with-presence" },
    avatar,
    h("span", { className: `mm-presence mm-presence--${state}`, title: presenceWord(name), attrs: { "aria-hidden": "true" } }),
  );
}

/** A name in the person's colour. */
export function personName(name, tag = "span") {
  const el = h(tag, { className: "mm-name" }, name);
  const color = userNamed(name).name_color;
  if (color) el.style.color = color;
  return el;
}
