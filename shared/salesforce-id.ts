/**
 * Salesforce record and org ids: 15 case-sensitive characters, plus a 3-character suffix that
 * encodes the case of the first 15, so the 18-character form survives case-insensitive systems.
 * Both forms name the same record; the 18-character form is what the API returns and what the
 * product stores.
 */
const SUFFIX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const ID_SHAPE = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

/** The checksum suffix of a 15-character id: one letter per 5 characters, a bit per upper-case letter. */
export function idSuffix(id15: string): string {
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

/**
 * The canonical 18-character id, or undefined when the text cannot be a Salesforce id: a
 * 15-character id gets its suffix; an 18-character id is read case-insensitively (its suffix says
 * the case of the first 15) and refused when its suffix does not match.
 */
export function salesforceId18(text: string): string | undefined {
  if (!ID_SHAPE.test(text)) return undefined;
  if (text.length === 15) return text + idSuffix(text);
  const suffix = text.slice(15).toUpperCase();
  let id15 = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    const flags = SUFFIX.indexOf(suffix[chunk] ?? '');
    if (flags < 0) return undefined;
    for (let i = 0; i < 5; i++) {
      const ch = text[chunk * 5 + i] ?? '';
      id15 += flags & (1 << i) ? ch.toUpperCase() : ch.toLowerCase();
    }
  }
  return idSuffix(id15) === suffix ? id15 + suffix : undefined;
}

/** Whether two ids (either form) name the same record; false when either is missing or not an id. */
export function sameSalesforceId(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  const [x, y] = [salesforceId18(a), salesforceId18(b)];
  return x !== undefined && x === y;
}
