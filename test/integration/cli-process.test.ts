import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the CLI as an admin's shell does; `closeStdout` plays a reader that stops early (`| head -1`). */
function runCli(args: string[], closeStdout: boolean): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/glance-sync.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    if (closeStdout) child.stdout.destroy();
    else child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the CLI as a process', () => {
  it('stops quietly when its reader goes away (glance-sync ... | head)', async () => {
    const { code, stderr } = await runCli(['--help'], true);
    expect(stderr).not.toMatch(/EPIPE|Unhandled 'error' event/);
    expect(code).toBe(0);
  }, 60_000);

  it('still prints its help to a reader that stays', async () => {
    const { code, stderr } = await runCli(['--help'], false);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 60_000);

  it('orgs add --help names what the Sync Frequency becomes in the stack: a Scheduler schedule, not a legacy rule', async () => {
    const { code, stdout } = await runCli(['orgs', 'add', '--help'], false);
    expect(code).toBe(0);
    expect(stdout).toContain('EventBridge Scheduler schedule');
    expect(stdout).not.toMatch(/EventBridge rule/);
  }, 60_000);
});
