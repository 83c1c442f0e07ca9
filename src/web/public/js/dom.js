// The page is built from nodes, never from markup: every value (names from the dimension stream, values from a
// shared link) goes in as text or as an attribute value, so none of it can become an element or a script.

/** @typedef {string | number | boolean | null | undefined | Partial<CSSStyleDeclaration>} AttrValue */
/** @typedef {Node | string | number | null | undefined} Child */

/**
 * An element: `attrs` are set as attribute values (null, undefined and false are left out; `style` is an object of
 * CSS properties, set through the DOM so the CSP needs no inline styles); children are nodes, or text for anything
 * else.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, AttrValue>} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'style') Object.assign(el.style, value);
    else el.setAttribute(name, String(value));
  }
  el.append(
    ...children
      .flat()
      .filter((c) => c !== null && c !== undefined)
      .map((c) => (c instanceof Node ? c : String(c))),
  );
  return el;
}

/**
 * The element `selector` finds in `root`, of the class the code relies on: the page's own markup has it, so a miss
 * is a broken page and fails here rather than at its first use.
 * @template {Element} T
 * @param {ParentNode} root
 * @param {string} selector
 * @param {{ new (): T, prototype: T }} type
 * @returns {T}
 */
export function find(root, selector, type) {
  const el = root.querySelector(selector);
  if (!(el instanceof type)) throw new Error(`the page has no element ${selector} of the expected kind`);
  return el;
}

/**
 * The element matching `selector` at or above where a click or key press landed, or null.
 * @param {Event} e
 * @param {string} selector
 * @returns {HTMLElement | null}
 */
export function closestTo(e, selector) {
  const el = e.target instanceof Element ? e.target.closest(selector) : null;
  return el instanceof HTMLElement ? el : null;
}

/**
 * A table's body, created if the markup has none.
 * @param {HTMLTableElement} table
 * @returns {HTMLTableSectionElement}
 */
export function tableBody(table) {
  return table.tBodies[0] ?? table.createTBody();
}
