// Modal dialogs for the whole chat app (panels, calls and the app shell use it).
//
//   const { close, element } = openDialog({
//     title: "Leave channel?",
//     content: paragraph,
//     actions: [
//       { label: "Cancel", kind: "secondary" },
//       { label: "Leave", kind: "danger", onClick: async () => { await leave(); } },
//     ],
//     onClose: () => {},
//   });
//
// A native <dialog> opened with showModal(): the rest of the page is inert,
// the dialog is labelled by its title, Tab and Shift+Tab cycle inside it, Esc
// and a click on the backdrop close it, and focus goes back to where it was.
// An action closes the dialog after its onClick resolves, unless onClick
// returns false (e.g. a form that found a mistake); an action without onClick
// just closes. While an onClick runs its button is busy and disabled.

import { h, uniqueId } from "./dom.js";

const FOCUSABLE = [
  "a[href]",
  "button:not([disabled])",
  "input:not([disabled]):not([type=hidden])",
  "select:not([disabled])",
  "textarea:not([disabled])",
  "[tabindex]:not([tabindex='-1'])",
].join(",");

const open = [];

/** A radio button is a Tab stop only when it is the checked one of its group (or none is). */
function isTabStopRadio(el, root) {
  if (el.type !== "radio" || el.checked || !el.name) return true;
  return !root.querySelector(`input[type="radio"][name="${CSS.escape(el.name)}"]:checked`);
}

function focusableIn(root) {
  return Array.from(root.querySelectorAll(FOCUSABLE)).filter(
    (el) => !el.closest("[hidden]") && !el.closest("[inert]") && el.getClientRects().length > 0 && isTabStopRadio(el, root),
  );
}

/**
 * @param {object} options
 * @param {string} options.title heading, also the dialog's accessible name
 * @param {Node} options.content the body
 * @param {Array<{label: string, kind?: string, onClick?: Function}>} [options.actions]
 * @param {Function} [options.onClose] called once, after the dialog closed
 * @param {string} [options.size] "sm" | "md" (default) | "lg"
 * @param {string} [options.className] extra class on the <dialog>
 * @param {Element} [options.initialFocus] what to focus first (else the first
 *   field, else the first button that is not the close button)
 * @returns {{close: Function, element: HTMLDialogElement}}
 */
/** Where focus goes back to: the opener, or the button of the menu the opener was in. */
function focusOrigin() {
  const active = document.activeElement;
  const menu = active?.closest?.("[role=menu]");
  if (menu?.id) return document.querySelector(`[aria-controls="${CSS.escape(menu.id)}"]`) || active;
  return active;
}

export function openDialog({ title, content, actions = [], onClose, size = "md", className, initialFocus }) {
  const returnFocus = focusOrigin();
  const titleId = uniqueId("mm-dialog-title");
  let closed = false;

  const closeButton = h(
    "button",
    { type: "button", className: "mm-icon-button mm-dialog__close", attrs: { "aria-label": "Close" } },
    h("span", { attrs: { "aria-hidden": "true" } }, "×"),
  );
  const footer = actions.length ? h("footer", { className: "mm-dialog__actions" }) : null;
  const element = h(
    "dialog",
    {
      className: ["mm-dialog", `mm-dialog--${size}`, className].filter(Boolean).join(" "),
      attrs: { "aria-labelledby": titleId, "aria-modal": "true" },
    },
    h(
      "div",
      { className: "mm-dialog__frame" },
      h("header", { className: "mm-dialog__header" }, h("h2", { id: titleId, className: "mm-dialog__title" }, title), closeButton),
      h("div", { className: "mm-dialog__body" }, content),
      footer,
    ),
  );

  const close = () => {
    if (closed) return;
    closed = true;
    const index = open.indexOf(handle);
    if (index >= 0) open.splice(index, 1);
    if (element.open) element.close();
    element.remove();
    if (returnFocus instanceof HTMLElement && returnFocus.isConnected) returnFocus.focus({ preventScroll: true });
    if (onClose) onClose();
  };
  const handle = { close, element };

  for (const action of actions) {
    const button = h(
      "button",
      { type: "button", className: `mm-button mm-button--${action.kind || "secondary"}` },
      action.label,
    );
    button.addEventListener("click", async () => {
      if (!action.onClick) {
        close();
        return;
      }
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      let keepOpen = false;
      try {
        keepOpen = (await action.onClick(handle)) === false;
      } catch (error) {
        keepOpen = true;
        console.error(error);
      } finally {
        button.disabled = false;
        button.removeAttribute("aria-busy");
      }
      if (!keepOpen) close();
    });
    footer.append(button);
  }

  closeButton.addEventListener("click", close);
  // Esc: ours, not the browser's cancel, so nested pickers can stop it first.
  element.addEventListener("cancel", (event) => event.preventDefault());
  element.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) {
      event.preventDefault();
      event.stopPropagation();
      close();
      return;
    }
    if (event.key !== "Tab") return;
    const items = focusableIn(element);
    if (!items.length) {
      event.preventDefault();
      return;
    }
    const first = items[0];
    const last = items[items.length - 1];
    const inside = element.contains(document.activeElement);
    if (event.shiftKey && (document.activeElement === first || !inside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !inside)) {
      event.preventDefault();
      first.focus();
    }
  });
  // A press that starts and ends on the backdrop (outside the frame) closes.
  let downOnBackdrop = false;
  element.addEventListener("pointerdown", (event) => {
    downOnBackdrop = event.target === element;
  });
  element.addEventListener("click", (event) => {
    if (event.target === element && downOnBackdrop) close();
    downOnBackdrop = false;
  });

  document.body.append(element);
  element.showModal();
  open.push(handle);

  const target =
    initialFocus ||
    element.querySelector("[autofocus]") ||
    focusableIn(element.querySelector(".mm-dialog__body")).find((el) => el.matches("input, select, textarea")) ||
    focusableIn(element).find((el) => el !== closeButton) ||
    closeButton;
  target.focus();
  return handle;
}

/** Ask a yes/no question; resolves true when the confirming action was taken. */
export function confirmDialog({ title, message, confirmLabel = "OK", kind = "primary", cancelLabel = "Cancel" }) {
  return new Promise((resolve) => {
    let answer = false;
    openDialog({
      title,
      size: "sm",
      content: h("p", { className: "mm-dialog__message" }, message),
      actions: [
        { label: cancelLabel, kind: "secondary" },
        {
          label: confirmLabel,
          kind,
          onClick: () => {
            answer = true;
          },
        },
      ],
      onClose: () => resolve(answer),
    });
  });
}
