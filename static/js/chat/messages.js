// The message list of the open channel: history pages, live events, pending sends,
// grouping and dividers, the "New messages" line, read marking, receipts, pins,
// reactions, inline editing, deleting, jumping to a message, and visual mode.

import { api } from "../api.js";
import { el, dayKey, dayLabel, plural, prefersReducedMotion, toast } from "./dom.js";
import { keyboard } from "./keyboard.js";
import { outbox } from "./outbox.js";
import { panels } from "./panels.js";
import { buildMessage, buildPending, isSystem, loadPreview, previewText, reactionsRow, updatePending } from "./render.js";
import { channelKind, state } from "./state.js";

const PAGE = 100;
const GROUP_SECONDS = 300;
const STICK_PX = 120;
const PILL_PX = 40;
const MAX_JUMP_PAGES = 20;

const log = () => document.getElementById("message-log");

let view = null; // the open channel's data
let generation = 0; // bumps on every channel switch, so late answers are dropped
const replyCache = new Map(); // id -> message | null (unavailable)
let composerHooks = { reply() {}, edit() {}, focus() {} };
let visualIndex = -1;
let unseenBelow = 0;
let readInFlight = false;
let previewObserver = null;
let growthObserver = null; // messages that grow (previews, images) keep a bottom-stuck list at the bottom
let stuckToBottom = true;

function newView(channel) {
  return {
    channel,
    messages: new Map(),
    order: [],
    elements: new Map(),
    dividers: new Map(),
    reachedStart: false,
    loadingOlder: false,
    lastRead: null,
    firstUnread: null, // id of the message the "New messages" line goes above
    receipts: {},
    pins: new Map(),
    ready: false,
  };
}

export function setComposerHooks(hooks) {
  composerHooks = { ...composerHooks, ...hooks };
}

/** My messages in the open channel that can be edited, newest last. */
export function ownEditable() {
  if (!view) return [];
  return view.order.map((id) => view.messages.get(id)).filter((m) => m.sender === state.me.username && !m.file && !m.deleted && !isSystem(m));
}

// ------------------------------------------------------------------ scrolling

function distanceFromBottom() {
  const box = log();
  return box.scrollHeight - box.scrollTop - box.clientHeight;
}

function scrollToBottom(smooth = false) {
  const box = log();
  box.scrollTo({ top: box.scrollHeight, behavior: smooth && !prefersReducedMotion() ? "smooth" : "auto" });
  stuckToBottom = true;
}

/** Remember whether the reader is at the newest message, for content that grows later. */
function noteScrollPosition() {
  stuckToBottom = distanceFromBottom() < STICK_PX;
}

function updatePill() {
  const pill = document.getElementById("jump-latest");
  const far = distanceFromBottom() > PILL_PX;
  if (!far) unseenBelow = 0;
  pill.hidden = !far || !view || state.mentionsOpen;
  document.getElementById("jump-latest-text").textContent = unseenBelow ? `${plural(unseenBelow, "new message")} — jump to latest` : "Jump to latest";
}

// ------------------------------------------------------------------ layout

function sortOrder() {
  view.order.sort((a, b) => a - b);
}

function divider(key, make) {
  let node = view.dividers.get(key);
  if (!node) {
    node = make();
    view.dividers.set(key, node);
  }
  return node;
}

function intro() {
  const entry = state.channel(view.channel);
  const kind = channelKind(view.channel);
  let title;
  if (kind === "dm") title = `This is the start of your conversation with ${entry ? entry.label : "them"}.`;
  else if (kind === "private") title = `This is the start of ${entry ? entry.label : "this private channel"}.`;
  else title = `This is the start of #${view.channel}.`;
  return el("div", { className: "mm-intro" }, el("p", { className: "mm-intro__title" }, title), el("p", { className: "mm-intro__hint" }, "Send a message to get things going."));
}

