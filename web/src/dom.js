// h('p', {class: 'meta'}, 'text', child): elements built without
// innerHTML, so text from the graph (labels, sentences) is never markup.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function button(label, onclick, attrs = {}) {
  return h('button', { type: 'button', onclick, ...attrs }, label);
}

export function link(label, onclick, attrs = {}) {
  return h('button', { type: 'button', class: 'link', onclick, ...attrs }, label);
}

export function errorBox(error) {
  return h('p', { class: 'error-text', role: 'alert' },
    error.code ? `${error.code}: ${error.message}` : String(error.message || error));
}
