/**
 * Building the page: `h(tag, props, ...children)` makes an element. A string child becomes a text node
 * (textContent), never markup: nothing from a message, key, header or topic name is parsed as HTML
 * (ESLint refuses innerHTML and its kin in ui/).
 */

/** @typedef {Node | string | number | null | undefined | false | readonly unknown[]} Child a node, text, nothing, or a list of them */

/** Properties set as DOM properties rather than attributes. */
const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'open', 'required', 'readOnly']);

/**
 * @param {string} tag
 * @param {Record<string, unknown> | null} [props] `class`, `onclick`-style listeners (functions only), properties, attributes
 * @param {Child[]} children
 * @returns {HTMLElement}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) {
      if (typeof value !== 'function') throw new TypeError(`${name} takes a function`);
      el.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    } else if (name === 'class') el.className = String(value);
    else if (PROPS.has(name)) el[name] = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** @param {Node} parent @param {Child[]} children */
export function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, /** @type {Child[]} */ (child));
    else if (typeof child === 'string' || typeof child === 'number') parent.appendChild(document.createTextNode(String(child)));
    else parent.appendChild(/** @type {Node} */ (child));
  }
}

/** Replaces what `parent` holds with `children`. @param {Element} parent @param {Child[]} children */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

/** A byte count as people read it. @param {number} n */
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** A count with thousands separators. @param {number} n */
export function formatCount(n) {
  return n.toLocaleString('en-US');
}

/**
 * A modal confirmation (a `<dialog>`, not `window.confirm`): resolves true when the user presses the
 * confirming button. @param {string} title @param {Child} body @param {string} confirmLabel
 * @returns {Promise<boolean>}
 */
export function confirmDialog(title, body, confirmLabel) {
  return new Promise((resolve) => {
    /** @type {HTMLDialogElement} */
    let dialog;
    const close = (/** @type {string} */ answer) => () => dialog.close(answer);
    dialog = /** @type {HTMLDialogElement} */ (
      h(
        'dialog',
        { class: 'confirm', 'aria-labelledby': 'confirm-title' },
        h('h2', { id: 'confirm-title' }, title),
        h('p', null, body),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', onclick: close('cancel'), autofocus: true }, 'Cancel'),
          h('button', { type: 'button', class: 'danger', onclick: close('ok') }, confirmLabel),
        ),
      )
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'ok');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * An instant as `YYYY-MM-DDTHH:MM:SS.mmmZ`, or its number as given when a Date cannot hold it (past year
 * 275760: a stored timestamp may be any safe integer), so one odd record never breaks a page.
 * @param {number} ms
 */
export function isoTime(ms) {
  const d = new Date(ms);
  return Number.isFinite(d.getTime()) ? d.toISOString() : String(ms);
}
