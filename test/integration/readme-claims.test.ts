import { existsSync, readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { GlanceSalesforceSyncStack } from '../../infra/stack.ts';
import { DEFAULTS } from '../../shared/config.ts';

/*
 * What the README tells an AWS engineer about the deployed stack, checked against the stack as
 * synthesized: a deployer who follows the README must not find a table, function, alarm or
 * parameter it does not mention (or a count it gets wrong).
 */
type Json = Record<string, any>;
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));
const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

/** The README's text under a heading, up to the next heading of the same or a higher level. */
function section(heading: string): string {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => l.replace(/^#+\s*/, '') === heading && l.startsWith('#'));
  expect(start, `README has a section '${heading}'`).toBeGreaterThanOrEqual(0);
  const level = lines[start]!.match(/^#+/)![0].length;
  const end = lines.findIndex((l, i) => i > start && /^#+\s/.test(l) && l.match(/^#+/)![0].length <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

let resources: Record<string, Json>;
let parameters: Record<string, Json>;
beforeAll(() => {
  // Without esbuild, as test/integration/infra.test.ts: the template is what matters here.
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const template = Template.fromStack(new GlanceSalesforceSyncStack(app, 'ReadmeStack')).toJSON();
  resources = template.Resources;
  parameters = template.Parameters;
});
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

describe('README against the deployed stack', () => {
  it('names every deploy parameter in its parameters table', () => {
    const deploy = section('Deploy');
    for (const name of Object.keys(parameters).filter((p) => p !== 'BootstrapVersion')) expect(deploy).toContain(`\`${name}\``);
  });

  it('says when a session record appears in Salesforce and how to change that', () => {
    const deploy = section('Deploy');
    expect(deploy).toContain(`${DEFAULTS.recordBudgetSeconds / 60} minutes`);
    expect(deploy).toMatch(/--parameters RecordBudgetSeconds=/);
  });

  it('counts the functions the stack holds and gives each one its alarms', () => {
    const fns = ofType('AWS::Lambda::Function');
    expect(section('Deploy')).toContain(`${WORDS[fns.length]} Lambdas`);
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([id]) => id);
    for (const [, match] of alarms.map((id) => [id, id.match(/^Alarms(\w+?)Errors/)] as const)) {
      if (match) expect(readme, `README's alarm table names ${match[1]}`).toMatch(new RegExp(`\\b${match[1]}\\b`));
    }
  });

  it('prices the alarms the stack creates', () => {
    const count = ofType('AWS::CloudWatch::Alarm').length;
    expect(section('What it costs')).toContain(`${count} CloudWatch alarms`);
  });

  it('names every table a destroy keeps, and how many to delete', () => {
    const teardown = section('Teardown');
    const retained = ofType('AWS::DynamoDB::Table').filter(([, r]) => r.DeletionPolicy === 'Retain').map(([id]) => id.replace(/^Data/, '').replace(/[0-9A-F]{8}$/, ''));
    expect(retained.length).toBeGreaterThan(0);
    for (const table of retained) expect(teardown).toContain(table);
    expect(teardown).toContain(`the ${WORDS[retained.length]} retained tables`);
  });

  it('points only at files that exist in the repository', () => {
    // Paths in backquotes or links, under the repository's top-level folders (reference/ lives beside the BRIEF, outside it).
    const paths = [...readme.matchAll(/[`(]((?:infra|functions|shared|test|local|bin|bench|faults|docs|salesforce)\/[\w./-]+\.(?:ts|md|json))[`)]/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThan(10);
    const missing = [...new Set(paths)].filter((p) => !existsSync(new URL(`../../${p}`, import.meta.url)));
    expect(missing).toEqual([]);
  });
});
