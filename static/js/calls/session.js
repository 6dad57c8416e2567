// One call this tab is in: local media, a peer connection per other participant,
// heartbeats, and the server's view of the call kept current from its events.

import { camera, screen, speakingMeter } from "./media.js";
import { CallPeer } from "./rtc.js";
import { toast } from "./dom.js";

const HEARTBEAT_MS = 10_000;
const LIVE = new Set(["ringing", "active"]);

export class CallSession {
  /**
   * @param {{ctx: object, call: object, me: string, microphone: MediaStreamTrack|null,
   *          sounds: {playSound: Function, startLoop: Function}, onEnd: (call: object) => void}} options
   */
  constructor({ ctx, call, me, microphone, sounds, onEnd }) {
    this.ctx = ctx;
    this.call = call;
    this.me = me;
    this.sounds = sounds;
    this.onEnd = onEnd;
    this.local = { audio: microphone, camera: null, screen: null };
    this.screenStream = null;
    this.listenOnly = !microphone;
    this.muted = false;
    this.peers = new Map();
    // Per remote person: tracks by slot, their reported mute/camera state, connection state.
    this.remote = new Map();
    this.speaking = new Set();
    this.meters = new Map();
    this.listeners = new Set();
    this.ended = false;
    this.ringback = null;
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.unsubscribe = ctx.connection.on("call.signal", (frame) => this.onSignal(frame));
    if (microphone) this.watchLevel(this.me, microphone);
    this.apply(call);
  }

  get id() {
    return this.call.call_id;
  }

  /** Subscribe to any change worth re-rendering; returns unsubscribe. */
  subscribe(handler) {
    this.listeners.add(handler);
    return () => this.listeners.delete(handler);
  }

  changed() {
    for (const handler of this.listeners) handler(this);
  }

  accepted() {
    return this.call.participants.filter((p) => p.state === "accepted").map((p) => p.username);
  }

  ringing() {
    return this.call.participants.filter((p) => p.state === "pending").map((p) => p.username);
  }

  sharers() {
    return this.call.participants.filter((p) => p.state === "accepted" && p.sharing).map((p) => p.username);
  }

  /** Take in the call as the server now has it (from an event or a reply). */
  apply(call) {
    if (this.ended || call.call_id !== this.id) return;
    const before = new Set(this.accepted());
    this.call = call;
    const now = this.accepted();
    if (!LIVE.has(call.state) || !now.includes(this.me)) {
      this.finish();
      return;
    }
    const waiting = call.state === "ringing" && call.initiator === this.me;
    if (waiting && !this.ringback) this.ringback = this.sounds.startLoop("ringback");
    if (!waiting && this.ringback) {
      this.ringback();
      this.ringback = null;
    }
    const joined = new Map(call.participants.map((p) => [p.username, p.joined_ts]));
    for (const name of now) {
      // Someone who joined again (a reloaded tab) needs a fresh connection.
      const before = this.joinedAt?.get(name);
      if (this.peers.has(name) && before && before !== joined.get(name)) this.drop(name);
    }
    this.joinedAt = joined;
    for (const name of now) {
      if (name !== this.me && !this.peers.has(name)) {
        this.connect(name);
        if (before.size && !before.has(name)) this.sounds.playSound("join");
      }
    }
    for (const name of [...this.peers.keys()]) {
      if (!now.includes(name)) {
        this.drop(name);
        this.sounds.playSound("leave");
      }
    }
    this.changed();
  }

  connect(name) {
    const info = { tracks: {}, muted: false, camera: false, connection: "new" };
    this.remote.set(name, info);
    const peer = new CallPeer({
      me: this.me,
      them: name,
      send: (data) => this.signal(name, data),
      tracks: () => this.local,
      onTrack: (slot, track) => {
        info.tracks[slot] = track;
        if (slot === "audio") this.watchLevel(name, track);
        track.addEventListener("unmute", () => this.changed());
        this.changed();
      },
      onState: (state) => {
        info.connection = state;
        if (state === "connected") this.sendState(name);
        this.changed();
      },
    });
    this.peers.set(name, peer);
    return peer;
  }

  drop(name) {
    this.peers.get(name)?.close();
    this.peers.delete(name);
    this.remote.delete(name);
    this.meters.get(name)?.();
    this.meters.delete(name);
    this.speaking.delete(name);
  }

  signal(to, data) {
    this.ctx.connection.send({ type: "call.signal", call_id: this.id, to, data });
  }

