// DOM helpers for the app shell. User text only ever goes in as text nodes;
// the one exception is a message's server-sanitised `html`, parsed by fromHtml().

import { el } from "../dom.js";

export { el };

/** The server's sanitised message HTML as a fragment (the only HTML string the client parses). */
export function fromHtml(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  return template.content;
}

export function timeOf(epochSeconds) {
  return new Date(epochSeconds * 1000).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
}

export function fullTimeOf(epochSeconds) {
  return new Date(epochSeconds * 1000).toLocaleString([], { dateStyle: "full", timeStyle: "short" });
}

export function dayKey(epochSeconds) {
  return new Date(epochSeconds * 1000).toDateString();
}

/** "Today", "Yesterday", or "Monday, March 3, 2025". */
export function dayLabel(epochSeconds) {
  const date = new Date(epochSeconds * 1000);
  const today = new Date();
  const yesterday = new Date(today);
  yesterday.setDate(today.getDate() - 1);
  if (date.toDateString() === today.toDateString()) return "Today";
  if (date.toDateString() === yesterday.toDateString()) return "Yesterday";
  return date.toLocaleDateString([], { weekday: "long", month: "long", day: "numeric", year: "numeric" });
}

/** A stable colour for a name without a chosen colour (hue from a string hash). */
export function defaultNameColor(name) {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)) | 0;
  return `hsl(${Math.abs(hash) % 360} 62% 58%)`;
}

export function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}

export function humanSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

let toastTimer = null;
/** A short message in the corner (role=status). */
export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const item = el("div", { className: `mm-toast mm-toast--${kind}` }, message);
  box.append(item);
  while (box.children.length > 3) box.firstElementChild.remove();
  clearTimeout(toastTimer);
  setTimeout(() => item.remove(), 5000);
}

export function prefersReducedMotion() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}
