// What the app knows about conversations: who I am, the channels, private channels
// and DMs with their unread and mention counts, and which one is open.
//
//   state.me                      {username, name_color, bio, avatar_url}
//   state.currentChannel          "general" | "private:3" | "dm:alice:bob" (always a real channel)
//   state.mentionsOpen            true while the list of unread mentions is shown instead
//   state.channels()              [{id, kind, label, name, members?, unread, mentions}]
//   state.subscribe("channel" | "channels" | "me" | "view", handler) -> unsubscribe
//   state.openChannel(id)         a channel id, or "mentions" for the mentions list; false if unknown
//   state.privateChannelJoined(s) a private channel the server confirmed, before its event
//
// Loaded over the API (load()), then kept current by the events main.js feeds in.

import { api } from "../api.js";
import { toast } from "./dom.js";

export const MENTIONS = "mentions";
const UNAVAILABLE = "That conversation isn't available: it may have been removed, or you are not a member.";

const subscribers = new Map();
const publicChannels = new Map(); // id -> entry, settings order
const privateChannels = new Map();
const dms = new Map();
let mentionList = []; // unread messages that mention me, newest first

function emit(topic, value) {
  for (const handler of subscribers.get(topic) || []) {
    try {
      handler(value);
    } catch (error) {
      console.error(`state subscriber for "${topic}" failed`, error);
    }
  }
}

export function channelKind(id) {
  if (id.startsWith("dm:")) return "dm";
  if (id.startsWith("private:")) return "private";
  return "public";
}

export function dmParticipants(id) {
  return id.startsWith("dm:") ? id.slice(3).split(":") : [];
}

function dmLabel(id) {
  const others = dmParticipants(id).filter((name) => name !== state.me.username);
  return (others.length ? others : [state.me.username]).join(", ");
}

function pendingDmKey() {
  return `minimost:pendingDms:${state.me.username}`;
}

function pendingDms() {
  try {
    const stored = JSON.parse(localStorage.getItem(pendingDmKey()) || "[]");
    return Array.isArray(stored) ? stored.filter((id) => typeof id === "string" && id.startsWith("dm:")) : [];
  } catch {
    return [];
  }
}

function savePendingDms(ids) {
  try {
    localStorage.setItem(pendingDmKey(), JSON.stringify(ids));
  } catch {
    /* storage full or disabled: the DM shows once it has a message */
  }
}

function mentionsMe(message) {
  const names = Array.isArray(message.mentions) ? message.mentions : [];
  return names.includes(state.me.username) || (names.includes("@everyone") && message.sender !== state.me.username);
}

function entryOf(id) {
  return publicChannels.get(id) || privateChannels.get(id) || dms.get(id) || null;
}

function lastChannelKey() {
  return `minimost:lastChannel:${state.me.username}`;
}

function remember(id) {
  try {
    localStorage.setItem(lastChannelKey(), id);
  } catch {
    /* not remembered across reloads */
  }
}