  async onSignal(frame) {
    if (frame.call_id !== this.id || this.ended) return;
    const { from, data } = frame;
    if (data.state) {
      const info = this.remote.get(from);
      if (info) {
        info.muted = Boolean(data.state.muted);
        info.camera = Boolean(data.state.camera);
        this.changed();
      }
      return;
    }
    const peer = this.peers.get(from) || this.connect(from);
    try {
      await peer.receive(data);
    } catch (error) {
      console.warn("call: signalling with", from, "failed", error);
    }
  }

  /** Tell one person (or everyone) whether we are muted and showing our camera. */
  sendState(name) {
    const state = { muted: this.muted || this.listenOnly, camera: Boolean(this.local.camera) };
    const targets = name ? [name] : [...this.peers.keys()];
    for (const target of targets) this.signal(target, { state });
  }

  watchLevel(name, track) {
    this.meters.get(name)?.();
    this.meters.set(
      name,
      speakingMeter(track, (speaking) => {
        if (speaking) this.speaking.add(name);
        else this.speaking.delete(name);
        this.changed();
      }),
    );
  }

  async setLocal(slot, track) {
    this.local[slot] = track;
    await Promise.all([...this.peers.values()].map((peer) => peer.setTrack(slot, track)));
    this.changed();
  }

  toggleMute() {
    if (this.listenOnly || !this.local.audio) return;
    this.muted = !this.muted;
    this.local.audio.enabled = !this.muted;
    this.sendState();
    this.changed();
  }

  async toggleCamera() {
    if (this.local.camera) {
      const track = this.local.camera;
      await this.setLocal("camera", null);
      track.stop();
    } else {
      try {
        const track = await camera();
        if (this.ended) return track.stop();
        await this.setLocal("camera", track);
      } catch (error) {
        toast(error.message);
        return;
      }
    }
    this.sendState();
  }

  async toggleShare() {
    if (this.local.screen) return this.stopShare();
    let stream;
    try {
      stream = await screen();
    } catch (error) {
      toast(error.message);
      return;
    }
    if (!stream || this.ended) return;
    const track = stream.getVideoTracks()[0];
    this.screenStream = stream;
    track.addEventListener("ended", () => this.stopShare());
    await this.setLocal("screen", track);
    await this.ctx.api("POST", `/api/calls/${this.id}/screenshare`, { on: true }).then(
      (reply) => this.apply(reply.call),
      (error) => toast(error.message),
    );
  }

  async stopShare() {
    if (!this.local.screen) return;
    const stream = this.screenStream;
    this.screenStream = null;
    await this.setLocal("screen", null);
    for (const track of stream?.getTracks() || []) track.stop();
    if (this.ended) return;
    await this.ctx.api("POST", `/api/calls/${this.id}/screenshare`, { on: false }).then(
      (reply) => this.apply(reply.call),
      () => {},
    );
  }

  async invite(username) {
    const reply = await this.ctx.api("POST", `/api/calls/${this.id}/invite`, { username });
    this.apply(reply.call);
  }

  async beat() {
    try {
      const reply = await this.ctx.api("POST", `/api/calls/${this.id}/heartbeat`);
      this.apply(reply.call);
    } catch (error) {
      if (error.status === 404) this.finish();
    }
  }

  /** Hang up: tell the server, then clean up here. */
  async leave() {
    if (this.ended) return;
    const id = this.id;
    this.finish();
    try {
      await this.ctx.api("POST", `/api/calls/${id}/leave`);
    } catch (error) {
      console.warn("call: leaving failed", error);
    }
  }

  /** Leave from a closing page: a keepalive request outlives the page. */
  leaveOnPageHide() {
    if (this.ended) return;
    const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") || "";
    fetch(`/api/calls/${this.id}/leave`, {
      method: "POST",
      keepalive: true,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": token, Accept: "application/json" },
    }).catch(() => {});
    this.finish();
  }

  finish() {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    this.unsubscribe();
    if (this.ringback) {
      this.ringback();
      this.ringback = null;
    }
    for (const name of [...this.peers.keys()]) this.drop(name);
    for (const stop of this.meters.values()) stop();
    this.meters.clear();
    for (const track of [this.local.audio, this.local.camera]) track?.stop();
    for (const track of this.screenStream?.getTracks() || []) track.stop();
    this.sounds.playSound("hangup");
    this.changed();
    this.onEnd(this.call);
  }
}
