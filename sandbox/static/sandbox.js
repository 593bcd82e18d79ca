// The sandbox page: each person's chat with the bot, side by side. What the bot sends arrives as
// server-sent events (/api/events); what a person does is a POST of JSON. No build step.
"use strict";

const state = { bot: "", timezone: "UTC", offset: 0, people: new Map(), menus: {}, keyboards: {} };
const $ = (selector, root = document) => root.querySelector(selector);
const DEFAULT_VISIBLE = 5;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

async function post(path, body) {
  // The bot is "typing" from the moment someone acts until it has answered (the "typing" event).
  if (body.person && path !== "/api/people" && column(body.person)) column(body.person).dataset.busy = "1";
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({ error: response.statusText }));
  $("#status").textContent = answer.error || "";
  return answer;
}

// ---- time ----

function formatTime(iso, withDay) {
  const options = withDay
    ? { weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" }
    : { hour: "2-digit", minute: "2-digit" };
  return new Intl.DateTimeFormat("en-GB", { ...options, timeZone: state.timezone }).format(new Date(iso));
}

function setClock(iso) {
  state.offset = new Date(iso).getTime() - Date.now();
  tick();
}

function tick() {
  const now = new Date(Date.now() + state.offset).toISOString();
  $("#now").textContent = `${formatTime(now, true)} (${state.timezone})`;
  $("#now").dataset.now = now;
}

// ---- text with Telegram's entities (offsets in UTF-16 code units, as JavaScript strings count) ----

const TAGS = { bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code", pre: "pre",
  blockquote: "blockquote", expandable_blockquote: "blockquote" };

function detected(text, entities) {
  // Telegram links URLs and /commands that the sender did not mark; so does the page.
  const found = [];
  const taken = (start, end) => entities.some((e) => start < e.offset + e.length && e.offset < end);
  for (const match of text.matchAll(/https?:\/\/[^\s<>"]+[^\s<>".,;:!?)]|(?<![\w/])\/[a-z0-9_]{1,32}\b/gi)) {
    const start = match.index, end = start + match[0].length;
    if (!taken(start, end)) found.push({ type: match[0].startsWith("/") ? "bot_command" : "url", offset: start, length: match[0].length });
  }
  return found;
}

function deepLinkPayload(url) {
  const match = /^https?:\/\/t\.me\/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]*)$/.exec(url);
  return match ? match[2] : null;
}

function entityNode(entity, text) {
  const inner = text.slice(entity.offset, entity.offset + entity.length);
  if (entity.type === "text_link" || entity.type === "url") return link(entity.url || inner);
  if (entity.type === "bot_command") return el("a", { href: "#", class: "command", "data-command": inner });
  if (entity.type === "spoiler") return el("span", { class: "spoiler", onclick: (e) => e.currentTarget.classList.add("shown") });
  return el(TAGS[entity.type] || "span", { class: entity.type });
}

function link(url) {
  const payload = deepLinkPayload(url);
  if (payload !== null) return el("a", { href: url, class: "deeplink", "data-payload": payload, title: "Open as someone at the table" });
  return el("a", { href: url, target: "_blank", rel: "noopener" });
}

function renderText(text, entities) {
  const all = [...(entities || []), ...detected(text, entities || [])]
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  const root = document.createDocumentFragment();
  const stack = [{ node: root, end: Infinity }];
  let position = 0;
  const flush = (upTo) => {
    if (upTo > position) stack[stack.length - 1].node.append(text.slice(position, upTo));
    position = Math.max(position, upTo);
  };
  const closeUntil = (at) => {
    while (stack.length > 1 && stack[stack.length - 1].end <= at) {
      flush(stack[stack.length - 1].end);
      stack.pop();
    }
  };
  for (const entity of all) {
    closeUntil(entity.offset);
    flush(entity.offset);
    const node = entityNode(entity, text);
    stack[stack.length - 1].node.append(node);
    stack.push({ node, end: Math.min(entity.offset + entity.length, stack[stack.length - 1].end) });
  }
  closeUntil(Infinity);
  flush(text.length);
  return root;
}

