// Messages on their way to the server. Each send is shown at once as pending, then
// retried with the same client_id until the server answers, so a dropped connection
// never loses a message and a retry never makes a second one (the server dedupes by
// client_id). A refusal (too long, not allowed…) leaves it failed with retry/discard.

import { api } from "../api.js";

const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 15_000;

const pending = new Map(); // client_id -> record
const listeners = new Set();
let online = true;

function changed(record, kind, messages = null) {
  for (const listener of listeners) listener(record, kind, messages);
}

function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** Network trouble or a server hiccup is worth retrying; a refusal is not. */
function retryable(error) {
  return error.status === 0 || error.status === 429 || error.status >= 500;
}

function body(record) {
  if (!record.files.length) return { content: record.content, client_id: record.clientId, reply_to: record.replyTo };
  const form = new FormData();
  form.append("content", record.content);
  form.append("client_id", record.clientId);
  if (record.replyTo !== null) form.append("reply_to", String(record.replyTo));
  for (const file of record.files) form.append("files", file, file.name);
  return form;
}

async function attempt(record) {
  if (record.status === "done" || record.inFlight) return;
  record.inFlight = true;
  record.status = "sending";
  changed(record, "status");
  try {
    const answer = await api("POST", `/api/channels/${encodeURIComponent(record.channel)}/messages`, body(record));
    record.inFlight = false;
    outbox.settle(record.clientId, answer.messages || [answer.message]);
  } catch (error) {
    record.inFlight = false;
    if (record.status === "done") return;
    if (retryable(error)) {
      record.tries += 1;
      record.status = "retrying";
      record.error = error.message;
      const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(record.tries - 1, 5));
      clearTimeout(record.timer);
      record.timer = setTimeout(() => attempt(record), online ? delay : RETRY_MAX_MS);
    } else {
      record.status = "failed";
      record.error = error.message;
    }
    changed(record, "status");
  }
}

export const outbox = {
  /** Queue a message (text and/or files) and start sending it. */
  send({ channel, content, files = [], replyTo = null, sender }) {
    const record = {
      clientId: newClientId(),
      channel,
      content,
      files,
      replyTo,
      sender,
      ts: Date.now() / 1000,
      status: "sending",
      tries: 0,
      error: "",
      inFlight: false,
      timer: null,
    };
    pending.set(record.clientId, record);
    changed(record, "added");
    attempt(record);
    return record;
  },

  /** The server has it (from the reply or the live event): stop and hand over. */
  settle(clientId, messages) {
    const record = pending.get(clientId);
    if (!record) return;
    clearTimeout(record.timer);
    record.status = "done";
    pending.delete(clientId);
    changed(record, "settled", messages);
  },

  retry(clientId) {
    const record = pending.get(clientId);
    if (!record) return;
    clearTimeout(record.timer);
    record.tries = 0;
    attempt(record);
  },

  discard(clientId) {
    const record = pending.get(clientId);
    if (!record) return;
    clearTimeout(record.timer);
    record.status = "done";
    pending.delete(clientId);
    changed(record, "discarded");
  },

  /** Pending sends of a channel, oldest first. */
  of(channel) {
    return [...pending.values()].filter((record) => record.channel === channel);
  },

  has(clientId) {
    return pending.has(clientId);
  },

  onChange(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },

  /** The link came back: retry everything waiting now rather than at its next tick. */
  linkUp() {
    online = true;
    for (const record of pending.values()) {
      if (record.status === "retrying") {
        clearTimeout(record.timer);
        attempt(record);
      }
    }
  },

  linkDown() {
    online = false;
  },
};
