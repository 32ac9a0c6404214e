import { format } from 'node:util';

/**
 * Everything the code under test writes: Powertools loggers and metrics write through their own
 * Console on process.stdout/stderr, other code through the global console (which vitest swaps for
 * its own, bypassing process.stdout). Both paths are taken, so nothing printed escapes a scan.
 */
export interface LogCapture {
  /** All captured output, in order. */
  text(): string;
  /** Captured output split into lines, blank ones dropped. */
  lines(): string[];
  /** Lines that parse as JSON objects (Powertools log lines, EMF metrics). */
  records(): Array<Record<string, unknown>>;
  clear(): void;
  /** Restores the original writers; the captured text stays readable. */
  stop(): void;
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

export function captureLogs(options: { passThrough?: boolean } = {}): LogCapture {
  let chunks: string[] = [];
  const outWrite = process.stdout.write;
  const errWrite = process.stderr.write;
  const consoleOriginals = CONSOLE_METHODS.map((m) => [m, console[m]] as const);

  const streamWriter = (original: typeof process.stdout.write, stream: NodeJS.WriteStream) =>
    function write(this: unknown, chunk: unknown, ...rest: unknown[]): boolean {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      if (options.passThrough) return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    } as typeof process.stdout.write;

  process.stdout.write = streamWriter(outWrite, process.stdout);
  process.stderr.write = streamWriter(errWrite, process.stderr);
  for (const [method, original] of consoleOriginals) {
    console[method] = (...args: unknown[]) => {
      chunks.push(`${format(...args)}\n`);
      if (options.passThrough) original.apply(console, args);
    };
  }

  const text = () => chunks.join('');
  return {
    text,
    lines: () => text().split('\n').filter((l) => l.trim() !== ''),
    records() {
      return text()
        .split('\n')
        .flatMap((line) => {
          try {
            const value = JSON.parse(line) as unknown;
            return value && typeof value === 'object' && !Array.isArray(value) ? [value as Record<string, unknown>] : [];
          } catch {
            return [];
          }
        });
    },
    clear() {
      chunks = [];
    },
    stop() {
      process.stdout.write = outWrite;
      process.stderr.write = errWrite;
      for (const [method, original] of consoleOriginals) console[method] = original;
    },
  };
}
