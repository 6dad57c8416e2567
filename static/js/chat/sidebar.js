// The sidebar: mentions, public channels, private channels and DMs with unread and
// mention badges and presence dots; on narrow screens a drawer over the content.

import { api } from "../api.js";
import { avatarOf, directory, presenceDot, presenceWord } from "./directory.js";
import { el, plural, toast } from "./dom.js";
import { MENTIONS, state } from "./state.js";

const NARROW = window.matchMedia("(max-width: 760px)");

let actions = { newDm: null, newPrivateChannel: null };

/** Where the "+" buttons lead (the panels provide the dialogs). */
export function setSidebarActions(next) {
  actions = { ...actions, ...next };
  render();
}

function badgeText(entry) {
  const parts = [];
  if (entry.unread) parts.push(plural(entry.unread, "unread message"));
  if (entry.mentions) parts.push(plural(entry.mentions, "mention"));
  return parts.join(", ");
}

function badges(entry) {
  const box = el("span", { className: "mm-nav-item__badges", attrs: { "aria-hidden": "true" } });
  if (entry.mentions) box.append(el("span", { className: "mm-badge mm-badge--mention" }, `@${entry.mentions}`));
  else if (entry.unread) box.append(el("span", { className: "mm-badge" }, entry.unread > 99 ? "99+" : String(entry.unread)));
  return box;
}

function item(entry, icon, label, extra = null, tooltip = "") {
  const current = state.shown() === entry.id;
  const described = badgeText(entry);
  const button = el(
    "button",
    {
      type: "button",
      className: `mm-nav-item${entry.unread || entry.mentions ? " is-unread" : ""}`,
      title: tooltip || label,
      attrs: { "aria-current": current ? "page" : null, "aria-label": described ? `${label}, ${described}` : label },
      dataset: { channel: entry.id },
      on: { click: () => openFromSidebar(entry.id) },
    },
    icon,
    el("span", { className: "mm-nav-item__label" }, label),
    badges(entry),
  );
  return el("li", { className: "mm-nav-row" }, button, extra);
}

function openFromSidebar(id) {
  state.openChannel(id);
  closeDrawer();
}

function section(title, items, add) {
  const headingId = `nav-${title.toLowerCase().replace(/\W+/g, "-")}`;
  const header = el("div", { className: "mm-nav-section__header" }, el("h2", { className: "mm-nav-section__title", id: headingId }, title));
  if (add) {
    header.append(
      el("button", { type: "button", className: "mm-nav-add", title: add.label, attrs: { "aria-label": add.label }, on: { click: add.onClick } }, "+"),
    );
  }
  const list = el("ul", { className: "mm-nav-list", attrs: { "aria-labelledby": headingId } }, items);
  return el("section", { className: "mm-nav-section" }, header, list);
}

function hideDm(channel) {
  api("POST", `/api/dms/${encodeURIComponent(channel)}/hide`).catch((error) => toast(error.message, "error"));
  state.dmHidden(channel);
}

function dmIcon(entry) {
  const others = entry.members.filter((name) => name !== state.me.username);
  if (others.length > 1) return el("span", { className: "mm-nav-item__icon mm-nav-item__icon--group", attrs: { "aria-hidden": "true" } }, String(others.length));
  const other = others[0] || state.me.username;
  return el("span", { className: "mm-nav-item__avatar" }, avatarOf(other, { size: "xs" }), presenceDot(other));
}

export function render() {
  const nav = document.getElementById("channel-nav");
  if (!nav || !state.me) return;
  const focusedChannel = document.activeElement?.closest?.("#channel-nav [data-channel]")?.dataset.channel;
  const entries = state.channels();
  const mentionCount = state.mentions().length;
  const parts = [];

  const mentionEntry = { id: MENTIONS, unread: 0, mentions: mentionCount };
  parts.push(
    el(
      "ul",
      { className: "mm-nav-list mm-nav-list--top" },
      item(mentionEntry, el("span", { className: "mm-nav-item__icon", attrs: { "aria-hidden": "true" } }, "@"), "Mentions"),
    ),
  );

  const publics = entries.filter((entry) => entry.kind === "public");
  parts.push(
    section(
      "Channels",
      publics.map((entry) => item(entry, el("span", { className: "mm-nav-item__icon", attrs: { "aria-hidden": "true" } }, "#"), entry.label)),
    ),
  );

  const privates = entries.filter((entry) => entry.kind === "private");
  parts.push(
    section(
      "Private channels",
      privates.length
        ? privates.map((entry) =>
            item(
              entry,
              el("span", { className: "mm-nav-item__icon", attrs: { "aria-hidden": "true" } }, "🔒"),
              entry.label,
              null,
              `${entry.label} — ${entry.members.join(", ")}`,
            ),
          )
        : [el("li", { className: "mm-nav-empty" }, "None yet")],
      actions.newPrivateChannel ? { label: "New private channel", onClick: actions.newPrivateChannel } : null,
    ),
  );

  const direct = entries.filter((entry) => entry.kind === "dm");
  parts.push(
    section(
      "Direct messages",
      direct.length
        ? direct.map((entry) => {
            const close = el(
              "button",
              {
                type: "button",
                className: "mm-nav-close",
                title: "Close conversation",
                attrs: { "aria-label": `Close conversation with ${entry.label}` },
                on: { click: () => hideDm(entry.id) },
              },
              "×",
            );
            const others = entry.members.filter((name) => name !== state.me.username);
            const status = others.length === 1 ? ` (${presenceWord(others[0])})` : "";
            return item(entry, dmIcon(entry), entry.label, close, `${entry.label}${status}`);
          })
        : [el("li", { className: "mm-nav-empty" }, "No conversations yet")],
      actions.newDm ? { label: "New direct message", onClick: actions.newDm } : null,
    ),
  );

  nav.replaceChildren(...parts);
  if (focusedChannel) nav.querySelector(`[data-channel="${CSS.escape(focusedChannel)}"]`)?.focus();
}

// ------------------------------------------------------------------ drawer

function drawerOpen() {
  return document.getElementById("chat").classList.contains("is-drawer-open");
}

export function openDrawer() {
  const chat = document.getElementById("chat");
  chat.classList.add("is-drawer-open");
  document.getElementById("sidebar-backdrop").hidden = false;
  document.getElementById("drawer-button").setAttribute("aria-expanded", "true");
  document.querySelector("#channel-nav [aria-current='page']")?.focus();
}

export function closeDrawer() {
  const chat = document.getElementById("chat");
  if (!chat.classList.contains("is-drawer-open")) return;
  chat.classList.remove("is-drawer-open");
  document.getElementById("sidebar-backdrop").hidden = true;
  const button = document.getElementById("drawer-button");
  button.setAttribute("aria-expanded", "false");
  if (NARROW.matches && document.getElementById("sidebar").contains(document.activeElement)) button.focus();
}

export function mountSidebar() {
  state.subscribe("channels", render);
  state.subscribe("view", render);
  directory.onChange(render);
  document.getElementById("drawer-button").addEventListener("click", () => (drawerOpen() ? closeDrawer() : openDrawer()));
  document.getElementById("sidebar-backdrop").addEventListener("click", closeDrawer);
  document.getElementById("sidebar").addEventListener("keydown", (event) => {
    if (event.key === "Escape" && drawerOpen()) {
      event.preventDefault();
      closeDrawer();
    }
  });
  NARROW.addEventListener("change", () => closeDrawer());
  render();
}
