// Video calls (视频调度): WebRTC between two browsers, signalled over /ws/calls.
//
// initCalls({root}) connects the signalling WebSocket (the page's session cookie
// authenticates it), wires every [data-call-user="<user id>"] and [data-call-center] button
// under root (also ones added later: clicks are delegated), shows an incoming-call overlay
// (接听 / 拒绝) and a call panel (remote and local video, status, 挂断).
// It returns a controller (also window.gridgovCalls): call(userId, name), callCenter(),
// hangup(), and for tests pc (the RTCPeerConnection) and state.
//
// Cameras need a secure context: HTTPS, or plain HTTP on localhost. Elsewhere the call still
// connects and shows the other side, without sending our picture.

const STYLESHEET = "/static/calls.css";
const STATES = {
  idle: "",
  calling: "正在呼叫…",
  ringing: "对方振铃中…",
  connecting: "正在接通…",
  connected: "通话中",
  ended: "通话已结束",
};

function randomId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else if (value !== false && value != null) node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function addStylesheet() {
  if (document.querySelector(`link[href="${STYLESHEET}"]`)) return;
  document.head.append(el("link", { rel: "stylesheet", href: STYLESHEET }));
}

async function localMedia() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return null;
  for (const constraints of [{ video: true, audio: true }, { audio: true }, { video: true }]) {
    try {
      return await navigator.mediaDevices.getUserMedia(constraints);
    } catch (_error) {
      // try with less
    }
  }
  return null;
}

class Calls {
  constructor(root) {
    this.root = root;
    this.socket = null;
    this.userId = null;
    this.iceServers = [];
    this.retry = 1000;
    this.closedForGood = false;
    this.call = null; // {id, peerName, role: "caller"|"callee", pc, stream, pendingIce}
    this.incoming = null; // {id, fromName}
    this.state = "idle";
    this.queue = [];
    this.buildUi();
    root.addEventListener("click", (event) => this.onClick(event));
  }

  get pc() {
    return this.call ? this.call.pc : null;
  }

  // -- UI ---------------------------------------------------------------------------------

  buildUi() {
    addStylesheet();
    this.statusText = el("p", { class: "call-status", role: "status" });
    this.remoteVideo = el("video", { class: "remote", autoplay: true, playsinline: true });
    this.localVideo = el("video", { class: "local", autoplay: true, playsinline: true, muted: true });
    this.localVideo.muted = true;
    this.peerLabel = el("h2", { class: "call-peer" });
    this.hangupButton = el(
      "button",
      { type: "button", class: "call-hangup", onclick: () => this.hangup() },
      "挂断",
    );
    this.panel = el(
      "section",
      { class: "call-panel", hidden: true, "data-state": "idle", "aria-label": "视频通话" },
      this.peerLabel,
      el("div", { class: "call-videos" }, this.remoteVideo, this.localVideo),
      this.statusText,
      this.hangupButton,
    );
    this.incomingLabel = el("p", { class: "call-from" });
    this.overlay = el(
      "section",
      { class: "call-incoming", hidden: true, role: "alertdialog", "aria-label": "来电" },
      el("h2", {}, "视频来电"),
      this.incomingLabel,
      el(
        "div",
        { class: "call-actions" },
        el("button", { type: "button", class: "call-accept", onclick: () => this.accept() }, "接听"),
        el("button", { type: "button", class: "call-reject", onclick: () => this.reject() }, "拒绝"),
      ),
    );
    this.toast = el("p", { class: "call-toast", hidden: true, role: "status" });
    document.body.append(this.panel, this.overlay, this.toast);
  }

  setState(state, detail = "") {
    this.state = state;
    this.panel.dataset.state = state;
    this.statusText.textContent = detail || STATES[state] || "";
  }

