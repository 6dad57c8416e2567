// The account forms — profile, avatar, password and account deletion over the
// JSON API in /api/account* — shared by the account screen (account.js, forms
// rendered by templates/home.html) and the chat app's account dialog
// (chat/ui/account.js, the same markup built in the browser).
//
//   wireAccount(root, {username, nameColor, avatarUrl}, {scope})
//
// wires every form found in `root` and enables its <fieldset data-needs-js>.
// Avatars ([data-avatar]) and names ([data-user-name]) anywhere in `scope`
// (default: the whole page) follow the saved account. User-provided text only
// ever reaches the page through textContent.

import { api, ApiError } from "./api.js";

const HEX_COLOR = /^#[0-9a-f]{6}$/i;
const BIO_MAX = 160;
const DELETE_CONSEQUENCE = {
  soft: "Your account will be deleted. Your messages stay, shown as Deleted User.",
  hard: "Your account will be deleted, and your messages and reactions will be removed.",
};

// ---------------------------------------------------------------- helpers

export function normalizeColor(value) {
  return typeof value === "string" && HEX_COLOR.test(value) ? value.toLowerCase() : null;
}

function luminance(hex) {
  const channel = (i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** Text colour for an initial on `hex`: white while it keeps 3:1 (large
    bold text), otherwise near-black. */
export function inkFor(hex) {
  return 1.05 / (luminance(hex) + 0.05) >= 3 ? "#ffffff" : "#111418";
}

/** The computed text colour of `el` as #rrggbb (null if it can't be read). */
function textColorHex(el) {
  const match = getComputedStyle(el).color.match(/rgba?\((\d+)[,\s]+(\d+)[,\s]+(\d+)/);
  if (!match) return null;
  return `#${match.slice(1, 4).map((n) => Number(n).toString(16).padStart(2, "0")).join("")}`;
}

export function errorMessage(error) {
  if (error instanceof ApiError) return error.message;
  console.error(error);
  return "Something went wrong. Please try again.";
}

/** Replace a section's status with an mm-alert (role=alert for errors). */
export function showStatus(form, kind, message) {
  const box = form.querySelector("[data-status]");
  if (!box) return;
  box.replaceChildren();
  if (!message) return;
  const alert = document.createElement("div");
  alert.className = `mm-alert mm-alert--${kind}`;
  alert.setAttribute("role", kind === "error" ? "alert" : "status");
  const text = document.createElement("p");
  text.textContent = message;
  alert.append(text);
  box.append(alert);
}

/** Run `task` with `button` marked busy (aria-busy, disabled, busy label). */
export async function withBusy(button, busyLabel, task) {
  const label = button.textContent;
  const hadFocus = document.activeElement === button;
  button.setAttribute("aria-busy", "true");
  button.disabled = true;
  button.textContent = busyLabel;
  try {
    return await task();
  } finally {
    button.removeAttribute("aria-busy");
    button.disabled = false;
    button.textContent = label;
    if (hadFocus && (document.activeElement === document.body || !document.activeElement)) {
      button.focus();
    }
    button.form?.dispatchEvent(new Event("password-rules:refresh"));
  }
}

export function setInvalid(input, invalid) {
  if (invalid) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

// ------------------------------------------------------ avatar and name colour

/** Draw one [data-avatar]: the picture, or the initial on the name colour. */
export function renderAvatar(el, { username, avatarUrl, color }) {
  if (color) {
    el.style.setProperty("--mm-avatar-tint", color);
    el.style.setProperty("--mm-avatar-ink", inkFor(color));
  } else {
    el.style.removeProperty("--mm-avatar-tint");
    el.style.removeProperty("--mm-avatar-ink");
  }
  const current = el.querySelector("img");
  if (avatarUrl && current && current.getAttribute("src") === avatarUrl) return;

  const initial = () => {
    const span = document.createElement("span");
    span.className = "mm-avatar__initial";
    span.textContent = (Array.from(username)[0] || "?").toUpperCase();
    return span;
  };
  if (avatarUrl) {
    const img = document.createElement("img");
    img.className = "mm-avatar__img";
    img.alt = "";
    img.addEventListener("error", () => img.replaceWith(initial()), { once: true });
    img.src = avatarUrl;
    el.replaceChildren(img);
  } else {
    el.replaceChildren(initial());
  }
}

export function paintName(el, color) {
  if (color) el.style.color = color;
  else el.style.removeProperty("color");
}

/** Bring every avatar and name on the page in line with the saved account. */
function applyAccount(state, scope) {
  for (const el of scope.querySelectorAll("[data-avatar]")) {
    renderAvatar(el, { username: state.username, avatarUrl: state.avatarUrl, color: state.nameColor });
  }
  for (const el of scope.querySelectorAll("[data-user-name]")) paintName(el, state.nameColor);
}

// ------------------------------------------------------------------- profile

function wireProfile(root, state, scope) {
  const form = root.querySelector("#profile-form");
  if (!form) return;
  const colorInput = form.querySelector("#name-color");
  const colorValue = form.querySelector("#name-color-value");
  const resetButton = form.querySelector("#name-color-reset");
  const swatches = Array.from(form.querySelectorAll(".mm-swatch[data-color]"));
  const bio = form.querySelector("#bio");
  const count = form.querySelector("[data-bio-count] [data-count]");
  const announce = form.querySelector("[data-bio-announce]");
  const bioPreview = form.querySelector("[data-bio-preview]");
  const namePreview = form.querySelector("[data-name-preview]");
  const avatarPreview = form.querySelector(".mm-profile-preview [data-avatar]");
  const saveButton = form.querySelector("#profile-save");
  let draftColor = state.nameColor;
  let lastBand = null;

  const showColor = () => {
    colorValue.textContent = draftColor ?? "Default";
    paintName(namePreview, draftColor);
    // With no colour chosen, names use the theme's text colour: show that.
    const shown = draftColor ?? textColorHex(namePreview);
    if (shown && colorInput.value.toLowerCase() !== shown) colorInput.value = shown;
    for (const swatch of swatches) {
      swatch.setAttribute("aria-pressed", String(normalizeColor(swatch.dataset.color) === draftColor));
    }
    resetButton.disabled = draftColor === null;
    if (avatarPreview) renderAvatar(avatarPreview, { username: state.username, avatarUrl: state.avatarUrl, color: draftColor });
  };

  const setColor = (value) => {
    draftColor = normalizeColor(value);
    showColor();
  };

  const showBio = () => {
    const length = bio.value.length;
    count.textContent = String(length);
    count.parentElement.classList.toggle("is-full", length >= BIO_MAX);
    const text = bio.value.trim();
    bioPreview.textContent = text || bioPreview.dataset.emptyText || "";
    bioPreview.classList.toggle("is-empty", !text);
    // Announce only when crossing into the last 20, the last 10, or the limit.
    const left = BIO_MAX - length;
    const band = left <= 0 ? 0 : left <= 10 ? 10 : left <= 20 ? 20 : null;
    if (band !== lastBand) {
      lastBand = band;
      announce.textContent =
        band === null ? "" : band === 0 ? `Limit reached: ${BIO_MAX} characters.` : `${left} characters left.`;
    }
  };

  for (const swatch of swatches) {
    swatch.addEventListener("click", () => setColor(swatch.dataset.color));
  }
  colorInput.addEventListener("input", () => setColor(colorInput.value));
  resetButton.addEventListener("click", () => {
    setColor(null);
    colorInput.focus();
  });
  bio.addEventListener("input", showBio);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showStatus(form, "info", "");
    await withBusy(saveButton, "Saving…", async () => {
      try {
        const account = await api("PATCH", "/api/account", { name_color: draftColor, bio: bio.value.trim() });
        state.nameColor = normalizeColor(account?.name_color);
        if (account && "avatar_url" in account) state.avatarUrl = account.avatar_url || null;
        if (account && typeof account.bio !== "undefined" && (account.bio ?? "") !== bio.value) {
          bio.value = account.bio ?? "";
        }
        draftColor = state.nameColor;
        applyAccount(state, scope);
        showColor();
        showBio();
        showStatus(form, "success", "Profile saved.");
      } catch (error) {
        showStatus(form, "error", errorMessage(error));
      }
    });
  });

  showColor();
  showBio();
  // Keep the preview in step when the avatar changes in its own section.
  root.addEventListener("account:avatar", () => showColor());
}

// -------------------------------------------------------------------- avatar

function wireAvatar(root, state, scope) {
  const form = root.querySelector("#avatar-form");
  if (!form) return;
  const fileInput = form.querySelector("#avatar-file");
  const uploadButton = form.querySelector("#avatar-upload");
  const removeButton = form.querySelector("#avatar-remove");
  const description = form.querySelector("[data-avatar-description]");
  const maxMb = Number.parseFloat(form.dataset.maxAvatarMb);

  const describe = () => {
    description.textContent = state.avatarUrl
      ? "Others see this picture next to your name."
      : "You have no avatar yet; others see your initial.";
    removeButton.hidden = !state.avatarUrl;
  };

  /** The client-side twin of the server's checks; null when the file is fine. */
  const problemWith = (file) => {
    if (!file) return "Choose an image to upload first.";
    if (file.type && !file.type.startsWith("image/")) {
      return "That file is not an image. Choose a JPEG, PNG, GIF or WebP picture.";
    }
    if (Number.isFinite(maxMb) && file.size > maxMb * 1024 * 1024) {
      return `Avatars can be at most ${maxMb} MB.`;
    }
    return null;
  };

  const changed = () => {
    root.dispatchEvent(new Event("account:avatar"));
  };

  fileInput.addEventListener("change", () => {
    const file = fileInput.files[0];
    const problem = file ? problemWith(file) : null;
    setInvalid(fileInput, Boolean(problem));
    showStatus(form, "error", problem || "");
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = fileInput.files[0];
    const problem = problemWith(file);
    if (problem) {
      setInvalid(fileInput, Boolean(file));
      showStatus(form, "error", problem);
      fileInput.focus();
      return;
    }
    showStatus(form, "info", "");
    await withBusy(uploadButton, "Uploading…", async () => {
      try {
        const data = new FormData();
        data.append("avatar", file);
        const result = await api("PUT", "/api/account/avatar", data);
        state.avatarUrl = result?.avatar_url || null;
        fileInput.value = "";
        setInvalid(fileInput, false);
        applyAccount(state, scope);
        describe();
        changed();
        showStatus(form, "success", "Avatar updated.");
      } catch (error) {
        showStatus(form, "error", errorMessage(error));
      }
    });
  });

  removeButton.addEventListener("click", async () => {
    showStatus(form, "info", "");
    await withBusy(removeButton, "Removing…", async () => {
      try {
        await api("DELETE", "/api/account/avatar");
        state.avatarUrl = null;
        applyAccount(state, scope);
        describe();
        changed();
        showStatus(form, "success", "Avatar removed.");
      } catch (error) {
        showStatus(form, "error", errorMessage(error));
      }
    });
    if (removeButton.hidden) fileInput.focus();
  });

  describe();
}

// ------------------------------------------------------------------ password

function wirePassword(root) {
  const form = root.querySelector("#password-form");
  if (!form) return;
  const current = form.querySelector("#current_password");
  const next = form.querySelector("#new_password");
  const confirm = form.querySelector("#confirm_password");
  const button = form.querySelector("#password-submit");

  current.addEventListener("input", () => setInvalid(current, false));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    showStatus(form, "info", "");
    await withBusy(button, "Changing…", async () => {
      try {
        await api("POST", "/api/account/password", {
          current_password: current.value,
          new_password: next.value,
          confirm_password: confirm.value,
        });
        form.reset();
        showStatus(form, "success", "Password changed.");
      } catch (error) {
        const message = errorMessage(error);
        showStatus(form, "error", message);
        if (/current password/i.test(message)) {
          setInvalid(current, true);
          current.focus();
          current.select();
        }
      }
    });
  });
}

