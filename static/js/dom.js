// Element building shared by every view: user text only ever goes in as text nodes.

/** Create an element: props are properties, except attrs / dataset / on; children are Nodes or text. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  const { attrs, dataset, on, ...rest } = props || {};
  for (const [name, value] of Object.entries(rest)) {
    if (value !== undefined && value !== null) node[name] = value;
  }
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === undefined || value === null) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const [name, value] of Object.entries(dataset || {})) node.dataset[name] = value;
  for (const [type, handler] of Object.entries(on || {})) node.addEventListener(type, handler);
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** True when typing goes into this element (so single-key shortcuts must not fire). */
export function isTypingTarget(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  if (target.matches("textarea, select")) return true;
  if (target.matches("input")) return !["button", "checkbox", "radio", "submit", "reset", "range", "color", "file"].includes(target.type);
  return false;
}
