// A user picker: type a name, pick from matching accounts (arrows + Enter or
// Tab, or click), chosen people show as removable chips.

import { h, uniqueId } from "./dom.js";
import { allUsers, personAvatar, presenceWord } from "./people.js";

const MAX_OPTIONS = 8;

/**
 * @param {{label: string, exclude?: string[], multiple?: boolean, help?: string}} options
 * @returns {{element: HTMLElement, input: HTMLInputElement, chosen: () => string[], clear: Function}}
 */
export function userPicker({ label, exclude = [], multiple = true, help }) {
  const chosen = [];
  const inputId = uniqueId("mm-user-picker");
  const listId = `${inputId}-options`;
  const helpId = `${inputId}-help`;
  const input = h("input", {
    id: inputId,
    className: "mm-input",
    type: "text",
    autocomplete: "off",
    spellcheck: false,
    placeholder: "Type a name",
    attrs: {
      role: "combobox",
      "aria-autocomplete": "list",
      "aria-expanded": "false",
      "aria-controls": listId,
      "aria-describedby": help ? helpId : null,
    },
  });
  const listbox = h("ul", { id: listId, className: "mm-listbox", hidden: true, attrs: { role: "listbox", "aria-label": label } });
  const chips = h("div", { className: "mm-chips", attrs: { "aria-label": `Chosen: ${label}`, role: "group" } });
  const element = h(
    "div",
    { className: "mm-field" },
    h("label", { className: "mm-label", htmlFor: inputId }, label),
    chips,
    h("div", { className: "mm-combobox" }, input, listbox),
    help ? h("p", { id: helpId, className: "mm-help" }, help) : null,
  );
  let options = [];
  let active = -1;

  const hide = () => {
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };

  const highlight = (index) => {
    const items = listbox.querySelectorAll(".mm-option");
    if (!items.length) return;
    active = (index + items.length) % items.length;
    items.forEach((item, i) => item.setAttribute("aria-selected", String(i === active)));
    input.setAttribute("aria-activedescendant", items[active].id);
    items[active].scrollIntoView({ block: "nearest" });
  };

  const renderChips = () => {
    chips.replaceChildren(
      ...chosen.map((name) => {
        const remove = h("button", { type: "button", attrs: { "aria-label": `Remove ${name}` } }, "×");
        remove.addEventListener("click", () => {
          chosen.splice(chosen.indexOf(name), 1);
          renderChips();
          input.focus();
        });
        return h("span", { className: "mm-chip" }, name, remove);
      }),
    );
  };

  const choose = (name) => {
    if (!multiple) chosen.length = 0;
    if (!chosen.includes(name)) chosen.push(name);
    input.value = multiple ? "" : name;
    renderChips();
    hide();
    input.focus();
  };

  const suggest = () => {
    const text = input.value.trim().toLowerCase();
    if (!text) {
      hide();
      return;
    }
    options = allUsers()
      .map((user) => user.username)
      .filter((name) => !exclude.includes(name) && !chosen.includes(name) && name.toLowerCase().includes(text))
      .sort((a, b) => Number(!a.toLowerCase().startsWith(text)) - Number(!b.toLowerCase().startsWith(text)) || a.localeCompare(b))
      .slice(0, MAX_OPTIONS);
    listbox.replaceChildren(
      ...options.map((name, index) => {
        const option = h(
          "li",
          { id: `${listId}-${index}`, className: "mm-option", attrs: { role: "option", "aria-selected": "false" } },
          personAvatar(name),
          h("span", {}, name),
          h("span", { className: "mm-visually-hidden" }, `, ${presenceWord(name)}`),
        );
        option.addEventListener("pointerdown", (event) => event.preventDefault());
        option.addEventListener("click", () => choose(name));
        return option;
      }),
    );
    listbox.hidden = !options.length;
    input.setAttribute("aria-expanded", String(options.length > 0));
    if (options.length) highlight(0);
  };

  input.addEventListener("input", suggest);
  input.addEventListener("blur", hide);
  input.addEventListener("keydown", (event) => {
    const open = !listbox.hidden && options.length > 0;
    if (event.key === "ArrowDown" && open) {
      event.preventDefault();
      highlight(active + 1);
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      highlight(active - 1);
    } else if ((event.key === "Enter" || event.key === "Tab") && open && active >= 0) {
      event.preventDefault();
      event.stopPropagation();
      choose(options[active]);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      event.stopPropagation(); // close the suggestions, not the dialog
      hide();
    } else if (event.key === "Backspace" && !input.value && chosen.length && multiple) {
      chosen.pop();
      renderChips();
    }
  });

  return {
    element,
    input,
    /** The chosen names, plus a typed exact name not yet picked. */
    chosen() {
      const typed = input.value.trim();
      const names = [...chosen];
      if (typed) {
        const match = allUsers().find((user) => user.username.toLowerCase() === typed.toLowerCase());
        names.push(match ? match.username : typed);
      }
      return multiple ? Array.from(new Set(names)) : names.slice(-1);
    },
    clear() {
      chosen.length = 0;
      input.value = "";
      renderChips();
    },
  };
}
