// Uploads a file in parts through udata's chunked protocol, signed in with the page's session.
// Without this script the form posts the whole file (the server takes both).
//
// - Parts of `data-chunk-bytes` go one after another; a part sent again replaces itself on the
//   server, so a retry after a lost connection is harmless. Network errors and 5xx are retried
//   with a growing delay until they pass or the user pauses.
// - The upload's id is kept in localStorage with the file's name, size and date: after a reload,
//   choosing the same file resumes it, sending only the parts the server says it lacks.
// - The file's SHA-1 is computed here while the parts go and sent with the final call: the server
//   refuses the file if its own differs, and the answer's checksum is compared once more here.

const form = document.getElementById("upload-form");

// SHA-1, incremental: Web Crypto has no streaming digest (and needs HTTPS), and a file may be
// larger than memory. Parts are whole 64-byte blocks except the last, so no buffering is needed
// between them beyond a partial block.
class Sha1 {
  constructor() {
    this.h = new Uint32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);
    this.w = new Uint32Array(80);
    this.tail = new Uint8Array(64);
    this.tailLength = 0;
    this.length = 0;
  }

  // The state between whole blocks, to go on hashing after a reload without reading the file again.
  snapshot() {
    return this.tailLength === 0 ? { h: Array.from(this.h), length: this.length } : null;
  }

  static restore(saved) {
    const hash = new Sha1();
    hash.h.set(saved.h);
    hash.length = saved.length;
    return hash;
  }

  update(bytes) {
    this.length += bytes.length;
    let offset = 0;
    if (this.tailLength > 0) {
      const take = Math.min(64 - this.tailLength, bytes.length);
      this.tail.set(bytes.subarray(0, take), this.tailLength);
      this.tailLength += take;
      offset = take;
      if (this.tailLength < 64) return;
      this.block(new DataView(this.tail.buffer), 0);
      this.tailLength = 0;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (; offset + 64 <= bytes.length; offset += 64) this.block(view, offset);
    this.tail.set(bytes.subarray(offset));
    this.tailLength = bytes.length - offset;
  }

  block(view, offset) {
    const w = this.w;
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(offset + i * 4);
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
      w[i] = (x << 1) | (x >>> 31);
    }
    let [a, b, c, d, e] = this.h;
    for (let i = 0; i < 80; i++) {
      let f;
      let k;
      if (i < 20) { f = (b & c) | (~b & d); k = 0x5a827999; }
      else if (i < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; }
      else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc; }
      else { f = b ^ c ^ d; k = 0xca62c1d6; }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]) >>> 0;
      e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
    }
    const h = this.h;
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
  }

  hex() {
    const bits = this.length * 8;
    const padding = new Uint8Array((this.tailLength < 56 ? 64 : 128) - this.tailLength);
    padding[0] = 0x80;
    const end = new DataView(padding.buffer);
    end.setUint32(padding.length - 8, Math.floor(bits / 2 ** 32));
    end.setUint32(padding.length - 4, bits >>> 0);
    const length = this.length;
    this.update(padding);
    this.length = length;
    return Array.from(this.h, (word) => word.toString(16).padStart(8, "0")).join("");
  }
}

class Paused extends Error {}

// Load the page at `location`, even when only its fragment differs from this one's (navigating
// would then only scroll, and not show the file just added or moved).
function go(location) {
  const target = new URL(location, window.location.href);
  if (target.pathname + target.search !== window.location.pathname + window.location.search) {
    window.location.assign(target);
  } else {
    window.history.replaceState(null, "", target);
    window.location.reload();
  }
}

class Refused extends Error {}

