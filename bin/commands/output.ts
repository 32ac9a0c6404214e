import type { OrgPause } from '../../shared/processing/session-processing.ts';
import type { Writer } from './spec.ts';

/** Plain columns that line up in a terminal and stay greppable (no box drawing). */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function printJson(out: Writer, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** ISO instants without milliseconds: what an admin reads, still sortable. */
export function when(iso: string | null | undefined): string {
  return iso ? iso.replace(/\.\d{3}Z$/, 'Z') : '-';
}

export function keyValues(pairs: Array<[string, string]>, indent = ''): string {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 2;
  return pairs.map(([k, v]) => `${indent}${`${k}:`.padEnd(width)}${v}`).join('\n') + '\n';
}

/** The line saying an admin's fix ended the org's setup pause (orgs set recordMapping, orgs check). */
export function setupResumedLine(orgId: string, pause: OrgPause): string {
  return `org ${orgId} resumed: its setup pause${pause.since ? ` (since ${pause.since})` : ''} is over; its waiting sessions go at their next delivery\n`;
}
