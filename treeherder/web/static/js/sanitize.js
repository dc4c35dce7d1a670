// Turning untrusted HTML (job details submitted by CI systems) into inert, harmless DOM.
//
// The HTML is parsed by DOMParser, which never runs scripts or loads resources, and then copied element by element
// into a fragment keeping only an allowlist of tags and attributes; links keep http(s) and mailto targets only.
// Anything else (script, style, iframe, forms, event handler attributes, javascript: URLs) is dropped.

const ALLOWED_TAGS = new Set([
  'a', 'abbr', 'b', 'br', 'code', 'dd', 'div', 'dl', 'dt', 'em', 'h1', 'h2', 'h3', 'h4', 'hr', 'i', 'kbd', 'li',
  'ol', 'p', 'pre', 's', 'samp', 'small', 'span', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th',
  'thead', 'tr', 'tt', 'u', 'ul',
]);
// Elements whose content is dropped along with them (their text is not meant to be read).
const DROPPED_WITH_CONTENT = new Set(['script', 'style', 'template', 'noscript', 'iframe', 'object', 'embed', 'svg', 'math', 'head', 'title']);
const ALLOWED_ATTRIBUTES = new Set(['title', 'colspan', 'rowspan']);

function safeHref(value) {
  try {
    const url = new URL(value, window.location.origin);
    return ['http:', 'https:', 'mailto:'].includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

function copyChildren(source, target) {
  for (const node of source.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      target.append(node.textContent);
    } else if (node.nodeType === Node.ELEMENT_NODE) {
      const tag = node.localName;
      if (DROPPED_WITH_CONTENT.has(tag)) continue;
      if (!ALLOWED_TAGS.has(tag)) {
        copyChildren(node, target); // unknown wrapper: keep its text
        continue;
      }
      const clean = document.createElement(tag);
      for (const attribute of node.attributes) {
        if (ALLOWED_ATTRIBUTES.has(attribute.name)) clean.setAttribute(attribute.name, attribute.value);
      }
      if (tag === 'a') {
        const href = safeHref(node.getAttribute('href') || '');
        if (href) {
          clean.setAttribute('href', href);
          clean.setAttribute('rel', 'noopener noreferrer');
          clean.setAttribute('target', '_blank');
        }
      }
      copyChildren(node, clean);
      target.append(clean);
    }
  }
}

/** A DocumentFragment holding a sanitised copy of the HTML in `html`. */
export function sanitizeHtml(html) {
  const parsed = new DOMParser().parseFromString(`<!doctype html><body>${html}`, 'text/html');
  const fragment = document.createDocumentFragment();
  copyChildren(parsed.body, fragment);
  return fragment;
}

/** Whether a value looks like HTML markup rather than plain text. */
export function looksLikeHtml(value) {
  return /<[a-z!/][^>]*>/i.test(value);
}
