// The composer: sending (Enter or Ctrl+Enter per preference), formatting, code blocks,
// emoji, files (button, paste, drop), per-channel drafts, the character counter, the
// reply banner, @ autocomplete, ↑ to edit my last message, and typing notices.

import { api } from "../api.js";
import { directory } from "./directory.js";
import { el, humanSize, toast } from "./dom.js";
import { editMessage, ownEditable, setComposerHooks } from "./messages.js";
import { outbox } from "./outbox.js";
import { panels } from "./panels.js";
import { previewText, senderLabel } from "./render.js";
import { channelKind, state } from "./state.js";

const LANGUAGES = [
  ["", "Plain text"], ["python", "Python"], ["javascript", "JavaScript"], ["typescript", "TypeScript"],
  ["c", "C"], ["cpp", "C++"], ["java", "Java"], ["go", "Go"], ["rust", "Rust"], ["bash", "Bash / Shell"],
  ["makefile", "Makefile"], ["cmake", "CMake"], ["groovy", "Groovy"], ["vhdl", "VHDL"], ["verilog", "Verilog"],
  ["html", "HTML"], ["xml", "XML"], ["json", "JSON"], ["yaml", "YAML"], ["sql", "SQL"],
];
const TYPING_EVERY_MS = 2000;
const DRAFT_PREFIX = "minimost:draft:";

let config = { maxChars: 10000, maxUploadMb: 25 };
let input;
let staged = []; // File objects waiting to be sent with the next message
let replyTo = null; // the message being replied to
let lastTypingSent = 0;
let enterToSend = true;
let mention = null; // {start, query, items, index}
let shownChannel = null; // the conversation the composer was last set up for

// ------------------------------------------------------------------ drafts

function draftKey(channel) {
  return `${DRAFT_PREFIX}${state.me.username}:${channel}`;
}

function saveDraft() {
  const channel = state.currentChannel;
  if (!channel) return;
  try {
    if (input.value || replyTo) localStorage.setItem(draftKey(channel), JSON.stringify({ text: input.value, replyTo: replyTo ? { id: replyTo.id, sender: replyTo.sender, content: replyTo.content, content_type: replyTo.content_type, file: replyTo.file } : null }));
    else localStorage.removeItem(draftKey(channel));
  } catch {
    /* storage full or disabled: the draft lives only in the box */
  }
}

function restoreDraft(channel) {
  let draft = null;
  try {
    draft = JSON.parse(localStorage.getItem(draftKey(channel)) || "null");
  } catch {
    draft = null;
  }
  input.value = draft?.text || "";
  setReply(draft?.replyTo || null, { focus: false, save: false });
  resize();
  refresh();
}

// ------------------------------------------------------------------ UI bits

function resize() {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, window.innerHeight * 0.4)}px`;
}

function refresh() {
  const length = input.value.length;
  const counter = document.getElementById("char-count");
  const over = length > config.maxChars;
  if (length >= config.maxChars * 0.9) {
    counter.textContent = `${length.toLocaleString()} / ${config.maxChars.toLocaleString()}`;
    counter.classList.toggle("is-over", over);
  } else {
    counter.textContent = "";
    counter.classList.remove("is-over");
  }
  const empty = !input.value.trim() && !staged.length;
  document.getElementById("send-button").disabled = empty || over;
}

function placeholderFor(channel) {
  const entry = state.channel(channel);
  if (!entry) return "Write a message…";
  if (entry.kind === "public") return `Message #${entry.label}`;
  if (entry.kind === "private") return `Message ${entry.label}`;
  return `Message @${entry.label}`;
}

function updateHint() {
  document.getElementById("composer-hint").textContent = enterToSend
    ? "Enter to send · Shift+Enter for a new line · ↑ edits your last message"
    : "Ctrl+Enter to send · Enter for a new line · ↑ edits your last message";
}

function setReply(message, { focus = true, save = true } = {}) {
  replyTo = message;
  const banner = document.getElementById("reply-banner");
  if (!message) {
    banner.hidden = true;
  } else {
    document.getElementById("reply-text").replaceChildren(
      el("span", { className: "mm-composer__reply-label" }, "Replying to "),
      el("strong", {}, senderLabel(message)),
      el("span", { className: "mm-composer__reply-preview" }, `: ${previewText(message, 80)}`),
    );
    banner.hidden = false;
  }
  if (save) saveDraft();
  if (focus) input.focus();
}

