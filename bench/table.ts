/** Plain-text tables: numbers right-aligned, text left-aligned, one space of padding. */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || /^[\d.,×%$-]+[a-zA-Z/ ]*$/.test(String(r[i]))));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: Array<string | number>) =>
    r.map((c, i) => (numeric[i] && i > 0 ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function fmt(n: number, digits?: number): string {
  if (!Number.isFinite(n)) return String(n);
  const d = digits ?? (Number.isInteger(n) ? 0 : Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2);
  return n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

export const ratio = (n: number) => `${fmt(n, n >= 10 ? 1 : 2)}×`;
export const mib = (bytes: number) => `${fmt(bytes / 1024 / 1024, 1)} MiB`;
export const kib = (bytes: number) => `${fmt(bytes / 1024, 1)} KiB`;
export const usd = (n: number) => `$${n >= 1 ? fmt(n, 2) : n >= 0.01 ? fmt(n, 4) : n.toPrecision(3)}`;
