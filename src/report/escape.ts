/**
 * Escaping for the one place untrusted text (model names, paths, dataset names) meets HTML: every
 * string goes through `escapeHtml` before it enters markup, and data handed to the page's script
 * goes through `jsonForScript`, so no name can close a tag or open a script.
 */

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text and attribute values (quoted with " or '). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => entities[c]!);
}

/**
 * JSON safe inside <script type="application/json">: `<` is written as \u003c so `</script>` or
 * `<!--` in a string cannot end the element (HTML spec, "restrictions for contents of script
 * elements"); U+2028/2029 are escaped for older JS parsers. JSON.parse reads the same value back.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
