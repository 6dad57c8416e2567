// Boots the chat client: connection, state, sidebar, message list, composer, header,
// menu, channel switcher and keyboard map, then mounts the panels and calls with
//
//   ctx = {api, connection, state, keyboard, jumpToMessage(channel, id), openChannel(id),
//          headerActions: HTMLElement, menu: {add({label, shortcut?, onSelect})}}

import { api } from "../api.js";
import { mountComposer, focusComposer } from "./composer.js";
import { connection } from "./connection.js";
import { avatarOf, directory, presenceWord } from "./directory.js";
import { el, plural, toast } from "./dom.js";
import { keyboard } from "./keyboard.js";
import { jumpToMessage, mountMessages, reloadChannel } from "./messages.js";
import { outbox } from "./outbox.js";
import { panels } from "./panels.js";
import { useReactionNames } from "./render.js";
import { closeDrawer, mountSidebar, setSidebarActions } from "./sidebar.js";
import { MENTIONS, state } from "./state.js";

const config = JSON.parse(document.getElementById("chat-config").textContent);
const chat = document.getElementById("chat");
const IDLE_AFTER_MS = 5 * 60 * 1000;
const BANNER_GRACE_MS = 2500;

// ------------------------------------------------------------------ header

function renderHeader() {
  const channel = state.shown();
  const title = document.getElementById("channel-title");
  const meta = document.getElementById("channel-meta");
  const logBox = document.getElementById("message-log");
  if (!channel) return;
  chat.dataset.channel = channel;
  if (channel === MENTIONS) {
    title.textContent = "@ Mentions";
    meta.textContent = "Unread messages that mention you";
    document.title = "Mentions · MiniMost";
    chat.dataset.kind = "mentions";
    return;
  }
  const entry = state.channel(channel);
  chat.dataset.kind = entry?.kind || "public";
  if (!entry) return;
  let heading;
  let description;
  if (entry.kind === "public") {
    heading = `# ${entry.label}`;
    description = `Public channel · everyone (${plural(directory.names().length || 1, "member")})`;
  } else if (entry.kind === "private") {
    heading = `🔒 ${entry.label}`;
    description = `Private channel · ${plural(entry.members.length, "member")}: ${entry.members.join(", ")}`;
  } else {
    const others = entry.members.filter((name) => name !== state.me.username);
    heading = `@ ${entry.label}`;
    description = others.length === 1 ? `Direct message · ${presenceWord(others[0])}` : `Group message · ${plural(entry.members.length, "person", "people")}`;
  }
  title.textContent = heading;
  meta.textContent = description;
  logBox.setAttribute("aria-label", `Messages in ${heading}`);
  document.title = `${heading} · MiniMost`;
}

// ------------------------------------------------------------------ connection banner

function watchConnection() {
  const banner = document.getElementById("connection-banner");
  const text = document.getElementById("connection-text");
  const status = document.getElementById("me-status");
  let timer = null;
  document.getElementById("reconnect-now").addEventListener("click", () => connection.reconnectNow());
  connection.onStatus((value) => {
    chat.dataset.connection = value;
    clearTimeout(timer);
    if (value === "open") {
      banner.hidden = true;
      status.textContent = "Online";
      outbox.linkUp();
      return;
    }
    if (value === "down") {
      outbox.linkDown();
      status.textContent = "Reconnecting…";
      timer = setTimeout(() => {
        text.textContent = connection.refusal || (navigator.onLine ? "Connection lost — reconnecting…" : "You are offline — messages will be sent when the connection is back.");
        banner.hidden = false;
      }, navigator.onLine ? BANNER_GRACE_MS : 0);
    }
  });
}

// ------------------------------------------------------------------ presence

function reportPresence() {
  let idleTimer = null;
  let reported = null;
  const report = (value) => {
    if (value === reported) return;
    if (connection.send({ type: "presence", state: value })) reported = value;
  };
  const active = () => {
    clearTimeout(idleTimer);
    if (document.visibilityState === "visible") report("active");
    idleTimer = setTimeout(() => report("idle"), IDLE_AFTER_MS);
  };
  for (const type of ["pointerdown", "keydown", "mousemove", "touchstart"]) window.addEventListener(type, active, { passive: true });
  document.addEventListener("visibilitychange", () => (document.visibilityState === "visible" ? active() : report("hidden")));
  connection.on("hello", () => {
    reported = null;
    if (document.visibilityState === "visible") active();
    else report("hidden");
  });
}

// ------------------------------------------------------------------ menu

const menuItems = [];

