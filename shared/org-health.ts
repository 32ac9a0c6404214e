/**
 * An org's health as an admin reads it in `orgs list` / `orgs show`: whether the pipeline can log
 * in to its Salesforce (and, for syncs, to Glance), since when, and the last thing that went wrong.
 * Written by the processor and the sync run, read by the admin CLI.
 */

/** Which sign-in: the org's Salesforce (processor) or its Glance group (sync run). */
export type LoginSystem = 'salesforce' | 'glance';

/** The state of one sign-in; `since` is when it last changed between ok and failing. */
export interface LoginState {
  ok: boolean;
  since: string;
  /** Why it fails (never a secret: the adapters' messages name fields, not values). */
  error: string | null;
}

export interface OrgHealthRecord {
  orgId: string;
  login: Partial<Record<LoginSystem, LoginState>>;
  /** The newest failure of a whole Salesforce call or sign-in, for `orgs show`. */
  lastError: { at: string; message: string } | null;
}

/**
 * Port the processor and the sync run record into. Implementations write only when something
 * changed (ok ⇄ failing, a new error message), so a healthy org costs no writes per delivery.
 */
export interface OrgHealthRecorder {
  login(orgId: string, system: LoginSystem, outcome: { ok: true } | { ok: false; error: string }): Promise<void>;
  error(orgId: string, message: string): Promise<void>;
}

export interface OrgHealthReader {
  /** The records of these orgs; an org never recorded is absent from the map. */
  read(orgIds: string[]): Promise<Map<string, OrgHealthRecord>>;
}

/** Records nothing: for tests of rules and for entry points that have no table. */
export const noHealthRecorder: OrgHealthRecorder = { login: async () => undefined, error: async () => undefined };

/** Salesforce error codes that say the org's credentials are refused or missing, not that a call failed. */
const LOGIN_FAILURE_CODES = new Set(['INVALID_GRANT', 'MISSING_CREDENTIALS', 'INVALID_CREDENTIALS', 'INVALID_SESSION_ID', 'INVALID_AUTH_HEADER', 'INVALID_CLIENT']);

export function isLoginFailureCode(code: string | undefined): boolean {
  return !!code && LOGIN_FAILURE_CODES.has(code);
}

/** What the CLI shows about one org, from the facts it gathered. */
export interface OrgHealthFacts {
  health: OrgHealthRecord | null;
  lastRun: { runId: string; trigger: string; status: string; requestedAt: string; endedAt: string | null; error: string | null } | null;
  pause: { until: string; reason: string } | null;
  deadLetters: number;
}

export interface OrgHealthSummary {
  /** `ok`, `failing since …`, or `unknown (no delivery yet)`. */
  salesforceLogin: string;
  glanceLogin: string;
  lastSync: string;
  paused: string;
  deadLetters: number;
  lastError: string;
  /** One word for the list: ok, failing, paused, attention (dead letters or a failed last sync), unknown. */
  status: 'ok' | 'failing' | 'paused' | 'attention' | 'unknown';
}

const at = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');

function loginText(state: LoginState | undefined): string {
  if (!state) return 'unknown (not tried yet)';
  return state.ok ? `ok since ${at(state.since)}` : `failing since ${at(state.since)}: ${state.error ?? 'no reason recorded'}`;
}

/** Pure: the health lines and status word of one org. */
export function summarizeOrgHealth(facts: OrgHealthFacts): OrgHealthSummary {
  const login = facts.health?.login ?? {};
  const run = facts.lastRun;
  const lastSync = run
    ? `${run.status} (${run.trigger}, ${at(run.endedAt ?? run.requestedAt)})${run.error ? `: ${run.error}` : ''}`
    : 'never';
  const failing = login.salesforce?.ok === false || login.glance?.ok === false;
  const status: OrgHealthSummary['status'] = failing
    ? 'failing'
    : facts.pause
      ? 'paused'
      : facts.deadLetters > 0 || run?.status === 'failed'
        ? 'attention'
        : login.salesforce?.ok
          ? 'ok'
          : 'unknown';
  const lastError = facts.health?.lastError ?? null;
  const runError = run?.error && run.status === 'failed' ? { at: run.endedAt ?? run.requestedAt, message: `sync run ${run.runId}: ${run.error}` } : null;
  const newest = [lastError, runError].filter((e): e is { at: string; message: string } => !!e).sort((a, b) => b.at.localeCompare(a.at))[0];
  return {
    salesforceLogin: loginText(login.salesforce),
    glanceLogin: loginText(login.glance),
    lastSync,
    paused: facts.pause ? `until ${at(facts.pause.until)}: ${facts.pause.reason}` : 'no',
    deadLetters: facts.deadLetters,
    lastError: newest ? `${at(newest.at)} ${newest.message}` : '-',
    status,
  };
}
