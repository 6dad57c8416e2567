// The settings dialog: per-browser preferences (preferences.js), saved as they change.

import { openDialog } from "./dialog.js";
import { h, uniqueId } from "./dom.js";
import { notificationPermission, requestNotificationPermission } from "./notify.js";
import { FONT_SCALE, clampFontScale, preferences } from "./preferences.js";
import { playSound } from "./sounds.js";

function setting(label, help, control) {
  const labelId = uniqueId("mm-setting");
  const helpId = `${labelId}-help`;
  control.setAttribute?.("aria-labelledby", labelId);
  if (help) control.setAttribute?.("aria-describedby", helpId);
  return h(
    "div",
    { className: "mm-setting" },
    h("div", { className: "mm-setting__text" }, h("span", { id: labelId, className: "mm-setting__label" }, label), help ? h("span", { id: helpId, className: "mm-setting__help" }, help) : null),
    control,
  );
}

function toggle(key, onChange) {
  const input = h("input", { type: "checkbox", className: "mm-switch", checked: preferences.get(key), attrs: { role: "switch" }, dataset: { preference: key } });
  input.addEventListener("change", () => {
    preferences.set(key, input.checked);
    if (onChange) onChange(input.checked);
  });
  return input;
}

function choice(key, options, label) {
  const name = uniqueId("mm-choice");
  const group = h("div", { className: "mm-segmented", attrs: { role: "radiogroup", "aria-label": label }, dataset: { preference: key } });
  for (const [value, text] of options) {
    const input = h("input", { type: "radio", name, value, checked: preferences.get(key) === value });
    input.addEventListener("change", () => {
      if (input.checked) preferences.set(key, value);
    });
    group.append(h("label", {}, input, h("span", {}, text)));
  }
  return group;
}

const PERMISSION_HELP = {
  granted: "Shown for mentions, and for other messages while MiniMost is in the background.",
  default: "Your browser will ask for permission.",
  denied: "Blocked by the browser — allow notifications for this site in its settings to use them.",
  unsupported: "This browser cannot show notifications.",
};

export function openSettingsDialog() {
  const zoomOutput = h("output", {}, `${Math.round(preferences.get("fontScale") * 100)}%`);
  const zoomButton = (text, label, direction) => {
    const button = h("button", { type: "button", className: "mm-button mm-button--small", attrs: { "aria-label": label } }, text);
    button.addEventListener("click", () => {
      const next = direction === 0 ? 1 : clampFontScale(preferences.get("fontScale") + direction * FONT_SCALE.step);
      preferences.set("fontScale", next);
    });
    return button;
  };
  const zoom = h(
    "div",
    { className: "mm-zoom", attrs: { role: "group" } },
    zoomButton("A−", "Smaller text", -1),
    zoomOutput,
    zoomButton("A+", "Larger text", 1),
    zoomButton("Reset", "Default text size", 0),
  );

  const permissionHelp = h("span", { className: "mm-setting__help" });
  const showPermission = () => {
    permissionHelp.textContent = PERMISSION_HELP[notificationPermission()] || "";
  };
  const notifications = toggle("notifications", async (on) => {
    if (on && notificationPermission() === "default") await requestNotificationPermission();
    showPermission();
  });
  const notificationsRow = setting("Desktop notifications", null, notifications);
  notificationsRow.querySelector(".mm-setting__text").append(permissionHelp);
  notifications.setAttribute("aria-describedby", (permissionHelp.id = uniqueId("mm-permission")));
  showPermission();

  const content = h(
    "div",
    {},
    h(
      "section",
      { className: "mm-dialog-section" },
      h("h3", {}, "Appearance"),
      setting("Theme", "System follows your device's light or dark mode.", choice("theme", [["system", "System"], ["light", "Light"], ["dark", "Dark"]], "Theme")),
      setting("Text size", "Also Ctrl and + or −, Ctrl+0 to reset.", zoom),
    ),
    h(
      "section",
      { className: "mm-dialog-section" },
      h("h3", {}, "Composer"),
      setting(
        "Enter sends the message",
        "On: Enter sends, Shift+Enter starts a new line. Off: Enter starts a new line, Ctrl+Enter sends.",
        toggle("enterToSend"),
      ),
    ),
    h(
      "section",
      { className: "mm-dialog-section" },
      h("h3", {}, "Notifications"),
      notificationsRow,
      setting("Notify while I'm looking", "Also notify for new messages when MiniMost is in front.", toggle("notifyWhileFocused")),
      setting(
        "Sounds",
        "Message, mention and ringing sounds. Short call cues always play.",
        toggle("sounds", (on) => {
          if (on) playSound("message");
        }),
      ),
    ),
  );
  const stop = preferences.subscribe("fontScale", (value) => {
    zoomOutput.textContent = `${Math.round(value * 100)}%`;
  });
  return openDialog({ title: "Settings", content, onClose: stop, className: "mm-settings-dialog" });
}