// ------------------------------------------------------------ delete account

function wireDelete(root) {
  const form = root.querySelector("#delete-form");
  if (!form) return;
  const password = form.querySelector("#delete-password");
  const fieldError = form.querySelector("#delete-password-error");
  const confirmBox = form.querySelector("#delete-confirm");
  const consequence = form.querySelector("[data-delete-consequence]");
  const submit = form.querySelector("#delete-submit");
  const cancel = form.querySelector("#delete-cancel");
  let armed = false;
  // The steps below guide the user; the browser's bubble for the empty
  // required password would stop the first, explaining press.
  form.noValidate = true;

  const mode = () => (form.querySelector('input[name="mode"]:checked')?.value === "hard" ? "hard" : "soft");
  const setFieldError = (message) => {
    fieldError.textContent = message;
    setInvalid(password, Boolean(message));
  };
  const arm = (on) => {
    armed = on;
    consequence.textContent = DELETE_CONSEQUENCE[mode()];
    confirmBox.hidden = !on;
    cancel.hidden = !on;
    form.classList.toggle("is-armed", on);
  };

  for (const radio of form.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener("change", () => {
      if (armed) consequence.textContent = DELETE_CONSEQUENCE[mode()];
    });
  }
  password.addEventListener("input", () => setFieldError(""));
  cancel.addEventListener("click", () => {
    arm(false);
    password.value = "";
    setFieldError("");
    showStatus(form, "info", "");
    submit.focus();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!armed) {
      // Step one: explain, then wait for a second, deliberate press.
      arm(true);
      if (!password.value) password.focus();
      return;
    }
    if (!password.value) {
      setFieldError("Enter your password to confirm.");
      password.focus();
      return;
    }
    showStatus(form, "info", "");
    await withBusy(submit, "Deleting…", async () => {
      try {
        await api("POST", "/api/account/delete", { mode: mode(), password: password.value });
        location.assign("/login?account_deleted=1");
      } catch (error) {
        showStatus(form, "error", errorMessage(error));
        if (error instanceof ApiError && error.status === 403) {
          setInvalid(password, true);
          password.focus();
          password.select();
        }
      }
    });
  });
}

// ---------------------------------------------------------------------- start

/** Wire the account forms inside `root`; see the top of this file. */
export function wireAccount(root, account, { scope = document } = {}) {
  const state = {
    username: account.username || "",
    nameColor: normalizeColor(account.nameColor),
    avatarUrl: account.avatarUrl || null,
  };
  applyAccount(state, scope);
  wireProfile(root, state, scope);
  wireAvatar(root, state, scope);
  wirePassword(root);
  wireDelete(root);
  for (const fieldset of root.querySelectorAll("fieldset[data-needs-js]")) fieldset.disabled = false;
  return state;
}
