// Building one message's DOM. The message body is the server's sanitised `html`;
// everything else (names, times, file names, reactions, previews) is text nodes.

import { api } from "../api.js";
import { avatarOf, directory } from "./directory.js";
import { el, fromHtml, fullTimeOf, humanSize, timeOf } from "./dom.js";
import { mentionsMe, state } from "./state.js";

const TEXT_FILE = /\.(txt|md|markdown|rst|log|csv|tsv|json|ya?ml|toml|ini|cfg|conf|xml|html?|css|scss|js|mjs|cjs|ts|tsx|jsx|py|pyi|rb|php|java|kt|go|rs|c|h|cc|cpp|hpp|cs|swift|sh|bash|zsh|ps1|bat|sql|gradle|groovy|cmake|mk|vhdl?|v|sv|lua|pl|r|dockerfile|diff|patch)$|(^|\/)(Makefile|GNUmakefile|Dockerfile|Jenkinsfile[^/]*|CMakeLists\.txt)$/i;
const EMOJI_ONLY = /^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Regional_Indicator}|\u200d|\ufe0f|\s){1,24}$/u;
const FILE_PREVIEW_BYTES = 6000;
const FILE_PREVIEW_LINES = 14;

export function isSystem(message) {
  return message.content_type === "system" || message.sender === "system";
}

export function senderLabel(message) {
  return isSystem(message) ? "MiniMost" : message.sender;
}

/** A one-line plain preview of a message (for replies, banners and notifications). */
export function previewText(message, limit = 100) {
  if (!message) return "[unavailable]";
  if (message.deleted) return "[deleted message]";
  const text = (message.content || "").replace(/```[\w-]*\n?/g, "").replace(/[*_~`>#]/g, "").replace(/\s+/g, " ").trim();
  if (!text) return message.file ? `📎 ${message.file.name}` : "[no text]";
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

// ------------------------------------------------------------------ reactions

let reactionNames = null; // Map name -> {name, label, emoji}, from the panels when they are there

export function useReactionNames(map) {
  reactionNames = map;
}

export function emojiFor(name) {
  return reactionNames?.get(name)?.emoji || `:${name}:`;
}

function reactionLabel(name) {
  return reactionNames?.get(name)?.label || name.replace(/_/g, " ");
}

export function reactionsRow(message, { onToggle, onAdd }) {
  const me = state.me.username;
  const row = el("div", { className: "mm-reactions", attrs: { role: "group", "aria-label": "Reactions" } });
  for (const reaction of message.reactions || []) {
    const mine = reaction.users.includes(me);
    const names = reaction.users.map((name) => (name === me ? "you" : name));
    const who = `${names.join(", ")} reacted with ${reactionLabel(reaction.name)}`;
    row.append(
      el(
        "button",
        {
          type: "button",
          className: `mm-reaction${mine ? " is-mine" : ""}`,
          title: who,
          attrs: { "aria-pressed": mine ? "true" : "false", "aria-label": `${reactionLabel(reaction.name)}: ${reaction.count}. ${who}` },
          dataset: { reaction: reaction.name },
          on: { click: () => onToggle(reaction.name, !mine) },
        },
        el("span", { className: "mm-reaction__emoji", attrs: { "aria-hidden": "true" } }, emojiFor(reaction.name)),
        el("span", { className: "mm-reaction__count", attrs: { "aria-hidden": "true" } }, String(reaction.count)),
      ),
    );
  }
  if (row.childElementCount) {
    row.append(
      el(
        "button",
        { type: "button", className: "mm-reaction mm-reaction--add", title: "Add reaction", attrs: { "aria-label": "Add reaction" }, on: { click: (event) => onAdd(event.currentTarget) } },
        el("span", { attrs: { "aria-hidden": "true" } }, "☺+"),
      ),
    );
  }
  return row;
}

// ------------------------------------------------------------------ mentions in text

/** Wrap @name (known people) and @everyone in the body's text nodes with a highlight. */
function markMentions(root) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      return node.parentElement?.closest("code, pre, a") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
    },
  });
  const nodes = [];
  while (walker.nextNode()) if (walker.currentNode.nodeValue.includes("@")) nodes.push(walker.currentNode);
  const pattern = /(^|[^\w@/])@([A-Za-z0-9_-]+)/g;
  for (const node of nodes) {
    const text = node.nodeValue;
    const pieces = [];
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      const name = match[2];
      const everyone = name.toLowerCase() === "everyone";
      const known = everyone || directory.known(name) || name === state.me.username;
      if (!known) continue;
      const start = match.index + match[1].length;
      pieces.push(text.slice(last, start));
      const me = everyone || name === state.me.username;
      pieces.push(el("span", { className: `mm-mention${me ? " mm-mention--me" : ""}` }, `@${name}`));
      last = start + name.length + 1;
    }
    if (!pieces.length) continue;
    pieces.push(text.slice(last));
    node.replaceWith(...pieces.map((piece) => (typeof piece === "string" ? document.createTextNode(piece) : piece)));
  }
}

