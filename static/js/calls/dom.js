// DOM builders for the call UI: user text only ever goes in as text nodes.

import { el, isTypingTarget } from "../dom.js";
import { userNamed } from "../chat/ui/people.js";

export { el };

/** A round face: the person's picture when they have one, else their initial. */
export function face(username, size = "md") {
  const initial = el("span", { className: "mm-call-face-initial", attrs: { "aria-hidden": "true" } }, (Array.from(username)[0] || "?").toUpperCase());
  const node = el("span", { className: `mm-call-face mm-call-face-${size}`, dataset: { user: username } }, initial);
  const picture = userNamed(username)?.avatar_url;
  if (picture) {
    const img = el("img", { className: "mm-call-face-img", alt: "", src: picture, attrs: { loading: "lazy" } });
    img.addEventListener("error", () => img.remove(), { once: true });
    node.append(img);
  }
  return node;
}

let toastBox = null;

/** A short message at the bottom of the screen (role=status), gone after a few seconds. */
export function toast(message, { ms = 5000 } = {}) {
  if (!toastBox || !toastBox.isConnected) {
    toastBox = el("div", { className: "mm-call-toasts", attrs: { role: "status", "aria-live": "polite" } });
    document.body.append(toastBox);
  }
  const item = el("div", { className: "mm-call-toast" }, message);
  toastBox.append(item);
  setTimeout(() => item.remove(), ms);
}

/** "a", "a and b", "a, b and 3 more". */
export function namesList(names, shown = 2) {
  if (names.length <= 1) return names.join("");
  if (names.length <= shown + 1 && names.length <= 3) {
    return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
  }
  return `${names.slice(0, shown).join(", ")} and ${names.length - shown} more`;
}

/** Whether a key press belongs to a text field (so single-letter shortcuts stay out). */
export function typingInField(event) {
  return isTypingTarget(event.target);
}
