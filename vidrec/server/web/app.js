// vidrec chat page: plain JS, no build step. Talks to the same server's /v1 API.
"use strict";

const TEXT = {
  en: {
    placeholder: "Tell me what you're looking for…", send: "Send", like: "Like", liked: "Liked",
    reject: "Not this", cart: "Add to cart", inCart: "In cart", close: "Close", save: "Save",
    hello: "Hi! What are you shopping for? For example: \"a red dress under 300\".",
    thinking: "…", keyNeeded: "This server needs an API key.", busy: "The server is busy, trying again…",
    failed: "Sorry, something went wrong: ", playFrom: "▶ ", noVideo: "This video can't be played here.",
  },
  zh: {
    placeholder: "想买点什么？比如“300元以内的红色连衣裙”", send: "发送", like: "喜欢", liked: "已喜欢",
    reject: "不要这个", cart: "加入购物车", inCart: "已加购", close: "关闭", save: "保存",
    hello: "你好！想买点什么？比如“300元以内的红色连衣裙”。",
    thinking: "…", keyNeeded: "这个服务需要 API 密钥。", busy: "服务繁忙，正在重试…",
    failed: "抱歉，出错了：", playFrom: "▶ ", noVideo: "这个视频无法播放。",
  },
};

const store = {
  get: (k) => { try { return localStorage.getItem(k); } catch { return null; } },
  set: (k, v) => { try { localStorage.setItem(k, v); } catch { /* private mode */ } },
  sget: (k) => { try { return sessionStorage.getItem(k); } catch { return null; } },
  sset: (k, v) => { try { sessionStorage.setItem(k, v); } catch { /* private mode */ } },
  sdel: (k) => { try { sessionStorage.removeItem(k); } catch { /* private mode */ } },
};

let lang = (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
let sessionId = store.sget("vidrec.session");
let credential = store.get("vidrec.key") || store.get("vidrec.token");
const $ = (sel, root = document) => root.querySelector(sel);
const t = (key) => (TEXT[lang] || TEXT.en)[key] || key;

class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error;
    this.retryAfter = retryAfter;
  }
}

function headers(json) {
  const h = {};
  if (json) h["Content-Type"] = "application/json";
  if (credential) h.Authorization = `Bearer ${credential}`;
  return h;
}

async function api(path, { method = "GET", body } = {}) {
  const res = await fetch(path, { method, headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data, Number(res.headers.get("Retry-After") || 0));
  return data;
}

// ------------------------------------------------------------------------------------------------ language
function applyLang() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-i18n]")) {
    const key = el.dataset.on === "1" && el.dataset.i18nOn ? el.dataset.i18nOn : el.dataset.i18n;
    el.textContent = t(key);
  }
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of document.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
}

// ------------------------------------------------------------------------------------------------ session
async function ensureSession(fresh = false) {
  if (sessionId && !fresh) return sessionId;
  const created = await withKey(() => api("/v1/sessions", { method: "POST", body: {} }));
  if (created.client_token) {
    credential = created.client_token;
    store.set("vidrec.token", credential);
  }
  sessionId = created.session_id;
  store.sset("vidrec.session", sessionId);
  return sessionId;
}

function askKey() {
  return new Promise((resolve) => {
    const dialog = $("#key-dialog");
    applyLang();
    dialog.showModal();
    $("#key-form").addEventListener("submit", () => {
      credential = $("#key-input").value.trim();
      store.set("vidrec.key", credential);
      resolve();
    }, { once: true });
  });
}

async function withKey(call) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401 && attempt < 3) {
        if (err.code === "bad_token" || err.code === "token_required") {
          credential = null; store.set("vidrec.token", ""); sessionId = null; store.sdel("vidrec.session");
          if (attempt === 0) continue;
        }
        await askKey();
        continue;
      }
      if (err instanceof ApiError && err.status === 503 && attempt < 3) {
        status(t("busy"));
        await new Promise((r) => setTimeout(r, Math.min(10, err.retryAfter || 3) * 1000));
        continue;
      }
      throw err;
    }
  }
}

// ------------------------------------------------------------------------------------------------ chat log
function status(text) { $("#status").textContent = text || ""; }

function bubble(kind, text) {
  const div = document.createElement("div");
  div.className = `msg ${kind}`;
  div.textContent = text;
  $("#log").appendChild(div);
  scrollDown();
  return div;
}

function scrollDown() { const log = $("#log"); log.scrollTop = log.scrollHeight; }

function chips(options) {
  const box = document.createElement("div");
  box.className = "chips";
  for (const option of options) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "chip";
    b.textContent = option;
    b.addEventListener("click", () => send(option));
    box.appendChild(b);
  }
  $("#log").appendChild(box);
}