function renderStaged() {
  const list = document.getElementById("staged-files");
  list.hidden = !staged.length;
  list.replaceChildren(
    ...staged.map((file, index) => {
      const remove = el("button", { type: "button", className: "mm-staged__remove", attrs: { "aria-label": `Remove ${file.name}` }, on: { click: () => unstage(index) } }, "×");
      const thumb = file.type.startsWith("image/")
        ? el("img", { className: "mm-staged__thumb", src: URL.createObjectURL(file), alt: "" })
        : el("span", { className: "mm-staged__icon", attrs: { "aria-hidden": "true" } }, (file.name.split(".").pop() || "").slice(0, 4).toUpperCase() || "FILE");
      return el("li", { className: "mm-staged" }, thumb, el("span", { className: "mm-staged__text" }, el("span", { className: "mm-staged__name" }, file.name), el("span", { className: "mm-staged__size" }, humanSize(file.size))), remove);
    }),
  );
  refresh();
}

function stage(files) {
  for (const file of files) {
    if (file.size > config.maxUploadMb * 1024 * 1024) {
      toast(`"${file.name}" exceeds the ${config.maxUploadMb} MB upload limit.`, "error");
      continue;
    }
    staged.push(file);
  }
  renderStaged();
}

function unstage(index) {
  staged.splice(index, 1);
  renderStaged();
  input.focus();
}

// ------------------------------------------------------------------ editing text

function replaceSelection(before, after = "", placeholder = "") {
  const { selectionStart: start, selectionEnd: end, value } = input;
  const selected = value.slice(start, end) || placeholder;
  input.setRangeText(`${before}${selected}${after}`, start, end, "end");
  if (start === end && placeholder) {
    input.setSelectionRange(start + before.length, start + before.length + selected.length);
  } else if (start === end) {
    input.setSelectionRange(start + before.length, start + before.length);
  }
  input.focus();
  input.dispatchEvent(new Event("input"));
}

function prefixLines(prefix) {
  const { selectionStart: start, selectionEnd: end, value } = input;
  const lineStart = value.lastIndexOf("\n", start - 1) + 1;
  const block = value.slice(lineStart, end);
  const changed = block.split("\n").map((line) => `${prefix}${line}`).join("\n");
  input.setRangeText(changed, lineStart, end, "end");
  input.focus();
  input.dispatchEvent(new Event("input"));
}

