// The page is built from nodes, never from markup: every value (names from the dimension stream, values from a
// shared link) goes in as text or as an attribute value, so none of it can become an element or a script.

/**
 * An element: `attrs` are set as attribute values (null, undefined and false are left out; `style` is an object of
 * CSS properties, set through the DOM so the CSP needs no inline styles); children are nodes, or text for anything else.
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