/** Put the DOM in the wanted order, touching only what moved (so the live region reads only news). */
function layout({ stick = null, keepAnchor = null } = {}) {
  const box = log();
  const wasNearBottom = stick ?? distanceFromBottom() < STICK_PX;
  const wanted = [];
  if (view.reachedStart) wanted.push(divider("intro", intro));
  let previous = null;
  let newLinePlaced = false;
  for (const id of view.order) {
    const message = view.messages.get(id);
    const key = dayKey(message.ts);
    let separated = false;
    if (!previous || dayKey(previous.ts) !== key) {
      wanted.push(divider(`day:${key}`, () => el("div", { className: "mm-divider mm-divider--day", attrs: { role: "separator" } }, el("span", {}, dayLabel(message.ts)))));
      separated = true;
    }
    if (!newLinePlaced && id === view.firstUnread) {
      wanted.push(divider("new", () => el("div", { className: "mm-divider mm-divider--new", attrs: { role: "separator" } }, el("span", {}, "New messages"))));
      newLinePlaced = true;
      separated = true;
    }
    const node = view.elements.get(id);
    const continued =
      !separated && previous && !isSystem(previous) && !isSystem(message) && previous.sender === message.sender && message.ts - previous.ts < GROUP_SECONDS;
    node.classList.toggle("is-continued", Boolean(continued));
    wanted.push(node);
    previous = message;
  }
  for (const record of outbox.of(view.channel)) {
    let node = view.elements.get(`pending:${record.clientId}`);
    if (!node) {
      node = buildPending(record, { onRetry: (id) => outbox.retry(id), onDiscard: (id) => outbox.discard(id) });
      view.elements.set(`pending:${record.clientId}`, node);
    }
    wanted.push(node);
  }
  // Keyed reconcile: insert what is missing or out of place, then drop the rest.
  const anchorTop = keepAnchor ? keepAnchor.getBoundingClientRect().top : 0;
  let cursor = box.firstChild;
  for (const node of wanted) {
    if (node === cursor) {
      cursor = cursor.nextSibling;
      continue;
    }
    box.insertBefore(node, cursor);
  }
  while (cursor) {
    const next = cursor.nextSibling;
    cursor.remove();
    cursor = next;
  }
  for (const [key, node] of view.dividers) if (!node.isConnected && key !== "intro") view.dividers.delete(key);
  updateReceipts();
  if (keepAnchor && keepAnchor.isConnected) {
    box.scrollTop += keepAnchor.getBoundingClientRect().top - anchorTop;
  } else if (wasNearBottom) {
    scrollToBottom();
  }
  noteScrollPosition();
  updatePill();
  maybeMarkRead();
}

// ------------------------------------------------------------------ messages in and out

/** The first message from someone else newer than a read position. */
function firstUnreadAfter(current, position) {
  if (position === null || position === undefined) return null;
  for (const id of current.order) {
    const message = current.messages.get(id);
    if (message.ts > position && message.sender !== state.me.username && !isSystem(message)) return id;
  }
  return null;
}

function pinnedBy(id) {
  return view?.pins.get(id) || null;
}

function replyTarget(id) {
  if (view?.messages.has(id)) return view.messages.get(id);
  if (replyCache.has(id)) return replyCache.get(id);
  const asked = generation;
  api("GET", `/api/messages/${id}`)
    .then((answer) => replyCache.set(id, answer.message))
    .catch(() => replyCache.set(id, null))
    .then(() => {
      if (asked !== generation || !view) return;
      for (const message of view.messages.values()) if (message.reply_to === id) rerender(message);
    });
  return undefined;
}

const renderView = { pinnedBy, replyTarget, onAction: (kind, message, element, extra) => act(kind, message, element, extra) };

function render(message) {
  const node = buildMessage(message, renderView);
  const slot = node.querySelector(".mm-msg__preview");
  if (slot && previewObserver) previewObserver.observe(node);
  growthObserver?.observe(node);
  return node;
}

function rerender(message) {
  const old = view.elements.get(message.id);
  const node = render(message);
  view.elements.set(message.id, node);
  if (old) {
    node.className = old.className;
    node.classList.toggle("is-pinned", Boolean(pinnedBy(message.id)));
    node.classList.toggle("is-visual", old.classList.contains("is-visual"));
    const focused = old.contains(document.activeElement);
    old.replaceWith(node);
    if (focused) node.focus();
  }
}

function upsert(messages) {
  let added = 0;
  for (const message of messages) {
    if (message.deleted || (!message.content && !message.file && !message.html)) continue;
    const known = view.messages.has(message.id);
    view.messages.set(message.id, message);
    replyCache.set(message.id, message);
    if (known) rerender(message);
    else {
      view.order.push(message.id);
      view.elements.set(message.id, render(message));
      added += 1;
    }
  }
  if (added) sortOrder();
  return added;
}

