// MiniMost's sounds, synthesised with WebAudio (no audio files).
//
//   playSound("message" | "mention" | "join" | "leave" | "hangup" | "ring" | "ringback")
//   const stop = startLoop("ring");   // …later: stop()
//
// Browsers only let a page make sound after the user interacted with it, so
// the audio context is created (or resumed) on the first pointer or key press.
// The "sounds" preference silences the message and mention sounds and the two
// ringing loops; the short call cues (join, leave, hangup) always play, since
// they confirm something the user just did or is in.

import { preferences } from "./preferences.js";

const MUTABLE = new Set(["message", "mention", "ring", "ringback"]);
const MESSAGE_DEBOUNCE_MS = 1000;

let context = null;
let master = null;
let lastMessageSound = 0;

function audio() {
  if (!context) {
    const AudioContextClass = window.AudioContext || window.webkitAudioContext;
    if (!AudioContextClass) return null;
    context = new AudioContextClass();
    master = context.createDynamicsCompressor();
    master.connect(context.destination);
  }
  if (context.state === "suspended") context.resume().catch(() => {});
  return context;
}

function unlock() {
  audio();
  window.removeEventListener("pointerdown", unlock, true);
  window.removeEventListener("keydown", unlock, true);
}
window.addEventListener("pointerdown", unlock, true);
window.addEventListener("keydown", unlock, true);

/** One enveloped note: `at` seconds from now, `length` seconds long. */
function note(ctx, { freq, at = 0, length = 0.2, type = "sine", volume = 0.18, glideTo = null, out = master }) {
  const start = ctx.currentTime + at;
  const oscillator = ctx.createOscillator();
  const envelope = ctx.createGain();
  oscillator.type = type;
  oscillator.frequency.setValueAtTime(freq, start);
  if (glideTo) oscillator.frequency.exponentialRampToValueAtTime(glideTo, start + length);
  envelope.gain.setValueAtTime(0.0001, start);
  envelope.gain.exponentialRampToValueAtTime(volume, start + Math.min(0.015, length / 4));
  envelope.gain.exponentialRampToValueAtTime(0.0001, start + length);
  oscillator.connect(envelope).connect(out);
  oscillator.start(start);
  oscillator.stop(start + length + 0.02);
  return oscillator;
}

/** A soft bell: a sine with a quieter octave partial. */
function bell(ctx, freq, at, length, volume = 0.16, out = master) {
  return [
    note(ctx, { freq, at, length, volume, out }),
    note(ctx, { freq: freq * 2, at, length: length * 0.6, volume: volume * 0.25, out }),
  ];
}

// Each pattern schedules its notes and returns them, so a loop can cut them short.
const PATTERNS = {
  message: (ctx, out) => [...bell(ctx, 880, 0, 0.18, 0.14, out), ...bell(ctx, 1318.5, 0.09, 0.32, 0.12, out)],
  mention: (ctx, out) => [
    ...bell(ctx, 784, 0, 0.16, 0.16, out),
    ...bell(ctx, 1046.5, 0.1, 0.16, 0.16, out),
    ...bell(ctx, 1568, 0.2, 0.4, 0.14, out),
  ],
  join: (ctx, out) => [...bell(ctx, 523.25, 0, 0.16, 0.15, out), ...bell(ctx, 784, 0.12, 0.3, 0.15, out)],
  leave: (ctx, out) => [...bell(ctx, 784, 0, 0.16, 0.14, out), ...bell(ctx, 523.25, 0.12, 0.3, 0.14, out)],
  hangup: (ctx, out) => [
    note(ctx, { freq: 660, at: 0, length: 0.14, type: "triangle", volume: 0.14, out }),
    note(ctx, { freq: 520, at: 0.16, length: 0.14, type: "triangle", volume: 0.14, out }),
    note(ctx, { freq: 390, at: 0.32, length: 0.3, type: "triangle", volume: 0.14, glideTo: 330, out }),
  ],
  // Incoming call: a rising four-note arpeggio, twice, then a pause (3 s cycle).
  ring: (ctx, out) =>
    [0, 0.7].flatMap((offset) =>
      [659.25, 830.6, 987.8, 1318.5].flatMap((freq, i) => bell(ctx, freq, offset + i * 0.1, 0.28, 0.13, out)),
    ),
  // Outgoing call, waiting for an answer: a calm two-tone pulse (4 s cycle).
  ringback: (ctx, out) => [
    note(ctx, { freq: 440, at: 0, length: 1.2, volume: 0.07, out }),
    note(ctx, { freq: 480, at: 0, length: 1.2, volume: 0.07, out }),
  ],
};

const LOOP_PERIOD_MS = { ring: 3000, ringback: 4000 };

function allowed(name) {
  return !MUTABLE.has(name) || preferences.get("sounds");
}

/** Play one sound now (if audio is unlocked and the preference allows it). */
export function playSound(name) {
  const pattern = PATTERNS[name];
  if (!pattern) throw new Error(`unknown sound ${name}`);
  if (!allowed(name)) return false;
  if (name === "message") {
    const now = Date.now();
    if (now - lastMessageSound < MESSAGE_DEBOUNCE_MS) return false;
    lastMessageSound = now;
  }
  const ctx = audio();
  if (!ctx || ctx.state !== "running") return false;
  pattern(ctx, master);
  return true;
}

/** Repeat "ring" or "ringback" until the returned stop() is called. */
export function startLoop(name) {
  if (!LOOP_PERIOD_MS[name]) throw new Error(`${name} is not a loop`);
  let stopped = false;
  let voices = [];
  let bus = null;
  const cycle = () => {
    if (stopped || !allowed(name)) return;
    const ctx = audio();
    if (!ctx || ctx.state !== "running") return;
    if (!bus) {
      bus = ctx.createGain();
      bus.connect(master);
    }
    voices = PATTERNS[name](ctx, bus);
  };
  cycle();
  const timer = setInterval(cycle, LOOP_PERIOD_MS[name]);
  const unsubscribe = preferences.subscribe("sounds", (on) => {
    if (!on && bus) bus.gain.setValueAtTime(0, context.currentTime);
    if (on && bus) bus.gain.setValueAtTime(1, context.currentTime);
  });
  return function stop() {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    unsubscribe();
    if (bus) {
      bus.gain.setValueAtTime(0, context.currentTime);
      for (const voice of voices) {
        try {
          voice.stop();
        } catch {
          // already finished
        }
      }
      bus.disconnect();
    }
  };
}
