// khqr-bot demo page: plain JavaScript, no build step. Polls /api/state and redraws what
// changed; acts only through the demo's JSON API (the Telegram emulator and the sandbox).
"use strict";

const TEXTS = {
  en: {
    title: "khqr-bot demo",
    subtitle: "A real bot, a Telegram emulator and the Bakong sandbox, all on this computer. Nothing leaves it.",
    setup: "Set up a demo seller in one click",
    "setup-running": "The seller is answering the /setup wizard…",
    "setup-done": "Demo seller ready. Try /charge 5 USD coffee",
    bot: "bot",
    menu: "Menu",
    placeholder: "Message (try /charge 5 USD coffee)",
    send: "Send",
    bank: "Customer's banking app",
    "bank-sub": "scans a KHQR card, pays through the Bakong sandbox",
    cards: "Cards in the chat",
    "cards-hint": "Scanning reads the QR code from the card's picture, as a phone camera does.",
    scans: "Scanned",
    "scans-hint": "A scan stays here after the card was cancelled or expired: paying it then is a late payment, which the bot still reports.",
    scan: "Scan",
    "no-cards": "No KHQR card yet: send /charge 5 USD coffee in the chat.",
    "no-scans": "Nothing scanned yet.",
    pay: "Pay",
    "pay-other": "Pay this amount",
    fail: "Make it fail",
    to: "to",
    bill: "bill",
    edited: "edited",
    "no-amount": "no amount",
  },
  km: {
    title: "ការបង្ហាញ khqr-bot",
    subtitle: "បូតពិត កម្មវិធីត្រាប់តាម Telegram និង Bakong sandbox ទាំងអស់នៅលើកុំព្យូទ័រនេះ។ គ្មានអ្វីចេញទៅក្រៅទេ។",
    setup: "រៀបចំអ្នកលក់សាកល្បងដោយចុចតែម្ដង",
    "setup-running": "អ្នកលក់កំពុងឆ្លើយសំណួរ /setup…",
    "setup-done": "អ្នកលក់សាកល្បងរួចរាល់។ សាកល្បង /charge 5 USD coffee",
    bot: "បូត",
    menu: "ម៉ឺនុយ",
    placeholder: "សារ (សាកល្បង /charge 5 USD coffee)",
    send: "ផ្ញើ",
    bank: "កម្មវិធីធនាគាររបស់អតិថិជន",
    "bank-sub": "ស្កេនកាត KHQR ហើយបង់ប្រាក់តាម Bakong sandbox",
    cards: "កាតនៅក្នុងការជជែក",
    "cards-hint": "ការស្កេនអានកូដ QR ពីរូបភាពកាត ដូចកាមេរ៉ាទូរស័ព្ទ។",
    scans: "បានស្កេន",
    "scans-hint": "ការស្កេននៅតែនៅទីនេះ ក្រោយពេលកាតត្រូវបានបោះបង់ ឬផុតកំណត់៖ ការបង់ពេលនោះជាការបង់យឺត ដែលបូតនៅតែរាយការណ៍។",
    scan: "ស្កេន",
    "no-cards": "មិនទាន់មានកាត KHQR ទេ៖ ផ្ញើ /charge 5 USD coffee ក្នុងការជជែក។",
    "no-scans": "មិនទាន់បានស្កេនអ្វីទេ។",
    pay: "បង់ប្រាក់",
    "pay-other": "បង់ចំនួននេះ",
    fail: "ធ្វើឲ្យបរាជ័យ",
    to: "ទៅ",
    bill: "វិក្កយបត្រ",
    edited: "បានកែ",
    "no-amount": "គ្មានចំនួន",
  },
};

let lang = "en";
let last = null;
const shown = new Map(); // message id -> { key, el }
const $ = (id) => document.getElementById(id);
const t = (key) => (TEXTS[lang] && TEXTS[lang][key]) || TEXTS.en[key] || key;