function remove(id) {
  if (!view.messages.has(id)) return;
  view.messages.delete(id);
  view.order = view.order.filter((other) => other !== id);
  view.elements.get(id)?.remove();
  view.elements.delete(id);
  layout();
}

// ------------------------------------------------------------------ loading

async function loadReadState(current) {
  try {
    const read = await api("GET", `/api/channels/${encodeURIComponent(current.channel)}/read`);
    return read;
  } catch {
    return { last_read_ts: null, receipts: {} };
  }
}

async function loadPins(current) {
  try {
    const answer = await api("GET", `/api/channels/${encodeURIComponent(current.channel)}/pins`);
    return new Map((answer.pins || []).map((pin) => [pin.id, pin.pinned_by]));
  } catch {
    return new Map();
  }
}

/** Open a channel: its newest page, read state and pins; the list starts at the bottom. */
export async function showChannel(channel) {
  generation += 1;
  const mine = generation;
  visualMode(false);
  unseenBelow = 0;
  const box = log();
  growthObserver?.disconnect();
  stuckToBottom = true;
  const current = newView(channel);
  view = current;
  box.replaceChildren(el("div", { className: "mm-log__loading" }, "Loading messages…"));
  box.setAttribute("aria-busy", "true");
  try {
    const [page, read, pins] = await Promise.all([
      api("GET", `/api/channels/${encodeURIComponent(channel)}/messages?limit=${PAGE}`),
      loadReadState(current),
      loadPins(current),
    ]);
    if (mine !== generation) return;
    current.lastRead = read.last_read_ts;
    current.receipts = read.receipts || {};
    current.pins = pins;
    current.reachedStart = page.messages.length < PAGE;
    box.replaceChildren();
    upsert(page.messages);
    current.firstUnread = firstUnreadAfter(current, current.lastRead);
    current.ready = true;
    layout({ stick: true });
    const firstNew = box.querySelector(".mm-divider--new");
    if (firstNew && firstNew.offsetTop < box.scrollHeight - box.clientHeight) firstNew.scrollIntoView({ block: "center" });
    noteScrollPosition();
  } catch (error) {
    if (mine !== generation) return;
    box.replaceChildren(
      el(
        "div",
        { className: "mm-log__error", attrs: { role: "alert" } },
        el("p", {}, `Could not load this conversation: ${error.message}`),
        el("button", { type: "button", className: "mm-button mm-button--secondary", on: { click: () => showChannel(channel) } }, "Try again"),
      ),
    );
  } finally {
    if (mine === generation) box.removeAttribute("aria-busy");
  }
}

/** Reload the open channel after a resync (what we held may be stale). */
export function reloadChannel() {
  if (state.currentChannel) showChannel(state.currentChannel);
}

async function loadOlder() {
  if (!view || !view.ready || view.reachedStart || view.loadingOlder || !view.order.length) return false;
  const current = view;
  current.loadingOlder = true;
  const anchor = view.elements.get(view.order[0]);
  try {
    const page = await api("GET", `/api/channels/${encodeURIComponent(current.channel)}/messages?before=${current.order[0]}&limit=${PAGE}`);
    if (current !== view) return false;
    current.reachedStart = page.messages.length < PAGE;
    upsert(page.messages);
    layout({ stick: false, keepAnchor: anchor });
    return page.messages.length > 0;
  } catch (error) {
    toast(`Could not load older messages: ${error.message}`, "error");
    return false;
  } finally {
    current.loadingOlder = false;
  }
}

// ------------------------------------------------------------------ read marking and receipts

function updateReceipts() {
  if (!view) return;
  const me = state.me.username;
  const ownIds = view.order.filter((id) => view.messages.get(id).sender === me);
  for (const node of log().querySelectorAll(".mm-msg__receipt:not(:empty)")) node.textContent = "";
  const lastOwn = ownIds[ownIds.length - 1];
  if (lastOwn === undefined) return;
  const message = view.messages.get(lastOwn);
  const readers = Object.entries(view.receipts)
    .filter(([name, ts]) => name !== me && ts !== null && ts >= message.ts)
    .map(([name]) => name)
    .sort();
  const slot = view.elements.get(lastOwn)?.querySelector(".mm-msg__receipt");
  if (slot && readers.length) {
    slot.textContent = `✓ Seen by ${readers.length > 4 ? `${readers.slice(0, 4).join(", ")} and ${readers.length - 4} more` : readers.join(", ")}`;
    slot.title = `Read by: ${readers.join(", ")}`;
  }
}