function newId() {
  // crypto.randomUUID needs a secure context; getRandomValues does not.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class Upload {
  constructor(root) {
    this.form = root;
    this.input = root.querySelector("input[type=file]");
    this.csrf = root.querySelector("input[name=csrf_token]").value;
    this.chunk = Number(root.dataset.chunkBytes);
    this.storageKey = `opencat-upload:${root.action}`;
    this.el = (id) => document.getElementById(id);
    this.request = null;
    this.paused = false;
    this.running = false;
    root.addEventListener("submit", (event) => {
      event.preventDefault();
      this.start();
    });
    this.el("u-pause").addEventListener("click", () => this.pause());
    this.el("u-resume").addEventListener("click", () => this.start());
    this.el("u-forget").addEventListener("click", () => this.forget(true));
    this.showPending();
  }

  forget(pressed = true) {
    // The visitor gives the interrupted upload up: its parts expire on the server.
    if (this.running) return;
    localStorage.removeItem(this.storageKey);
    this.state = null;
    this.el("u-pending").hidden = true;
    this.el("u-resume").hidden = true;
    if (pressed) this.el("u-start").focus(); // the pressed button is gone
  }

  saved() {
    try {
      return JSON.parse(localStorage.getItem(this.storageKey) || "null");
    } catch {
      return null;
    }
  }

  showPending() {
    const saved = this.saved();
    const notice = this.el("u-pending");
    notice.hidden = !saved;
    if (!saved) return;
    this.el("u-pending-text").textContent = this.form.dataset.msgPending.replace("{name}", saved.name);
    if (!saved.partsSent && !saved.finalSent) return;
    // An upload the server no longer knows (its parts expired, or its final call published the
    // file) has nothing left to resume: its notice goes.
    fetch(`${this.form.dataset.statusUrl}${saved.uuid}/`, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((answer) => {
        if (answer.status === 404 && !this.running) this.forget(false);
      })
      .catch(() => {});
  }

  say(message) {
    this.el("u-status").textContent = message;
  }

  progress(done, total) {
    const bar = this.el("u-bar");
    bar.max = Math.max(total, 1);
    bar.value = done;
    const lang = document.documentElement.lang;
    const percent = new Intl.NumberFormat(lang, { style: "percent" }).format(total ? Math.floor((done * 100) / total) / 100 : 1);
    const megabytes = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    const mb = (bytes) => megabytes.format(bytes / 1e6);
    this.el("u-amount").textContent = `${percent} · ${mb(done)} ${this.form.dataset.msgOf} ${mb(total)} ${this.form.dataset.msgMb}`;
  }

  buttons(running) {
    const [start, pause, resume] = [this.el("u-start"), this.el("u-pause"), this.el("u-resume")];
    const pressed = [start, pause, resume].includes(document.activeElement);
    start.disabled = running;
    pause.hidden = !running;
    resume.hidden = running || !this.state;
    // The button just pressed is now disabled or hidden: the keyboard's focus goes to the one
    // that takes its place, instead of falling back to the page's start.
    if (pressed) (running ? pause : (resume.hidden ? start : resume)).focus();
  }

  pause() {
    this.paused = true;
    if (this.request) this.request.abort();
  }

  async start() {
    const file = this.input.files[0];
    if (!file || this.running) return;
    const total = Math.max(1, Math.ceil(file.size / this.chunk));
    const saved = this.saved();
    const same = saved && saved.name === file.name && saved.size === file.size
      && saved.modified === file.lastModified && saved.chunk === this.chunk;
    this.state = same ? saved : {
      uuid: newId(), name: file.name, size: file.size, modified: file.lastModified, chunk: this.chunk, total,
    };
    if (total > 1) localStorage.setItem(this.storageKey, JSON.stringify(this.state));
    this.el("u-pending").hidden = true;
    this.el("u-progress").hidden = false;
    this.paused = false;
    this.running = true;
    this.buttons(true);
    this.say(this.form.dataset.msgSending);
    try {
      const answer = await this.send(file, total);
      localStorage.removeItem(this.storageKey);
      this.state = null;
      this.say(this.form.dataset.msgDone);
      go(answer.location);
    } catch (error) {
      if (error instanceof Paused) {
        this.say(this.form.dataset.msgPaused);
      } else {
        if (error.forget) {
          // Refused: nothing is left to resume, and no bar should look finished.
          localStorage.removeItem(this.storageKey);
          this.state = null;
          this.el("u-progress").hidden = true;
        }
        this.say(`${this.form.dataset.msgFailed} ${error.message}`);
      }
    } finally {
      this.running = false;
      this.buttons(false);
    }
  }

  async send(file, total) {
    let hash = new Sha1();
    if (total === 1) {
      hash.update(new Uint8Array(await file.arrayBuffer()));
      const fields = { checksum: hash.hex(), filename: file.name };
      return this.checked(await this.retried(() => this.post(fields, file, file.name, file.size, 0)), fields.checksum);
    }
    // A new upload has nothing on the server to ask about (the question would log a 404).
    const known = this.state.partsSent || this.state.finalSent ? await this.held() : null;
    // A final call went out before a pause or a reload, and the server no longer knows the upload:
    // that call published the file (a session ends only so, or after a day). Sending the parts
    // again would publish it twice.
    if (known === null && this.state.finalSent) return { location: this.form.dataset.doneUrl };
    const held = known || new Set();
    // Parts already hashed and held by the server are neither read nor sent again.
    const mark = this.state.hashed;
    let first = 0;
    if (mark && mark.next < total && Array.from({ length: mark.next }, (_, i) => i).every((i) => held.has(i))) {
      hash = Sha1.restore(mark);
      first = mark.next;
    }
    let done = first * this.chunk;
    this.progress(done, file.size);
    for (let index = first; index < total; index++) {
      const part = file.slice(index * this.chunk, Math.min(file.size, (index + 1) * this.chunk));
      hash.update(new Uint8Array(await part.arrayBuffer()));
      if (!held.has(index)) {
        if (!this.state.partsSent) {
          this.state.partsSent = true;
          localStorage.setItem(this.storageKey, JSON.stringify(this.state));
        }
        const fields = {
          uuid: this.state.uuid, partindex: index, totalparts: total, chunksize: part.size, filename: file.name,
        };
        await this.retried(() => this.post(fields, part, file.name, file.size, done));
      }
      done += part.size;
      this.progress(done, file.size);
      const snapshot = hash.snapshot();
      if (snapshot) {
        this.state.hashed = { next: index + 1, ...snapshot };
        localStorage.setItem(this.storageKey, JSON.stringify(this.state));
      }
    }
    this.say(this.form.dataset.msgChecking);
    const checksum = hash.hex();
    const fields = { uuid: this.state.uuid, totalparts: total, filename: file.name, checksum };
    let lost = false; // a final call went out but its answer never came back
    this.state.finalSent = true; // kept: a pause (which aborts the call) or a reload may follow
    localStorage.setItem(this.storageKey, JSON.stringify(this.state));
    const final = () => this.post(fields, null, file.name, file.size, done).catch((error) => {
      if (!(error instanceof Refused) && !(error instanceof Paused)) lost = true;
      throw error;
    });
    try {
      return this.checked(await this.retried(final), checksum);
    } catch (error) {
      // The lost call published the file: the server forgot the upload, having checked the SHA-1
      // sent with it (it refuses any other). Its list of files shows it.
      if (lost && error.problem === "unknown_session") return { location: this.form.dataset.doneUrl };
      throw error;
    }
  }

  checked(answer, checksum) {
    // The server refuses a file whose SHA-1 is not the one declared; its answer says it again.
    if (!answer.checksum || answer.checksum.value !== checksum) {
      throw Object.assign(new Refused(this.form.dataset.msgMismatch), { forget: true });
    }
    return answer;
  }

  async held() {
    // Which parts the server holds already (after a pause, a reload or a lost connection); null
    // when it knows no such upload.
    const response = await this.retried(() => fetch(`${this.form.dataset.statusUrl}${this.state.uuid}/`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(async (answer) => {
      if (answer.status === 404) return null;
      if (answer.status >= 500) throw new Error(String(answer.status));
      const body = await answer.json();
      if (!answer.ok) throw new Refused(body.message || String(answer.status));
      return body;
    }));
    return response === null ? null : new Set(response.received);
  }

  async retried(attempt) {
    let delay = 500;
    for (;;) {
      if (this.paused) throw new Paused();
      try {
        return await attempt();
      } catch (error) {
        if (error instanceof Refused || error instanceof Paused) throw error;
        if (this.paused) throw new Paused();
        this.say(this.form.dataset.msgRetrying);
        await sleep(delay);
        delay = Math.min(delay * 2, 8000);
        this.say(this.form.dataset.msgSending);
      }
    }
  }

  post(fields, blob, name, size, before) {
    return new Promise((resolve, reject) => {
      const body = new FormData();
      for (const [key, value] of Object.entries(fields)) body.append(key, String(value));
      if (blob) body.append("file", blob, name);
      const request = new XMLHttpRequest();
      this.request = request;
      request.open("POST", this.form.action);
      request.setRequestHeader("X-CSRF-Token", this.csrf);
      request.setRequestHeader("Accept", "application/json");
      request.responseType = "json";
      request.upload.onprogress = (event) => this.progress(before + event.loaded * (blob ? blob.size / event.total : 0), size);
      request.onabort = () => reject(new Paused());
      request.onerror = () => reject(new Error("network"));
      request.onload = () => {
        const answer = request.response || {};
        if (request.status >= 500 || request.status === 0) reject(new Error(String(request.status)));
        else if (request.status >= 400) {
          const refused = new Refused(answer.worded || answer.error || answer.message || String(request.status));
          refused.forget = request.status !== 401;
          refused.problem = answer.problem;
          reject(refused);
        } else resolve(answer);
      };
      request.send(body);
    });
  }
}

if (form) new Upload(form);

// Drag and drop to order the files. The move up and down buttons (plain forms) are the keyboard's
// way and work without this script; a drop sends the whole new order, which the server refuses if
// the files changed meanwhile (then the page says to reload).
class Order {
  constructor(list) {
    this.list = list;
    this.dragged = null;
    for (const item of list.querySelectorAll("li.resource")) {
      item.draggable = true;
      const handle = item.querySelector(".drag-handle");
      if (handle) handle.hidden = false;
      item.addEventListener("dragstart", (event) => {
        this.dragged = item;
        item.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", item.dataset.id);
      });
      item.addEventListener("dragover", (event) => {
        if (!this.dragged || this.dragged === item) return;
        event.preventDefault();
        const box = item.getBoundingClientRect();
        const after = event.clientY > box.top + box.height / 2;
        list.insertBefore(this.dragged, after ? item.nextSibling : item);
      });
      item.addEventListener("drop", (event) => event.preventDefault());
      item.addEventListener("dragend", () => this.dropped());
    }
  }

  async dropped() {
    const moved = this.dragged;
    this.dragged = null;
    if (!moved) return;
    moved.classList.remove("dragging");
    // The file's new place in the whole list: this page's first place, plus its rank here.
    const rank = Array.from(this.list.querySelectorAll("li.resource")).indexOf(moved);
    const body = new URLSearchParams({
      resource: moved.dataset.id,
      place: String(Number(this.list.dataset.offset) + rank),
      revision: this.list.dataset.revision, // the order this page shows: refused if it changed since
    });
    try {
      const answer = await fetch(this.list.dataset.orderUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": this.list.dataset.csrf, Accept: "application/json" },
        body,
      });
      if (!answer.ok) throw new Error(String(answer.status));
      go((await answer.json()).location);
    } catch {
      document.getElementById("order-status").textContent = this.list.dataset.msgOrderFailed;
    }
  }
}

const list = document.getElementById("u-list");
if (list && list.querySelectorAll("li.resource").length > 1) new Order(list);
