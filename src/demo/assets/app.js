// khqr-bot demo page: plain JavaScript, no build step. Polls /api/state and redraws what
// changed; acts only through the demo's JSON API (the Telegram emulator and the sandbox).
"use strict";

const TEXTS = {
  en: {
    title: "khqr-bot demo",
    subtitle: "A real bot, a Telegram emulator and the Bakong sandbox, all on this computer. Nothing leaves it.",
    setup: "Set up a demo seller in one click",
    "setup-running": "The seller is answering the /setup wizard…",
    "setup-done": "Demo seller ready. Try /charge 5 USD coffee, or @{bot} 5 USD iced coffee in Dara's chat",
    bot: "bot",
    menu: "Menu",
    placeholder: "Message (try /charge 5 USD coffee)",
    send: "Send",
    bank: "Customer's banking app",
    "bank-sub": "scans a KHQR card, pays through the Bakong sandbox",
    cards: "Cards in the chats",
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
    "customer-sub": "your chat with a customer",
    "press-as": "Buttons pressed by",
    "as-customer": "Dara (customer)",
    "as-seller": "Sokha (you)",
    "customer-placeholder": "Type @{bot} 5 USD iced coffee",
    "customer-empty": "Your chat with Dara. Type @{bot} and an amount, as after /charge: the bot offers the KHQR card, and once sent it changes here when Dara pays.",
    "customer-plain": "In this demo the customer's chat carries only the bot's inline mode: start with @{bot}",
    "pick-result": "Tap a result above to send it",
    via: "via",
    "in-customer-chat": "in Dara's chat",
  },
  km: {
    title: "ការបង្ហាញ khqr-bot",
    subtitle: "បូតពិត កម្មវិធីត្រាប់តាម Telegram និង Bakong sandbox ទាំងអស់នៅលើកុំព្យូទ័រនេះ។ គ្មានអ្វីចេញទៅក្រៅទេ។",
    setup: "រៀបចំអ្នកលក់សាកល្បងដោយចុចតែម្ដង",
    "setup-running": "អ្នកលក់កំពុងឆ្លើយសំណួរ /setup…",
    "setup-done": "អ្នកលក់សាកល្បងរួចរាល់។ សាកល្បង /charge 5 USD coffee ឬ @{bot} 5 USD iced coffee ក្នុងការជជែកជាមួយ Dara",
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
    "customer-sub": "ការជជែករបស់អ្នកជាមួយអតិថិជន",
    "press-as": "អ្នកចុចប៊ូតុង",
    "as-customer": "Dara (អតិថិជន)",
    "as-seller": "Sokha (អ្នក)",
    "customer-placeholder": "វាយ @{bot} 5 USD iced coffee",
    "customer-empty": "ការជជែករបស់អ្នកជាមួយ Dara។ វាយ @{bot} និងចំនួនទឹកប្រាក់ ដូចបន្ទាប់ពី /charge៖ បូតផ្ដល់កាត KHQR ហើយក្រោយពេលផ្ញើ វាប្រែប្រួលនៅទីនេះពេល Dara បង់ប្រាក់។",
    "customer-plain": "ក្នុងការបង្ហាញនេះ ការជជែកជាមួយអតិថិជនប្រើបានតែរបៀប inline របស់បូត៖ ចាប់ផ្ដើមដោយ @{bot}",
    "pick-result": "ចុចលទ្ធផលខាងលើ ដើម្បីផ្ញើវា",
    via: "តាម",
    "in-customer-chat": "ក្នុងការជជែកជាមួយ Dara",
  },
};

let lang = "en";
let last = null;
let lastState = null;
let botName = "bot"; // the bot's @username, from the state
const shown = { bot: new Map(), customer: new Map() }; // per chat: message id -> { key, el }
const $ = (id) => document.getElementById(id);
const t = (key) => ((TEXTS[lang] && TEXTS[lang][key]) || TEXTS.en[key] || key).replaceAll("{bot}", botName);

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