function renderMenu() {
  const menu = document.getElementById("app-menu");
  const items = [...menuItems, { label: "Account page", onSelect: () => location.assign("/account") }, { label: "Sign out", onSelect: () => document.getElementById("logout-form").submit(), danger: true }];
  menu.replaceChildren(
    ...items.map((item) =>
      el(
        "button",
        {
          type: "button",
          className: `mm-menu__item${item.danger ? " mm-menu__item--danger" : ""}`,
          attrs: { role: "menuitem", tabindex: "-1" },
          on: {
            click: () => {
              closeMenu();
              item.onSelect();
            },
          },
        },
        el("span", {}, item.label),
        item.shortcut ? el("kbd", { className: "mm-kbd" }, item.shortcut) : null,
      ),
    ),
  );
}

function openMenu() {
  const menu = document.getElementById("app-menu");
  renderMenu();
  menu.hidden = false;
  document.getElementById("menu-button").setAttribute("aria-expanded", "true");
  menu.querySelector("[role=menuitem]")?.focus();
}

function closeMenu(refocus = false) {
  const menu = document.getElementById("app-menu");
  if (menu.hidden) return;
  menu.hidden = true;
  const button = document.getElementById("menu-button");
  button.setAttribute("aria-expanded", "false");
  if (refocus) button.focus();
}

function wireMenu() {
  const button = document.getElementById("menu-button");
  const menu = document.getElementById("app-menu");
  button.addEventListener("click", () => (menu.hidden ? openMenu() : closeMenu()));
  menu.addEventListener("keydown", (event) => {
    const items = [...menu.querySelectorAll("[role=menuitem]")];
    const at = items.indexOf(document.activeElement);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      items[(at + (event.key === "ArrowDown" ? 1 : -1) + items.length) % items.length]?.focus();
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      items[event.key === "Home" ? 0 : items.length - 1]?.focus();
    } else if (event.key === "Escape" || event.key === "Tab") {
      if (event.key === "Escape") event.preventDefault();
      closeMenu(event.key === "Escape");
    }
  });
  document.addEventListener("pointerdown", (event) => {
    if (!menu.hidden && !menu.contains(event.target) && !button.contains(event.target)) closeMenu();
  });
}

const menu = {
  add({ label, shortcut, onSelect }) {
    menuItems.push({ label, shortcut, onSelect });
    if (!document.getElementById("app-menu").hidden) renderMenu();
  },
};

// ------------------------------------------------------------------ channel switcher

let switcherIndex = 0;

function switcherMatches(query) {
  const q = query.trim().toLowerCase();
  const conversations = state.channels();
  const known = new Set(conversations.map((entry) => entry.id));
  // People without a conversation yet: choosing one starts the DM.
  const people = directory
    .names()
    .filter((name) => name !== state.me.username)
    .map((name) => ({ id: `dm:${[name, state.me.username].sort().join(":")}`, kind: "person", label: name }))
    .filter((entry) => !known.has(entry.id));
  const entries = [{ id: MENTIONS, kind: "mentions", label: "Mentions" }, ...conversations, ...people];
  return entries
    .map((entry) => {
      const label = entry.label.toLowerCase();
      const score = !q ? 1 : label.startsWith(q) ? 3 : label.includes(q) ? 2 : 0;
      return { entry, score: score + (entry.unread ? 0.5 : 0) };
    })
    .filter((item) => item.score >= 1)
    .sort((a, b) => b.score - a.score)
    .map((item) => item.entry)
    .slice(0, 12);
}

function switcherPrefix(entry) {
  return { public: "#", private: "🔒", dm: "@", person: "@", mentions: "@" }[entry.kind] || "#";
}

function renderSwitcher() {
  const inputBox = document.getElementById("switcher-input");
  const list = document.getElementById("switcher-list");
  const matches = switcherMatches(inputBox.value);
  switcherIndex = Math.min(switcherIndex, Math.max(0, matches.length - 1));
  list.replaceChildren(
    ...matches.map((entry, index) =>
      el(
        "li",
        {
          className: "mm-option mm-switcher__option",
          id: `switch-${index}`,
          attrs: { role: "option", "aria-selected": index === switcherIndex ? "true" : "false" },
          on: { click: () => chooseSwitcher(entry.id), mousedown: (event) => event.preventDefault() },
        },
        el("span", { className: "mm-switcher__prefix", attrs: { "aria-hidden": "true" } }, switcherPrefix(entry)),
        el("span", { className: "mm-switcher__label" }, entry.label),
        entry.unread ? el("span", { className: "mm-badge" }, String(entry.unread)) : null,
      ),
    ),
  );
  if (!matches.length) list.append(el("li", { className: "mm-switcher__empty" }, "Nothing matches"));
  inputBox.setAttribute("aria-activedescendant", matches.length ? `switch-${switcherIndex}` : "");
}

function chooseSwitcher(id) {
  document.getElementById("switcher").close();
  state.openChannel(id);
  closeDrawer();
  focusComposer();
}

