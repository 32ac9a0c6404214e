import { readFileSync } from 'node:fs';
import { AdminError } from '../../shared/admin-error.ts';

/**
 * Secrets come from files, never from flags: a flag lands in shell history and in `ps` output.
 * Errors name the file, never its content.
 */
export function readSecretFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new AdminError(`${what} file ${path} cannot be read (${code ?? (error as Error).message})`, code === 'ENOENT' ? 'not_found' : 'invalid');
  }
}

export function readJsonSecretFile(path: string, what: string): unknown {
  const text = readSecretFile(path, what);
  try {
    return JSON.parse(text);
  } catch {
    throw new AdminError(`${what} file ${path} is not JSON`);
  }
}
