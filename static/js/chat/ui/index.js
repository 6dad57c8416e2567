// Panels, dialogs and app chrome of the chat client, mounted by chat/main.js:
//
//   mountPanels(ctx)   ctx = {api, connection, state, jumpToMessage, openChannel,
//                             headerActions, menu, keyboard?}
//
// Adds the header buttons (search, pins, members), the menu entries (account,
// settings, new message, new private channel, keyboard shortcuts, theme), the
// keyboard shortcuts it owns, desktop notifications and sounds for new
// messages, unread badges, and registers the service worker.

import { setBadges } from "./badges.js";
import { channelKind, channelLabel } from "./channels.js";
import { openAccountDialog } from "./account.js";
import { openNewDmDialog, openNewPrivateChannelDialog } from "./channel-dialogs.js";
import { h } from "./dom.js";
import { openHelpDialog } from "./help.js";
import { icon } from "./icons.js";
import { membersOf, openMembersDialog } from "./members.js";
import { notifyMessage, pageIsActive } from "./notify.js";
import { startPeople } from "./people.js";
import { trackPins } from "./pins.js";
import { preferences, zoom } from "./preferences.js";
import { openSearchPanel } from "./search.js";
import { openSettingsDialog } from "./settings.js";
import { activePanel, closeSidePanel } from "./side-panel.js";
import { playSound } from "./sounds.js";

export { openDialog, confirmDialog } from "./dialog.js";
export { openEmojiPicker } from "./emoji-picker.js";
export { loadReactions } from "./reactions-data.js";
export { playSound, startLoop } from "./sounds.js";
export { notifyMessage } from "./notify.js";
export { setBadges } from "./badges.js";
export { preferences } from "./preferences.js";

function headerButton(name, label, extra) {
  const count = extra ? h("span", { className: "mm-icon-button__count" }) : null;
  const button = h(
    "button",
    { type: "button", className: `mm-icon-button mm-header-${name}`, title: label, attrs: { "aria-label": label, "aria-expanded": name === "members" ? null : "false" } },
    icon(name),
    count,
  );
  return { button, count };
}

function effectiveTheme() {
  const chosen = preferences.get("theme");
  if (chosen !== "system") return chosen;
  return window.matchMedia("(prefers-color-scheme: light)").matches ? "light" : "dark";
}

/** Sound and desktop notification for someone else's new message. */
function announce(ctx, message) {
  const me = ctx.state.me?.username;
  if (!message || message.sender === me || message.content_type === "system") return;
  const mention = Array.isArray(message.mentions) && (message.mentions.includes(me) || message.mentions.includes("everyone"));
  // A message the user is looking at right now needs no alert, unless they asked for one.
  const seen = message.channel === ctx.state.currentChannel && pageIsActive() && !preferences.get("notifyWhileFocused");
  if (mention) playSound("mention");
  else if (!seen) playSound("message");
  if (seen && !mention) return;
  notifyMessage(message, {
    channelLabel: channelLabel(ctx.state, message.channel),
    mention,
    onClick: () => ctx.jumpToMessage(message.channel, message.id),
  });
}

function updateBadges(state) {
  let unread = 0;
  let mentions = 0;
  for (const entry of state.channels?.() || []) {
    unread += entry.unread || 0;
    mentions += entry.mentions || 0;
  }
  setBadges({ unread, mentions });
}

async function registerServiceWorker(ctx) {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data?.type === "minimost:open-channel" && event.data.channel) ctx.openChannel(event.data.channel);
  });
  try {
    await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  } catch (error) {
    console.warn("service worker not registered", error);
  }
}

async function keyboardOf(ctx) {
  if (ctx.keyboard) return ctx.keyboard;
  try {
    return (await import("../keyboard.js")).keyboard || null;
  } catch {
    return null;
  }
}

/** The entries a keyboard registry knows, whatever it calls its list. */
function shortcutsOf(keyboard) {
  if (!keyboard) return [];
  const listed = typeof keyboard.entries === "function" ? keyboard.entries() : typeof keyboard.list === "function" ? keyboard.list() : [];
  return Array.from(listed, (entry) => ({ combo: entry.combo, description: entry.description }));
}

