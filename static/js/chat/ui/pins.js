// Pinned messages of the open channel: a count on the header button and a
// panel listing them, both kept live from the "pins.updated" event.

import { api } from "../../api.js";
import { channelLabel } from "./channels.js";
import { fullTime, h, shortTime, statusLine } from "./dom.js";
import { activePanel, openSidePanel } from "./side-panel.js";

const PREVIEW_CHARS = 140;

function preview(pin) {
  const text = (pin.content || "").replace(/\s+/g, " ").trim();
  if (!text) return pin.filename ? "[attachment]" : "[no text]";
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text;
}

/**
 * Track the pins of ctx.state.currentChannel.
 * @param {object} ctx the chat app's context
 * @param {(count: number) => void} onCount told the number of pins whenever it changes
 */
export function trackPins(ctx, onCount) {
  const { state, connection } = ctx;
  let channel = null;
  let pins = [];
  let loading = 0;
  let panel = null;
  let status = null;
  let list = null;

  const renderPanel = () => {
    if (!panel || activePanel() !== panel) return;
    list.replaceChildren();
    if (!pins.length) {
      list.append(h("li", { className: "mm-side-panel__empty" }, "Nothing is pinned here yet. Pin a message from its actions to keep it handy."));
      return;
    }
    for (const pin of pins) {
      const open = h(
        "button",
        { type: "button", className: "mm-result", dataset: { messageId: String(pin.id) } },
        h(
          "span",
          { className: "mm-result__meta" },
          h("span", { className: "mm-result__sender" }, pin.sender),
          h("time", { dateTime: new Date(pin.ts * 1000).toISOString(), title: fullTime(pin.ts) }, shortTime(pin.ts)),
        ),
        h("p", { className: "mm-result__text" }, preview(pin)),
        h("span", { className: "mm-result__meta" }, `Pinned by ${pin.pinned_by} · ${shortTime(pin.pinned_ts)}`),
      );
      open.addEventListener("click", () => ctx.jumpToMessage(pin.channel, pin.id));
      const unpin = h(
        "button",
        { type: "button", className: "mm-icon-button", title: "Unpin", attrs: { "aria-label": `Unpin message from ${pin.sender}` } },
        "×",
      );
      unpin.addEventListener("click", async () => {
        status.clear();
        try {
          const answer = await api("POST", `/api/messages/${pin.id}/pin`);
          if (channel === pin.channel) setPins(answer.pins);
          status.show("success", "Message unpinned.");
        } catch (error) {
          status.show("error", error.message);
        }
      });
      list.append(h("li", { className: "mm-result-row" }, open, unpin));
    }
  };

  const setPins = (next) => {
    pins = next;
    onCount(pins.length);
    renderPanel();
  };

  const load = async () => {
    const mine = ++loading;
    const wanted = channel;
    if (!wanted) {
      setPins([]);
      return;
    }
    try {
      const answer = await api("GET", `/api/channels/${encodeURIComponent(wanted)}/pins`);
      if (mine === loading && wanted === channel) setPins(answer.pins);
    } catch (error) {
      if (mine === loading && status) status.show("error", error.message);
    }
  };

  const follow = () => {
    if (state.currentChannel === channel) return;
    channel = state.currentChannel;
    pins = [];
    onCount(0);
    if (panel && activePanel() === panel) panel.element.querySelector(".mm-side-panel__subtitle").textContent = ` in ${channelLabel(state, channel)}`;
    load();
  };

  state.subscribe("channel", follow);
  connection.on("pins.updated", (data) => {
    if (data.channel === channel) load();
  });
  connection.on("message.deleted", (data) => {
    if (pins.some((pin) => pin.id === data.id)) load();
  });
  connection.onStatus?.((status) => {
    if (status === "open") load();
  });
  follow();

  return {
    open(trigger) {
      status = statusLine();
      list = h("ul", { className: "mm-result-list" });
      panel = openSidePanel({
        name: "pins",
        title: h("span", {}, "Pinned", h("span", { className: "mm-side-panel__subtitle" }, ` in ${channelLabel(state, channel || "")}`)),
        body: h("div", {}, status.element, list),
        trigger,
        onClose: () => {
          panel = null;
        },
      });
      renderPanel();
      load();
      panel.element.querySelector(".mm-result, .mm-icon-button")?.focus();
      return panel;
    },
  };
}