function pageActive() {
  return document.visibilityState === "visible" && document.hasFocus();
}

/** Tell the server I have read the channel when I can see its newest message. */
function maybeMarkRead() {
  if (!view || !view.ready || readInFlight || state.mentionsOpen || !pageActive()) return;
  if (distanceFromBottom() > STICK_PX) return;
  const newest = view.order.length ? view.messages.get(view.order[view.order.length - 1]) : null;
  const mine = view.receipts[state.me.username] ?? null;
  const entry = state.channel(view.channel);
  if (!newest || (mine !== null && mine >= newest.ts && !entry?.unread && !entry?.mentions)) return;
  const current = view;
  readInFlight = true;
  api("POST", `/api/channels/${encodeURIComponent(current.channel)}/read`)
    .then((answer) => {
      if (answer?.last_read_ts) current.receipts[state.me.username] = answer.last_read_ts;
      state.channelRead(current.channel);
    })
    .catch(() => {})
    .finally(() => {
      readInFlight = false;
    });
}

// ------------------------------------------------------------------ live events

function onCreated(message) {
  const reading = Boolean(view && view.channel === message.channel && view.ready && pageActive() && distanceFromBottom() < STICK_PX);
  if (message.client_id && message.sender === state.me.username && outbox.has(message.client_id)) {
    outbox.settle(message.client_id, [message]);
  }
  if (message.sender !== state.me.username) typingStopped(message.channel, message.sender);
  state.messageArrived(message, { reading: reading || message.sender === state.me.username });
  if (!view || view.channel !== message.channel || !view.ready) return;
  const ownSend = message.sender === state.me.username;
  const nearBottom = distanceFromBottom() < STICK_PX;
  const added = upsert([message]);
  if (added && !ownSend && !nearBottom) unseenBelow += 1;
  if (added && !ownSend && !reading && view.firstUnread === null && !isSystem(message)) view.firstUnread = message.id;
  layout({ stick: ownSend || nearBottom });
}

function onUpdated(message) {
  replyCache.set(message.id, message);
  if (!view || view.channel !== message.channel || !view.messages.has(message.id)) return;
  view.messages.set(message.id, message);
  rerender(message);
  layout();
}

function onDeleted(data) {
  replyCache.set(data.id, { id: data.id, deleted: true });
  state.messageRemoved(data.id);
  if (view && view.channel === data.channel) remove(data.id);
}

function onReactions(data) {
  if (!view || view.channel !== data.channel || !view.messages.has(data.id)) return;
  const message = { ...view.messages.get(data.id), reactions: data.reactions };
  view.messages.set(data.id, message);
  const node = view.elements.get(data.id);
  const row = node?.querySelector(".mm-reactions");
  if (row) {
    row.replaceWith(
      reactionsRow(message, {
        onToggle: (reaction, add) => act("toggle-reaction", message, node, { reaction, add }),
        onAdd: (anchor) => act("react", message, node, { anchor }),
      }),
    );
  }
}

function onPins(data) {
  if (!view || view.channel !== data.channel) return;
  if (data.pinned) view.pins.set(data.message_id, data.by);
  else view.pins.delete(data.message_id);
  const message = view.messages.get(data.message_id);
  if (message) {
    rerender(message);
    layout();
  }
}

function onRead(data) {
  if (data.username === state.me.username) state.channelRead(data.channel);
  if (!view || view.channel !== data.channel) return;
  view.receipts[data.username] = data.last_read_ts;
  updateReceipts();
}

// ------------------------------------------------------------------ typing

const typing = new Map(); // username -> timer, for the open channel
let typingChannel = null;