function guardLinks(root) {
  for (const link of root.querySelectorAll("a[href]")) {
    const href = link.getAttribute("href") || "";
    if (!/^(https?:|mailto:|\/|#)/i.test(href)) link.removeAttribute("href");
    else {
      link.target = "_blank";
      link.rel = "noopener noreferrer";
    }
  }
}

export function bodyOf(message) {
  const body = el("div", { className: "mm-msg__text mm-markdown" });
  if (message.html) {
    body.append(fromHtml(message.html));
    guardLinks(body);
    markMentions(body);
  } else if (message.content) {
    body.append(message.content);
  }
  if (message.content && EMOJI_ONLY.test(message.content.trim()) && /\p{Extended_Pictographic}/u.test(message.content)) {
    body.classList.add("is-emoji-only");
  }
  return body;
}

// ------------------------------------------------------------------ files and previews

export function attachmentOf(message) {
  const file = message.file;
  if (!file) return null;
  if (file.image) {
    const img = el("img", { className: "mm-attachment__image", src: file.url, alt: `Image from ${message.sender}`, loading: "lazy", decoding: "async" });
    img.addEventListener(
      "error",
      () => img.closest(".mm-attachment")?.replaceWith(el("p", { className: "mm-attachment mm-attachment--gone" }, "🖼 This image is no longer available")),
      { once: true },
    );
    return el(
      "a",
      { className: "mm-attachment mm-attachment--image", href: file.url, target: "_blank", rel: "noopener", attrs: { "aria-label": `Open the image from ${message.sender} in a new tab` } },
      img,
    );
  }
  const extension = (file.name.split(".").pop() || "").slice(0, 4).toUpperCase();
  const hint = el("span", { className: "mm-file-chip__hint" }, "Download");
  const chip = el(
    "a",
    { className: "mm-attachment mm-file-chip", href: file.url, download: file.name, attrs: { "aria-label": `Download ${file.name}` } },
    el("span", { className: "mm-file-chip__icon", attrs: { "aria-hidden": "true" } }, extension || "FILE"),
    el("span", { className: "mm-file-chip__text" }, el("span", { className: "mm-file-chip__name" }, file.name), hint),
  );
  showFileSize(file, chip, hint);
  return chip;
}

/** The file's size beside its name, from a HEAD request (the message does not carry it). */
async function showFileSize(file, chip, hint) {
  try {
    const response = await fetch(file.url, { method: "HEAD", credentials: "same-origin" });
    const length = Number(response.headers.get("Content-Length"));
    if (!response.ok || !Number.isFinite(length) || length <= 0) return;
    const size = humanSize(length);
    hint.textContent = `${size} · Download`;
    chip.setAttribute("aria-label", `Download ${file.name}, ${size}`);
  } catch {
    // The chip still downloads; only the size is missing.
  }
}

function codeCard(preview, title, download = null) {
  const first = preview.first_line_num || 1;
  const lines = (preview.code || "").split("\n");
  const pre = el("pre", { className: "mm-code-preview__code", attrs: { tabindex: "0", "aria-label": `Preview of ${title}` } });
  lines.forEach((line, index) => {
    const number = first + index;
    const highlighted = preview.highlight_start && number >= preview.highlight_start && number <= (preview.highlight_end || preview.highlight_start);
    pre.append(
      el(
        "span",
        { className: `mm-code-line${highlighted ? " is-highlighted" : ""}` },
        el("span", { className: "mm-code-line__number", attrs: { "aria-hidden": "true" } }, String(number)),
        `${line}\n`,
      ),
    );
  });
  const header = el("div", { className: "mm-code-preview__header" });
  if (preview.url) header.append(el("a", { href: preview.url, target: "_blank", rel: "noopener noreferrer" }, title));
  else header.append(el("span", {}, title));
  if (preview.total_lines) header.append(el("span", { className: "mm-code-preview__meta" }, `${preview.total_lines} lines`));
  if (download) header.append(el("a", { className: "mm-code-preview__download", href: download.url, download: download.name, attrs: { "aria-label": `Download ${download.name}` } }, "Download"));
  return el("figure", { className: "mm-code-preview" }, header, pre);
}

function ogCard(preview) {
  const card = el("a", { className: "mm-link-card", href: preview.url, target: "_blank", rel: "noopener noreferrer" });
  const text = el(
    "span",
    { className: "mm-link-card__text" },
    el("span", { className: "mm-link-card__site" }, preview.site_name || preview.domain || ""),
    el("span", { className: "mm-link-card__title" }, preview.title || preview.url),
  );
  if (preview.description) text.append(el("span", { className: "mm-link-card__description" }, preview.description));
  card.append(text);
  if (preview.image && preview.image.startsWith("/")) {
    const img = el("img", { className: "mm-link-card__image", src: preview.image, alt: "", loading: "lazy" });
    img.addEventListener("error", () => img.remove(), { once: true });
    card.append(img);
  }
  return card;
}

async function quietJson(path) {
  try {
    return await api("GET", path);
  } catch {
    return null;
  }
}

/** The first lines of an uploaded text file, read with a range request. */
async function fileHead(url) {
  try {
    const response = await fetch(url, { headers: { Range: `bytes=0-${FILE_PREVIEW_BYTES - 1}` }, credentials: "same-origin" });
    if (!response.ok) return null;
    const text = await response.text();
    if (text.includes("\u0000")) return null;
    const lines = text.split("\n");
    const complete = response.status === 200 || lines.length > 1;
    const shown = (complete ? lines : lines).slice(0, FILE_PREVIEW_LINES);
    return { code: shown.join("\n"), first_line_num: 1 };
  } catch {
    return null;
  }
}

/** Fill a message's preview slot: the first link's card, else a text file's first lines. */
export async function loadPreview(message, slot) {
  if (slot.dataset.loaded) return;
  slot.dataset.loaded = "true";
  const link = slot.closest(".mm-msg")?.querySelector(".mm-msg__text a[href^='http']");
  if (link) {
    const answer = await quietJson(`/api/previews?url=${encodeURIComponent(link.href)}`);
    const preview = answer?.preview;
    if (!preview) return;
    slot.replaceChildren(preview.type === "code" ? codeCard(preview, preview.filepath || preview.filename || preview.url) : ogCard(preview));
    return;
  }
  const file = message.file;
  if (!file || file.image || !TEXT_FILE.test(file.name)) return;
  const stored = file.url.split("/").pop();
  const answer = await quietJson(`/api/previews/files/${encodeURIComponent(stored)}`);
  const preview = answer?.preview || (await fileHead(file.url));
  if (!preview) return;
  // The card's header carries the download link, so the plain file chip goes.
  slot.closest(".mm-msg")?.querySelector(".mm-file-chip")?.remove();
  slot.replaceChildren(codeCard(preview, file.name, file));
}

// ------------------------------------------------------------------ the message

function actionButton(label, glyph, action, extra = {}) {
  return el(
    "button",
    { type: "button", className: "mm-msg-action", title: label, attrs: { "aria-label": label, ...extra }, dataset: { action } },
    el("span", { attrs: { "aria-hidden": "true" } }, glyph),
  );
}

/**
 * Build a message element.
 * @param message the API's message object
 * @param view {pinnedBy(id), replyTarget(id) -> message|null|undefined, onAction(kind, message, element, extra)}
 */
export function buildMessage(message, view) {
  if (isSystem(message)) {
    return el(
      "div",
      { className: "mm-notice", id: `msg-${message.id}`, dataset: { id: String(message.id), kind: "notice" }, attrs: { tabindex: "-1" } },
      el("span", { className: "mm-notice__icon", attrs: { "aria-hidden": "true" } }, "ℹ"),
      el("span", { className: "mm-notice__text" }, message.content || ""),
      el("time", { className: "mm-notice__time", dateTime: new Date(message.ts * 1000).toISOString(), title: fullTimeOf(message.ts) }, timeOf(message.ts)),
    );
  }
  const me = state.me.username;
  const own = message.sender === me;
  const pinnedBy = view.pinnedBy(message.id);
  const article = el("article", {
    className: "mm-msg",
    id: `msg-${message.id}`,
    dataset: { id: String(message.id), sender: message.sender, ts: String(message.ts) },
    attrs: { tabindex: "-1", "aria-labelledby": `msg-${message.id}-sender`, "aria-describedby": `msg-${message.id}-body` },
  });
  if (own) article.classList.add("is-own");
  if (mentionsMe(message)) article.classList.add("is-mentioned");
  if (pinnedBy) article.classList.add("is-pinned");

  const name = el("span", { className: "mm-msg__sender", id: `msg-${message.id}-sender` }, message.sender);
  name.style.color = directory.color(message.sender);
  const header = el(
    "header",
    { className: "mm-msg__header" },
    name,
    el("time", { className: "mm-msg__time", dateTime: new Date(message.ts * 1000).toISOString(), title: fullTimeOf(message.ts) }, timeOf(message.ts)),
  );
  if (message.edited) {
    header.append(el("span", { className: "mm-msg__edited", title: message.edited_ts ? `Edited ${fullTimeOf(message.edited_ts)}` : "Edited" }, "(edited)"));
  }
  if (pinnedBy) header.append(el("span", { className: "mm-msg__pinned", title: `Pinned by ${pinnedBy}` }, `📌 Pinned by ${pinnedBy}`));

  const content = el("div", { className: "mm-msg__content" }, header);
  if (message.reply_to) {
    const target = view.replyTarget(message.reply_to);
    const quote = el(
      "button",
      { type: "button", className: "mm-msg__quote", dataset: { replyTo: String(message.reply_to) }, attrs: { "aria-label": "Go to the message this replies to" } },
      el("span", { className: "mm-msg__quote-sender" }, target ? senderLabel(target) : "…"),
      el("span", { className: "mm-msg__quote-text" }, target === undefined ? "Loading…" : previewText(target)),
    );
    quote.addEventListener("click", () => view.onAction("jump-reply", message, article));
    content.append(quote);
  }
  const body = bodyOf(message);
  body.id = `msg-${message.id}-body`;
  if (message.html || message.content) content.append(body);
  const attachment = attachmentOf(message);
  if (attachment) content.append(attachment);
  content.append(el("div", { className: "mm-msg__preview" }));
  content.append(
    reactionsRow(message, {
      onToggle: (reaction, add) => view.onAction("toggle-reaction", message, article, { reaction, add }),
      onAdd: (anchor) => view.onAction("react", message, article, { anchor }),
    }),
  );
  content.append(el("p", { className: "mm-msg__receipt", attrs: { "aria-live": "off" } }));

  const actions = el(
    "div",
    { className: "mm-msg__actions", attrs: { role: "toolbar", "aria-label": `Actions for ${message.sender}'s message` } },
    actionButton("Add reaction", "☺", "react"),
    actionButton("Reply", "↩", "reply"),
    actionButton(pinnedBy ? "Unpin" : "Pin", "📌", "pin", { "aria-pressed": pinnedBy ? "true" : "false" }),
  );
  if (own && !message.file) actions.append(actionButton("Edit", "✎", "edit"));
  if (own) actions.append(actionButton("Delete", "🗑", "delete"));
  actions.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (button) view.onAction(button.dataset.action, message, article, { anchor: button });
  });

  article.append(el("div", { className: "mm-msg__gutter" }, avatarOf(message.sender), el("span", { className: "mm-msg__gutter-time", attrs: { "aria-hidden": "true" } }, timeOf(message.ts))), content, actions);
  return article;
}

