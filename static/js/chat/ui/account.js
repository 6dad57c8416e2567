// The account dialog: presence, profile (name colour, bio), avatar, password
// and account deletion. The forms are the account screen's (templates/home.html),
// built here with the same markup and wired by the same module.

import { api } from "../../api.js";
import { wireAccount } from "../../account-forms.js";
import { enhancePasswordInput } from "../../password-field.js";
import { wirePasswordRules } from "../../password-rules.js";
import { openDialog } from "./dialog.js";
import { h, statusLine, uniqueId } from "./dom.js";

const PRESETS = [
  ["Red", "#e03e3e"], ["Orange", "#e8590c"], ["Amber", "#c27c0e"], ["Olive", "#7c8b10"],
  ["Green", "#2f9e44"], ["Teal", "#0c9488"], ["Cyan", "#0b8fb8"], ["Blue", "#3a7bf0"],
  ["Indigo", "#5b5fe0"], ["Violet", "#8b4fd8"], ["Magenta", "#c043b0"], ["Pink", "#e03a7a"],
];
const BIO_MAX = 160;
const RULES = [
  ["length", (min) => `At least ${min} characters`],
  ["upper", () => "An uppercase letter"],
  ["lower", () => "A lowercase letter"],
  ["digit", () => "A number"],
  ["special", () => "A special character, such as ! ? # %"],
];
const OVERRIDES = [
  ["", "Automatic"],
  ["active", "Online"],
  ["idle", "Away"],
  ["offline", "Offline"],
];

function passwordMinLength() {
  const value = Number.parseInt(document.querySelector('meta[name="password-min-length"]')?.content || "", 10);
  return Number.isFinite(value) && value >= 15 ? value : 15;
}

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

const avatar = (size) => h("span", { className: `mm-avatar mm-avatar--${size}`, attrs: { "aria-hidden": "true" }, dataset: { avatar: "" } });
const status = () => h("div", { className: "mm-status", attrs: { "aria-live": "polite" }, dataset: { status: "" } });
const card = (id, title, help, ...body) => {
  const titleId = uniqueId("mm-account-title");
  return h(
    "section",
    { className: "mm-dialog-section", id, attrs: { "aria-labelledby": titleId } },
    h("h3", { id: titleId }, title),
    help ? h("p", { className: "mm-muted mm-small mm-account-help" }, help) : null,
    ...body,
  );
};
const field = (label, input, ...extra) => h("div", { className: "mm-field" }, h("label", { className: "mm-label", htmlFor: input.id }, label), input, ...extra);

function presenceSection(me) {
  const line = statusLine();
  const name = uniqueId("mm-override");
  const group = h("div", { className: "mm-segmented", attrs: { role: "radiogroup", "aria-label": "Show me as" } });
  const radios = OVERRIDES.map(([value, label]) => {
    const input = h("input", { type: "radio", name, value });
    input.addEventListener("change", async () => {
      if (!input.checked) return;
      line.clear();
      try {
        await api("PUT", "/api/presence/override", { override: value || null });
      } catch (error) {
        line.show("error", error.message);
      }
    });
    group.append(h("label", {}, input, h("span", {}, label)));
    return input;
  });
  api("GET", "/api/presence/override").then(
    (answer) => {
      for (const radio of radios) radio.checked = radio.value === (answer.override || "");
    },
    (error) => line.show("error", error.message),
  );
  const signOut = h(
    "form",
    { method: "post", action: "/logout", className: "mm-account-signout" },
    h("input", { type: "hidden", name: "csrf_token", value: csrfToken() }),
    h("button", { type: "submit", className: "mm-button mm-button--secondary mm-button--small" }, "Sign out"),
  );
  return h(
    "section",
    { className: "mm-dialog-section mm-account-summary" },
    h(
      "div",
      { className: "mm-account-summary__who" },
      avatar("md"),
      h("div", {}, h("strong", { className: "mm-name", dataset: { userName: "" } }, me.username), h("p", { className: "mm-muted mm-small" }, "Show me as")),
      signOut,
    ),
    group,
    line.element,
  );
}