function toast(text, id = "toast") {
  if (!text) return;
  const el = $(id);
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

// The picture a message of `chat` ("bot" or "customer") shows now.
function photoUrl(chat, m) {
  return chat === "bot" ? `/api/photo/${m.id}?f=${encodeURIComponent(m.photo)}`
    : `/api/file/${encodeURIComponent(m.photo)}`;
}

const chatEl = (chat) => $(chat === "bot" ? "chat" : "customer-chat");

function messageEl(m, chat) {
  const el = document.createElement("div");
  el.className = "msg " + (m.from_bot ? "bot" : "user");
  el.dataset.id = m.id;
  if (m.via_bot) {
    const via = document.createElement("span");
    via.className = "via";
    via.textContent = `${t("via")} ${m.via_bot}`;
    el.append(via);
  }
  if (m.photo) {
    const img = document.createElement("img");
    img.src = photoUrl(chat, m);
    img.alt = "KHQR";
    // The picture's height arrives after it loads: keep a chat that was at the bottom there.
    img.onload = () => {
      const chat = chatEl(m.chat);
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
      for (const { text, data, switch_query } of row) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = text;
        const where = chat === "bot" ? "toast" : "customer-toast";
        if (data) {
          b.dataset.callback = data;
          b.onclick = async () => {
            b.disabled = true;
            const as = chat === "customer" ? $("press-as").value : "seller";
            try { toast((await api("/api/press", { chat, message_id: m.id, data, as })).answer, where); }
            catch (e) { toast(e.message, where); }
            finally { b.disabled = false; }
          };
        } else if (switch_query != null) {
          // "Send to customer" (switch_inline_query_chosen_chat): Telegram lets the seller
          // pick a chat and opens it with "@bot <query>" typed; the demo has one customer.
          b.className = "switch-inline";
          b.dataset.switch = switch_query;
          b.onclick = () => openInline(switch_query);
        } else {
          b.disabled = true; // a kind of button the demo does not know
        }
        r.append(b);
      }
      kb.append(r);
    }
    el.append(kb);
  }
  return el;
}

function renderChat(chat, messages) {
  const box = chatEl(chat);
  const seen = shown[chat];
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  const keep = new Set();
  for (const m of messages) {
    const key = JSON.stringify(m) + lang;
    keep.add(m.id);
    let entry = seen.get(m.id);
    if (!entry || entry.key !== key) {
      const el = messageEl({ ...m, chat }, chat);
      if (entry) entry.el.replaceWith(el);
      entry = { key, el };
      seen.set(m.id, entry);
    }
    box.append(entry.el); // moves it into order (a no-op for one already last)
  }
  for (const [id, entry] of seen) {
    if (!keep.has(id)) { entry.el.remove(); seen.delete(id); }
  }
  let empty = box.querySelector(".service");
  if (chat === "customer" && !messages.length) {
    if (!empty) { empty = document.createElement("div"); empty.className = "service"; box.prepend(empty); }
    empty.textContent = t("customer-empty");
  } else if (empty) {
    empty.remove();
  }
  if (atBottom) box.scrollTop = box.scrollHeight;
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

function renderCards(messages, customer) {
  const cards = $("cards");
  cards.replaceChildren();
  const photos = messages.filter((m) => m.from_bot && m.photo).map((m) => ({ ...m, chat: "bot" }))
    .concat(customer.filter((m) => m.photo).map((m) => ({ ...m, chat: "customer" })));
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
    card.dataset.chat = m.chat;
    const img = document.createElement("img");
    img.src = photoUrl(m.chat, m);
    const about = document.createElement("div");
    about.className = "about";
    if (m.chat === "customer") {
      const where = document.createElement("div");
      where.className = "where";
      where.textContent = t("in-customer-chat");
      about.append(where);
    }
    const what = document.createElement("div");
    what.className = "what";
    what.textContent = m.caption || "";
    about.append(what);
    const b = document.createElement("button");
    b.type = "button";
    b.className = "scan-btn";
    b.dataset.id = m.id;
    b.dataset.chat = m.chat;
    b.textContent = t("scan");
    b.onclick = async () => {
      try { await api("/api/bank/scan", { chat: m.chat, message_id: m.id }); poll(); }
      catch (e) { toast(e.message); }
    };
    card.append(img, about, b);
    cards.append(card);
  }
}

function renderScans(scans) {
  const box = $("scans");
  const typed = {};
  for (const input of box.querySelectorAll("input")) typed[input.dataset.chat + input.dataset.id] = input.value;
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
    el.dataset.chat = s.chat;
    const amount = document.createElement("div");
    amount.className = "amount";
    amount.textContent = s.amount ? `${s.amount} ${s.currency}` : t("no-amount");
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = `${s.merchant} · ${s.city} · ${t("to")} ${s.account}` + (s.bill ? ` · ${t("bill")} ${s.bill}` : "");
    const actions = document.createElement("div");
    actions.className = "actions";
    const act = (action, extra) => async () => {
      try { await api("/api/bank/act", { chat: s.chat, message_id: s.message_id, action, ...extra }); poll(); }
      catch (e) { toast(e.message); }
    };
    const pay = document.createElement("button");
    pay.type = "button";
    pay.className = "bank-pay";
    pay.textContent = t("pay");
    pay.onclick = act("pay");
    const other = document.createElement("input");
    other.dataset.id = s.message_id;
    other.dataset.chat = s.chat;
    other.value = typed[s.chat + s.message_id] ?? "";
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
  $("customer-input").placeholder = t("customer-placeholder");
  for (const b of document.querySelectorAll(".lang")) b.classList.toggle("on", b.dataset.lang === lang);
}

