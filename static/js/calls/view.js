// The in-call panel: tiles (people, ringing invitees, screens), layouts,
// controls and the invite list. Rendered from the CallSession on every change.

import { el, face, namesList, toast, typingInField } from "./dom.js";

const LAYOUTS = ["auto", "grid", "spotlight"];
const LAYOUT_NAMES = { auto: "Automatic layout", grid: "Grid layout", spotlight: "Spotlight layout" };

function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

function button(label, className, onClick, text = label) {
  return el("button", { type: "button", className: `mm-call-btn ${className}`, attrs: { "aria-label": label, title: label }, on: { click: onClick } }, text);
}

export class CallView {
  constructor(session, { title }) {
    this.session = session;
    this.layout = "auto";
    this.pinned = null;
    this.tiles = new Map();
    this.audios = new Map();
    this.title = el("h2", { className: "mm-call-title" }, title);
    this.status = el("p", { className: "mm-call-status", attrs: { "aria-live": "polite" } });
    this.timer = el("span", { className: "mm-call-timer" });
    this.count = el("span", { className: "mm-call-count" });
    this.stage = el("div", { className: "mm-call-stage" });
    this.strip = el("div", { className: "mm-call-strip" });
    this.mic = button("Mute microphone", "mm-call-mic", () => session.toggleMute(), "Mic");
    this.cam = button("Turn camera on", "mm-call-cam", () => session.toggleCamera(), "Camera");
    this.share = button("Share your screen", "mm-call-share", () => session.toggleShare(), "Share");
    this.inviteButton = button("Add someone to the call", "mm-call-invite-toggle", () => this.toggleInvite(), "Add person");
    this.leaveButton = button("Leave the call", "mm-call-leave", () => session.leave(), "Leave");
    this.layoutButton = button(LAYOUT_NAMES.auto, "mm-call-layout", () => this.nextLayout(), "Layout");
    this.fullButton = button("Full screen", "mm-call-full", () => this.toggleFullscreen(), "Full screen");
    this.minButton = button("Minimise the call", "mm-call-min", () => this.toggleMinimised(), "Minimise");
    this.invitePanel = this.buildInvitePanel();
    this.audioBox = el("div", { hidden: true });
    this.element = el(
      "section",
      { className: "mm-call", tabIndex: -1, attrs: { "aria-label": "Call" }, on: { keydown: (event) => this.onKey(event) } },
      el("header", { className: "mm-call-head" }, el("span", { className: "mm-call-live", attrs: { "aria-hidden": "true" } }), el("div", { className: "mm-call-heading" }, this.title, this.status), this.timer, this.count, this.layoutButton, this.fullButton, this.minButton),
      el("div", { className: "mm-call-body" }, this.stage, this.strip),
      el("div", { className: "mm-call-controls" }, this.mic, this.cam, this.share, this.inviteButton, this.leaveButton),
      this.invitePanel,
      this.audioBox,
    );
    this.ticker = setInterval(() => this.tick(), 1000);
    this.unsubscribe = session.subscribe(() => this.render());
    document.body.append(this.element);
    this.render();
    this.element.focus();
  }

  // -- tiles ---------------------------------------------------------------------------------------

  tile(key, build) {
    let tile = this.tiles.get(key);
    if (!tile) {
      tile = build();
      tile.dataset.key = key;
      tile.addEventListener("click", () => {
        this.pinned = this.pinned === key ? null : key;
        this.render();
      });
      this.tiles.set(key, tile);
    }
    return tile;
  }

  personTile(name) {
    return this.tile(`person:${name}`, () =>
      el(
        "figure",
        { className: "mm-call-tile mm-call-person", dataset: { user: name }, tabIndex: 0, attrs: { "aria-label": name } },
        el("video", { className: "mm-call-video", autoplay: true, playsInline: true, muted: true, hidden: true }),
        face(name, "lg"),
        el("figcaption", { className: "mm-call-name" }, el("span", {}, name === this.session.me ? `${name} (you)` : name), el("span", { className: "mm-call-muted", hidden: true, attrs: { "aria-label": "muted", title: "Muted" } }, "Muted")),
      ),
    );
  }

  screenTile(name) {
    return this.tile(`screen:${name}`, () =>
      el(
        "figure",
        { className: "mm-call-tile mm-call-screen", dataset: { user: name }, tabIndex: 0, attrs: { "aria-label": `${name}'s screen` } },
        el("video", { className: "mm-call-video", autoplay: true, playsInline: true, muted: true }),
        el("figcaption", { className: "mm-call-name" }, name === this.session.me ? "Your screen" : `${name}'s screen`),
      ),
    );
  }

