// Small DOM helpers shared by the views.

export const $ = (id) => document.getElementById(id);

// An element with attributes (`class`, `dataset`, others as attributes; null ones left out) and
// children (nodes or text).
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v == null) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c != null) node.append(c instanceof Node ? c : String(c));
  return node;
}

// Sets the text of element `id`, touching the DOM only when it changes.
export function setText(id, text) {
  const node = $(id);
  if (node.textContent !== text) node.textContent = text;
}

// A number with its unit, as one inline element.
export function withUnit(text, unit) {
  return el('span', { class: 'num-unit' }, el('span', { class: 'num' }, text), ' ', el('span', { class: 'unit' }, unit));
}