// ---- chats ----

function column(personId) {
  return $(`.chat[data-person="${personId}"]`);
}

function addPerson(person, visible) {
  state.people.set(person.id, person);
  const toggle = el("input", { type: "checkbox", onchange: (e) => { column(person.id).hidden = !e.target.checked; } });
  toggle.checked = visible;
  $("#people").append(el("label", { "data-person": person.id }, toggle, `${person.name} · ${person.role} · ${person.language}`));
  const input = el("input", { name: "text", placeholder: `Message as ${person.name}`, autocomplete: "off" });
  const menu = el("div", { class: "menu", hidden: "" });
  const form = el("form", { onsubmit: (e) => {
      e.preventDefault();
      if (input.value.trim()) post("/api/say", { person: person.id, text: input.value });
      input.value = "";
    } },
    el("button", { type: "button", class: "menu-button", title: "Commands", onclick: () => toggleMenu(person.id) }, "☰"),
    input, el("button", { type: "submit" }, "Send"), menu);
  const chat = el("section", { class: "chat", "data-person": person.id },
    el("h2", {}, el("span", { class: "avatar" }, person.name.slice(0, 1)), person.name,
      el("small", {}, `${person.role} · ${person.language}`), el("em", { class: "typing" }, "HomeDemo is typing…")),
    el("div", { class: "messages" }), el("div", { class: "reply-keyboard", hidden: "" }), form);
  chat.hidden = !visible;
  chat.dataset.busy = "0";
  $("#chats").append(chat);
}

function reveal(personId) {
  const chat = column(personId);
  chat.hidden = false;
  $(`#people label[data-person="${personId}"] input`).checked = true;
  chat.scrollIntoView({ block: "nearest", inline: "nearest" });
}

function toggleMenu(personId) {
  const menu = $(".menu", column(personId));
  const commands = state.menus[personId] || [];
  menu.replaceChildren(...commands.map((c) => el("button", { type: "button", onclick: () => {
    menu.hidden = true;
    post("/api/say", { person: personId, text: `/${c.command}` });
  } }, el("b", {}, `/${c.command}`), c.description)));
  if (!commands.length) menu.append(el("button", { type: "button", disabled: "" }, "No commands yet: send /start"));
  menu.hidden = !menu.hidden;
}

function bubble(item) {
  const node = el("div", { class: `msg ${item.sender === "me" ? "me" : "bot"}`, "data-item": item.id });
  if (item.message_id) node.dataset.messageId = item.message_id;
  fill(node, item);
  return node;
}

function fill(node, item) {
  node.replaceChildren();
  if (item.kind === "photo") node.append(el("img", { src: `/api/files/${item.id}`, alt: item.filename || "photo" }));
  if (item.kind === "document") {
    node.append(el("div", { class: "file" },
      el("a", { href: `/api/files/${item.id}`, download: item.filename || "file" }, item.filename || "file")));
  }
  node.append(renderText(item.text || "", item.entities));
  node.append(el("span", { class: "at" }, formatTime(item.at)));
}

function keyboardOf(item, personId) {
  const box = el("div", { class: "inline", "data-for": item.message_id });
  for (const row of item.buttons || []) {
    box.append(el("div", { class: "row" }, ...row.map((button) => el("button", { type: "button", onclick: () => {
      if (button.callback_data) post("/api/press", { person: personId, message_id: item.message_id, data: button.callback_data });
      else if (button.url) openUrl(button.url);
    } }, button.text))));
  }
  return box;
}

function showItem(item) {
  const chat = column(item.chat);
  if (!chat) return;
  const messages = $(".messages", chat);
  if (item.kind === "edit") {
    const old = $(`.msg[data-message-id="${item.message_id}"]`, messages);
    if (old) {
      const kept = state.items.get(Number(old.dataset.item));
      fill(old, { ...kept, text: item.text, entities: item.entities, at: kept.at });
      old.classList.add("edited");
      const keyboard = $(`.inline[data-for="${item.message_id}"]`, messages);
      const fresh = keyboardOf(item, item.chat);
      if (keyboard) keyboard.replaceWith(fresh); else old.after(fresh);
    }
  } else if (item.kind === "toast" || item.kind === "alert") {
    messages.append(el("div", { class: `notice ${item.kind}` }, item.text));
  } else {
    state.items.set(item.id, item);
    messages.append(bubble(item));
    if (item.buttons && item.buttons.length) messages.append(keyboardOf(item, item.chat));
  }
  if (item.sender === "bot" && item.kind !== "edit") showKeyboard(item.chat, item.keyboard);
  messages.scrollTop = messages.scrollHeight;
}