function renderTyping() {
  const line = document.getElementById("typing");
  const names = [...typing.keys()];
  if (!names.length) {
    line.replaceChildren();
    return;
  }
  let text;
  if (names.length === 1) text = `${names[0]} is typing`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing`;
  else text = "Several people are typing";
  line.replaceChildren(el("span", { className: "mm-typing__dots", attrs: { "aria-hidden": "true" } }, el("span"), el("span"), el("span")), el("span", {}, text));
}

function typingStopped(channel, username) {
  if (channel !== typingChannel || !typing.has(username)) return;
  clearTimeout(typing.get(username));
  typing.delete(username);
  renderTyping();
}

function onTyping(frame) {
  if (frame.channel !== state.currentChannel || frame.username === state.me.username) return;
  typingChannel = frame.channel;
  clearTimeout(typing.get(frame.username));
  typing.set(
    frame.username,
    setTimeout(() => typingStopped(frame.channel, frame.username), (frame.expires_in || 5) * 1000),
  );
  renderTyping();
}

function clearTyping() {
  for (const timer of typing.values()) clearTimeout(timer);
  typing.clear();
  typingChannel = state.currentChannel;
  renderTyping();
}

// ------------------------------------------------------------------ actions

async function toggleReaction(message, name, add) {
  try {
    const answer = await api(add ? "PUT" : "DELETE", `/api/messages/${message.id}/reactions/${encodeURIComponent(name)}`);
    onReactions(answer);
  } catch (error) {
    toast(error.message, "error");
  }
}

async function confirmDelete(message) {
  const question = { title: "Delete message?", message: `“${previewText(message, 80)}” will be removed for everyone.`, confirmLabel: "Delete", kind: "danger" };
  const ui = await panels();
  if (ui?.confirmDialog) return ui.confirmDialog(question);
  return window.confirm(question.message);
}

async function deleteMessage(message) {
  if (!(await confirmDelete(message))) return;
  try {
    await api("DELETE", `/api/messages/${message.id}`);
    onDeleted({ id: message.id, channel: message.channel });
  } catch (error) {
    toast(error.message, "error");
  }
}

async function togglePin(message) {
  try {
    const answer = await api("POST", `/api/messages/${message.id}/pin`);
    const pinned = (answer.pins || []).find((pin) => pin.id === message.id);
    onPins({ channel: message.channel, message_id: message.id, pinned: Boolean(pinned), by: pinned?.pinned_by || state.me.username });
    toast(pinned ? "Message pinned" : "Message unpinned");
  } catch (error) {
    toast(error.message, "error");
  }
}

async function pickReaction(message, anchor) {
  const ui = await panels();
  if (!ui?.openEmojiPicker) {
    toast("Reactions are not available right now.", "error");
    return;
  }
  ui.openEmojiPicker({
    anchor: anchor || view?.elements.get(message.id),
    mode: "reaction",
    onPick: ({ name }) => {
      const mine = (message.reactions || []).some((r) => r.name === name && r.users.includes(state.me.username));
      if (!mine) toggleReaction(view?.messages.get(message.id) || message, name, true);
    },
  });
}

function startEdit(message) {
  const node = view?.elements.get(message.id);
  if (!node || node.querySelector(".mm-editor")) return;
  const body = node.querySelector(".mm-msg__text");
  const area = el("textarea", { className: "mm-input mm-editor__input", value: message.content, rows: Math.min(10, message.content.split("\n").length + 1), attrs: { "aria-label": "Edit message" } });
  const save = el("button", { type: "submit", className: "mm-button mm-button--primary mm-button--small" }, "Save");
  const cancel = el("button", { type: "button", className: "mm-button mm-button--secondary mm-button--small" }, "Cancel");
  const hint = el("span", { className: "mm-editor__hint" }, "Enter to save · Esc to cancel");
  const form = el("form", { className: "mm-editor" }, area, el("div", { className: "mm-editor__actions" }, hint, cancel, save));
  const close = () => {
    form.remove();
    if (body) body.hidden = false;
    node.focus();
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = area.value.replace(/\s+$/, "");
    if (!text || text === message.content) {
      close();
      return;
    }
    save.disabled = true;
    try {
      const answer = await api("PATCH", `/api/messages/${message.id}`, { content: text });
      close();
      onUpdated(answer.message);
    } catch (error) {
      save.disabled = false;
      toast(error.message, "error");
    }
  });
  cancel.addEventListener("click", close);
  area.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close();
    } else if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  if (body) body.hidden = true;
  (body || node.querySelector(".mm-msg__header")).after(form);
  area.focus();
  area.setSelectionRange(area.value.length, area.value.length);
}

export function editMessage(message) {
  startEdit(message);
}

function act(kind, message, element, extra = {}) {
  switch (kind) {
    case "react":
      pickReaction(message, extra.anchor);
      break;
    case "toggle-reaction":
      toggleReaction(message, extra.reaction, extra.add);
      break;
    case "reply":
      composerHooks.reply(message);
      break;
    case "pin":
      togglePin(message);
      break;
    case "edit":
      startEdit(message);
      break;
    case "delete":
      deleteMessage(message);
      break;
    case "jump-reply":
      jumpToMessage(message.channel, message.reply_to);
      break;
    default:
      break;
  }
}

// ------------------------------------------------------------------ jumping

function flash(node) {
  node.classList.remove("is-flash");
  void node.offsetWidth;
  node.classList.add("is-flash");
  stuckToBottom = false;
  node.scrollIntoView({ block: "center", behavior: prefersReducedMotion() ? "auto" : "smooth" });
  node.focus({ preventScroll: true });
}

/** Open the channel and bring the message into view, paging back as far as needed. */
export async function jumpToMessage(channel, id) {
  if (state.currentChannel !== channel || state.mentionsOpen) {
    if (!state.openChannel(channel)) return;
    await waitForReady(channel);
  }
  for (let pages = 0; pages <= MAX_JUMP_PAGES; pages += 1) {
    if (!view || view.channel !== channel) return;
    const node = view.elements.get(id);
    if (node?.isConnected) {
      flash(node);
      return;
    }
    if (view.reachedStart || (view.order.length && view.order[0] < id)) break;
    if (!(await loadOlder())) break;
  }
  toast("Couldn't reach that message — it may have been deleted.", "error");
}

function waitForReady(channel) {
  return new Promise((resolve) => {
    const started = Date.now();
    const check = () => {
      if ((view && view.channel === channel && view.ready) || Date.now() - started > 8000) resolve();
      else requestAnimationFrame(check);
    };
    check();
  });
}

// ------------------------------------------------------------------ mentions view

export function renderMentions() {
  const box = document.getElementById("mentions-view");
  if (!state.mentionsOpen) return;
  const list = state.mentions();
  if (!list.length) {
    box.replaceChildren(el("div", { className: "mm-intro" }, el("p", { className: "mm-intro__title" }, "No unread mentions"), el("p", { className: "mm-intro__hint" }, "When someone mentions you, it shows up here until you read it.")));
    return;
  }
  box.replaceChildren(
    el(
      "ul",
      { className: "mm-mention-items", attrs: { "aria-label": "Unread mentions" } },
      list.map((message) => {
        const entry = state.channel(message.channel);
        const where = entry ? (entry.kind === "public" ? `#${entry.label}` : entry.label) : message.channel;
        return el(
          "li",
          {},
          el(
            "button",
            { type: "button", className: "mm-mention-item", on: { click: () => jumpToMessage(message.channel, message.id) } },
            el("span", { className: "mm-mention-item__meta" }, `${message.sender} in ${where} · ${new Date(message.ts * 1000).toLocaleString([], { dateStyle: "medium", timeStyle: "short" })}`),
            el("span", { className: "mm-mention-item__text" }, previewText(message, 200)),
          ),
        );
      }),
    ),
  );
}

