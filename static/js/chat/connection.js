// The tab's one websocket to /ws: live events and signals, exact resume, backoff.
//
//   connection.on("message.created", (data, frame) => …)   // a logged event, by name
//   connection.on("typing", (frame) => …)                   // a signal, by its type
//   connection.on("resync", () => …)                        // reload everything over the API
//   connection.onStatus((status) => …)                      // "connecting" | "open" | "down"
//   connection.send({type: "typing", channel})              // false while down
//
// Each logged event is applied once, in order: the cursor is the id of the last event
// handed to the handlers, a reconnect asks for `?after=<cursor>`, and anything at or
// below the cursor is dropped. When the server no longer has what we missed it sends
// `resync` and the app reloads its state.

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 15_000;
const TOO_MANY_TABS_RETRY_MS = 30_000;
const CLOSE_SIGNED_OUT = 4001;
const CLOSE_TOO_MANY = 4003;

const handlers = new Map();
const statusHandlers = new Set();
let socket = null;
let status = "connecting";
let cursor = null;
let attempts = 0;
let retryTimer = null;
let silenceTimer = null;
let heartbeatSeconds = 25;
let started = false;
let closeReason = "";
let holding = null; // frames kept back until the app has loaded its first state

function emit(kind, ...args) {
  for (const handler of handlers.get(kind) || []) {
    try {
      handler(...args);
    } catch (error) {
      console.error(`handler for "${kind}" failed`, error);
    }
  }
}

function setStatus(next) {
  if (status === next) return;
  status = next;
  for (const handler of statusHandlers) {
    try {
      handler(next);
    } catch (error) {
      console.error("status handler failed", error);
    }
  }
}

function socketUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const after = cursor === null ? "" : `?after=${cursor}`;
  return `${scheme}//${location.host}/ws${after}`;
}

/** The server pings every heartbeatSeconds; silence for two of them means a dead link. */
function watchSilence() {
  clearTimeout(silenceTimer);
  silenceTimer = setTimeout(() => {
    if (socket) socket.close(4999, "silent");
  }, (heartbeatSeconds * 2 + 10) * 1000);
}

function apply(frame) {
  if (frame.type === "event") {
    if (cursor !== null && frame.id <= cursor) return;
    cursor = frame.id;
    emit(frame.name, frame.data, frame);
    emit("*", frame);
    return;
  }
  emit(frame.type, frame);
}

function receive(text) {
  let frame;
  try {
    frame = JSON.parse(text);
  } catch {
    return;
  }
  if (!frame || typeof frame !== "object") return;
  watchSilence();
  switch (frame.type) {
    case "ping":
      connection.send({ type: "pong" });
      return;
    case "hello":
      heartbeatSeconds = frame.heartbeat_seconds || heartbeatSeconds;
      if (cursor === null) cursor = frame.last_event_id;
      attempts = 0;
      closeReason = "";
      setStatus("open");
      emit("hello", frame);
      return;
    case "resync":
      // What we missed is gone from the log: the server goes on from its newest event.
      cursor = frame.last_event_id;
      emit("resync", frame);
      return;
    default:
      if (holding) holding.push(frame);
      else apply(frame);
  }
}

function scheduleReconnect(delay) {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(open, delay);
}

function backoff() {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempts);
  attempts += 1;
  // Full jitter: tabs that lost the same server do not all come back at once.
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function open() {
  clearTimeout(retryTimer);
  if (socket) return;
  let ws;
  try {
    ws = new WebSocket(socketUrl());
  } catch (error) {
    console.error("websocket could not be created", error);
    setStatus("down");
    scheduleReconnect(backoff());
    return;
  }
  socket = ws;
  ws.addEventListener("message", (event) => receive(event.data));
  ws.addEventListener("close", (event) => {
    if (socket !== ws) return;
    socket = null;
    clearTimeout(silenceTimer);
    setStatus("down");
    if (event.code === CLOSE_SIGNED_OUT) {
      location.assign("/login");
      return;
    }
    if (event.code === CLOSE_TOO_MANY) {
      closeReason = event.reason || "Too many open MiniMost tabs.";
      emit("refused", { reason: closeReason });
      scheduleReconnect(TOO_MANY_TABS_RETRY_MS);
      return;
    }
    scheduleReconnect(backoff());
  });
}

export const connection = {
  /** Listen to a logged event (by name) or a signal (by type); returns unsubscribe. */
  on(kind, handler) {
    if (!handlers.has(kind)) handlers.set(kind, new Set());
    handlers.get(kind).add(handler);
    return () => handlers.get(kind)?.delete(handler);
  },

  /** Listen to the link status; the handler is called at once with the current one. */
  onStatus(handler) {
    statusHandlers.add(handler);
    handler(status);
    return () => statusHandlers.delete(handler);
  },

  /** Send a JSON frame; false when the socket is not open. */
  send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  },

  get status() {
    return status;
  },

  /** The id of the last event applied (null before the first hello). */
  get lastEventId() {
    return cursor;
  },

  /** Why the server refused us, when it did (e.g. too many tabs). */
  get refusal() {
    return closeReason;
  },

  /**
   * Open the socket. Events arriving before `release()` is called are kept and then
   * applied in order, so the first state load over the API cannot miss any.
   */
  start() {
    if (started) return;
    started = true;
    holding = [];
    window.addEventListener("online", () => connection.reconnectNow());
    window.addEventListener("offline", () => {
      // The closing handshake cannot finish while offline: the link is down now, not
      // when the browser gives up waiting for the server's close frame.
      const ws = socket;
      if (!ws) return;
      socket = null;
      clearTimeout(silenceTimer);
      ws.close(4998, "offline");
      setStatus("down");
      scheduleReconnect(backoff());
    });
    open();
  },

  release() {
    const kept = holding || [];
    holding = null;
    for (const frame of kept) apply(frame);
  },

  /** Skip the backoff wait (the browser came back online, or the user asked). */
  reconnectNow() {
    attempts = 0;
    if (!socket) open();
  },
};