function render(state) {
  lastState = state;
  if (state.lang !== lang || state.bot_username !== botName) {
    lang = state.lang;
    botName = state.bot_username;
    applyLang();
  }
  renderChat("bot", state.messages);
  renderChat("customer", state.customer);
  renderPicker();
  renderMenu(state.commands);
  renderCards(state.messages, state.customer);
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
// --- Inline mode in the customer's chat, as a Telegram client does it ---------------------
// While the composer starts with "@<bot> ", every change of the text is one inline query
// (sent in order, one after another); the bot answers only the query that settled, and the
// picker above the composer shows its answer. Tapping a result sends it to this chat.

// The query in `text`, or null when the text is not addressed to the bot's inline mode.
function inlineQuery(text) {
  const prefix = "@" + botName + " ";
  return text.startsWith(prefix) ? text.slice(prefix.length) : null;
}

let sentQuery = null; // the last query sent (null: inline mode closed)
let inlineChain = Promise.resolve();

function keystroke() {
  const query = inlineQuery($("customer-input").value);
  renderPicker();
  if (query === sentQuery) return;
  sentQuery = query;
  inlineChain = inlineChain
    .then(() => api("/api/inline/query", { query }))
    .catch((e) => toast(e.message, "customer-toast"));
}

function closeInline() {
  $("customer-input").value = "";
  sentQuery = null;
  $("picker").hidden = true;
  $("picker").dataset.key = "";
}

// "Send to customer": the customer chat opens with "@bot <query>" in the composer.
function openInline(query) {
  const input = $("customer-input");
  input.value = "@" + botName + " " + query;
  input.focus();
  $("customer-phone").scrollIntoView({ block: "nearest" });
  keystroke();
}

function renderPicker() {
  const picker = $("picker");
  const query = inlineQuery($("customer-input").value);
  const typing = lastState && lastState.inline;
  if (query === null || !typing || typing.query !== query) {
    picker.hidden = query === null;
    picker.dataset.state = "waiting";
    if (query === null) picker.dataset.key = "";
    else if (picker.dataset.key !== "wait") {
      const wait = document.createElement("div");
      wait.className = "picker-wait";
      wait.textContent = "…";
      picker.replaceChildren(wait);
      picker.dataset.key = "wait";
    }
    return;
  }
  picker.hidden = false;
  picker.dataset.state = typing.answer ? "answered" : "waiting";
  const key = JSON.stringify(typing) + lang;
  if (picker.dataset.key === key) return;
  picker.dataset.key = key;
  picker.replaceChildren();
  if (!typing.answer) {
    const wait = document.createElement("div");
    wait.className = "picker-wait";
    wait.textContent = "…";
    picker.append(wait);
    return;
  }
  const { results, button } = typing.answer;
  if (button) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "picker-button";
    b.textContent = button.text;
    b.onclick = async () => {
      try {
        await api("/api/inline/start", { parameter: button.start_parameter || "" });
        closeInline();
        poll();
      } catch (e) { toast(e.message, "customer-toast"); }
    };
    picker.append(b);
  }
  for (const r of results) {
    const row = document.createElement("div");
    row.className = "picker-result";
    row.dataset.id = r.id;
    row.dataset.kind = r.kind;
    if (r.photo) {
      const img = document.createElement("img");
      img.src = `/api/file/${encodeURIComponent(r.photo)}`;
      img.alt = "KHQR";
      row.append(img);
    } else {
      const icon = document.createElement("div");
      icon.className = "icon";
      icon.textContent = "i";
      row.append(icon);
    }
    const words = document.createElement("div");
    const title = document.createElement("div");
    title.className = "title";
    title.textContent = r.title || "";
    const desc = document.createElement("div");
    desc.className = "desc";
    desc.textContent = r.description || "";
    words.append(title, desc);
    row.append(words);
    row.onclick = async () => {
      try {
        await api("/api/inline/choose", { query_id: typing.query_id, result_id: r.id });
        closeInline();
        poll();
      } catch (e) { toast(e.message, "customer-toast"); }
    };
    picker.append(row);
  }
}

$("customer-input").addEventListener("input", keystroke);
$("customer-composer").onsubmit = (ev) => {
  ev.preventDefault();
  const text = $("customer-input").value.trim();
  if (!text) return;
  toast(inlineQuery($("customer-input").value) === null ? t("customer-plain") : t("pick-result"), "customer-toast");
};
applyLang();
poll();
setInterval(poll, 700);