// ------------------------------------------------------------------ visual mode

function visualNodes() {
  return [...log().querySelectorAll(".mm-msg[data-id], .mm-notice[data-id]")];
}

function selectVisual(index) {
  const nodes = visualNodes();
  if (!nodes.length) return;
  visualIndex = Math.max(0, Math.min(nodes.length - 1, index));
  for (const node of log().querySelectorAll(".is-visual")) node.classList.remove("is-visual");
  const node = nodes[visualIndex];
  node.classList.add("is-visual");
  node.focus({ preventScroll: true });
  node.scrollIntoView({ block: "nearest" });
}

function selectedMessage() {
  const node = visualNodes()[visualIndex];
  return node && view ? view.messages.get(Number(node.dataset.id)) : null;
}

function visualKey(event, combo) {
  const message = selectedMessage();
  const own = message && message.sender === state.me.username;
  switch (combo) {
    case "j":
    case "arrowdown":
      selectVisual(visualIndex + 1);
      return true;
    case "k":
    case "arrowup":
      selectVisual(visualIndex - 1);
      return true;
    case "escape":
      visualMode(false);
      log().focus();
      return true;
    case "r":
    case "o":
      if (message && !isSystem(message)) {
        visualMode(false);
        composerHooks.reply(message);
      }
      return true;
    case "e":
    case "c":
      if (!message) return true;
      if (!own || message.file) toast("You can only edit your own messages", "error");
      else {
        visualMode(false);
        startEdit(message);
      }
      return true;
    case "d":
      if (!message) return true;
      if (!own) toast("You can only delete your own messages", "error");
      else deleteMessage(message);
      return true;
    case "p":
      if (message && !isSystem(message)) togglePin(message);
      return true;
    case "+":
      if (message && !isSystem(message)) pickReaction(message, view.elements.get(message.id));
      return true;
    case "y":
      if (message) {
        navigator.clipboard?.writeText(message.content).then(
          () => toast("Message copied"),
          () => toast("Could not copy — clipboard unavailable", "error"),
        );
      }
      return true;
    default:
      return false;
  }
}