function format(kind) {
  switch (kind) {
    case "bold":
      return replaceSelection("**", "**", "bold");
    case "italic":
      return replaceSelection("*", "*", "italic");
    case "strike":
      return replaceSelection("~~", "~~", "struck");
    case "code":
      return replaceSelection("`", "`", "code");
    case "link": {
      const selected = input.value.slice(input.selectionStart, input.selectionEnd);
      if (/^https?:\/\//.test(selected)) return replaceSelection("[link](", ")");
      return replaceSelection("[", "](https://)", "text");
    }
    case "quote":
      return prefixLines("> ");
    case "list":
      return prefixLines("- ");
    default:
      return undefined;
  }
}

function insertCodeBlock(language) {
  const { selectionStart: start, value } = input;
  const needsBreak = start > 0 && value[start - 1] !== "\n" ? "\n" : "";
  replaceSelection(`${needsBreak}\`\`\`${language}\n`, "\n```\n", "");
}

// ------------------------------------------------------------------ code-block picker

function openCodePicker() {
  const picker = document.getElementById("code-picker");
  const search = document.getElementById("code-picker-search");
  const button = document.getElementById("code-block-button");
  picker.hidden = false;
  button.setAttribute("aria-expanded", "true");
  search.value = "";
  renderCodeList("");
  search.focus();
}

function closeCodePicker(refocus = true) {
  const picker = document.getElementById("code-picker");
  if (picker.hidden) return;
  picker.hidden = true;
  document.getElementById("code-block-button").setAttribute("aria-expanded", "false");
  if (refocus) input.focus();
}

let codeIndex = 0;
function codeMatches(query) {
  const q = query.trim().toLowerCase();
  return LANGUAGES.filter(([tag, label]) => !q || label.toLowerCase().includes(q) || tag.includes(q));
}

function renderCodeList(query) {
  const list = document.getElementById("code-picker-list");
  const matches = codeMatches(query);
  codeIndex = Math.min(codeIndex, Math.max(0, matches.length - 1));
  list.replaceChildren(
    ...matches.map(([tag, label], index) =>
      el(
        "li",
        {
          className: "mm-option",
          id: `code-lang-${tag || "plain"}`,
          attrs: { role: "option", "aria-selected": index === codeIndex ? "true" : "false" },
          on: {
            mousedown: (event) => event.preventDefault(),
            click: () => {
              closeCodePicker();
              insertCodeBlock(tag);
            },
          },
        },
        label,
      ),
    ),
  );
  const search = document.getElementById("code-picker-search");
  const active = matches[codeIndex];
  if (active) search.setAttribute("aria-activedescendant", `code-lang-${active[0] || "plain"}`);
}

function wireCodePicker() {
  const search = document.getElementById("code-picker-search");
  document.getElementById("code-block-button").addEventListener("click", () => {
    if (document.getElementById("code-picker").hidden) openCodePicker();
    else closeCodePicker();
  });
  search.addEventListener("input", () => {
    codeIndex = 0;
    renderCodeList(search.value);
  });
  search.addEventListener("keydown", (event) => {
    const matches = codeMatches(search.value);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      codeIndex = (codeIndex + (event.key === "ArrowDown" ? 1 : -1) + matches.length) % Math.max(1, matches.length);
      renderCodeList(search.value);
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      const chosen = matches[codeIndex];
      closeCodePicker();
      if (chosen) insertCodeBlock(chosen[0]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      closeCodePicker();
    }
  });
  search.addEventListener("blur", () => setTimeout(() => {
    if (!document.getElementById("code-picker").contains(document.activeElement)) closeCodePicker(false);
  }, 0));
}

// ------------------------------------------------------------------ @ autocomplete

let usersCache = null;
async function everyoneNames() {
  if (!usersCache) usersCache = directory.names().length ? directory.names() : (await api("GET", "/api/users")).users.map((u) => u.username);
  return usersCache;
}
directory.onChange((kind) => {
  if (kind !== "presence") usersCache = null;
});

async function candidatesFor(channel) {
  const entry = state.channel(channel);
  const kind = channelKind(channel);
  let names;
  if (kind === "public") names = await everyoneNames();
  else names = entry?.members || [];
  names = names.filter((name) => name !== state.me.username);
  const everyone = kind !== "dm" || (entry?.members?.length || 0) > 2;
  return { names, everyone };
}

function closeMentions() {
  mention = null;
  const list = document.getElementById("mention-list");
  list.hidden = true;
  list.replaceChildren();
  input.removeAttribute("aria-activedescendant");
  input.setAttribute("aria-expanded", "false");
}

function renderMentionList() {
  const list = document.getElementById("mention-list");
  if (!mention || !mention.items.length) {
    closeMentions();
    return;
  }
  list.hidden = false;
  input.setAttribute("aria-expanded", "true");
  list.replaceChildren(
    ...mention.items.map((item, index) =>
      el(
        "li",
        {
          className: "mm-option mm-mention-option",
          id: `mention-option-${index}`,
          attrs: { role: "option", "aria-selected": index === mention.index ? "true" : "false" },
          on: {
            mousedown: (event) => event.preventDefault(),
            click: () => acceptMention(index),
          },
        },
        el("span", { className: "mm-mention-option__name" }, `@${item.name}`),
        item.hint ? el("span", { className: "mm-mention-option__hint" }, item.hint) : null,
      ),
    ),
  );
  input.setAttribute("aria-activedescendant", `mention-option-${mention.index}`);
}

function rank(name, query) {
  const lower = name.toLowerCase();
  if (!query) return 1;
  if (lower.startsWith(query)) return 3;
  if (lower.includes(query)) return 2;
  let at = 0;
  for (const char of query) {
    at = lower.indexOf(char, at);
    if (at < 0) return 0;
    at += 1;
  }
  return 1;
}

async function updateMentions() {
  const caret = input.selectionStart;
  const before = input.value.slice(0, caret);
  const match = /(^|[^\w@/])@([A-Za-z0-9_-]{0,32})$/.exec(before);
  if (!match) {
    closeMentions();
    return;
  }
  const query = match[2].toLowerCase();
  const start = caret - match[2].length - 1;
  const { names, everyone } = await candidatesFor(state.currentChannel);
  const items = names
    .map((name) => ({ name, score: rank(name, query) }))
    .filter((item) => item.score > 0)
    .sort((a, b) => b.score - a.score || a.name.localeCompare(b.name))
    .slice(0, 8)
    .map(({ name }) => ({ name, hint: "" }));
  if (everyone && rank("everyone", query) > 0) items.push({ name: "everyone", hint: "Notify everyone here" });
  mention = { start, query, items, index: 0 };
  renderMentionList();
}

function acceptMention(index) {
  if (!mention) return;
  const item = mention.items[index];
  const end = input.selectionStart;
  input.setRangeText(`@${item.name} `, mention.start, end, "end");
  closeMentions();
  input.focus();
  input.dispatchEvent(new Event("input"));
}

// ------------------------------------------------------------------ sending

function send() {
  const channel = state.currentChannel;
  if (state.mentionsOpen) return;
  const text = input.value.replace(/\s+$/, "");
  if (!text.trim() && !staged.length) return;
  // Only to the conversation this composer is showing, and only one the app knows:
  // never somewhere else in its place.
  if (!channel || channel !== shownChannel || !state.channel(channel)) {
    toast("This conversation isn't open yet, so nothing was sent. Your message is still in the box.", "error");
    return;
  }
  if (text.length > config.maxChars) {
    toast(`Messages can be at most ${config.maxChars.toLocaleString()} characters.`, "error");
    return;
  }
  outbox.send({ channel, content: text.trim() ? text : "", files: staged, replyTo: replyTo ? replyTo.id : null, sender: state.me.username });
  input.value = "";
  staged = [];
  renderStaged();
  setReply(null, { focus: true, save: false });
  closeMentions();
  resize();
  refresh();
  try {
    localStorage.removeItem(draftKey(channel));
  } catch {
    /* nothing stored */
  }
}

function sendTyping() {
  const now = Date.now();
  if (now - lastTypingSent < TYPING_EVERY_MS || !input.value) return;
  lastTypingSent = now;
  ctxConnection?.send({ type: "typing", channel: state.currentChannel });
}

// ------------------------------------------------------------------ keys

const SHORTCUTS = {
  "ctrl+b": "bold",
  "ctrl+i": "italic",
  "ctrl+e": "code",
  "ctrl+shift+x": "strike",
  "ctrl+shift+u": "link",
  "ctrl+shift+9": "quote",
};

function onKeyDown(event) {
  if (mention && !document.getElementById("mention-list").hidden) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const size = mention.items.length;
      mention.index = (mention.index + (event.key === "ArrowDown" ? 1 : -1) + size) % size;
      renderMentionList();
      return;
    }
    if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") {
      event.preventDefault();
      acceptMention(mention.index);
      return;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      closeMentions();
      return;
    }
  }
  const ctrl = event.ctrlKey || event.metaKey;
  const combo = `${ctrl ? "ctrl+" : ""}${event.shiftKey && ctrl ? "shift+" : ""}${event.code.startsWith("Digit") ? event.code.slice(5) : event.key.toLowerCase()}`;
  if (SHORTCUTS[combo]) {
    event.preventDefault();
    format(SHORTCUTS[combo]);
    return;
  }
  if (event.key === "Enter" && !event.isComposing) {
    const sends = enterToSend ? !event.shiftKey && !ctrl : ctrl;
    if (sends) {
      event.preventDefault();
      send();
    }
    return;
  }
  if (event.key === "ArrowUp" && !input.value && !event.shiftKey && !ctrl && !event.altKey) {
    const mine = ownEditable();
    if (mine.length) {
      event.preventDefault();
      editMessage(mine[mine.length - 1]);
    }
    return;
  }
  if (event.key === "Escape") {
    if (replyTo) {
      event.preventDefault();
      event.stopPropagation();
      setReply(null);
    } else {
      input.blur();
    }
  }
}