function openSwitcher() {
  const dialog = document.getElementById("switcher");
  if (dialog.open) {
    dialog.close();
    return;
  }
  const inputBox = document.getElementById("switcher-input");
  inputBox.value = "";
  switcherIndex = 0;
  renderSwitcher();
  dialog.showModal();
  inputBox.focus();
}

function wireSwitcher() {
  const dialog = document.getElementById("switcher");
  const inputBox = document.getElementById("switcher-input");
  document.getElementById("open-switcher").addEventListener("click", openSwitcher);
  inputBox.addEventListener("input", () => {
    switcherIndex = 0;
    renderSwitcher();
  });
  inputBox.addEventListener("keydown", (event) => {
    const matches = switcherMatches(inputBox.value);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      switcherIndex = (switcherIndex + (event.key === "ArrowDown" ? 1 : -1) + matches.length) % Math.max(1, matches.length);
      renderSwitcher();
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (matches[switcherIndex]) chooseSwitcher(matches[switcherIndex].id);
    }
  });
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });
}

function stepChannel(direction) {
  const ids = [MENTIONS, ...state.channels().map((entry) => entry.id)];
  const at = ids.indexOf(state.shown());
  state.openChannel(ids[(at + direction + ids.length) % ids.length]);
}

// ------------------------------------------------------------------ boot

async function loadEverything() {
  await Promise.all([state.load(config.public_channels), directory.load().catch((error) => console.warn("directory", error))]);
}

async function boot() {
  state.setMe(config.me);
  mountSidebar();
  mountMessages(connection);
  mountComposer(connection, { maxChars: config.max_message_chars, maxUploadMb: config.max_upload_mb });
  wireMenu();
  wireSwitcher();
  watchConnection();
  reportPresence();
  directory.follow(connection);
  document.getElementById("me-avatar").replaceChildren(avatarOf(state.me.username, { size: "sm" }));
  directory.onChange(() => {
    document.getElementById("me-avatar").replaceChildren(avatarOf(state.me.username, { size: "sm" }));
    renderHeader();
  });
  connection.on("user.updated", (data) => {
    if (data.username === state.me.username) state.setMe(data);
  });
  connection.on("channel.created", (data) => state.privateChannelChanged(data));
  connection.on("channel.updated", (data) => state.privateChannelChanged(data));
  connection.on("channel.left", (data) => state.privateChannelLeft(data.channel));
  connection.on("dm.hidden", (data) => state.dmHidden(data.channel));
  connection.on("resync", async () => {
    await loadEverything();
    reloadChannel();
  });
  state.subscribe("view", renderHeader);
  state.subscribe("channels", renderHeader);

  keyboard.register("ctrl+k", "Jump to a channel or person", openSwitcher);
  keyboard.register("alt+arrowup", "Previous conversation", () => stepChannel(-1));
  keyboard.register("alt+arrowdown", "Next conversation", () => stepChannel(1));
  keyboard.register("i", "Write a message", () => focusComposer());

  // The first hello fixes where live events start; the lists are loaded after it, and
  // events that arrive meanwhile wait (connection.release) so none is lost.
  const ready = new Promise((resolve) => {
    const off = connection.on("hello", () => {
      off();
      resolve();
    });
  });
  connection.start();
  try {
    await Promise.race([ready, new Promise((resolve) => setTimeout(resolve, 8000))]);
    await loadEverything();
  } catch (error) {
    toast(`Could not load your conversations: ${error.message}`, "error");
  }
  connection.release();
  state.openChannel(state.initialChannel());
  renderHeader();
  chat.dataset.state = "ready";

  const ctx = {
    api,
    connection,
    state,
    keyboard,
    jumpToMessage,
    // A conversation opened from a dialog (new channel, new DM) replaces the drawer on
    // phones and is ready to write in, as one chosen in the switcher is.
    openChannel: (id) => {
      const opened = state.openChannel(id);
      if (opened) {
        closeDrawer();
        focusComposer();
      }
      return opened;
    },
    headerActions: document.getElementById("header-actions"),
    menu,
  };
  const ui = await panels();
  if (ui?.mountPanels) {
    try {
      const mounted = ui.mountPanels(ctx);
      setSidebarActions({ newDm: mounted?.openNewDm, newPrivateChannel: mounted?.openNewPrivateChannel });
      if (ui.loadReactions) ui.loadReactions().then(useReactionNames, (error) => console.warn("reactions", error));
    } catch (error) {
      console.error("MiniMost: mounting the panels failed", error);
    }
  }
  if (config.calls) {
    try {
      const calls = await import("../calls/index.js");
      calls.mountCalls(ctx);
    } catch (error) {
      console.error("MiniMost: calls (static/js/calls/index.js) could not be loaded; calling is unavailable.", error);
    }
  }
  chat.dataset.panels = "ready";
}

boot().catch((error) => {
  console.error("MiniMost failed to start", error);
  toast(`MiniMost failed to start: ${error.message}`, "error");
});