export const state = {
  me: null,
  currentChannel: null,
  mentionsOpen: false,

  /** What the main area shows: "mentions" or the current channel. */
  shown() {
    return state.mentionsOpen ? MENTIONS : state.currentChannel;
  },

  /** Every conversation in sidebar order: public, private (by name), DMs (newest first). */
  channels() {
    const privates = [...privateChannels.values()].sort((a, b) => a.label.localeCompare(b.label));
    const direct = [...dms.values()].sort((a, b) => (b.lastTs || 0) - (a.lastTs || 0) || a.label.localeCompare(b.label));
    return [...publicChannels.values(), ...privates, ...direct];
  },

  channel(id) {
    return entryOf(id);
  },

  /** Unread messages that mention me, newest first. */
  mentions() {
    return mentionList;
  },

  subscribe(topic, handler) {
    if (!subscribers.has(topic)) subscribers.set(topic, new Set());
    subscribers.get(topic).add(handler);
    return () => subscribers.get(topic)?.delete(handler);
  },

  /**
   * Open a conversation (a DM with nobody's message yet is kept in the list until it has
   * one). An unknown channel is refused out loud and the current one stays: what is on
   * screen is always where the composer sends. Returns whether it opened.
   */
  openChannel(id) {
    if (!id) return false;
    if (id === MENTIONS) {
      if (!state.mentionsOpen) {
        state.mentionsOpen = true;
        emit("view", MENTIONS);
      }
      return true;
    }
    if (!entryOf(id)) {
      if (channelKind(id) !== "dm") {
        toast(UNAVAILABLE, "error");
        return false;
      }
      addDm({ channel: id, unread: 0, last_ts: Date.now() / 1000 });
      savePendingDms([...new Set([...pendingDms(), id])]);
      emit("channels", state.channels());
    }
    state.mentionsOpen = false;
    remember(id);
    if (state.currentChannel !== id) {
      state.currentChannel = id;
      emit("channel", id);
    }
    emit("view", id);
    return true;
  },

  /** The channel to open first: the last one this browser had open, else the first public one. */
  initialChannel() {
    let remembered = null;
    try {
      remembered = localStorage.getItem(lastChannelKey());
    } catch {
      remembered = null;
    }
    if (remembered && entryOf(remembered)) return remembered;
    return publicChannels.keys().next().value || "general";
  },

  setMe(me) {
    state.me = { ...state.me, ...me };
    emit("me", state.me);
  },

  /** (Re)load every list and count from the server. */
  async load(publicNames) {
    const shownLabel = entryOf(state.currentChannel || "")?.label || state.currentChannel;
    const [privates, direct, unread, mentions] = await Promise.all([
      api("GET", "/api/private-channels"),
      api("GET", "/api/dms"),
      api("GET", "/api/unread"),
      api("GET", "/api/mentions"),
    ]);
    publicChannels.clear();
    for (const name of publicNames) {
      publicChannels.set(name, { id: name, kind: "public", label: name, name, unread: unread.channels?.[name] || 0, mentions: 0 });
    }
    privateChannels.clear();
    for (const channel of privates.channels || []) setPrivate(channel, channel.unread || 0);
    dms.clear();
    for (const dm of direct.dms || []) addDm(dm);
    const listed = new Set(dms.keys());
    const stillPending = pendingDms().filter((id) => !listed.has(id));
    savePendingDms(stillPending);
    for (const id of stillPending) addDm({ channel: id, unread: 0, last_ts: 0 });
    mentionList = mentions.mentions || [];
    recountMentions();
    const gone = state.currentChannel && !entryOf(state.currentChannel) ? state.currentChannel : null;
    emit("channels", state.channels());
    if (gone) leaveShown(`"${shownLabel}" is no longer among your conversations.`);
  },

  // ---------------------------------------------------------------- live updates

  /** Someone's new message: counts for the sidebar unless I am reading that channel. */
  messageArrived(message, { reading }) {
    let entry = entryOf(message.channel);
    if (!entry && channelKind(message.channel) === "dm") entry = addDm({ channel: message.channel, unread: 0, last_ts: message.ts });
    if (!entry) return;
    if (entry.kind === "dm") {
      entry.lastTs = Math.max(entry.lastTs || 0, message.ts);
      savePendingDms(pendingDms().filter((id) => id !== message.channel));
    }
    if (message.sender !== state.me.username && !reading) {
      entry.unread += 1;
      if (mentionsMe(message)) mentionList = [message, ...mentionList.filter((m) => m.id !== message.id)];
    }
    recountMentions();
    emit("channels", state.channels());
  },

  messageRemoved(id) {
    const before = mentionList.length;
    mentionList = mentionList.filter((m) => m.id !== id);
    if (before !== mentionList.length) {
      recountMentions();
      emit("channels", state.channels());
    }
  },

  /** My read position moved (here or in another tab): nothing there is unread any more. */
  channelRead(channel) {
    const entry = entryOf(channel);
    if (!entry) return;
    entry.unread = 0;
    mentionList = mentionList.filter((m) => m.channel !== channel);
    recountMentions();
    emit("channels", state.channels());
  },

  privateChannelChanged(summary) {
    if (!summary.members?.includes(state.me.username)) {
      state.privateChannelLeft(summary.channel);
      return;
    }
    setPrivate(summary, privateChannels.get(summary.channel)?.unread || 0);
    emit("channels", state.channels());
  },

  /** The answer to creating a private channel: enough to open it if its event is still on the way. */
  privateChannelJoined(summary) {
    if (!summary?.channel || privateChannels.has(summary.channel)) return;
    setPrivate(summary, 0);
    emit("channels", state.channels());
  },

  privateChannelLeft(channel) {
    const entry = privateChannels.get(channel);
    if (!entry) return;
    privateChannels.delete(channel);
    mentionList = mentionList.filter((m) => m.channel !== channel);
    recountMentions();
    emit("channels", state.channels());
    if (state.currentChannel === channel) leaveShown(`You are no longer in "${entry.label}".`);
  },

  dmHidden(channel) {
    dms.delete(channel);
    savePendingDms(pendingDms().filter((id) => id !== channel));
    emit("channels", state.channels());
    if (state.currentChannel === channel) state.openChannel(publicChannels.keys().next().value);
  },
};

/** The open conversation is gone: say so, then show the first public channel. */
function leaveShown(notice) {
  toast(notice, "info");
  state.openChannel(publicChannels.keys().next().value);
}

function setPrivate(summary, unread) {
  privateChannels.set(summary.channel, {
    id: summary.channel,
    kind: "private",
    label: summary.name,
    name: summary.name,
    members: summary.members || [],
    unread,
    mentions: 0,
  });
}

function addDm(dm) {
  const existing = dms.get(dm.channel);
  const entry = {
    id: dm.channel,
    kind: "dm",
    label: dmLabel(dm.channel),
    members: dmParticipants(dm.channel),
    unread: dm.unread ?? existing?.unread ?? 0,
    mentions: 0,
    lastTs: dm.last_ts || existing?.lastTs || 0,
  };
  dms.set(dm.channel, entry);
  return entry;
}

function recountMentions() {
  for (const entry of [...publicChannels.values(), ...privateChannels.values(), ...dms.values()]) entry.mentions = 0;
  for (const message of mentionList) {
    const entry = entryOf(message.channel);
    if (entry) entry.mentions += 1;
  }
}

export { mentionsMe };