function money(price) {
  if (price === null || price === undefined) return "";
  return `¥${Number(price).toLocaleString(lang === "zh" ? "zh-CN" : "en-US", { maximumFractionDigits: 2 })}`;
}

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function card(item) {
  const node = $("#card-template").content.firstElementChild.cloneNode(true);
  node.dataset.id = item.id;
  node.dataset.start = item.start ?? 0;
  const img = $("img", node);
  img.src = item.thumbnail || "";
  img.alt = item.title;
  $(".play-badge", node).textContent = t("playFrom") + clock(item.start);
  $(".title", node).textContent = item.title;
  $(".price", node).textContent = money(item.price);
  $(".why", node).textContent = item.why || "";
  $(".thumb", node).addEventListener("click", () => play(item));
  for (const b of node.querySelectorAll("[data-act]")) {
    b.addEventListener("click", () => feedback(node, item, b.dataset.act, b));
  }
  if (node.querySelector("[data-act=like]")) node.querySelector("[data-act=like]").dataset.i18nOn = "liked";
  if (node.querySelector("[data-act=cart]")) node.querySelector("[data-act=cart]").dataset.i18nOn = "inCart";
  for (const el of node.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  return node;
}

// ------------------------------------------------------------------------------------------------ player
function play(item) {
  const video = $("#video");
  const start = Number(item.start || 0);
  $("#player").hidden = false;
  $("#player-title").textContent = `${item.title} · ${clock(start)}`;
  video.dataset.item = item.id;
  video.dataset.start = String(start);
  const seek = () => {
    const target = Math.min(start, Math.max(0, (video.duration || start) - 0.1));
    if (Math.abs(video.currentTime - target) > 0.25) video.currentTime = target;
  };
  if (video.dataset.src === item.video && video.readyState >= 1) {
    seek();
  } else {
    // A media fragment makes the browser start at the best second itself; the seek on loadedmetadata is for
    // browsers that ignore it.
    video.dataset.src = item.video;
    video.addEventListener("loadedmetadata", seek, { once: true });
    video.src = `${item.video}#t=${start.toFixed(2)}`;
  }
  // play() inside the click: a slow network must not outlast the click's permission to play sound
  video.play().catch(() => { /* refused: the controls are there */ });
  window.scrollTo({ top: 0, behavior: "smooth" });
}

function closePlayer() {
  const video = $("#video");
  video.pause();
  $("#player").hidden = true;
}

// ------------------------------------------------------------------------------------------------ sending
let busy = false;

async function send(text) {
  text = (text || "").trim();
  if (!text || busy) return;
  busy = true;
  $("#send").disabled = true;
  bubble("me", text);
  const pending = bubble("bot pending", t("thinking"));
  try {
    await withKey(async () => {
      await ensureSession();
      try {
        await streamTurn(text, pending);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404 && err.code === "session_not_found") {
          await ensureSession(true);
          await streamTurn(text, pending);
        } else {
          throw err;
        }
      }
    });
    status("");
  } catch (err) {
    pending.className = "msg error";
    pending.textContent = t("failed") + (err.message || err);
  } finally {
    busy = false;
    $("#send").disabled = false;
    $("#message").focus();
  }
}

async function streamTurn(text, pending) {
  const res = await fetch(`/v1/sessions/${encodeURIComponent(sessionId)}/messages/stream`, {
    method: "POST", headers: { ...headers(true), Accept: "text/event-stream" }, body: JSON.stringify({ text }),
  });
  if (!res.ok) {
    const data = await res.json().catch(() => null);
    throw new ApiError(res.status, data, Number(res.headers.get("Retry-After") || 0));
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let grid = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = parseFrame(frame);
      if (!event) continue;
      if (event.type === "reply") {
        if (event.data.lang === "zh" || event.data.lang === "en") { lang = event.data.lang; applyLang(); }
        pending.className = "msg bot";
        pending.textContent = event.data.reply;
        const question = event.data.question;
        if (question && Array.isArray(question.options) && question.options.length) {
          chips(Array.isArray(question.labels) && question.labels.length === question.options.length
            ? question.labels : question.options);
        }
      } else if (event.type === "item") {
        if (!grid) { grid = document.createElement("div"); grid.className = "cards"; $("#log").appendChild(grid); }
        grid.appendChild(card(event.data.item));
      } else if (event.type === "error") {
        throw new ApiError(500, event.data, 0);
      }
      scrollDown();
    }
  }
}

function parseFrame(frame) {
  let type = "message";
  const data = [];
  for (const line of frame.split("\n")) {
    if (line.startsWith(":")) continue;
    if (line.startsWith("event:")) type = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  if (!data.length) return null;
  try { return { type, data: JSON.parse(data.join("\n")) }; } catch { return null; }
}

// ------------------------------------------------------------------------------------------------ buttons
async function feedback(node, item, act, button) {
  if (button.disabled) return;
  button.disabled = true;
  try {
    const out = await withKey(async () => {
      await ensureSession();
      return api("/v1/feedback", { method: "POST", body: { session_id: sessionId, item_id: item.id, event: act } });
    });
    if (out.lang === "zh" || out.lang === "en") { lang = out.lang; applyLang(); }
    if (act === "reject") {
      node.classList.add("leaving");
      const replacement = out.replacement ? card(out.replacement) : null;
      setTimeout(() => { if (replacement) node.replaceWith(replacement); else node.remove(); }, 150);
      status(out.reply || "");
    } else {
      button.classList.add("on");
      button.dataset.on = "1";
      button.textContent = t(act === "like" ? "liked" : "inCart");
      if (out.reply) status(out.reply);
    }
  } catch (err) {
    bubble("error", t("failed") + (err.message || err));
  } finally {
    if (act !== "like" && act !== "cart") button.disabled = false;
    if (!button.classList.contains("on")) button.disabled = false;
  }
}

// ------------------------------------------------------------------------------------------------ start
function start() {
  applyLang();
  bubble("bot", t("hello"));
  $("#composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("#message");
    const text = input.value;
    input.value = "";
    send(text);
  });
  $("#player-close").addEventListener("click", closePlayer);
  $("#video").addEventListener("error", () => status(t("noVideo")));
  ensureSession().catch((err) => status(t("failed") + (err.message || err)));
}

document.addEventListener("DOMContentLoaded", start);
