import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the CLI as an admin's shell does; `closeStdout` plays a reader that stops early (`| head -1`). */
function runCli(args: string[], closeStdout: boolean, script = 'bin/glance-sync.ts', env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
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

  it('send-sample says the local run is gone, as the CLI does, when its runtime file outlives it', async () => {
    // A port nothing answers on: listen, note it, close.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const dir = mkdtempSync(join(tmpdir(), 'glance-sync-runtime-'));
    const file = join(dir, 'runtime.json');
    const resources = Object.fromEntries(
      ['orgsTable', 'dedupeTable', 'tracesTable', 'eventsQueueUrl', 'eventsDlqUrl', 'syncQueueUrl', 'syncQueueArn', 'syncDlqUrl', 'scheduleGroupName', 'schedulerRoleArn', 'pipelineEventBusName'].map((k) => [k, k]),
    );
    writeFileSync(file, JSON.stringify({ awsEndpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', resources, webhookUrl: `http://127.0.0.1:${port}/webhooks/glance/12345`, salesforceSimUrl: `http://127.0.0.1:${port}`, demoGroupId: 12345, startedAt: '2026-11-30T06:00:00Z' }));
    const { code, stderr } = await runCli([], false, 'local/send-sample.ts', { ...process.env, GLANCE_SYNC_RUNTIME_FILE: file });
    expect(code).toBe(1);
    expect(stderr).toContain('is not running any more');
    expect(stderr).toContain('npm start');
    expect(stderr).not.toContain('ECONNREFUSED');
  }, 60_000);
});
