// Peer connections: ICE only through our own STUN server, perfect negotiation.
//
// A call peer has three fixed slots, created up front by the side that offers
// first (the impolite one) so nothing needs renegotiating later: microphone,
// camera and screen. Turning the camera or a share on and off swaps the track
// in its slot (replaceTrack). The other side adopts the slots from the first
// offer. Either side may still renegotiate (an ICE restart); perfect
// negotiation settles offers that cross.

export const SLOTS = ["audio", "camera", "screen"];

/** The STUN port the page was rendered with (the chat page's JSON configuration). */
function stunPort() {
  try {
    return Number(JSON.parse(document.getElementById("chat-config")?.textContent || "{}").stun_port) || 0;
  } catch {
    return 0;
  }
}

/** `stun:<page host>:<stun port>`, and nothing else: no server outside the LAN. */
export function iceServers() {
  const port = stunPort();
  return port ? [{ urls: `stun:${location.hostname}:${port}` }] : [];
}

export class CallPeer {
  /**
   * @param {{me: string, them: string, send: (data: object) => void,
   *          tracks: () => ({audio?: MediaStreamTrack, camera?: MediaStreamTrack, screen?: MediaStreamTrack}),
   *          onTrack: (slot: string, track: MediaStreamTrack) => void,
   *          onState: (state: string) => void}} options
   */
  constructor({ me, them, send, tracks, onTrack, onState }) {
    this.them = them;
    this.polite = me < them;
    this.send = send;
    this.tracks = tracks;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.queuedCandidates = [];
    this.closed = false;
    const pc = new RTCPeerConnection({ iceServers: iceServers() });
    this.pc = pc;
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.send({ candidate: candidate.toJSON() });
    };
    pc.onnegotiationneeded = () => this.offer();
    pc.ontrack = ({ transceiver, track }) => {
      const slot = SLOTS[pc.getTransceivers().indexOf(transceiver)];
      if (slot) onTrack(slot, track);
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "failed") pc.restartIce();
      onState(pc.connectionState);
    };
    if (!this.polite) {
      const local = this.tracks();
      for (const slot of SLOTS) {
        pc.addTransceiver(local[slot] || (slot === "audio" ? "audio" : "video"), { direction: "sendrecv" });
      }
    }
  }

  async offer() {
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      this.send({ description: this.pc.localDescription.toJSON() });
    } catch (error) {
      console.warn("call: offer failed", error);
    } finally {
      this.makingOffer = false;
    }
  }

  /** Apply an offer, answer or ICE candidate from the other side. */
  async receive(data) {
    const pc = this.pc;
    if (this.closed) return;
    if (data.description) {
      const description = data.description;
      const collision = description.type === "offer" && (this.makingOffer || pc.signalingState !== "stable");
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) return;
      await pc.setRemoteDescription(description);
      if (description.type === "offer") {
        await this.adoptSlots();
        await pc.setLocalDescription();
        this.send({ description: pc.localDescription.toJSON() });
      }
      const queued = this.queuedCandidates.splice(0);
      for (const candidate of queued) await this.addCandidate(candidate);
    } else if (data.candidate) {
      if (!pc.remoteDescription) this.queuedCandidates.push(data.candidate);
      else await this.addCandidate(data.candidate);
    }
  }

  async addCandidate(candidate) {
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (error) {
      if (!this.ignoreOffer) console.warn("call: bad ICE candidate", error);
    }
  }

  /** On the answering side: send our tracks in the slots the offer created. */
  async adoptSlots() {
    const local = this.tracks();
    const transceivers = this.pc.getTransceivers();
    for (const [index, slot] of SLOTS.entries()) {
      const transceiver = transceivers[index];
      if (!transceiver || transceiver.direction === "sendrecv") continue;
      transceiver.direction = "sendrecv";
      await transceiver.sender.replaceTrack(local[slot] || null);
    }
  }

  /** Put a new local track (or null) in a slot without renegotiating. */
  async setTrack(slot, track) {
    const transceiver = this.pc.getTransceivers()[SLOTS.indexOf(slot)];
    if (!transceiver) return;
    await transceiver.sender.replaceTrack(track || null);
    if (slot === "screen" && track) {
      const parameters = transceiver.sender.getParameters();
      if (parameters.encodings && parameters.encodings[0]) {
        parameters.encodings[0].maxBitrate = 6_000_000;
        await transceiver.sender.setParameters(parameters).catch(() => {});
      }
    }
  }

  close() {
    this.closed = true;
    this.pc.close();
  }
}

/**
 * One side of a standalone screen share: the viewer offers a receive-only
 * connection; the sharer answers each viewer with its screen (and tab audio).
 */
export class SharePeer {
  constructor({ send, onTrack, onState }) {
    this.send = send;
    this.queuedCandidates = [];
    const pc = new RTCPeerConnection({ iceServers: iceServers() });
    this.pc = pc;
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.send({ candidate: candidate.toJSON() });
    };
    pc.ontrack = ({ track }) => onTrack && onTrack(track);
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "failed") pc.restartIce();
      if (onState) onState(pc.connectionState);
    };
  }

  /** Viewer: ask the sharer for its screen. */
  async watch() {
    this.pc.addTransceiver("video", { direction: "recvonly" });
    this.pc.addTransceiver("audio", { direction: "recvonly" });
    await this.pc.setLocalDescription();
    this.send({ description: this.pc.localDescription.toJSON() });
  }

  /** Sharer: answer a viewer's offer with the shared stream. */
  async answer(description, stream) {
    await this.pc.setRemoteDescription(description);
    for (const transceiver of this.pc.getTransceivers()) {
      const kind = transceiver.receiver.track.kind;
      const track = stream.getTracks().find((t) => t.kind === kind) || null;
      transceiver.direction = "sendonly";
      await transceiver.sender.replaceTrack(track);
    }
    await this.pc.setLocalDescription();
    this.send({ description: this.pc.localDescription.toJSON() });
    await this.flush();
  }

  async receive(data) {
    if (data.description && data.description.type === "answer") {
      await this.pc.setRemoteDescription(data.description);
      await this.flush();
    } else if (data.candidate) {
      if (!this.pc.remoteDescription) this.queuedCandidates.push(data.candidate);
      else await this.pc.addIceCandidate(data.candidate).catch(() => {});
    }
  }

  async flush() {
    for (const candidate of this.queuedCandidates.splice(0)) {
      await this.pc.addIceCandidate(candidate).catch(() => {});
    }
  }

  close() {
    this.pc.close();
  }
}
