// Standalone screen sharing (outside calls): share with the channel you are in;
// the others see a banner and may watch. Each viewer asks the sharer for the
// screen over its own receive-only connection.

import { el, face, namesList, toast, typingInField } from "./dom.js";
import { screen } from "./media.js";
import { SharePeer } from "./rtc.js";

const HEARTBEAT_MS = 10_000;

export class Shares {
  constructor(ctx) {
    this.ctx = ctx;
    this.active = new Map(); // share_id -> share, for the channel on screen
    this.own = null; // {share, stream, viewers: Map<viewer, SharePeer>, heartbeat}
    this.watching = new Map(); // share_id -> {peer, tile}
    this.overlay = null;
    this.banner = el("div", { className: "mm-call-banner mm-share-banner", hidden: true, attrs: { role: "region", "aria-label": "Screen shares" } });
    document.body.append(this.banner);
    ctx.connection.on("screenshare.updated", (share) => this.onUpdate(share));
    ctx.connection.on("share.signal", (frame) => this.onSignal(frame));
  }

  get me() {
    return this.ctx.state.me?.username;
  }

  channel() {
    return this.ctx.state.currentChannel;
  }

  /** Load the active shares of the channel now on screen. */
  async load() {
    const channel = this.channel();
    this.active.clear();
    if (!channel) return this.render();
    try {
      const { shares } = await this.ctx.api("GET", `/api/screenshares?channel=${encodeURIComponent(channel)}`);
      if (channel !== this.channel()) return;
      for (const share of shares) this.active.set(share.share_id, share);
    } catch {
      // A channel we may not read has no shares to show.
    }
    this.render();
  }

  /** Switching channel ends your own share and closes what you were watching. */
  async channelChanged() {
    if (this.own && this.own.share.channel !== this.channel()) await this.stop();
    this.closeOverlay();
    await this.load();
  }

  onUpdate(share) {
    if (share.state === "active" && share.channel === this.channel()) {
      this.active.set(share.share_id, share);
      if (share.sharer !== this.me && document.hidden) this.notify(share);
    } else {
      this.active.delete(share.share_id);
      this.stopWatching(share.share_id);
    }
    if (share.state !== "active" && this.own?.share.share_id === share.share_id) this.release();
    this.render();
  }

