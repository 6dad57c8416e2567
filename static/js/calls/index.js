// Calls in the chat app: the call and share buttons in the channel header, the
// incoming-call card, the "join the call" banner, and the call itself.
//
//   import { mountCalls } from "../calls/index.js";
//   mountCalls(ctx);   // ctx = { api, connection, state, headerActions, ... }
//
// The server owns the call's lifecycle and announces every change as a
// `call.updated` event; this module follows those events (and re-reads the
// calls it may have missed whenever the connection comes back).

import { playSound, startLoop } from "../chat/ui/sounds.js";
import { preferences } from "../chat/ui/preferences.js";
import { el, face, namesList, toast } from "./dom.js";
import { microphone, secureEnough } from "./media.js";
import { CallSession } from "./session.js";
import { CallView } from "./view.js";
import { Shares } from "./shares.js";

const LIVE = new Set(["ringing", "active"]);
const sounds = { playSound, startLoop };

function callable(channel) {
  return typeof channel === "string" && (channel.startsWith("dm:") || channel.startsWith("private:"));
}

export function mountCalls(ctx) {
  const { api, connection, state } = ctx;
  const me = () => state.me?.username;
  let session = null;
  let view = null;
  let starting = false;
  const incoming = new Map(); // call_id -> call ringing for me
  const channelCalls = new Map(); // channel -> its live call
  const notified = new Set();
  let ringStop = null;
  let shares = null;

  const label = (channel) => {
    const known = state.channels().find((c) => c.id === channel);
    return known ? known.label : channel.startsWith("dm:") ? "Direct message" : "Private channel";
  };
  const participant = (call, name) => call.participants.find((p) => p.username === name);

  // -- header buttons ------------------------------------------------------------------------------

  const callButton = el("button", { type: "button", className: "mm-header-btn mm-call-start", attrs: { "aria-label": "Start a call", title: "Start a call" }, on: { click: () => startCall() } }, "Call");
  const shareButton = el("button", { type: "button", className: "mm-header-btn mm-share-start", attrs: { "aria-label": "Share your screen", title: "Share your screen" }, on: { click: () => shares?.start() } }, "Share screen");
  ctx.headerActions.append(callButton, shareButton);

  // -- incoming card and join banner ---------------------------------------------------------------

  const card = el("section", { className: "mm-call-incoming", hidden: true, attrs: { role: "alertdialog", "aria-label": "Incoming call" } });
  const banner = el("div", { className: "mm-call-banner mm-call-join", hidden: true, attrs: { role: "region", "aria-label": "Call in progress" } });
  document.body.append(card, banner);

  function renderIncoming() {
    const call = session ? null : [...incoming.values()][0];
    if (!call) {
      card.hidden = true;
      card.replaceChildren();
      if (ringStop) {
        ringStop();
        ringStop = null;
      }
      return;
    }
    if (card.dataset.call !== call.call_id) {
      card.dataset.call = call.call_id;
      const readable = state.channels().some((c) => c.id === call.channel);
      const where = call.channel.startsWith("private:") && readable ? `in ${label(call.channel)}` : "";
      const declineButton = el("button", { type: "button", className: "mm-call-btn mm-call-leave mm-call-decline", on: { click: () => decline(call) } }, "Decline");
      const acceptButton = el("button", { type: "button", className: "mm-call-btn mm-call-primary mm-call-accept", on: { click: () => answer(call) } }, "Accept");
      card.replaceChildren(face(call.initiator, "lg"), el("div", { className: "mm-call-incoming-text" }, el("strong", {}, call.initiator), el("span", {}, ` is calling you ${where}`.trimEnd())), el("div", { className: "mm-call-incoming-actions" }, declineButton, acceptButton));
      if (!ringStop) ringStop = startLoop("ring");
      notifyIncoming(call);
    }
    card.hidden = false;
  }

  function notifyIncoming(call) {
    if (notified.has(call.call_id) || !("Notification" in window) || Notification.permission !== "granted") return;
    if (preferences.get("notifications") === false) return;
    if (document.visibilityState === "visible" && document.hasFocus()) return;
    notified.add(call.call_id);
    const note = new Notification("Incoming call — MiniMost", { body: `${call.initiator} is calling you`, tag: "minimost-call" });
    note.onclick = () => {
      window.focus();
      note.close();
    };
  }

  function renderBanner() {
    const channel = state.currentChannel;
    const call = channelCalls.get(channel);
    const mine = call && participant(call, me());
    const show = call && call.state === "active" && !session && !(mine && mine.state === "pending");
    if (!show) {
      banner.hidden = true;
      banner.replaceChildren();
      return;
    }
    const names = call.participants.filter((p) => p.state === "accepted").map((p) => p.username);
    const text = names.length === 1 ? `${names[0]} is on a call` : `${namesList(names)} are on a call`;
    const join = el("button", { type: "button", className: "mm-call-btn mm-call-primary mm-call-join-btn", on: { click: () => answer(call) } }, "Join");
    banner.replaceChildren(el("div", { className: "mm-call-banner-row" }, el("span", { className: "mm-call-faces" }, names.slice(0, 3).map((name) => face(name, "sm"))), el("span", {}, text), join));
    banner.hidden = false;
  }

  function renderButtons() {
    const channel = state.currentChannel;
    const shown = callable(channel);
    callButton.hidden = !shown;
    shareButton.hidden = !shown;
    callButton.disabled = Boolean(session) || starting || Boolean(channelCalls.get(channel));
  }

  function renderAll() {
    renderIncoming();
    renderBanner();
    renderButtons();
  }

  // -- following the server ------------------------------------------------------------------------

  function take(call) {
    if (session && session.id === call.call_id) session.apply(call);
    const mine = participant(call, me());
    if (LIVE.has(call.state) && mine && mine.state === "pending") incoming.set(call.call_id, call);
    else incoming.delete(call.call_id);
    if (LIVE.has(call.state)) channelCalls.set(call.channel, call);
    else if (channelCalls.get(call.channel)?.call_id === call.call_id) channelCalls.delete(call.channel);
    renderAll();
  }

  async function refresh() {
    try {
      const { calls } = await api("GET", "/api/calls/mine");
      incoming.clear();
      for (const call of calls) take(call);
    } catch (error) {
      console.warn("calls: could not load my calls", error);
    }
    await loadChannel();
    if (session) {
      try {
        session.apply((await api("GET", `/api/calls/${session.id}`)).call);
      } catch {
        session.finish();
      }
    }
  }

  async function loadChannel() {
    const channel = state.currentChannel;
    if (callable(channel)) {
      try {
        const { call } = await api("GET", `/api/calls/current?channel=${encodeURIComponent(channel)}`);
        if (call) take(call);
        else channelCalls.delete(channel);
      } catch {
        channelCalls.delete(channel);
      }
    }
    renderAll();
  }

  // -- actions -------------------------------------------------------------------------------------

  async function withMicrophone() {
    const track = await microphone();
    if (!track) toast("No microphone available — you have joined listen-only. Others can still be heard.");
    return track;
  }

  function begin(call, track) {
    session = new CallSession({
      ctx,
      call,
      me: me(),
      microphone: track,
      sounds,
      onEnd: (ended) => {
        session = null;
        view = null;
        if (ended.state === "missed" && ended.initiator === me()) toast("No answer.");
        take(ended);
        loadChannel();
      },
    });
    view = new CallView(session, { title: label(call.channel) });
    renderAll();
  }

  async function startCall() {
    const channel = state.currentChannel;
    if (session || starting || !callable(channel)) return;
    if (!secureEnough()) return toast("Calling requires a secure connection (HTTPS).");
    starting = true;
    renderButtons();
    const track = await withMicrophone();
    try {
      const { call } = await api("POST", "/api/calls", { channel });
      begin(call, track);
    } catch (error) {
      track?.stop();
      toast(error.message);
      loadChannel();
    } finally {
      starting = false;
      renderButtons();
    }
  }

  async function answer(call) {
    if (session) return toast("You are already in a call.");
    if (!secureEnough()) return toast("Calling requires a secure connection (HTTPS).");
    incoming.delete(call.call_id);
    renderIncoming();
    const track = await withMicrophone();
    try {
      const reply = await api("POST", `/api/calls/${call.call_id}/accept`);
      begin(reply.call, track);
    } catch (error) {
      track?.stop();
      toast(error.message);
      refresh();
    }
  }

  async function decline(call) {
    incoming.delete(call.call_id);
    renderIncoming();
    try {
      take((await api("POST", `/api/calls/${call.call_id}/reject`)).call);
    } catch (error) {
      if (error.status !== 409) toast(error.message);
    }
  }

  // -- wiring --------------------------------------------------------------------------------------

  shares = new Shares(ctx);
  connection.on("call.updated", (call) => take(call));
  connection.onStatus((status) => {
    if (status === "open") refresh();
  });
  state.subscribe("channel", () => {
    loadChannel();
    shares.channelChanged();
  });
  state.subscribe("channels", renderAll);
  window.addEventListener("pagehide", () => {
    session?.leaveOnPageHide();
    shares.stopOnPageHide();
  });
  refresh();
  shares.load();
  return {
    get session() {
      return session;
    },
    get view() {
      return view;
    },
  };
}
