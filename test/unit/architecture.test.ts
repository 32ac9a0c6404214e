import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const shared = join(root, 'shared');
const adapters = join(shared, 'adapters');

/**
 * Imports still allowed from rules into adapters, each with the issue that removes it. None left:
 * the Glance activity port now sits beside its user (shared/sync/glance-activity.ts, issue 14).
 */
const PENDING: Record<string, string[]> = {};

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Relative module specifiers of static imports, re-exports and dynamic imports, resolved to repo paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
  return specifiers.filter((s) => s.startsWith('.')).map((s) => relative(root, resolve(dirname(file), s)));
}

describe('shared/ depends on ports, never on adapters', () => {
  const rules = tsFiles(shared).filter((f) => !f.startsWith(adapters + '/'));
  const edges = rules.flatMap((file) => importsOf(file).map((target) => ({ from: relative(root, file), target })));

  it('reads the imports of the rule files (so the check below cannot pass on nothing)', () => {
    expect(rules.length).toBeGreaterThan(30);
    expect(edges.some((e) => e.from === 'shared/processing/session-processing.ts' && e.target === 'shared/processing/org-writes.ts')).toBe(true);
  });

  it('has no import from shared/ outside adapters/ into shared/adapters/ beyond the listed pending ones', () => {
    const intoAdapters = edges.filter((e) => e.target.startsWith('shared/adapters/'));
    const unexpected = intoAdapters.filter((e) => !PENDING[e.from]?.includes(e.target));
    expect(unexpected).toEqual([]);
  });

  it('lists only pending exceptions that still exist (delete an entry once its import is gone)', () => {
    for (const [from, targets] of Object.entries(PENDING)) {
      for (const target of targets) expect(edges).toContainEqual({ from, target });
    }
  });
});
