// Live password rules for every form that contains the password_fields macro
// (templates/_password_fields.html).
//
// * The rule list ([data-password-rules], minimum length in data-min-length)
//   becomes a checklist: .is-met when a rule holds, .is-unmet once the field
//   has been left with the rule still failing; the state is also written as
//   visually-hidden text (" (done)" / " (missing)") for screen readers.
// * The match line ([data-password-match]) says "✓ Passwords match" or
//   "✗ Passwords do not match".
// * On sign-up, the username ([data-username-check]) is checked live.
// * The form's submit button is disabled until everything is valid. It is
//   only ever disabled here, so without JavaScript (or if this script fails)
//   the form stays submittable and the server's checks decide.
//
// Mirrors the server's rules (reference §5.1); the server stays the authority.

const SPECIALS = "!@#$%^&*()_+-=[]{};':\"\\|,.<>/?`~";
const USERNAME_RE = /^[A-Za-z0-9_-]{1,32}$/;
const USERNAME_MESSAGE = "✗ Letters, numbers, hyphens and underscores only (no spaces)";
const MATCH_TEXT = "Passwords match";
const MISMATCH_TEXT = "Passwords do not match";

/** Which rules a password meets, by the data-rule names used in the macro. */
export function checkPassword(password, minLength) {
  const chars = Array.from(password); // code points, like Python's len()
  return {
    length: chars.length >= minLength,
    upper: /[A-Z]/.test(password),
    lower: /[a-z]/.test(password),
    digit: /\p{Nd}/u.test(password),
    special: chars.some((c) => SPECIALS.includes(c)),
  };
}

export function isValidUsername(name) {
  return USERNAME_RE.test(name);
}

function setText(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}

function setInvalid(input, invalid) {
  if (!input) return;
  if (invalid) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

function submitButtons(form) {
  return Array.from(form.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]'));
}

/** Render the match line: a mark (hidden from screen readers) and the words. */
function renderMatch(line, state) {
  if (line.dataset.state === state) return;
  line.dataset.state = state;
  line.classList.toggle("is-match", state === "match");
  line.classList.toggle("is-mismatch", state === "mismatch");
  line.replaceChildren();
  if (state === "none") return;
  const mark = document.createElement("span");
  mark.className = "mm-match__mark";
  mark.setAttribute("aria-hidden", "true");
  mark.textContent = state === "match" ? "✓ " : "✗ ";
  line.append(mark, state === "match" ? MATCH_TEXT : MISMATCH_TEXT);
}

/** Make the rule list, match line and submit button of `form` live (idempotent). */
export function wirePasswordRules(form) {
  if (form.dataset.passwordRulesWired) return;
  form.dataset.passwordRulesWired = "1";

  const list = form.querySelector("[data-password-rules]");
  const password = form.querySelector("[data-password-new]");
  const confirm = form.querySelector("[data-password-confirm]");
  const matchLine = form.querySelector("[data-password-match]");
  const username = form.querySelector("[data-username-check]");
  const usernameMessage = form.querySelector("[data-username-message]");
  const minLength = Number.parseInt(list.dataset.minLength, 10) || 15;
  const items = Array.from(list.querySelectorAll("li[data-rule]"));
  const touched = new Set();

  const update = () => {
    const buttons = submitButtons(form);
    try {
      const pw = password ? password.value : "";
      const results = checkPassword(pw, minLength);
      const pwTouched = touched.has(password);
      let rulesOk = true;
      for (const item of items) {
        const met = Boolean(results[item.dataset.rule]);
        rulesOk &&= met;
        const unmet = !met && pw !== "" && pwTouched;
        item.classList.toggle("is-met", met && pw !== "");
        item.classList.toggle("is-unmet", unmet);
        const stateText = met && pw !== "" ? " (done)" : unmet ? " (missing)" : "";
        setText(item.querySelector("[data-rule-state]"), stateText);
      }
      setInvalid(password, pwTouched && pw !== "" && !rulesOk);

      let matches = true;
      if (confirm) {
        const c = confirm.value;
        matches = c !== "" && c === pw;
        let state = "none";
        if (c !== "") {
          if (matches) state = "match";
          else if (touched.has(confirm) || c.length >= pw.length) state = "mismatch";
        }
        if (matchLine) renderMatch(matchLine, state);
        setInvalid(confirm, state === "mismatch");
      }

      let usernameOk = true;
      if (username) {
        const name = username.value;
        usernameOk = isValidUsername(name);
        const showError = name !== "" && !usernameOk;
        setText(usernameMessage, showError ? USERNAME_MESSAGE : "");
        setInvalid(username, showError);
      }

      // Any other required control (e.g. the current password) must be filled.
      let othersOk = true;
      for (const el of form.elements) {
        if (el === password || el === confirm || el === username) continue;
        if (el.required && !el.disabled && "value" in el && el.value.trim() === "") othersOk = false;
      }

      const valid = rulesOk && matches && usernameOk && othersOk;
      for (const button of buttons) {
        // A button busy with a request stays disabled until its owner releases it.
        if (button.getAttribute("aria-busy") === "true") continue;
        button.disabled = !valid;
      }
    } catch (error) {
      // Never strand the user: fall back to the server's checks.
      for (const button of buttons) button.disabled = false;
      console.error(error);
    }
  };

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  // Browsers reveal autofilled values only after the first interaction.
  form.addEventListener("focusin", update);
  form.addEventListener("pointerover", update);
  form.addEventListener("focusout", (event) => {
    if (event.target === password || event.target === confirm) {
      if (event.target.value !== "") touched.add(event.target);
      update();
    }
  });
  form.addEventListener("reset", () => {
    touched.clear();
    setTimeout(update, 0);
  });
  // Coming back through the history (bfcache) or after the browser restored
  // or autofilled values without input events: re-check from scratch.
  window.addEventListener("pageshow", update);
  form.addEventListener("password-rules:refresh", update);
  update();
}

for (const list of document.querySelectorAll("[data-password-rules]")) {
  const form = list.closest("form");
  if (form) wirePasswordRules(form);
}
