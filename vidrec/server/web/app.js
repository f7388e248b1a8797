// vidrec chat page: plain JS, no build step. Talks to the same server's /v1 API.
"use strict";

const TEXT = {
  en: {
    placeholder: "Tell me what you're looking for…", send: "Send", like: "Like", liked: "Liked",
    reject: "Not this", rejected: "Not for me", cart: "Add to cart", inCart: "In cart", details: "Details",
    close: "Close", save: "Save", messageLabel: "Message to the shop assistant",
    hello: "Hi! What are you shopping for? For example: \"a red dress under 300\".",
    thinking: "…", keyNeeded: "This server needs an API key.", busy: "The server is busy, trying again…",
    failed: "Sorry, something went wrong: ", playFrom: "▶ ", noVideo: "This video can't be played here.",
    retry: "Retry", cutOff: "the reply was cut off", newChat: "New chat", cartView: "Cart", otherLang: "中文",
    switchLang: "Switch the page to Chinese", closeMatches: "Close matches", differs: "Differs: ",
    cartEmpty: "Your cart is empty.", total: "Total", attribute: "", asText: "As text",
    speech: "Speech", ocr: "On-screen text", shots: "Shots", noneFound: "None found.", loading: "Loading…",
    evidence: "Evidence timeline", facts: "What the video shows", cheapest: "cheapest",
    playAt: (time) => `Play from ${time}`,
    a: {
      like: (o, t) => `Like ${o} item, ${t}`, reject: (o, t) => `Not this: ${o} item, ${t}`,
      cart: (o, t) => `Add ${o} item, ${t}, to cart`, detail: (o, t) => `Details of ${o} item, ${t}`,
      play: (o, t, s) => `Play ${o} item, ${t}, from ${s}`,
    },
    src: { metadata: "listing", visual: "seen", speech: "said", ocr: "on screen", text: "text" },
    attr: { price: "Price", category: "Category", color: "Colour", material: "Material", brand: "Brand",
      gender: "For", usage: "Occasion", pattern: "Pattern" },
  },
  zh: {
    placeholder: "想买点什么？比如“300元以内的红色连衣裙”", send: "发送", like: "喜欢", liked: "已喜欢",
    reject: "不要这个", rejected: "已排除", cart: "加入购物车", inCart: "已加购", details: "详情", close: "关闭",
    save: "保存", messageLabel: "发给导购的消息",
    hello: "你好！想买点什么？比如“300元以内的红色连衣裙”。",
    thinking: "…", keyNeeded: "这个服务需要 API 密钥。", busy: "服务繁忙，正在重试…",
    failed: "抱歉，出错了：", playFrom: "▶ ", noVideo: "这个视频无法播放。",
    retry: "重试", cutOff: "回复中断了", newChat: "新对话", cartView: "购物车", otherLang: "English",
    switchLang: "把页面切换成英文", closeMatches: "相近", differs: "不同之处：", cartEmpty: "购物车是空的。",
    total: "合计", attribute: "", asText: "文字版", speech: "语音", ocr: "画面文字", shots: "镜头",
    noneFound: "没有找到。", loading: "加载中…", evidence: "证据时间线", facts: "视频里看到的", cheapest: "最便宜",
    playAt: (time) => `从${time}播放`,
    a: {
      like: (o, t) => `喜欢${o}「${t}」`, reject: (o, t) => `不要${o}「${t}」`,
      cart: (o, t) => `把${o}「${t}」加入购物车`, detail: (o, t) => `查看${o}「${t}」的详情`,
      play: (o, t, s) => `从${s}播放${o}「${t}」`,
    },
    src: { metadata: "商品信息", visual: "画面", speech: "口播", ocr: "画面文字", text: "文字" },
    attr: { price: "价格", category: "品类", color: "颜色", material: "材质", brand: "品牌", gender: "适用",
      usage: "场合", pattern: "图案" },
  },
};