function profileForm(me) {
  const color = (me.name_color || "").toLowerCase();
  const bio = h("textarea", { className: "mm-input", id: "bio", name: "bio", rows: 3, maxLength: BIO_MAX, value: me.bio || "", attrs: { "aria-describedby": "bio-help bio-count" } });
  return h(
    "form",
    { className: "mm-form", id: "profile-form" },
    h(
      "fieldset",
      { className: "mm-fieldset mm-form", disabled: true, dataset: { needsJs: "" } },
      h(
        "div",
        { className: "mm-profile-preview" },
        avatar("md"),
        h(
          "div",
          { className: "mm-profile-preview__text" },
          h("p", { className: "mm-profile-preview__line" }, h("strong", { className: "mm-name", dataset: { userName: "", namePreview: "" } }, me.username), " ", h("span", { className: "mm-muted mm-small", attrs: { "aria-hidden": "true" } }, "just now")),
          h("p", { className: "mm-profile-preview__bio", dataset: { bioPreview: "", emptyText: "No bio yet." } }, me.bio || "No bio yet."),
        ),
      ),
      h(
        "fieldset",
        { className: "mm-fieldset mm-field" },
        h("legend", { className: "mm-label" }, "Name colour"),
        h(
          "div",
          { className: "mm-color-row" },
          h("input", { className: "mm-color-input", type: "color", id: "name-color", name: "name_color", value: color || "#3a7bf0", attrs: { "aria-describedby": "name-color-value" } }),
          h("label", { className: "mm-small", htmlFor: "name-color" }, "Custom colour"),
          h("span", { className: "mm-color-value mm-mono mm-small", id: "name-color-value", attrs: { "aria-live": "polite" } }, color || "Default"),
          h("button", { className: "mm-button mm-button--secondary mm-button--small mm-color-reset", type: "button", id: "name-color-reset" }, "Reset to default"),
        ),
        h(
          "div",
          { className: "mm-swatches", attrs: { role: "group", "aria-label": "Preset colours" } },
          PRESETS.map(([label, value]) =>
            h("button", { className: `mm-swatch mm-swatch--${label.toLowerCase()}`, type: "button", dataset: { color: value }, attrs: { "aria-label": label, "aria-pressed": String(value === color) } }),
          ),
        ),
      ),
      h(
        "div",
        { className: "mm-field" },
        h("label", { className: "mm-label", htmlFor: "bio" }, "Bio"),
        bio,
        h(
          "div",
          { className: "mm-field-footer" },
          h("p", { className: "mm-help", id: "bio-help" }, "A line about you, shown with your name."),
          h("p", { className: "mm-counter mm-small", id: "bio-count", dataset: { bioCount: "" } }, h("span", { dataset: { count: "" } }, String((me.bio || "").length)), `/${BIO_MAX}`),
        ),
        h("p", { className: "mm-visually-hidden", attrs: { "aria-live": "polite" }, dataset: { bioAnnounce: "" } }),
      ),
      h("div", { className: "mm-actions" }, h("button", { className: "mm-button mm-button--primary", type: "submit", id: "profile-save" }, "Save profile")),
    ),
    status(),
  );
}

function avatarForm(me) {
  const file = h("input", { className: "mm-file-input", type: "file", id: "avatar-file", name: "avatar", accept: "image/*", attrs: { "aria-describedby": "avatar-help" } });
  return h(
    "form",
    { className: "mm-form", id: "avatar-form" },
    h(
      "fieldset",
      { className: "mm-fieldset", disabled: true, dataset: { needsJs: "" } },
      h(
        "div",
        { className: "mm-avatar-editor" },
        avatar("lg"),
        h(
          "div",
          { className: "mm-stack mm-stack--sm mm-avatar-editor__controls" },
          h("p", { className: "mm-small", dataset: { avatarDescription: "" } }),
          field("Choose an image", file, h("p", { className: "mm-help", id: "avatar-help" }, "JPEG, PNG, GIF or WebP; it is cropped to a square")),
          h(
            "div",
            { className: "mm-actions" },
            h("button", { className: "mm-button mm-button--primary", type: "submit", id: "avatar-upload" }, "Upload"),
            h("button", { className: "mm-button mm-button--secondary", type: "button", id: "avatar-remove", hidden: !me.avatar_url }, "Remove avatar"),
          ),
        ),
      ),
    ),
    status(),
  );
}