  ringingTile(name) {
    return this.tile(`ringing:${name}`, () =>
      el(
        "figure",
        { className: "mm-call-tile mm-call-ringing", dataset: { user: name }, attrs: { "aria-label": `Calling ${name}` } },
        face(name, "lg"),
        el("figcaption", { className: "mm-call-name" }, `Calling ${name}…`),
      ),
    );
  }

  show(video, track) {
    if (!track) {
      video.hidden = true;
      video.srcObject = null;
      return;
    }
    video.hidden = false;
    if (video.srcObject?.getTracks()[0] !== track) video.srcObject = new MediaStream([track]);
    video.play().catch(() => {});
  }

  playAudio(name, track) {
    let audio = this.audios.get(name);
    if (!track) {
      audio?.remove();
      this.audios.delete(name);
      return;
    }
    if (!audio) {
      audio = el("audio", { autoplay: true });
      this.audioBox.append(audio);
      this.audios.set(name, audio);
    }
    if (audio.srcObject?.getTracks()[0] !== track) {
      audio.srcObject = new MediaStream([track]);
      audio.play().catch(() => this.unblockOnGesture(audio));
    }
  }

  /** Autoplay was refused: play as soon as the user presses anything. */
  unblockOnGesture(audio) {
    const resume = () => audio.play().catch(() => {});
    window.addEventListener("pointerdown", resume, { once: true, capture: true });
    window.addEventListener("keydown", resume, { once: true, capture: true });
  }

  // -- rendering -----------------------------------------------------------------------------------

  render() {
    const session = this.session;
    if (session.ended) return this.close();
    const call = session.call;
    const accepted = session.accepted();
    const ringing = session.ringing();
    const sharers = session.sharers();
    const wanted = [];
    for (const name of accepted) {
      const tile = this.personTile(name);
      const mine = name === session.me;
      const info = session.remote.get(name);
      const cameraTrack = mine ? session.local.camera : info?.camera ? info.tracks.camera : null;
      this.show(tile.querySelector("video"), cameraTrack);
      tile.classList.toggle("mm-call-has-video", Boolean(cameraTrack));
      const muted = mine ? session.muted || session.listenOnly : Boolean(info?.muted);
      tile.querySelector(".mm-call-muted").hidden = !muted;
      tile.classList.toggle("mm-call-speaking", session.speaking.has(name) && !muted);
      tile.dataset.connection = mine ? "self" : info?.connection || "new";
      if (!mine) this.playAudio(name, info?.tracks.audio);
      wanted.push(tile);
    }
    for (const name of sharers) {
      const tile = this.screenTile(name);
      const track = name === session.me ? session.local.screen : session.remote.get(name)?.tracks.screen;
      this.show(tile.querySelector("video"), track || null);
      wanted.push(tile);
    }
    for (const name of ringing) wanted.push(this.ringingTile(name));
    for (const [key, tile] of this.tiles) {
      if (!wanted.includes(tile)) {
        tile.remove();
        this.tiles.delete(key);
        if (this.pinned === key) this.pinned = null;
      }
    }
    for (const name of this.audios.keys()) if (!accepted.includes(name)) this.playAudio(name, null);

    const spotlight = this.spotlit(sharers);
    this.element.dataset.layout = spotlight ? "spotlight" : "grid";
    this.element.dataset.state = call.state;
    if (spotlight) {
      this.stage.replaceChildren(spotlight);
      this.strip.replaceChildren(...wanted.filter((tile) => tile !== spotlight));
    } else {
      this.stage.replaceChildren(...wanted);
      this.strip.replaceChildren();
    }
    for (const tile of wanted) tile.classList.toggle("mm-call-pinned", tile.dataset.key === this.pinned);

    const others = accepted.filter((name) => name !== session.me);
    const connected = others.filter((name) => session.remote.get(name)?.connection === "connected");
    if (call.state === "ringing") this.status.textContent = ringing.length ? `Calling ${namesList(ringing)}…` : "Calling…";
    else if (!others.length) this.status.textContent = "Waiting for others…";
    else if (connected.length < others.length) this.status.textContent = "Connecting…";
    else this.status.textContent = `With ${namesList(others)}`;
    this.count.textContent = `${accepted.length} in call`;
    this.mic.disabled = session.listenOnly;
    this.mic.setAttribute("aria-pressed", String(session.muted || session.listenOnly));
    this.mic.setAttribute("aria-label", session.listenOnly ? "No microphone (listen-only)" : session.muted ? "Unmute microphone" : "Mute microphone");
    this.mic.textContent = session.listenOnly ? "No mic" : session.muted ? "Unmute" : "Mute";
    this.cam.setAttribute("aria-pressed", String(Boolean(session.local.camera)));
    this.cam.setAttribute("aria-label", session.local.camera ? "Turn camera off" : "Turn camera on");
    this.cam.textContent = session.local.camera ? "Camera off" : "Camera";
    this.share.setAttribute("aria-pressed", String(Boolean(session.local.screen)));
    this.share.setAttribute("aria-label", session.local.screen ? "Stop sharing your screen" : "Share your screen");
    this.share.textContent = session.local.screen ? "Stop share" : "Share";
    this.share.disabled = call.state !== "active";
    this.inviteButton.disabled = call.state !== "active";
    this.tick();
    if (!this.invitePanel.hidden) this.fillInviteList();
  }