const store = {
  get: (k) => { try { return localStorage.getItem(k); } catch { return null; } },
  set: (k, v) => { try { localStorage.setItem(k, v); } catch { /* private mode or full */ } },
  del: (k) => { try { localStorage.removeItem(k); } catch { /* private mode */ } },
};

// The page's language: the one the shopper last chose with the toggle or last typed in; a tapped chip or button
// never changes it.
let lang = store.get("vidrec.lang") || ((navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en");
// The session id is kept by the page, so a reload goes on with the same conversation.
let sessionId = store.get("vidrec.session");
let credential = store.get("vidrec.key") || store.get("vidrec.token");
// The shopper's anonymous user id: the server makes it for the first session and the page sends it with every
// later one, so what they like, cart and watch here is attributed to them and learned from.
let userId = store.get("vidrec.user");
let transcript = [];        // what the log shows, to draw it again after a reload: {me: text} | {turn: Turn}
let lastState = null;       // the session's state as the server last sent it (liked, rejected, cart ...)
const known = new Map();    // item id -> the item as last shown with its why-line and start second
const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
const t = (key) => (TEXT[lang] || TEXT.en)[key] ?? TEXT.en[key] ?? key;

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

async function api(path, { method = "GET", body, keepalive = false } = {}) {
  const res = await fetch(path, { method, keepalive, headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data, Number(res.headers.get("Retry-After") || 0));
  return data;
}

const sessionPath = () => `/v1/sessions/${encodeURIComponent(sessionId)}`;

// ------------------------------------------------------------------------------------------------ language
function setLang(next) {
  if (next !== "zh" && next !== "en") return;
  lang = next;
  store.set("vidrec.lang", lang);
  applyLang();
}

function applyLang() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of $$("[data-i18n]")) {
    const key = el.dataset.on === "1" && el.dataset.i18nOn ? el.dataset.i18nOn : el.dataset.i18n;
    el.textContent = t(key);
  }
  for (const el of $$("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of $$("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  for (const el of $$("[data-attr]")) el.textContent = t("attr")[el.dataset.attr] || el.dataset.attr;
  for (const node of $$(".card")) labelCard(node);
}

// ------------------------------------------------------------------------------------------------ session
// The session being made, if any: the page makes one at load (restore) and a message or button sent before that
// answer arrives needs one too. Both wait for the same request; two would leave the turn in one session and the
// buttons after it in the other, where no card was shown ("not this" then found nothing to replace).
let making = null;

function ensureSession(fresh = false) {
  if (sessionId && !fresh && !making) return Promise.resolve(sessionId);
  if (!making) making = makeSession().finally(() => { making = null; });
  return making;
}

async function makeSession() {
  let created;
  try {
    created = await withKey(() => api("/v1/sessions", { method: "POST",
      body: userId ? { user_id: userId } : { new_user: true } }));
  } catch (err) {
    // the kept user id is another caller's now (a new token, or it was erased and taken): start a new one
    if (!userId || !(err instanceof ApiError) || err.code !== "user_not_yours") throw err;
    userId = null;
    store.del("vidrec.user");
    created = await withKey(() => api("/v1/sessions", { method: "POST", body: { new_user: true } }));
  }
  if (created.client_token) {
    credential = created.client_token;
    store.set("vidrec.token", credential);
  }
  if (created.user_id) {
    userId = created.user_id;
    store.set("vidrec.user", userId);
  }
  sessionId = created.session_id;
  store.set("vidrec.session", sessionId);
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
          credential = null; store.set("vidrec.token", ""); sessionId = null; store.del("vidrec.session");
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

function saveTranscript() {
  // the newest 60 entries; what no longer fits is still in the server's session
  transcript = transcript.slice(-60);
  store.set("vidrec.chat", JSON.stringify({ session: sessionId, entries: transcript }));
}

function record(entry) {
  transcript.push(entry);
  saveTranscript();
  return transcript.length - 1;
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

function hello() { bubble("bot hello", t("hello")).dataset.i18n = "hello"; }

function showError(target, err, retry) {
  target.className = "msg error";
  target.textContent = "";
  const text = document.createElement("span");
  text.textContent = t("failed") + (err.message || err);
  const again = document.createElement("button");
  again.type = "button";
  again.className = "retry";
  again.dataset.i18n = "retry";
  again.textContent = t("retry");
  again.addEventListener("click", () => { target.remove(); retry(); }, { once: true });
  target.append(text, " ", again);
  scrollDown();
}

function chips(options) {
  const box = document.createElement("div");
  box.className = "chips";
  for (const option of options) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "chip";
    b.textContent = option;
    b.addEventListener("click", () => send(option, { chip: true }));
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

function ordinal(n) {
  if (lang === "zh") return `第${n}个`;
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th");
  return `${n}${suffix}`;
}

// A follow-up turn (compare, "add the first to cart") sends items without their why-line or start second: keep
// the ones they were shown with.
function enrich(item) {
  const before = known.get(item.id);
  const out = { ...item };
  if (before) {
    if (!out.why) out.why = before.why;
    if (!(Number(out.start) > 0) && Number(before.start) > 0) out.start = before.start;
  }
  if (out.why || !before) known.set(item.id, { ...before, ...out });
  return out;
}

function labelCard(node) {
  const item = node._item;
  if (!item) return;
  const o = ordinal(Number(node.dataset.pos));
  const a = t("a");
  for (const b of $$("[data-act]", node)) {
    const act = b.dataset.act;
    b.setAttribute("aria-label", act === "play" ? a.play(o, item.title, clock(item.start)) : a[act](o, item.title));
  }
  $(".play-badge", node).textContent = t("playFrom") + clock(item.start);
  const differs = $(".differs", node);
  // The server says what a close match misses in the shopper's words ("蓝色，不是红色"); a list is joined.
  const said = Array.isArray(item.differs) ? item.differs.join(lang === "zh" ? "、" : ", ") : (item.differs || "");
  if (said) {
    differs.hidden = false;
    differs.textContent = t("differs") + said;
  }
}

function card(item, pos) {
  const node = $("#card-template").content.firstElementChild.cloneNode(true);
  node._item = item;
  node.dataset.id = item.id;
  node.dataset.pos = String(pos);
  node.dataset.start = item.start ?? 0;
  if (item.match === false) node.classList.add("close");
  const img = $("img", node);
  img.src = item.thumbnail || "";
  img.alt = item.title;
  img.addEventListener("error", () => freshLinks(node), { once: true });
  $(".title", node).textContent = item.title;
  $(".price", node).textContent = money(item.price);
  $(".why", node).textContent = item.why || "";
  $("[data-act=like]", node).dataset.i18nOn = "liked";
  $("[data-act=cart]", node).dataset.i18nOn = "inCart";
  $("[data-act=reject]", node).dataset.i18nOn = "rejected";
  for (const b of $$("[data-act]", node)) {
    const act = b.dataset.act;
    b.addEventListener("click", () => {
      if (act === "play") play(node._item);
      else if (act === "detail") showDetail(node._item);
      else feedback(node, act, b);
    });
  }
  for (const el of $$("[data-i18n]", node)) el.textContent = t(el.dataset.i18n);
  labelCard(node);
  return node;
}

// Signed media links expire (a conversation drawn again after a reload may hold old ones): the API signs anew.
async function freshLinks(node) {
  const item = node._item;
  if (!item || !/[?&]sig=/.test(item.thumbnail || "")) return;
  try {
    const p = await withKey(() => api(`/v1/items/${encodeURIComponent(item.id)}`));
    item.video = p.video;
    item.thumbnail = p.thumbnail;
    $("img", node).src = p.thumbnail;
  } catch { /* the card stays without its picture */ }
}

function setOn(button, on) {
  button.classList.toggle("on", on);
  button.dataset.on = on ? "1" : "";
  button.setAttribute("aria-pressed", String(on));
  button.disabled = on;  // there is no "unlike" or "take out of the cart" button: say it in the chat
  button.textContent = t(on ? button.dataset.i18nOn : button.dataset.i18n);
}

// Every card on the page shows what the session says about its item, whether a button or a sentence did it.
function syncState(state) {
  if (state) lastState = state;
  const s = lastState || {};
  const liked = new Set(s.liked || []);
  const cart = new Set(s.cart || []);
  const rejected = new Set(s.rejected || []);
  for (const node of $$(".card")) {
    const id = node.dataset.id;
    setOn($("[data-act=like]", node), liked.has(id));
    setOn($("[data-act=cart]", node), cart.has(id));
    setOn($("[data-act=reject]", node), rejected.has(id));
    node.classList.toggle("rejected", rejected.has(id));
  }
  $("#cart-count").textContent = String(cart.size);
  if ($("#cart").open) renderCart();
}

// One reply on the page: its bubble, answer chips, comparison table and cards (a match grid and a close-match
// grid). Used for a streamed reply, a plain one, and one drawn again after a reload.
function turnView(pending, { followLang }) {
  let grid = null;
  let closeGrid = null;
  const made = [];
  const makeGrid = (close) => {
    if (close) {
      const h = document.createElement("h4");
      h.className = "close-heading";
      h.dataset.i18n = "closeMatches";
      h.textContent = t("closeMatches");
      $("#log").appendChild(h);
      made.push(h);
    }
    const g = document.createElement("div");
    g.className = close ? "cards close-matches" : "cards";
    $("#log").appendChild(g);
    made.push(g);
    return g;
  };
  return {
    reply(data) {
      if (followLang && data.lang !== lang) setLang(data.lang);
      pending.className = "msg bot";
      pending.textContent = data.reply;
      const question = data.question;
      if (question && Array.isArray(question.options) && question.options.length) {
        chips(Array.isArray(question.labels) && question.labels.length === question.options.length
          ? question.labels : question.options);
        made.push($("#log").lastElementChild);
      }
    },
    item(index, item) {
      const shown = enrich(item);
      if (shown.match === false) {
        closeGrid = closeGrid || makeGrid(true);
        closeGrid.appendChild(card(shown, index + 1));
      } else {
        grid = grid || makeGrid(false);
        grid.appendChild(card(shown, index + 1));
      }
      scrollDown();
    },
    done(turn, entry) {
      if (Array.isArray(turn.table) && turn.table.length) compareTable(pending, turn);
      for (const g of [grid, closeGrid]) if (g) g.dataset.entry = String(entry);
      syncState(turn.state);
      scrollDown();
    },
    fail(err, retry) {
      for (const el of made) el.remove();
      showError(pending, err, retry);
    },
  };
}

function compareTable(target, turn) {
  const wrap = document.createElement("div");
  wrap.className = "compare-wrap";
  const table = document.createElement("table");
  table.className = "compare";
  const head = table.createTHead().insertRow();
  const corner = document.createElement("th");
  corner.scope = "col";
  head.appendChild(corner);
  turn.items.forEach((item, i) => {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = `${i + 1}. ${item.title}`;
    head.appendChild(th);
  });
  const prices = turn.items.map((i) => i.price);
  const cheapest = prices.every((p) => typeof p === "number") && new Set(prices).size > 1
    ? prices.indexOf(Math.min(...prices)) : -1;
  const body = table.createTBody();
  for (const row of turn.table) {
    const tr = body.insertRow();
    tr.dataset.row = row.attribute;
    const th = document.createElement("th");
    th.scope = "row";
    th.dataset.attr = row.attribute;
    th.textContent = t("attr")[row.attribute] || row.attribute;
    tr.appendChild(th);
    row.values.forEach((v, i) => {
      const td = tr.insertCell();
      td.textContent = v;
      if (row.attribute === "price" && i === cheapest) td.classList.add("best");
    });
  }
  wrap.appendChild(table);
  const text = document.createElement("details");
  const summary = document.createElement("summary");
  summary.dataset.i18n = "asText";
  summary.textContent = t("asText");
  text.append(summary, target.textContent);
  target.textContent = "";
  target.classList.add("has-table");
  target.append(wrap, text);
}

// ------------------------------------------------------------------------------------------------ player
let playing = null;   // {id, base, opener}: the item on screen, seconds played before it opened

function playedSeconds(video) {
  let total = 0;
  for (let i = 0; i < video.played.length; i++) total += video.played.end(i) - video.played.start(i);
  return total;
}

function play(item, at) {
  const video = $("#video");
  const start = Number(at ?? item.start ?? 0);
  const opener = playing ? playing.opener : document.activeElement;
  reportPlay();
  const same = video.dataset.src === item.video && video.readyState >= 1;
  playing = { id: item.id, base: same ? playedSeconds(video) : 0, opener };
  $("#player").hidden = false;
  for (const el of $$("body > .top, #log, #composer")) el.inert = true;  // a modal: the page behind it rests
  $("#player-title").textContent = `${item.title} · ${clock(start)}`;
  video.dataset.item = item.id;
  video.dataset.start = String(start);
  // the clip starts at the best second, but at least 3 s before its end so there is something to watch
  const seek = () => {
    const d = video.duration;
    const target = Number.isFinite(d) && d > 0 ? Math.max(0, Math.min(start, d - 3)) : start;
    video.dataset.from = String(target);
    $("#player-title").textContent = `${item.title} · ${clock(target)}`;
    if (Math.abs(video.currentTime - target) > 0.25) video.currentTime = target;
  };
  if (same) {
    seek();
  } else {
    delete video.dataset.from;
    // A media fragment makes the browser start at the best second itself; the seek on loadedmetadata moves it
    // back from the end and serves browsers that ignore it.
    video.dataset.src = item.video;
    video.addEventListener("loadedmetadata", seek, { once: true });
    video.src = `${item.video}#t=${start.toFixed(2)}`;
  }
  // play() inside the click: a slow network must not outlast the click's permission to play sound
  video.play().catch(() => { /* refused: the controls are there */ });
  $("#player-close").focus();
}

function reportPlay() {
  if (!playing) return;
  const { id, base } = playing;
  playing = null;
  const watched = playedSeconds($("#video")) - base;
  if (!(watched > 0) || !sessionId) return;
  api("/v1/feedback", { method: "POST", keepalive: true, body: { session_id: sessionId, item_id: id,
    event: "play", watch_s: Math.round(watched * 10) / 10 } })
    .catch(() => { /* a lost play event is not worth a word */ });
}

function closePlayer() {
  const player = $("#player");
  if (player.hidden) return;
  const opener = playing && playing.opener;
  $("#video").pause();
  player.hidden = true;
  for (const el of $$("body > .top, #log, #composer")) el.inert = false;
  reportPlay();
  if (opener && opener.isConnected) opener.focus();
}

// ------------------------------------------------------------------------------------------------ details, cart
async function showDetail(item) {
  const dialog = $("#detail");
  $("#detail-title").textContent = item.title;
  const body = $("#detail-body");
  body.textContent = t("loading");
  if (!dialog.open) dialog.showModal();
  try {
    const profile = await withKey(() => api(`/v1/items/${encodeURIComponent(item.id)}`));
    renderDetail(body, profile, item);
  } catch (err) {
    const box = document.createElement("div");
    body.replaceChildren(box);
    showError(box, err, () => showDetail(item));
  }
}

function attributeText(value) {
  if (Array.isArray(value)) return value.join(lang === "zh" ? "、" : ", ");
  if (typeof value === "number") return String(value);
  return String(value ?? "");
}

function renderDetail(body, profile, item) {
  body.replaceChildren();
  const price = profile.attributes && profile.attributes.price ? profile.attributes.price.value : item.price;
  const top = document.createElement("p");
  top.className = "detail-price";
  top.textContent = money(price);
  body.appendChild(top);

  const facts = document.createElement("dl");
  facts.className = "facts";
  for (const [name, attr] of Object.entries(profile.attributes || {})) {
    if (name === "colors" || attr.value === null || attr.value === "") continue;
    const dt = document.createElement("dt");
    dt.dataset.attr = name;
    dt.textContent = t("attr")[name] || name;
    const dd = document.createElement("dd");
    const when = (attr.evidence || []).find((e) => e.start !== null && e.start !== undefined);
    const source = t("src")[attr.source] || attr.source;
    dd.textContent = attributeText(attr.value) + (when ? ` · ${source} ${clock(when.start)}` : ` · ${source}`);
    facts.append(dt, dd);
  }
  body.appendChild(facts);

  const h = document.createElement("h3");
  h.dataset.i18n = "evidence";
  h.textContent = t("evidence");
  body.appendChild(h);
  const media = { ...item, video: profile.video || item.video };
  const thumb = (second) => {
    const base = profile.thumbnail || item.thumbnail || `/v1/items/${encodeURIComponent(item.id)}/thumbnail`;
    return `${base}${base.includes("?") ? "&" : "?"}t=${second.toFixed(2)}&w=160`;
  };
  const lanes = [
    ["speech", (profile.transcript || []).filter((l) => (l.text || "").trim())
      .map((l) => ({ start: l.start, end: l.end, text: l.text }))],
    ["ocr", (profile.ocr || []).filter((l) => (l.text || "").trim())
      .map((l) => ({ start: l.start, end: l.end, text: l.text }))],
    ["shots", (profile.shots || []).map((s, i) => ({ start: s.start, end: s.end, text: `#${i + 1}`,
      image: thumb(s.keyframe ?? s.start) }))],
  ];
  for (const [kind, entries] of lanes) {
    const lane = document.createElement("section");
    lane.className = "lane";
    lane.dataset.kind = kind;
    const title = document.createElement("h4");
    title.dataset.i18n = kind;
    title.textContent = t(kind);
    lane.appendChild(title);
    if (!entries.length) {
      const none = document.createElement("p");
      none.className = "none";
      none.dataset.i18n = "noneFound";
      none.textContent = t("noneFound");
      lane.appendChild(none);
    }
    const list = document.createElement("ol");
    for (const e of entries.sort((a, b) => a.start - b.start)) {
      const li = document.createElement("li");
      li.className = "ev";
      const b = document.createElement("button");
      b.type = "button";
      b.className = "at";
      b.textContent = `${clock(e.start)}–${clock(e.end)}`;
      b.setAttribute("aria-label", t("playAt")(clock(e.start)));
      b.addEventListener("click", () => { $("#detail").close(); play(media, e.start); });
      li.appendChild(b);
      if (e.image) {
        const img = document.createElement("img");
        img.src = e.image;
        img.alt = "";
        img.loading = "lazy";
        li.appendChild(img);
      }
      const span = document.createElement("span");
      span.className = "ev-text";
      span.textContent = e.text;
      li.appendChild(span);
      list.appendChild(li);
    }
    lane.appendChild(list);
    body.appendChild(lane);
  }
}

function showCart() {
  const dialog = $("#cart");
  if (!dialog.open) dialog.showModal();
  renderCart();
}

async function renderCart() {
  const body = $("#cart-body");
  const ids = (lastState && lastState.cart) || [];
  if (!ids.length) {
    const p = document.createElement("p");
    p.className = "none";
    p.textContent = t("cartEmpty");
    body.replaceChildren(p);
    return;
  }
  const items = await Promise.all(ids.map(async (id) => {
    if (known.has(id)) return known.get(id);
    try {
      const p = await withKey(() => api(`/v1/items/${encodeURIComponent(id)}`));
      return { id, title: p.title || id, price: p.attributes && p.attributes.price ? p.attributes.price.value : null };
    } catch {
      return { id, title: id, price: null };
    }
  }));
  const list = document.createElement("ul");
  list.className = "cart-list";
  let total = 0;
  for (const item of items) {
    const li = document.createElement("li");
    li.dataset.id = item.id;
    const name = document.createElement("span");
    name.textContent = item.title;
    const price = document.createElement("span");
    price.className = "price";
    price.textContent = money(item.price);
    li.append(name, price);
    list.appendChild(li);
    total += Number(item.price) || 0;
  }
  const sum = document.createElement("p");
  sum.className = "cart-total";
  sum.textContent = `${t("total")}: ${money(total)}`;
  body.replaceChildren(list, sum);
}

// ------------------------------------------------------------------------------------------------ sending
let busy = false;

async function send(text, { chip = false, again = false } = {}) {
  text = (text || "").trim();
  if (!text || busy) return;
  busy = true;
  $("#send").disabled = true;
  if (!again) {
    bubble("me", text);
    record({ me: text });
  }
  const pending = bubble("bot pending", t("thinking"));
  const view = turnView(pending, { followLang: !chip });
  try {
    await withKey(async () => {
      await ensureSession();
      try {
        await runTurn(text, view);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404 && err.code === "session_not_found") {
          await ensureSession(true);
          await runTurn(text, view);
        } else {
          throw err;
        }
      }
    });
    status("");
  } catch (err) {
    view.fail(err, () => send(text, { chip, again: true }));
  } finally {
    busy = false;
    $("#send").disabled = false;
    if (!chip) $("#message").focus();
  }
}

function finish(view, turn) {
  const { state, ...kept } = turn;
  view.done(turn, record({ turn: kept }));
}

// The reply as server-sent events (the reply first, then each card); a plain request where no stream is served.
async function runTurn(text, view) {
  let res;
  try {
    res = await fetch(`${sessionPath()}/messages/stream`, {
      method: "POST", headers: { ...headers(true), Accept: "text/event-stream" }, body: JSON.stringify({ text }),
    });
  } catch {
    return plainTurn(text, view);  // no answer at all from the stream endpoint (a proxy that refuses streams)
  }
  if (!res.ok) {
    const data = await res.json().catch(() => null);
    const missing = [404, 405, 501].includes(res.status) && !(data && data.error === "session_not_found");
    if (missing) return plainTurn(text, view);
    throw new ApiError(res.status, data, Number(res.headers.get("Retry-After") || 0));
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = parseFrame(frame);
      if (!event) continue;
      if (event.type === "reply") view.reply(event.data);
      else if (event.type === "item") view.item(event.data.index, event.data.item);
      else if (event.type === "done") { finish(view, event.data); return; }
      else if (event.type === "error") throw new ApiError(event.data.status || 500, event.data, 0);
    }
  }
  throw new Error(t("cutOff"));
}

async function plainTurn(text, view) {
  const turn = await api(`${sessionPath()}/messages`, { method: "POST", body: { text } });
  view.reply(turn);
  turn.items.forEach((item, i) => view.item(i, item));
  finish(view, turn);
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
async function feedback(node, act, button) {
  if (button.disabled) return;
  button.disabled = true;
  const item = node._item;
  try {
    const out = await withKey(async () => {
      await ensureSession();
      return api("/v1/feedback", { method: "POST", body: { session_id: sessionId, item_id: item.id, event: act } });
    });
    // a button is not the shopper speaking: the page keeps its language
    if (act === "reject") {
      node.classList.add("leaving");
      const grid = node.closest(".cards");
      const entry = grid ? transcript[Number(grid.dataset.entry)] : null;
      if (entry && entry.turn) {
        const at = entry.turn.items.findIndex((i) => i.id === item.id);
        if (at >= 0) {
          if (out.replacement) entry.turn.items[at] = out.replacement; else entry.turn.items.splice(at, 1);
          saveTranscript();
        }
      }
      const replacement = out.replacement ? card(enrich(out.replacement), Number(node.dataset.pos)) : null;
      setTimeout(() => {
        if (replacement) node.replaceWith(replacement); else node.remove();
        syncState(out.state);
      }, 150);
    }
    syncState(out.state);
    status(out.reply || "");
  } catch (err) {
    button.disabled = false;
    showError(bubble("error", ""), err, () => feedback(node, act, button));
  }
}

// ------------------------------------------------------------------------------------------------ start
function redraw(entries) {
  for (const entry of entries) {
    if (entry.me) {
      bubble("me", entry.me);
      transcript.push(entry);
    } else if (entry.turn) {
      const view = turnView(bubble("bot", ""), { followLang: false });
      view.reply(entry.turn);
      entry.turn.items.forEach((item, i) => view.item(i, item));
      transcript.push(entry);
      view.done(entry.turn, transcript.length - 1);
    }
  }
}

async function restore() {
  let saved = null;
  try { saved = JSON.parse(store.get("vidrec.chat") || "null"); } catch { saved = null; }
  hello();
  if (!sessionId) return ensureSession();
  let session;
  try {
    session = await withKey(() => api(sessionPath()));
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 403)) {
      sessionId = null;
      store.del("vidrec.chat");
      return ensureSession();
    }
    throw err;
  }
  if (saved && saved.session === sessionId && Array.isArray(saved.entries)) {
    redraw(saved.entries);
  } else {
    // another page held this session: what was said, from the server's log of it
    for (const h of session.history || []) {
      if (h.text && !h.text.startsWith("[")) redraw([{ me: h.text }]);
    }
    saveTranscript();
  }
  syncState(session.state);
  return sessionId;
}

async function newChat() {
  if (busy) return;
  closePlayer();
  const old = sessionId;
  sessionId = null;
  store.del("vidrec.session");
  transcript = [];
  known.clear();
  lastState = null;
  $("#log").replaceChildren();
  hello();
  syncState({ liked: [], rejected: [], cart: [] });
  status("");
  try {
    await ensureSession(true);
    saveTranscript();
  } catch (err) {
    status(t("failed") + (err.message || err));
  }
  if (old) api(`/v1/sessions/${encodeURIComponent(old)}`, { method: "DELETE" }).catch(() => { /* gone already */ });
  $("#message").focus();
}

function start() {
  applyLang();
  $("#composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("#message");
    const text = input.value;
    input.value = "";
    send(text);
  });
  $("#player-close").addEventListener("click", closePlayer);
  $("#player").addEventListener("click", (e) => { if (e.target === $("#player")) closePlayer(); });
  $("#video").addEventListener("ended", closePlayer);
  // leaving the page with the player open still reports what was watched (keepalive outlives the page)
  window.addEventListener("pagehide", reportPlay);
  $("#video").addEventListener("error", () => status(t("noVideo")));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$("#player").hidden) { e.preventDefault(); closePlayer(); }
  });
  for (const dialog of $$("dialog.panel")) {
    $(".panel-close", dialog).addEventListener("click", () => dialog.close());
    dialog.addEventListener("click", (e) => { if (e.target === dialog) dialog.close(); });
  }
  $("#lang-toggle").addEventListener("click", () => setLang(lang === "zh" ? "en" : "zh"));
  $("#new-chat").addEventListener("click", newChat);
  $("#cart-open").addEventListener("click", showCart);
  restore().catch((err) => status(t("failed") + (err.message || err)));
}

document.addEventListener("DOMContentLoaded", start);