  notice(text) {
    this.toast.textContent = text;
    this.toast.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => {
      this.toast.hidden = true;
    }, 5000);
  }

  onClick(event) {
    const userButton = event.target.closest("[data-call-user]");
    if (userButton) {
      event.preventDefault();
      const id = Number(userButton.dataset.callUser);
      this.start(id, userButton.dataset.callName || userButton.getAttribute("aria-label") || "");
      return;
    }
    if (event.target.closest("[data-call-center]")) {
      event.preventDefault();
      this.start("center", "指挥中心");
    }
  }

  // -- signalling -------------------------------------------------------------------------

  async connect() {
    try {
      const response = await fetch("/api/v1/calls/config", { credentials: "same-origin" });
      if (response.ok) {
        const config = await response.json();
        this.iceServers = config.ice_servers || [];
        this.userId = config.user_id;
      } else if (response.status === 401 || response.status === 403) {
        this.closedForGood = true;
        return;
      }
    } catch (_error) {
      // offline: the socket below retries
    }
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/calls`);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.retry = 1000;
      for (const message of this.queue.splice(0)) socket.send(JSON.stringify(message));
    });
    socket.addEventListener("message", (event) => this.onMessage(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      this.socket = null;
      if (this.call) this.finish("连接中断，通话已结束");
      if (event.code === 4401 || event.code === 4403) {
        this.closedForGood = true;
        return;
      }
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 30000);
    });
    clearInterval(this.pinger);
    this.pinger = setInterval(() => this.send({ type: "ping" }), 25000);
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    } else if (message.type !== "ping") {
      this.queue.push(message);
    }
  }

  onMessage(message) {
    const mine = this.call && message.call_id === this.call.id;
    switch (message.type) {
      case "hello":
        this.userId = message.user_id;
        document.body.dataset.calls = "ready"; // signalling is up (tests wait for it)
        break;
      case "calling":
        if (mine) {
          this.call.peerName = message.callee_name || this.call.peerName;
          this.peerLabel.textContent = this.call.peerName;
          this.setState("calling", message.rung > 1 ? `正在呼叫 ${message.rung} 位值班人员…` : "");
        }
        break;
      case "ringing":
        if (mine) this.setState("ringing");
        break;
      case "invite":
        this.onInvite(message);
        break;
      case "accept":
        if (mine && this.call.role === "caller") {
          this.call.peerName = message.from_name || this.call.peerName;
          this.peerLabel.textContent = this.call.peerName;
          this.offer();
        }
        break;
      case "accepted":
        if (mine) this.setState("connecting");
        break;
      case "taken":
        if (this.incoming && this.incoming.id === message.call_id) {
          this.closeOverlay();
          this.notice("来电已由其他人接听");
        }
        break;
      case "offer":
        if (mine) this.onOffer(message.sdp);
        break;
      case "answer":
        if (mine) this.onAnswer(message.sdp);
        break;
      case "ice":
        if (mine) this.onIce(message.candidate);
        break;
      case "ended":
        if (mine) {
          if (message.status === "ended") {
            const byPeer = message.reason === "hangup" ? "对方已挂断" : message.reason_label;
            this.finish(`${STATES.ended}（${byPeer}）`);
          } else {
            const reason = message.reason_label ? `（${message.reason_label}）` : "";
            this.finish(`${message.status_label}${reason}`);
          }
        } else if (this.incoming && this.incoming.id === message.call_id) {
          this.closeOverlay();
          this.notice("未接来电：对方已挂断");
        }
        break;
      case "error":
        if (mine && this.state !== "connected") {
          this.finish(message.message);
        } else {
          this.notice(message.message);
        }
        break;
      default:
        break;
    }
  }

  // -- placing a call ---------------------------------------------------------------------

  async start(to, name) {
    if (this.call) {
      this.notice("正在通话中，请先挂断");
      return;
    }
    this.call = { id: randomId(), peerName: name, role: "caller", pc: null, pendingIce: [] };
    this.peerLabel.textContent = name;
    this.panel.hidden = false;
    this.setState("calling");
    this.send({ type: "invite", call_id: this.call.id, to });
    await this.ensureMedia();
  }

  async ensureMedia() {
    const call = this.call;
    if (!call) return null;
    if (call.mediaReady) return call.mediaReady;
    call.stream = null;
    call.mediaReady = localMedia().then((stream) => {
      if (this.call !== call) {
        if (stream) for (const track of stream.getTracks()) track.stop();
        return null;
      }
      call.stream = stream;
      this.localVideo.srcObject = stream;
      if (!stream) this.notice("未能打开摄像头或麦克风（需 HTTPS 或本机访问），仅接收对方画面");
      return stream;
    });
    return call.mediaReady;
  }

  newPeerConnection() {
    const call = this.call;
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    call.pc = pc;
    pc.addEventListener("icecandidate", (event) => {
      if (event.candidate) {
        this.send({ type: "ice", call_id: call.id, candidate: event.candidate.toJSON() });
      }
    });
    pc.addEventListener("track", (event) => {
      if (this.remoteVideo.srcObject !== event.streams[0]) {
        this.remoteVideo.srcObject = event.streams[0] || new MediaStream([event.track]);
      }
    });
    pc.addEventListener("connectionstatechange", () => {
      if (this.call !== call) return;
      if (pc.connectionState === "connected") this.setState("connected");
      if (pc.connectionState === "failed") {
        this.send({ type: "hangup", call_id: call.id });
        this.finish("网络不通，通话失败（可能需要配置 STUN/TURN 服务器）");
      }
    });
    return pc;
  }

  async addLocalTracks(pc) {
    const stream = await (this.call.mediaReady || this.ensureMedia());
    if (stream) {
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
    }
    const kinds = new Set(stream ? stream.getTracks().map((t) => t.kind) : []);
    return kinds;
  }

  async offer() {
    const call = this.call;
    this.setState("connecting");
    const pc = this.newPeerConnection();
    const kinds = await this.addLocalTracks(pc);
    // Receive both even when we send neither.
    for (const kind of ["video", "audio"]) {
      if (!kinds.has(kind)) pc.addTransceiver(kind, { direction: "recvonly" });
    }
    const description = await pc.createOffer();
    await pc.setLocalDescription(description);
    if (this.call !== call) return;
    this.send({ type: "offer", call_id: call.id, sdp: { type: description.type, sdp: description.sdp } });
  }

  async onAnswer(sdp) {
    const pc = this.pc;
    if (!pc) return;
    await pc.setRemoteDescription(sdp);
    await this.flushIce();
  }

  async onIce(candidate) {
    const call = this.call;
    if (!call || !candidate) return;
    if (!call.pc || !call.pc.remoteDescription) {
      call.pendingIce.push(candidate);
      return;
    }
    try {
      await call.pc.addIceCandidate(candidate);
    } catch (_error) {
      // a candidate for a transport that is gone: harmless
    }
  }

  async flushIce() {
    const call = this.call;
    if (!call) return;
    for (const candidate of call.pendingIce.splice(0)) await this.onIce(candidate);
  }

  // -- receiving a call -------------------------------------------------------------------

  onInvite(message) {
    if (this.call || this.incoming) {
      // Busy: decline this one (for a call to the center the others may still answer).
      this.send({ type: "reject", call_id: message.call_id });
      return;
    }
    this.incoming = { id: message.call_id, fromName: message.from_name || "" };
    this.incomingLabel.textContent = `${message.from_name || "对方"} 请求视频通话${
      message.grid_code ? `（网格 ${message.grid_code}）` : ""
    }`;
    this.overlay.hidden = false;
    this.send({ type: "ringing", call_id: message.call_id });
  }

  closeOverlay() {
    this.incoming = null;
    this.overlay.hidden = true;
  }

  async accept() {
    const incoming = this.incoming;
    if (!incoming) return;
    this.closeOverlay();
    this.call = { id: incoming.id, peerName: incoming.fromName, role: "callee", pc: null, pendingIce: [] };
    this.peerLabel.textContent = incoming.fromName;
    this.panel.hidden = false;
    this.setState("connecting");
    this.ensureMedia();
    this.send({ type: "accept", call_id: incoming.id });
  }

  reject() {
    if (!this.incoming) return;
    this.send({ type: "reject", call_id: this.incoming.id });
    this.closeOverlay();
  }

  async onOffer(sdp) {
    const call = this.call;
    const pc = this.newPeerConnection();
    await pc.setRemoteDescription(sdp);
    await this.addLocalTracks(pc);
    const description = await pc.createAnswer();
    await pc.setLocalDescription(description);
    if (this.call !== call) return;
    this.send({ type: "answer", call_id: call.id, sdp: { type: description.type, sdp: description.sdp } });
    await this.flushIce();
  }

  // -- ending -----------------------------------------------------------------------------

  hangup() {
    if (!this.call) {
      this.panel.hidden = true;
      return;
    }
    this.send({ type: "hangup", call_id: this.call.id });
    this.finish(STATES.ended);
  }

  finish(text) {
    const call = this.call;
    this.call = null;
    if (call) {
      if (call.pc) call.pc.close();
      if (call.stream) for (const track of call.stream.getTracks()) track.stop();
      this.lastCall = { id: call.id, connectionState: call.pc ? call.pc.connectionState : "new" };
    }
    this.remoteVideo.srcObject = null;
    this.localVideo.srcObject = null;
    this.setState("ended", text);
    clearTimeout(this.hideTimer);
    this.hideTimer = setTimeout(() => {
      if (!this.call) this.panel.hidden = true;
    }, 4000);
  }
}

export function initCalls({ root = document } = {}) {
  if (window.gridgovCalls) return window.gridgovCalls;
  const calls = new Calls(root);
  window.gridgovCalls = calls;
  calls.connect();
  return calls;
}