export function mountPanels(ctx) {
  const { state, connection } = ctx;
  startPeople(connection).catch((error) => console.warn("people", error));

  // ---- header buttons
  const search = headerButton("search", "Search messages");
  const pins = headerButton("pin", "Pinned messages", true);
  const members = headerButton("members", "Members", true);
  pins.button.classList.add("mm-header-pins");
  const tracker = trackPins(ctx, (count) => {
    pins.count.textContent = count ? String(count) : "";
    pins.button.setAttribute("aria-label", count ? `Pinned messages (${count})` : "Pinned messages");
  });
  const toggle = (name, open) => () => {
    if (activePanel()?.name === name) closeSidePanel();
    else open();
  };
  search.button.addEventListener("click", toggle("search", () => openSearchPanel(ctx, { trigger: search.button })));
  pins.button.addEventListener("click", toggle("pins", () => tracker.open(pins.button)));
  members.button.addEventListener("click", () => openMembersDialog(ctx));
  ctx.headerActions.append(search.button, pins.button, members.button);

  let memberCountFor = null;
  const showMemberCount = async () => {
    const channel = state.currentChannel;
    memberCountFor = channel;
    try {
      const names = await membersOf(ctx, channel);
      if (memberCountFor !== channel) return;
      members.count.textContent = String(names.length);
      members.button.setAttribute("aria-label", `Members (${names.length})`);
    } catch {
      members.count.textContent = "";
    }
  };
  state.subscribe("channel", showMemberCount);
  state.subscribe("channels", () => {
    if (channelKind(state.currentChannel || "") === "private") showMemberCount();
  });
  connection.on("user.created", () => channelKind(state.currentChannel || "") === "public" && showMemberCount());
  connection.on("user.deleted", () => showMemberCount());
  if (state.currentChannel) showMemberCount();

  // ---- shortcuts and help
  const keyboardReady = keyboardOf(ctx);
  const openHelp = async () => openHelpDialog(shortcutsOf(await keyboardReady));
  keyboardReady.then((keyboard) => {
    if (!keyboard) return;
    keyboard.register("/", "Search messages", () => openSearchPanel(ctx, { trigger: search.button }));
    keyboard.register("o", "New direct message", () => openNewDmDialog(ctx));
    keyboard.register("?", "Keyboard shortcuts", openHelp);
    keyboard.register("ctrl+=", "Larger text", () => zoom(1));
    keyboard.register("ctrl+-", "Smaller text", () => zoom(-1));
    keyboard.register("ctrl+0", "Default text size", () => zoom(0));
  });

  // ---- menu
  ctx.menu.add({ label: "Account", onSelect: () => openAccountDialog(ctx) });
  ctx.menu.add({ label: "Settings", onSelect: () => openSettingsDialog() });
  ctx.menu.add({ label: "New message", shortcut: "o", onSelect: () => openNewDmDialog(ctx) });
  ctx.menu.add({ label: "New private channel", onSelect: () => openNewPrivateChannelDialog(ctx) });
  ctx.menu.add({ label: "Keyboard shortcuts", shortcut: "?", onSelect: openHelp });
  ctx.menu.add({
    label: "Switch light / dark theme",
    onSelect: () => preferences.set("theme", effectiveTheme() === "dark" ? "light" : "dark"),
  });

  // ---- new messages: sounds, notifications, badges
  connection.on("message.created", (data) => announce(ctx, data));
  state.subscribe("channels", () => updateBadges(state));
  updateBadges(state);

  registerServiceWorker(ctx);

  return {
    openSearch: () => openSearchPanel(ctx, { trigger: search.button }),
    openPins: () => tracker.open(pins.button),
    openMembers: () => openMembersDialog(ctx),
    openAccount: () => openAccountDialog(ctx),
    openSettings: () => openSettingsDialog(),
    openNewDm: () => openNewDmDialog(ctx),
    openNewPrivateChannel: () => openNewPrivateChannelDialog(ctx),
    openHelp,
  };
}
