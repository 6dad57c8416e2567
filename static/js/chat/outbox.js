// Messages on their way to the server. Each send is shown at once as pending, then
// retried with the same client_id until the server answers, so a dropped connection
// never loses a message and a retry never makes a second one (the server dedupes by
// client_id). A refusal (too long, not allowed…) leaves it failed with retry/discard.
//
// Text goes over the open websocket as a `message.send` frame (no HTTP request per
// message; a tab's sends commit in the order it sent them) and is answered by a
// `message.sent` or `error` frame naming its client_id. Files, and any send while the
// socket is down, go over the API.

import { api, ApiError } from "../api.js";
import { connection } from "./connection.js";

const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 15_000;
const ANSWER_TIMEOUT_MS = 10_000;

const pending = new Map(); // client_id -> record
const answers = new Map(); // client_id -> {resolve, reject, timer} of a frame in flight
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

/** Send a text-only record as a websocket frame; resolves with the server's answer. */
function overSocket(record) {
  return new Promise((resolve, reject) => {
    const sent = connection.send({
      type: "message.send",
      channel: record.channel,
      content: record.content,
      client_id: record.clientId,
      reply_to: record.replyTo,
    });
    if (!sent) {
      reject(new ApiError(0, "Not connected.", "network"));
      return;
    }
    const timer = setTimeout(() => {
      answers.delete(record.clientId);
      reject(new ApiError(0, "The server did not answer.", "network"));
    }, ANSWER_TIMEOUT_MS);
    answers.set(record.clientId, { resolve, reject, timer });
  });
}

function answered(clientId) {
  const waiting = answers.get(clientId);
  if (!waiting) return null;
  answers.delete(clientId);
  clearTimeout(waiting.timer);
  return waiting;
}

connection.on("message.sent", (frame) => answered(frame.client_id)?.resolve(frame));
connection.on("error", (frame) => {
  if (frame.about !== "message.send") return;
  answered(frame.client_id)?.reject(new ApiError(frame.status || 400, frame.message, frame.code || null));
});
connection.onStatus((status) => {
  if (status === "open") return;
  // Frames in flight on a lost socket may or may not have landed: retrying with the
  // same client_id settles it either way.
  for (const clientId of [...answers.keys()]) {
    answered(clientId).reject(new ApiError(0, "Connection lost.", "network"));
  }
});

function post(record) {
  if (!record.files.length && connection.status === "open") return overSocket(record);
  return api("POST", `/api/channels/${encodeURIComponent(record.channel)}/messages`, body(record));
}

async function attempt(record) {
  if (record.status === "done" || record.inFlight) return;
  record.inFlight = true;
  record.status = "sending";
  changed(record, "status");
  try {
    const answer = await post(record);
    record.inFlight = false;
    outbox.settle(record.clientId, answer.messages || [answer.message]);
  } catch (error) {
    record.inFlight = false;
    if (record.status === "done") return;
    if (retryable(error)) {
      record.tries += 1;
      record.status = "retrying";
      // The server's own reason (disk full, busy) is worth showing; a lost link is not.
      record.error = error.status >= 500 ? error.message : "";
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