// ------------------------------------------------------------------ mounting

let ctxConnection = null;

function showFor(channel) {
  shownChannel = channel;
  input.placeholder = placeholderFor(channel);
  document.getElementById("composer-label").textContent = placeholderFor(channel);
  staged = [];
  renderStaged();
  closeMentions();
  closeCodePicker(false);
  restoreDraft(channel);
}

export function mountComposer(connection, options) {
  config = { ...config, ...options };
  ctxConnection = connection;
  input = document.getElementById("composer-input");
  const form = document.getElementById("composer");
  const box = document.getElementById("composer-box");
  const dropZone = document.getElementById("drop-zone");
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-expanded", "false");

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  input.addEventListener("keydown", onKeyDown);
  input.addEventListener("input", () => {
    resize();
    refresh();
    saveDraft();
    sendTyping();
    updateMentions();
  });
  input.addEventListener("click", () => updateMentions());
  input.addEventListener("blur", () => setTimeout(() => {
    if (document.activeElement !== input) closeMentions();
  }, 0));
  input.addEventListener("paste", (event) => {
    const files = [...(event.clipboardData?.files || [])];
    if (files.length) {
      event.preventDefault();
      stage(files);
    }
  });
  for (const button of document.querySelectorAll("[data-format]")) {
    button.addEventListener("click", () => format(button.dataset.format));
  }
  wireCodePicker();
  const fileInput = document.getElementById("file-input");
  document.getElementById("attach-button").addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    stage([...fileInput.files]);
    fileInput.value = "";
    input.focus();
  });
  document.getElementById("reply-cancel").addEventListener("click", () => setReply(null));
  document.getElementById("emoji-button").addEventListener("click", async (event) => {
    const anchor = event.currentTarget;
    const ui = await panels();
    if (!ui?.openEmojiPicker) return;
    ui.openEmojiPicker({
      anchor,
      mode: "insert",
      onPick: ({ emoji }) => {
        input.setRangeText(emoji, input.selectionStart, input.selectionEnd, "end");
        input.dispatchEvent(new Event("input"));
      },
    });
  });

  // Drag and drop anywhere over the composer or the message list.
  let dragDepth = 0;
  const main = document.getElementById("main");
  main.addEventListener("dragenter", (event) => {
    if (![...(event.dataTransfer?.types || [])].includes("Files") || form.hidden) return;
    dragDepth += 1;
    dropZone.hidden = false;
    box.classList.add("is-dropping");
  });
  main.addEventListener("dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) {
      dropZone.hidden = true;
      box.classList.remove("is-dropping");
    }
  });
  main.addEventListener("dragover", (event) => {
    if ([...(event.dataTransfer?.types || [])].includes("Files")) event.preventDefault();
  });
  main.addEventListener("drop", (event) => {
    if (!event.dataTransfer?.files?.length) return;
    event.preventDefault();
    dragDepth = 0;
    dropZone.hidden = true;
    box.classList.remove("is-dropping");
    stage([...event.dataTransfer.files]);
    input.focus();
  });

  setComposerHooks({
    reply: (message) => setReply(message),
    focus: () => input.focus(),
  });
  state.subscribe("channel", showFor);
  state.subscribe("channels", () => {
    if (state.currentChannel) input.placeholder = placeholderFor(state.currentChannel);
  });
  state.subscribe("view", () => {
    document.getElementById("composer").hidden = state.mentionsOpen;
  });
  panels().then((ui) => {
    if (!ui?.preferences) return;
    enterToSend = ui.preferences.get("enterToSend") !== false;
    updateHint();
    ui.preferences.subscribe("enterToSend", (value) => {
      enterToSend = value !== false;
      updateHint();
    });
  });
  updateHint();
  refresh();
}

export function focusComposer() {
  if (!document.getElementById("composer").hidden) input.focus();
}