export function visualMode(on) {
  const badge = document.getElementById("visual-badge");
  if (!on) {
    if (badge) badge.hidden = true;
    keyboard.setMode(null);
    for (const node of log().querySelectorAll(".is-visual")) node.classList.remove("is-visual");
    visualIndex = -1;
    return;
  }
  if (!view || !visualNodes().length) return;
  badge.hidden = false;
  keyboard.setMode((event, combo) => {
    if (event.target instanceof Element && event.target.closest("textarea, input, dialog, .mm-emoji-picker")) return false;
    return visualKey(event, combo);
  });
  selectVisual(visualNodes().length - 1);
}

// ------------------------------------------------------------------ mounting

export function mountMessages(connection) {
  const box = log();
  previewObserver = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        previewObserver.unobserve(entry.target);
        const id = Number(entry.target.dataset.id);
        const message = view?.messages.get(id);
        const slot = entry.target.querySelector(".mm-msg__preview");
        if (message && slot) loadPreview(message, slot);
      }
    },
    { root: box, rootMargin: "300px 0px" },
  );
  growthObserver = new ResizeObserver(() => {
    if (stuckToBottom && view?.ready && distanceFromBottom() > 0) scrollToBottom();
  });
  box.addEventListener("scroll", () => {
    noteScrollPosition();
    if (box.scrollTop < Math.max(800, box.clientHeight * 3)) loadOlder();
    updatePill();
    maybeMarkRead();
  });
  document.getElementById("jump-latest").addEventListener("click", () => {
    unseenBelow = 0;
    scrollToBottom(true);
    log().focus({ preventScroll: true });
  });
  for (const type of ["focus", "visibilitychange"]) window.addEventListener(type, () => maybeMarkRead());
  document.addEventListener("visibilitychange", () => maybeMarkRead());

  connection.on("message.created", onCreated);
  connection.on("message.updated", onUpdated);
  connection.on("message.deleted", onDeleted);
  connection.on("message.reactions", onReactions);
  connection.on("pins.updated", onPins);
  connection.on("read.updated", onRead);
  connection.on("typing", onTyping);

  outbox.onChange((record, kind, messages) => {
    if (!view || view.channel !== record.channel) return;
    const key = `pending:${record.clientId}`;
    const node = view.elements.get(key);
    if (kind === "status" && node) updatePending(node, record);
    if (kind === "settled" || kind === "discarded") {
      node?.remove();
      view.elements.delete(key);
      if (messages) upsert(messages);
      layout({ stick: kind === "settled" });
      return;
    }
    if (kind === "added") layout({ stick: true });
  });

  state.subscribe("channel", (channel) => {
    clearTyping();
    showChannel(channel);
  });
  state.subscribe("channels", () => renderMentions());
  state.subscribe("view", () => {
    visualMode(false);
    box.hidden = state.mentionsOpen;
    document.getElementById("mentions-view").hidden = !state.mentionsOpen;
    renderMentions();
    updatePill();
    maybeMarkRead();
  });

  keyboard.register("v", "Visual mode: select messages with j/k", () => visualMode(true));
  keyboard.register("j", "Scroll down", () => box.scrollBy({ top: 200 }));
  keyboard.register("k", "Scroll up", () => box.scrollBy({ top: -200 }));
  keyboard.register("G", "Jump to the latest message", () => scrollToBottom(true));
  keyboard.register("escape", "Leave visual mode, close panels, focus the messages", () => {
    visualMode(false);
    box.focus();
  });
}