  spotlit(sharers) {
    if (this.layout === "grid") return null;
    const pinned = this.pinned && this.tiles.get(this.pinned);
    if (pinned) return pinned;
    const newestShare = sharers.length ? this.tiles.get(`screen:${sharers[sharers.length - 1]}`) : null;
    if (newestShare) return newestShare;
    if (this.layout === "spotlight") {
      const speaker = [...this.session.speaking].find((name) => name !== this.session.me);
      return this.tiles.get(`person:${speaker || this.session.accepted().find((n) => n !== this.session.me)}`) || null;
    }
    return null;
  }

  tick() {
    const answered = this.session.call.answered_ts;
    this.timer.textContent = answered ? clock(Date.now() / 1000 - answered) : "";
  }

  // -- controls ------------------------------------------------------------------------------------

  nextLayout() {
    this.layout = LAYOUTS[(LAYOUTS.indexOf(this.layout) + 1) % LAYOUTS.length];
    this.layoutButton.setAttribute("aria-label", LAYOUT_NAMES[this.layout]);
    this.layoutButton.title = LAYOUT_NAMES[this.layout];
    this.render();
  }

  toggleFullscreen() {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else this.element.requestFullscreen?.().catch(() => toast("Full screen is not available here."));
  }

  toggleMinimised() {
    const minimised = this.element.classList.toggle("mm-call-minimised");
    this.minButton.textContent = minimised ? "Restore" : "Minimise";
    this.minButton.setAttribute("aria-label", minimised ? "Restore the call" : "Minimise the call");
  }

  onKey(event) {
    if (typingInField(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    const minimised = this.element.classList.contains("mm-call-minimised");
    const key = event.key.toLowerCase();
    if (key === "escape") this.toggleMinimised();
    else if (minimised) return;
    else if (key === "m") this.session.toggleMute();
    else if (key === "v") this.nextLayout();
    else if (key === "f") this.toggleFullscreen();
    else if (key === "s") this.session.toggleShare();
    else if (key === "a") this.toggleInvite();
    else return;
    event.preventDefault();
  }

  // -- invite --------------------------------------------------------------------------------------

  buildInvitePanel() {
    this.inviteFilter = el("input", { className: "mm-call-invite-filter", type: "search", placeholder: "Find someone", attrs: { "aria-label": "Find someone to add" }, on: { input: () => this.fillInviteList() } });
    this.inviteList = el("ul", { className: "mm-call-invite-list", attrs: { "aria-label": "People" } });
    return el("div", { className: "mm-call-invite", hidden: true }, this.inviteFilter, this.inviteList);
  }

  async toggleInvite() {
    this.invitePanel.hidden = !this.invitePanel.hidden;
    if (this.invitePanel.hidden) return;
    if (!this.directory) {
      try {
        this.directory = (await this.session.ctx.api("GET", "/api/users")).users.map((user) => user.username);
      } catch (error) {
        toast(error.message);
        this.directory = [];
      }
    }
    this.fillInviteList();
    this.inviteFilter.focus();
  }

  fillInviteList() {
    const present = new Set([...this.session.accepted(), ...this.session.ringing()]);
    const query = this.inviteFilter.value.trim().toLowerCase();
    const names = (this.directory || []).filter((name) => !present.has(name) && name.toLowerCase().includes(query)).slice(0, 12);
    this.inviteList.replaceChildren(
      ...names.map((name) => {
        const add = el("button", { type: "button", className: "mm-call-btn mm-call-invite-person", dataset: { user: name } }, face(name, "sm"), el("span", {}, name));
        add.addEventListener("click", async () => {
          add.disabled = true;
          add.lastChild.textContent = `${name} — calling…`;
          try {
            await this.session.invite(name);
          } catch (error) {
            add.disabled = false;
            add.lastChild.textContent = `${name} — ${error.message}`;
          }
        });
        return el("li", {}, add);
      }),
    );
    if (!names.length) this.inviteList.append(el("li", { className: "mm-call-invite-empty" }, "Nobody else to add."));
  }

  close() {
    if (!this.element.isConnected) return;
    clearInterval(this.ticker);
    this.unsubscribe();
    if (document.fullscreenElement === this.element) document.exitFullscreen().catch(() => {});
    for (const name of [...this.audios.keys()]) this.playAudio(name, null);
    this.element.remove();
  }
}