/** A message still on its way: the text as typed, a status and retry/discard when it failed. */
export function buildPending(record, { onRetry, onDiscard }) {
  const article = el("article", {
    className: "mm-msg is-own is-pending",
    id: `pending-${record.clientId}`,
    dataset: { clientId: record.clientId, sender: record.sender, ts: String(record.ts) },
    attrs: { "aria-busy": "true" },
  });
  const name = el("span", { className: "mm-msg__sender" }, record.sender);
  name.style.color = directory.color(record.sender);
  const status = el("span", { className: "mm-msg__status" });
  const content = el("div", { className: "mm-msg__content" }, el("header", { className: "mm-msg__header" }, name, status));
  if (record.content) content.append(el("div", { className: "mm-msg__text mm-msg__text--plain" }, record.content));
  for (const file of record.files) content.append(el("p", { className: "mm-file-chip mm-file-chip--pending" }, `📎 ${file.name}`));
  const controls = el(
    "div",
    { className: "mm-msg__failed", hidden: true },
    el("button", { type: "button", className: "mm-button mm-button--secondary mm-button--small", on: { click: () => onRetry(record.clientId) } }, "Retry"),
    el("button", { type: "button", className: "mm-button mm-button--ghost mm-button--small", on: { click: () => onDiscard(record.clientId) } }, "Discard"),
  );
  content.append(controls);
  article.append(el("div", { className: "mm-msg__gutter" }, avatarOf(record.sender)), content);
  updatePending(article, record);
  return article;
}

export function updatePending(article, record) {
  const status = article.querySelector(".mm-msg__status");
  const controls = article.querySelector(".mm-msg__failed");
  article.classList.toggle("is-failed", record.status === "failed");
  if (record.status === "failed") {
    status.textContent = `Not sent: ${record.error}`;
    controls.hidden = false;
  } else if (record.status === "retrying") {
    status.textContent = record.error
      ? `Not sent yet: ${record.error} (will retry)`
      : "Waiting for the connection… (will retry)";
    controls.hidden = false;
  } else {
    status.textContent = "Sending…";
    controls.hidden = true;
  }
}