async function api(path, body) {
  const res = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function toast(text) {
  if (!text) return;
  const el = $("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 4000);
}

// Text with /commands clickable (they are sent when clicked, as in Telegram).
function richText(text) {
  const frag = document.createDocumentFragment();
  const re = /(^|[\s(])(\/[a-z_]+)/g;
  let at = 0, m;
  while ((m = re.exec(text)) !== null) {
    const start = m.index + m[1].length;
    frag.append(text.slice(at, start));
    const cmd = document.createElement("span");
    cmd.className = "cmd";
    cmd.textContent = m[2];
    cmd.onclick = () => send(m[2]);
    frag.append(cmd);
    at = start + m[2].length;
  }
  frag.append(text.slice(at));
  return frag;
}

function messageEl(m) {
  const el = document.createElement("div");
  el.className = "msg " + (m.from_bot ? "bot" : "user");
  el.dataset.id = m.id;
  if (m.photo) {
    const img = document.createElement("img");
    img.src = `/api/photo/${m.id}?f=${encodeURIComponent(m.photo)}`;
    img.alt = "KHQR";
    // The picture's height arrives after it loads: keep a chat that was at the bottom there.
    img.onload = () => {
      const chat = $("chat");
      if (chat.scrollHeight - chat.scrollTop - chat.clientHeight < img.height + 80) chat.scrollTop = chat.scrollHeight;
    };
    el.append(img);
  }
  const body = m.text ?? m.caption;
  if (body) {
    const span = document.createElement("span");
    span.className = m.caption != null ? "caption" : "text";
    span.append(richText(body));
    el.append(span);
  }
  if (m.edited) {
    const e = document.createElement("span");
    e.className = "edited";
    e.textContent = t("edited");
    el.append(e);
  }
  if (m.buttons.length) {
    const kb = document.createElement("div");
    kb.className = "keyboard";
    for (const row of m.buttons) {
      const r = document.createElement("div");
      r.className = "row";
      for (const [label, data] of row) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = label;
        b.dataset.callback = data;
        // A button without callback data ("Send to customer" opens Telegram's chat picker,
        // which the demo does not have): shown, not pressable.
        if (!data) { b.disabled = true; r.append(b); continue; }
        b.onclick = async () => {
          b.disabled = true;
          try { toast((await api("/api/press", { message_id: m.id, data })).answer); }
          catch (e) { toast(e.message); }
          finally { b.disabled = false; }
        };
        r.append(b);
      }
      kb.append(r);
    }
    el.append(kb);
  }
  return el;
}

function renderChat(messages) {
  const chat = $("chat");
  const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 60;
  const keep = new Set();
  for (const m of messages) {
    const key = JSON.stringify(m) + lang;
    keep.add(m.id);
    let entry = shown.get(m.id);
    if (!entry || entry.key !== key) {
      const el = messageEl(m);
      if (entry) entry.el.replaceWith(el);
      entry = { key, el };
      shown.set(m.id, entry);
    }
    chat.append(entry.el); // moves it into order (a no-op for one already last)
  }
  for (const [id, entry] of shown) {
    if (!keep.has(id)) { entry.el.remove(); shown.delete(id); }
  }
  if (atBottom) chat.scrollTop = chat.scrollHeight;
}

function renderMenu(commands) {
  const menu = $("menu");
  menu.replaceChildren();
  for (const [cmd, desc] of commands) {
    const row = document.createElement("div");
    const b = document.createElement("b");
    b.textContent = "/" + cmd;
    row.append(b, desc);
    row.onclick = () => {
      menu.hidden = true;
      const input = $("composer-input");
      input.value = "/" + cmd + " ";
      input.focus();
    };
    menu.append(row);
  }
}

function renderCards(messages) {
  const cards = $("cards");
  cards.replaceChildren();
  const photos = messages.filter((m) => m.from_bot && m.photo);
  if (!photos.length) {
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = t("no-cards");
    cards.append(p);
  }
  for (const m of photos) {
    const card = document.createElement("div");
    card.className = "card";
    card.dataset.id = m.id;
    const img = document.createElement("img");
    img.src = `/api/photo/${m.id}?f=${encodeURIComponent(m.photo)}`;
    const what = document.createElement("div");
    what.className = "what";
    what.textContent = m.caption || "";
    const b = document.createElement("button");
    b.type = "button";
    b.className = "scan-btn";
    b.dataset.id = m.id;
    b.textContent = t("scan");
    b.onclick = async () => {
      try { await api("/api/bank/scan", { message_id: m.id }); poll(); }
      catch (e) { toast(e.message); }
    };
    card.append(img, what, b);
    cards.append(card);
  }
}

function renderScans(scans) {
  const box = $("scans");
  const typed = {};
  for (const input of box.querySelectorAll("input")) typed[input.dataset.id] = input.value;
  box.replaceChildren();
  if (!scans.length) {
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = t("no-scans");
    box.append(p);
  }
  for (const s of scans) {
    const el = document.createElement("div");
    el.className = "scan";
    el.dataset.id = s.message_id;
    const amount = document.createElement("div");
    amount.className = "amount";
    amount.textContent = s.amount ? `${s.amount} ${s.currency}` : t("no-amount");
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = `${s.merchant} · ${s.city} · ${t("to")} ${s.account}` + (s.bill ? ` · ${t("bill")} ${s.bill}` : "");
    const actions = document.createElement("div");
    actions.className = "actions";
    const act = (action, extra) => async () => {
      try { await api("/api/bank/act", { message_id: s.message_id, action, ...extra }); poll(); }
      catch (e) { toast(e.message); }
    };
    const pay = document.createElement("button");
    pay.type = "button";
    pay.className = "bank-pay";
    pay.textContent = t("pay");
    pay.onclick = act("pay");
    const other = document.createElement("input");
    other.dataset.id = s.message_id;
    other.value = typed[s.message_id] ?? "";
    other.placeholder = s.amount || "1.00";
    const payOther = document.createElement("button");
    payOther.type = "button";
    payOther.className = "secondary bank-pay-other";
    payOther.textContent = t("pay-other");
    payOther.onclick = () => act("amount", { amount: other.value || other.placeholder })();
    const fail = document.createElement("button");
    fail.type = "button";
    fail.className = "danger bank-fail";
    fail.textContent = t("fail");
    fail.onclick = act("fail");
    actions.append(pay, other, payOther, fail);
    el.append(amount, meta, actions);
    if (s.done) {
      const done = document.createElement("div");
      done.className = "done";
      done.textContent = "✓ " + s.done;
      el.append(done);
    }
    box.append(el);
  }
}

function applyLang() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  $("composer-input").placeholder = t("placeholder");
  for (const b of document.querySelectorAll(".lang")) b.classList.toggle("on", b.dataset.lang === lang);
}

function render(state) {
  if (state.lang !== lang) { lang = state.lang; applyLang(); }
  renderChat(state.messages);
  renderMenu(state.commands);
  renderCards(state.messages);
  renderScans(state.scans);
  const status = $("setup-status");
  status.dataset.state = state.setup;
  status.textContent = state.setup === "running" ? t("setup-running")
    : state.setup === "done" ? t("setup-done") : state.setup;
  $("setup-demo").disabled = state.setup === "running";
}

async function poll() {
  try {
    const state = await api("/api/state");
    const text = JSON.stringify(state);
    if (text !== last) { last = text; render(state); }
  } catch (e) {
    $("setup-status").textContent = "⚠ " + e.message;
  }
}

async function send(text) {
  try { await api("/api/send", { text }); poll(); }
  catch (e) { toast(e.message); }
}

$("composer").onsubmit = (ev) => {
  ev.preventDefault();
  const input = $("composer-input");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  $("menu").hidden = true;
  send(text);
};
$("menu-button").onclick = () => { $("menu").hidden = !$("menu").hidden; };
$("setup-demo").onclick = async () => {
  try { await api("/api/setup", {}); poll(); } catch (e) { toast(e.message); }
};
for (const b of document.querySelectorAll(".lang")) {
  b.onclick = async () => {
    try { await api("/api/lang", { lang: b.dataset.lang }); last = null; poll(); }
    catch (e) { toast(e.message); }
  };
}
applyLang();
poll();
setInterval(poll, 700);