function showKeyboard(personId, rows) {
  const box = $(".reply-keyboard", column(personId));
  box.hidden = !rows;
  box.replaceChildren(...(rows || []).map((row) => el("div", { class: "row" },
    ...row.map((text) => el("button", { type: "button", onclick: () => post("/api/say", { person: personId, text }) }, text)))));
}

// ---- links: a deep link opens in the chat of the person you pick ----

function openUrl(url) {
  const payload = deepLinkPayload(url);
  if (payload === null) { window.open(url, "_blank", "noopener"); return; }
  const picker = $("#link-picker");
  $("#link-shown").textContent = url;
  $("#link-people").replaceChildren(...[...state.people.values()].map((person) =>
    el("button", { value: person.id, "data-person": person.id }, `${person.name} (${person.role})`)));
  picker.onclose = () => {
    const chosen = Number(picker.returnValue);
    if (!chosen) return;
    reveal(chosen);
    post("/api/open", { person: chosen, payload });
  };
  picker.returnValue = "";
  picker.showModal();
}

document.addEventListener("click", (event) => {
  const target = event.target.closest("a.deeplink, a.command");
  if (!target) return;
  event.preventDefault();
  if (target.classList.contains("command")) {
    const personId = Number(target.closest(".chat").dataset.person);
    post("/api/say", { person: personId, text: target.dataset.command });
  } else openUrl(target.href);
});

// ---- the whole state, then what happens ----

function load(snapshot) {
  state.bot = snapshot.bot;
  state.timezone = snapshot.timezone;
  state.menus = snapshot.menus;
  state.items = new Map();
  state.people.clear();
  $("#people").replaceChildren();
  $("#chats").replaceChildren();
  snapshot.people.forEach((person, index) => addPerson(person, index < DEFAULT_VISIBLE));
  setClock(snapshot.now);
  for (const item of snapshot.items) showItem(item);
  for (const [chat, rows] of Object.entries(snapshot.keyboards)) if (column(chat)) showKeyboard(chat, rows);
  document.body.dataset.ready = "yes";
}

function connect() {
  const events = new EventSource("/api/events");
  events.addEventListener("state", (e) => load(JSON.parse(e.data)));
  events.addEventListener("item", (e) => showItem(JSON.parse(e.data)));
  events.addEventListener("person", (e) => { const p = JSON.parse(e.data); addPerson(p, true); reveal(p.id); });
  events.addEventListener("typing", (e) => {
    const typing = JSON.parse(e.data);
    if (column(typing.person)) column(typing.person).dataset.busy = typing.busy ? "1" : "0";
  });
  events.addEventListener("clock", (e) => setClock(JSON.parse(e.data).now));
  events.addEventListener("menus", (e) => { state.menus = JSON.parse(e.data); });
}

document.addEventListener("DOMContentLoaded", () => {
  connect();
  setInterval(tick, 1000);
  for (const button of document.querySelectorAll("[data-move]")) {
    button.addEventListener("click", async () => {
      document.querySelectorAll("[data-move]").forEach((b) => { b.disabled = true; });
      try {
        const answer = await post("/api/clock", { move: button.dataset.move });
        if (answer.result) setClock(answer.result.now);
      } finally {
        document.querySelectorAll("[data-move]").forEach((b) => { b.disabled = false; });
      }
    });
  }
  $("#add-person").addEventListener("submit", (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const name = form.elements.namedItem("name");
    post("/api/people", { name: name.value, language: form.elements.namedItem("language").value });
    name.value = "";
  });
});
