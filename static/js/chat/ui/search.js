// The search panel: text plus the filters of reference §6.11 (from, in, after,
// before), results grouped by channel with the match highlighted; choosing a
// result jumps to the message in its channel.

import { api } from "../../api.js";
import { channelLabel } from "./channels.js";
import { fullTime, h, shortTime, statusLine, uniqueId } from "./dom.js";
import { allUsers, startPeople } from "./people.js";
import { openSidePanel } from "./side-panel.js";

const DEBOUNCE_MS = 250;
const SNIPPET_CHARS = 140;
const DAY = 86400;

/** Local midnight of a yyyy-mm-dd date input, in epoch seconds. */
function midnight(value) {
  const [year, month, day] = value.split("-").map(Number);
  return new Date(year, month - 1, day).getTime() / 1000;
}

/** The text around the first match, with every match wrapped in <mark>. */
export function highlighted(text, query) {
  const flat = text.replace(/\s+/g, " ").trim();
  const needle = query.trim().toLowerCase();
  const lower = flat.toLowerCase();
  let start = 0;
  let end = Math.min(flat.length, SNIPPET_CHARS);
  const first = needle ? lower.indexOf(needle) : -1;
  if (first > SNIPPET_CHARS / 3) {
    start = Math.max(0, first - Math.floor(SNIPPET_CHARS / 3));
    end = Math.min(flat.length, start + SNIPPET_CHARS);
  }
  const parts = [];
  if (start > 0) parts.push("…");
  let at = start;
  while (needle) {
    const found = lower.indexOf(needle, at);
    if (found < 0 || found >= end) break;
    if (found > at) parts.push(flat.slice(at, found));
    const stop = Math.min(found + needle.length, end);
    parts.push(h("mark", {}, flat.slice(found, stop)));
    at = stop;
  }
  if (at < end) parts.push(flat.slice(at, end));
  if (end < flat.length) parts.push("…");
  return parts;
}

export function openSearchPanel(ctx, { trigger } = {}) {
  const { state } = ctx;
  const query = h("input", {
    className: "mm-input",
    type: "search",
    placeholder: "Search messages",
    autocomplete: "off",
    attrs: { "aria-label": "Search messages" },
  });
  const usersListId = uniqueId("mm-search-users");
  const from = h("input", { className: "mm-input", type: "text", autocomplete: "off", placeholder: "Anyone", attrs: { list: usersListId } });
  const usersList = h("datalist", { id: usersListId });
  const channel = h("select", { className: "mm-input" }, h("option", { value: "" }, "Any channel"));
  const after = h("input", { className: "mm-input", type: "date" });
  const before = h("input", { className: "mm-input", type: "date" });
  const field = (label, control) => {
    control.id = uniqueId("mm-search-filter");
    return h("div", { className: "mm-field" }, h("label", { className: "mm-label", htmlFor: control.id }, label), control);
  };
  const filters = h(
    "div",
    { className: "mm-search-filters", attrs: { role: "group", "aria-label": "Filters" } },
    field("From", from),
    field("In", channel),
    field("After", after),
    field("Before", before),
    usersList,
  );
  const status = statusLine();
  const results = h("div", { className: "mm-search-results", attrs: { "aria-live": "polite" } });
  const body = h("div", {}, status.element, results);

  for (const entry of state.channels?.() || []) {
    channel.append(h("option", { value: entry.id }, channelLabel(state, entry.id)));
  }
  startPeople(ctx.connection).then(() => {
    usersList.replaceChildren(...allUsers().map((user) => h("option", { value: user.username })));
  }, () => {});

  let shown = []; // result buttons in order
  let selected = -1;
  let timer = null;
  let generation = 0;

  const select = (index) => {
    if (!shown.length) return;
    selected = (index + shown.length) % shown.length;
    shown.forEach((button, i) => button.classList.toggle("is-selected", i === selected));
    shown[selected].scrollIntoView({ block: "nearest" });
  };

  const open = (message) => {
    ctx.jumpToMessage(message.channel, message.id);
  };

  const render = (messages, text) => {
    results.replaceChildren();
    shown = [];
    selected = -1;
    if (!messages.length) {
      results.append(h("p", { className: "mm-side-panel__empty" }, "No matching messages."));
      return;
    }
    const groups = new Map();
    for (const message of messages) {
      if (!groups.has(message.channel)) groups.set(message.channel, []);
      groups.get(message.channel).push(message);
    }
    for (const [id, items] of groups) {
      const titleId = uniqueId("mm-result-group");
      const list = h("ul", { className: "mm-result-list", attrs: { "aria-labelledby": titleId } });
      for (const message of items) {
        const button = h(
          "button",
          { type: "button", className: "mm-result", dataset: { messageId: String(message.id), channel: message.channel } },
          h(
            "span",
            { className: "mm-result__meta" },
            h("span", { className: "mm-result__sender" }, message.sender),
            h("time", { dateTime: new Date(message.ts * 1000).toISOString(), title: fullTime(message.ts) }, shortTime(message.ts)),
          ),
          h("p", { className: "mm-result__text" }, ...highlighted(message.content || (message.filename ? "[attachment]" : ""), text)),
        );
        button.addEventListener("click", () => open(message));
        shown.push(button);
        list.append(h("li", {}, button));
      }
      results.append(h("section", { className: "mm-result-group" }, h("h3", { id: titleId, className: "mm-result-group__title" }, channelLabel(state, id)), list));
    }
  };

  const run = async () => {
    const params = new URLSearchParams();
    const text = query.value.trim();
    if (text) params.set("q", text);
    if (from.value.trim()) params.set("from", from.value.trim());
    if (channel.value) params.set("channel", channel.value);
    if (after.value) params.set("start", String(midnight(after.value)));
    if (before.value) params.set("end", String(midnight(before.value) + DAY));
    const mine = ++generation;
    status.clear();
    if (![...params.keys()].length) {
      results.replaceChildren(h("p", { className: "mm-side-panel__empty" }, "Type to search, or pick a filter."));
      return;
    }
    results.setAttribute("aria-busy", "true");
    try {
      const found = await api("GET", `/api/search?${params}`);
      if (mine !== generation) return;
      render(found.results, text);
    } catch (error) {
      if (mine !== generation) return;
      results.replaceChildren();
      status.show("error", error.message);
    } finally {
      if (mine === generation) results.removeAttribute("aria-busy");
    }
  };

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  };

  query.addEventListener("input", schedule);
  from.addEventListener("input", schedule);
  for (const control of [channel, after, before]) control.addEventListener("change", run);
  query.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      select(selected + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      select(selected - 1);
    } else if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(timer);
      if (selected >= 0) shown[selected].click();
      else run().then(() => shown[0]?.click());
    }
  });

  const panel = openSidePanel({
    name: "search",
    title: "Search",
    tools: h("div", { className: "mm-stack mm-stack--sm" }, query, filters),
    body,
    trigger,
    onClose: () => clearTimeout(timer),
  });
  results.append(h("p", { className: "mm-side-panel__empty" }, "Type to search, or pick a filter."));
  query.focus();
  return panel;
}
