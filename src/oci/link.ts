/**
 * The `Link` header (RFC 8288) by which registries page catalogs and tag lists:
 * `</v2/_catalog?last=web&n=100>; rel="next"`. The target is relative to the URL asked, and one
 * header may carry several links, separated by commas outside the angle brackets.
 */
export interface Link {
  target: URL;
  /** Lowercased relation types: `rel="next prev"` gives both. */
  relations: string[];
}

export function parseLinks(header: string | readonly string[] | null | undefined, base: URL | string): Link[] {
  if (header === null || header === undefined) return [];
  const values = typeof header === 'string' ? [header] : header;
  return values.flatMap((value) => parseLinkValue(value, base));
}

function parseLinkValue(value: string, base: URL | string): Link[] {
  const links: Link[] = [];
  let position = 0;
  while (position < value.length) {
    const open = value.indexOf('<', position);
    if (open === -1) break;
    const close = value.indexOf('>', open);
    if (close === -1) break;
    const target = value.slice(open + 1, close).trim();
    // The parameters run to the first comma outside quotes.
    let end = close + 1;
    let quoted = false;
    for (; end < value.length; end++) {
      const char = value[end];
      if (quoted && char === '\\') end++;
      else if (char === '"') quoted = !quoted;
      else if (char === ',' && !quoted) break;
    }
    position = end + 1;
    let url: URL;
    try {
      url = new URL(target, base);
    } catch {
      continue;
    }
    const relations: string[] = [];
    for (const [, name, quotedValue, bare] of value.slice(close + 1, end).matchAll(parameter)) {
      if (name!.toLowerCase() !== 'rel') continue;
      const rel = quotedValue === undefined ? (bare ?? '') : quotedValue.replace(/\\(.)/g, '$1');
      relations.push(
        ...rel
          .toLowerCase()
          .split(/\s+/)
          .filter((entry) => entry !== ''),
      );
    }
    links.push({ target: url, relations });
  }
  return links;
}

const parameter = /;\s*([^\s=;]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*)))?/g;

/** The `rel="next"` target, when there is one. */
export function nextPage(header: string | readonly string[] | null | undefined, base: URL | string): URL | undefined {
  return parseLinks(header, base).find((link) => link.relations.includes('next'))?.target;
}