  notify(share) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const note = new Notification("Screen share — MiniMost", { body: `${share.sharer} is sharing their screen`, tag: `minimost-share-${share.share_id}` });
    note.onclick = () => {
      window.focus();
      note.close();
    };
  }

  // -- sharing -------------------------------------------------------------------------------------

  async start() {
    const channel = this.channel();
    let stream;
    try {
      stream = await screen({ withAudio: true });
    } catch (error) {
      toast(error.message);
      return;
    }
    if (!stream) return;
    if (this.own) await this.stop();
    let share;
    try {
      share = (await this.ctx.api("POST", "/api/screenshares", { channel })).share;
    } catch (error) {
      for (const track of stream.getTracks()) track.stop();
      toast(error.message);
      return;
    }
    this.own = {
      share,
      stream,
      viewers: new Map(),
      heartbeat: setInterval(() => this.ctx.api("POST", `/api/screenshares/${share.share_id}/heartbeat`).catch(() => {}), HEARTBEAT_MS),
    };
    stream.getVideoTracks()[0].addEventListener("ended", () => this.stop());
    this.active.set(share.share_id, share);
    this.render();
  }

  async stop() {
    const own = this.own;
    if (!own) return;
    this.release();
    this.render();
    await this.ctx.api("POST", `/api/screenshares/${own.share.share_id}/stop`).catch(() => {});
  }

  /** Drop the local side of our share (its capture and every viewer's connection). */
  release() {
    const own = this.own;
    if (!own) return;
    this.own = null;
    clearInterval(own.heartbeat);
    for (const peer of own.viewers.values()) peer.close();
    for (const track of own.stream.getTracks()) track.stop();
    this.active.delete(own.share.share_id);
  }

  stopOnPageHide() {
    if (!this.own) return;
    const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") || "";
    fetch(`/api/screenshares/${this.own.share.share_id}/stop`, {
      method: "POST",
      keepalive: true,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": token, Accept: "application/json" },
    }).catch(() => {});
    this.release();
  }

  send(shareId, to, data) {
    this.ctx.connection.send({ type: "share.signal", share_id: shareId, to, data });
  }

  async onSignal(frame) {
    const { share_id: shareId, from, data } = frame;
    try {
      if (this.own && this.own.share.share_id === shareId) {
        let peer = this.own.viewers.get(from);
        if (data.description?.type === "offer") {
          peer?.close();
          peer = new SharePeer({ send: (reply) => this.send(shareId, from, reply) });
          this.own.viewers.set(from, peer);
          await peer.answer(data.description, this.own.stream);
        } else if (peer) {
          await peer.receive(data);
        }
        return;
      }
      await this.watching.get(shareId)?.peer.receive(data);
    } catch (error) {
      console.warn("share: signalling failed", error);
    }
  }

  // -- watching ------------------------------------------------------------------------------------

  watchAll() {
    for (const share of this.active.values()) if (share.sharer !== this.me) this.watch(share);
    this.renderOverlay();
  }

  watch(share) {
    if (this.watching.has(share.share_id)) return;
    const video = el("video", { className: "mm-call-video", autoplay: true, playsInline: true, muted: true });
    const live = el("span", { className: "mm-share-live" }, "Live");
    const tile = el("figure", { className: "mm-call-tile mm-call-screen mm-share-tile", dataset: { user: share.sharer, share: share.share_id }, tabIndex: 0 }, video, el("figcaption", { className: "mm-call-name" }, `${share.sharer}'s screen`, live));
    const stream = new MediaStream();
    const peer = new SharePeer({
      send: (data) => this.send(share.share_id, share.sharer, data),
      onTrack: (track) => {
        stream.addTrack(track);
        video.srcObject = stream;
        video.muted = false;
        video.play().catch(() => {
          video.muted = true;
          video.play().catch(() => {});
        });
      },
      onState: (state) => {
        tile.dataset.connection = state;
      },
    });
    tile.addEventListener("click", () => {
      this.spot = share.share_id;
      this.renderOverlay();
    });
    this.watching.set(share.share_id, { peer, tile });
    peer.watch().catch((error) => console.warn("share: could not ask for the screen", error));
  }

  stopWatching(shareId) {
    const watched = this.watching.get(shareId);
    if (!watched) return;
    watched.peer.close();
    this.watching.delete(shareId);
    if (this.overlay) this.renderOverlay();
  }

  renderOverlay() {
    if (!this.watching.size) return this.closeOverlay();
    if (!this.overlay) {
      this.stage = el("div", { className: "mm-share-stage" });
      this.filmstrip = el("div", { className: "mm-call-strip" });
      const close = el("button", { type: "button", className: "mm-call-btn", on: { click: () => this.closeOverlay() } }, "Close");
      const full = el("button", { type: "button", className: "mm-call-btn", on: { click: () => this.overlay.requestFullscreen?.().catch(() => {}) } }, "Full screen");
      this.overlay = el(
        "section",
        { className: "mm-share-overlay", tabIndex: -1, attrs: { "aria-label": "Shared screens" }, on: { keydown: (event) => this.onOverlayKey(event) } },
        el("header", { className: "mm-call-head" }, el("h2", { className: "mm-call-title" }, "Shared screens"), full, close),
        this.stage,
        this.filmstrip,
      );
      document.body.append(this.overlay);
      this.overlay.focus();
    }
    const tiles = [...this.watching.entries()];
    const spotlit = tiles.find(([id]) => id === this.spot) || tiles[tiles.length - 1];
    this.stage.replaceChildren(spotlit[1].tile);
    this.filmstrip.replaceChildren(...tiles.filter((entry) => entry !== spotlit).map(([, watched]) => watched.tile));
  }

  onOverlayKey(event) {
    if (typingInField(event)) return;
    if (event.key === "Escape") this.closeOverlay();
    else if (event.key.toLowerCase() === "f") this.overlay.requestFullscreen?.().catch(() => {});
    else return;
    event.preventDefault();
  }

  closeOverlay() {
    for (const id of [...this.watching.keys()]) {
      this.watching.get(id).peer.close();
      this.watching.delete(id);
    }
    if (this.overlay) {
      if (document.fullscreenElement === this.overlay) document.exitFullscreen().catch(() => {});
      this.overlay.remove();
      this.overlay = null;
    }
  }

  // -- banner --------------------------------------------------------------------------------------

  render() {
    const others = [...this.active.values()].filter((share) => share.sharer !== this.me);
    const parts = [];
    if (this.own) {
      parts.push(el("div", { className: "mm-call-banner-row mm-share-own" }, el("span", {}, "You are sharing your screen"), el("button", { type: "button", className: "mm-call-btn mm-call-leave", on: { click: () => this.stop() } }, "Stop sharing")));
    }
    if (others.length) {
      const names = others.map((share) => share.sharer);
      const text = names.length === 1 ? `${names[0]} is sharing their screen` : `${namesList(names)} are sharing their screens`;
      parts.push(
        el(
          "div",
          { className: "mm-call-banner-row mm-share-others" },
          el("span", { className: "mm-call-faces" }, names.slice(0, 3).map((name) => face(name, "sm"))),
          el("span", {}, text),
          el("button", { type: "button", className: "mm-call-btn mm-call-primary mm-share-watch", on: { click: () => this.watchAll() } }, names.length > 1 ? `Watch (${names.length})` : "Watch"),
        ),
      );
    }
    this.banner.replaceChildren(...parts);
    this.banner.hidden = !parts.length;
    for (const [id] of this.watching) if (!this.active.has(id)) this.stopWatching(id);
  }
}
