/**
 * Salesforce record ids: 15 case-sensitive characters, plus a 3-character suffix that encodes the
 * case of the first 15 so the 18-character form survives case-insensitive systems.
 */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SUFFIX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const ID_SHAPE = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

function suffixOf(id15: string): string {
  let out = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let flags = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) flags |= 1 << i;
    }
    out += SUFFIX[flags];
  }
  return out;
}

/** Canonical 18-character id, or undefined when the text cannot be a Salesforce id. */
export function normalizeId(text: string): string | undefined {
  if (!ID_SHAPE.test(text)) return undefined;
  if (text.length === 15) return text + suffixOf(text);
  const suffix = text.slice(15).toUpperCase();
  // The suffix is authoritative for case, which is what makes 18-character ids case-insensitive.
  let id15 = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    const flags = SUFFIX.indexOf(suffix[chunk] ?? '');
    if (flags < 0) return undefined;
    for (let i = 0; i < 5; i++) {
      const ch = text[chunk * 5 + i] ?? '';
      id15 += flags & (1 << i) ? ch.toUpperCase() : ch.toLowerCase();
    }
  }
  return suffixOf(id15) === suffix ? id15 + suffix : undefined;
}

let sequence = 0;

/** A fresh 18-character id with the given key prefix; unique across every org of this process. */
export function newId(keyPrefix: string): string {
  sequence += 1;
  let n = sequence;
  let body = '';
  for (let i = 0; i < 9; i++) {
    body = BASE62[n % 62] + body;
    n = Math.floor(n / 62);
  }
  const id15 = `${keyPrefix}5g0${body}`;
  return id15 + suffixOf(id15);
}

export function keyPrefixOf(id: string): string {
  return id.slice(0, 3);
}