function passwordForm(me) {
  const min = passwordMinLength();
  const current = h("input", { className: "mm-input", type: "password", id: "current_password", name: "current_password", autocomplete: "current-password", maxLength: 1024, required: true });
  const next = h("input", { className: "mm-input", type: "password", id: "new_password", name: "new_password", autocomplete: "new-password", minLength: min, maxLength: 1024, required: true, attrs: { "aria-describedby": "new_password-rules" }, dataset: { passwordNew: "" } });
  const confirm = h("input", { className: "mm-input", type: "password", id: "confirm_password", name: "confirm_password", autocomplete: "new-password", maxLength: 1024, required: true, attrs: { "aria-describedby": "confirm_password-match" }, dataset: { passwordConfirm: "" } });
  const rules = h(
    "ul",
    { className: "mm-checklist", id: "new_password-rules", attrs: { "aria-label": "Password requirements", "aria-live": "polite" }, dataset: { passwordRules: "", minLength: String(min) } },
    RULES.map(([rule, text]) => h("li", { dataset: { rule }, attrs: { "aria-atomic": "true" } }, text(min), h("span", { className: "mm-visually-hidden", dataset: { ruleState: "" } }))),
  );
  return h(
    "form",
    { className: "mm-form", id: "password-form", dataset: { passwordForm: "" } },
    h(
      "fieldset",
      { className: "mm-fieldset mm-form", disabled: true, dataset: { needsJs: "" } },
      h("input", { type: "text", autocomplete: "username", value: me.username, hidden: true }),
      field("Current password", current),
      h("div", { className: "mm-field mm-password-field" }, h("label", { className: "mm-label", htmlFor: "new_password" }, "New password"), next, rules),
      h("div", { className: "mm-field mm-password-field" }, h("label", { className: "mm-label", htmlFor: "confirm_password" }, "Confirm new password"), confirm, h("p", { className: "mm-match", id: "confirm_password-match", attrs: { "aria-live": "polite" }, dataset: { passwordMatch: "" } })),
      h("div", { className: "mm-actions" }, h("button", { className: "mm-button mm-button--primary", type: "submit", id: "password-submit" }, "Change password")),
    ),
    status(),
  );
}

function deleteForm(me) {
  const choice = (value, title, help, checked) =>
    h(
      "label",
      { className: "mm-choice" },
      h("input", { type: "radio", name: "mode", value, id: `delete-mode-${value}`, checked }),
      h("span", { className: "mm-choice__body" }, h("span", { className: "mm-choice__title" }, title), h("span", { className: "mm-help" }, help)),
    );
  const password = h("input", { className: "mm-input", type: "password", id: "delete-password", name: "password", autocomplete: "current-password", maxLength: 1024, required: true, attrs: { "aria-describedby": "delete-password-error" } });
  return h(
    "form",
    { className: "mm-form", id: "delete-form" },
    h(
      "fieldset",
      { className: "mm-fieldset mm-form", disabled: true, dataset: { needsJs: "" } },
      h("input", { type: "text", autocomplete: "username", value: me.username, hidden: true }),
      h(
        "fieldset",
        { className: "mm-fieldset mm-field" },
        h("legend", { className: "mm-label" }, "What happens to your messages"),
        h(
          "div",
          { className: "mm-choices" },
          choice("soft", "Keep them (soft delete)", "Your account goes, but your messages stay, shown as Deleted User.", true),
          choice("hard", "Remove them too (hard delete)", "Your account goes, and your messages and reactions are removed.", false),
        ),
      ),
      field("Your password", password, h("p", { className: "mm-field-error", id: "delete-password-error", dataset: { fieldError: "" } })),
      h(
        "div",
        { className: "mm-alert mm-alert--warning", id: "delete-confirm", hidden: true, attrs: { role: "alert" } },
        h("strong", { className: "mm-alert__title" }, "This cannot be undone."),
        h("p", { dataset: { deleteConsequence: "" } }),
        h("p", {}, "Type your password and press “Delete my account” again."),
      ),
      h(
        "div",
        { className: "mm-actions" },
        h("button", { className: "mm-button mm-button--danger", type: "submit", id: "delete-submit" }, "Delete my account"),
        h("button", { className: "mm-button mm-button--secondary", type: "button", id: "delete-cancel", hidden: true }, "Cancel"),
      ),
    ),
    status(),
  );
}

/** Open the account dialog for the signed-in user. */
export async function openAccountDialog(ctx) {
  const me = await api("GET", "/api/account");
  const content = h(
    "div",
    { className: "mm-account-dialog__content" },
    presenceSection(me),
    card("profile-section", "Profile", "Your name colour and bio, as others see them in chat.", profileForm(me)),
    card("avatar-section", "Avatar", "The picture next to your name.", avatarForm(me)),
    card("password-section", "Password", "You stay signed in on this device after changing it.", passwordForm(me)),
    card("danger-zone", "Danger zone", "Delete your account. This signs you out and removes your profile, avatar and settings for good.", deleteForm(me)),
  );
  const dialog = openDialog({ title: "Your account", content, size: "lg", className: "mm-account-dialog" });
  wireAccount(dialog.element, { username: me.username, nameColor: me.name_color, avatarUrl: me.avatar_url }, { scope: dialog.element });
  for (const input of dialog.element.querySelectorAll('input[type="password"]')) enhancePasswordInput(input);
  wirePasswordRules(dialog.element.querySelector("#password-form"));
  return dialog;
}
