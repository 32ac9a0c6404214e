/**
 * SOQL string literals. jsforce's query builder does not escape every character Salesforce
 * treats specially, so every value from outside (emails, names, custom data) goes through here.
 */
const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

export function soqlString(value: string): string {
  return `'${value.replace(/[\\'"\n\r\t\b\f]/g, (ch) => ESCAPES[ch]!)}'`;
}

export function soqlStringList(values: string[]): string {
  return `(${values.map(soqlString).join(', ')})`;
}

/** Field and object names are ours or validated settings; refuse anything else rather than escape it. */
export function soqlName(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)?$/.test(name)) throw new Error(`not a Salesforce API name: ${JSON.stringify(name)}`);
  return name;
}

/**
 * A query travels URL-encoded in a GET, and Salesforce answers 414 past 16,384 bytes of URI: chunk
 * IN lists by their encoded size, well below that, rather than by SOQL's own 100,000 characters.
 */
export function chunkForIn(values: string[], maxChars = 10_000, maxItems = 500): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const value of values) {
    const cost = encodeURIComponent(`${soqlString(value)}, `).length;
    if (current.length > 0 && (size + cost > maxChars || current.length >= maxItems)) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(value);
    size += cost;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
