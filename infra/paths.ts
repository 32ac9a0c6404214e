import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const LOCK_FILE = join(REPO_ROOT, 'package-lock.json');

export type FunctionName = 'webhook-ingest' | 'session-processor' | 'sync-run' | 'sync-now' | 'org-check' | 'outbox-flusher';

export function functionEntry(name: FunctionName): string {
  return join(REPO_ROOT, 'functions', name, 'handler.ts');
}
