// Desktop notifications for new messages (reference §9.6, adapted).
//
// * Off when the "notifications" preference is off or the browser's permission
//   is not granted. Permission is asked once, on the first press of a key or
//   pointer while it is still "default" (browsers refuse to ask without one),
//   or from Settings.
// * While the user is looking at MiniMost (tab visible and focused), only
//   mentions notify — unless "notify while focused" is on.
// * One notification per channel at a time (tag), replaced by the next one.
// * A click focuses the tab and runs onClick (open the channel).

import { preferences } from "./preferences.js";

const ICON = "/static/img/icon-192.png";
const BODY_CHARS = 140;

export function notificationsSupported() {
  return "Notification" in window;
}

export function notificationPermission() {
  return notificationsSupported() ? Notification.permission : "unsupported";
}

/** Ask the browser for permission (must run inside a user gesture). */
export async function requestNotificationPermission() {
  if (!notificationsSupported()) return "unsupported";
  if (Notification.permission !== "default") return Notification.permission;
  try {
    return await Notification.requestPermission();
  } catch {
    return Notification.permission;
  }
}

function askOnFirstGesture() {
  const ask = () => {
    window.removeEventListener("pointerdown", ask, true);
    window.removeEventListener("keydown", ask, true);
    if (preferences.get("notifications") && notificationPermission() === "default") {
      requestNotificationPermission();
    }
  };
  window.addEventListener("pointerdown", ask, true);
  window.addEventListener("keydown", ask, true);
}
askOnFirstGesture();

export function pageIsActive() {
  return document.visibilityState === "visible" && document.hasFocus();
}

function bodyOf(message) {
  const text = (message.content || "").replace(/\s+/g, " ").trim();
  if (!text) return message.files?.length || message.attachments?.length ? "[attachment]" : "";
  return text.length > BODY_CHARS ? `${text.slice(0, BODY_CHARS - 1)}…` : text;
}

/**
 * Show a desktop notification for `message` if the rules allow it.
 * @returns {Notification|null} the notification shown, if any
 */
export function notifyMessage(message, { channelLabel = "", mention = false, onClick } = {}) {
  if (!preferences.get("notifications") || notificationPermission() !== "granted") return null;
  if (pageIsActive() && !mention && !preferences.get("notifyWhileFocused")) return null;
  const sender = message.sender || "Someone";
  const title = mention ? `${sender} mentioned you` : channelLabel ? `${sender} in ${channelLabel}` : sender;
  try {
    const notification = new Notification(title, {
      body: bodyOf(message),
      icon: ICON,
      badge: ICON,
      tag: `minimost:${message.channel || "message"}`,
      renotify: true,
      data: { channel: message.channel, id: message.id },
    });
    notification.addEventListener("click", () => {
      window.focus();
      notification.close();
      if (onClick) onClick();
    });
    return notification;
  } catch {
    // Some platforms (Android) only allow notifications through the service worker.
    navigator.serviceWorker?.ready
      .then((registration) =>
        registration.showNotification(title, {
          body: bodyOf(message),
          icon: ICON,
          tag: `minimost:${message.channel || "message"}`,
          renotify: true,
          data: { channel: message.channel, id: message.id },
        }),
      )
      .catch(() => {});
    return null;
  }
}
