// Local media (microphone, camera, screen) and the speaking meter.

const SCREEN_CONSTRAINTS = {
  video: { frameRate: { ideal: 15, max: 30 }, width: { max: 2560 }, height: { max: 1440 } },
};
const SPEAKING_LEVEL = 0.02;
const METER_INTERVAL_MS = 100;
const SPEAKING_HOLD_MS = 400;

/** The microphone, or null when there is none or it was refused (listen-only). */
export async function microphone() {
  if (!navigator.mediaDevices?.getUserMedia) return null;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      video: false,
    });
    return stream.getAudioTracks()[0] || null;
  } catch {
    return null;
  }
}

/** The camera; throws with a readable message when it cannot be had. */
export async function camera() {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error("This browser cannot use a camera here.");
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 24 } },
      audio: false,
    });
    return stream.getVideoTracks()[0];
  } catch {
    throw new Error("No camera available, or access to it was refused.");
  }
}

/** A screen, window or tab to share; null when the user cancels the picker. */
export async function screen({ withAudio = false } = {}) {
  if (!navigator.mediaDevices?.getDisplayMedia) throw new Error("This browser cannot share its screen.");
  try {
    const stream = await navigator.mediaDevices.getDisplayMedia({ ...SCREEN_CONSTRAINTS, audio: withAudio });
    const video = stream.getVideoTracks()[0];
    if ("contentHint" in video) video.contentHint = "detail";
    return stream;
  } catch (error) {
    if (error && error.name === "NotAllowedError") return null;
    throw new Error("The screen could not be shared.");
  }
}

/** Whether the page may use calls at all (browsers give media only to secure pages). */
export function secureEnough() {
  return window.isSecureContext && typeof RTCPeerConnection === "function";
}

let audioContext = null;

function sharedAudioContext() {
  if (!audioContext) {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    audioContext = new Context();
  }
  if (audioContext.state === "suspended") audioContext.resume().catch(() => {});
  return audioContext;
}

/**
 * Watch an audio track's level; `onChange(speaking)` fires when it crosses the
 * speaking threshold (held briefly so the ring does not flicker between words).
 * Returns stop().
 */
export function speakingMeter(track, onChange) {
  const context = sharedAudioContext();
  if (!context || !track) return () => {};
  const source = context.createMediaStreamSource(new MediaStream([track]));
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  source.connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  let speaking = false;
  let lastLoud = 0;
  const timer = setInterval(() => {
    analyser.getByteTimeDomainData(samples);
    let sum = 0;
    for (const sample of samples) {
      const centred = (sample - 128) / 128;
      sum += centred * centred;
    }
    const level = Math.sqrt(sum / samples.length);
    const now = performance.now();
    if (level > SPEAKING_LEVEL && track.enabled) lastLoud = now;
    const next = now - lastLoud < SPEAKING_HOLD_MS;
    if (next !== speaking) {
      speaking = next;
      onChange(speaking, level);
    }
  }, METER_INTERVAL_MS);
  return () => {
    clearInterval(timer);
    source.disconnect();
  };
}
