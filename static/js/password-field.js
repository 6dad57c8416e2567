// Show/Hide toggle and Caps Lock warning for every password input on the page.
//
// Each <input type="password"> is wrapped in <div class="mm-password">, gets a
// toggle button (aria-pressed, accessible name "Show password"/"Hide
// password") and, after the wrapper, a role="status" line that says "Caps Lock
// is on" while Caps Lock is on in that field. Passwords are hidden again when
// their form is submitted or reset. Without JavaScript the inputs are plain
// password inputs.

const CAPS_LOCK_TEXT = "Caps Lock is on";
let counter = 0;

function setVisible(input, button, visible) {
  input.type = visible ? "text" : "password";
  button.setAttribute("aria-pressed", String(visible));
  button.setAttribute("aria-label", visible ? "Hide password" : "Show password");
  button.textContent = visible ? "Hide" : "Show";
}

function addDescribedBy(input, id) {
  const ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
  if (!ids.includes(id)) ids.push(id);
  input.setAttribute("aria-describedby", ids.join(" "));
}

/** Enhance one password input (idempotent). */
export function enhancePasswordInput(input) {
  if (input.dataset.passwordEnhanced) return;
  input.dataset.passwordEnhanced = "1";
  if (!input.id) input.id = `mm-password-${++counter}`;

  const hadFocus = document.activeElement === input;
  const wrapper = document.createElement("div");
  wrapper.className = "mm-password";
  input.replaceWith(wrapper);
  wrapper.append(input);

  const button = document.createElement("button");
  button.type = "button";
  button.className = "mm-password__toggle";
  button.setAttribute("aria-controls", input.id);
  setVisible(input, button, false);
  wrapper.append(button);

  const caps = document.createElement("p");
  caps.className = "mm-capslock";
  caps.id = `${input.id}-capslock`;
  caps.setAttribute("role", "status");
  wrapper.after(caps);
  addDescribedBy(input, caps.id);

  if (hadFocus) input.focus();

  button.addEventListener("click", () => {
    const visible = input.type === "password";
    setVisible(input, button, visible);
  });

  const showCaps = (on) => {
    const text = on ? CAPS_LOCK_TEXT : "";
    if (caps.textContent !== text) caps.textContent = text;
  };
  const checkCaps = (event) => {
    if (typeof event.getModifierState === "function") {
      showCaps(event.getModifierState("CapsLock"));
    }
  };
  input.addEventListener("keydown", checkCaps);
  input.addEventListener("keyup", checkCaps);
  input.addEventListener("pointerdown", checkCaps);
  input.addEventListener("blur", () => showCaps(false));

  const form = input.form;
  if (form) {
    const hide = () => setVisible(input, button, false);
    form.addEventListener("submit", hide);
    form.addEventListener("reset", hide);
  }
}

for (const input of document.querySelectorAll('input[type="password"]')) {
  enhancePasswordInput(input);
}
