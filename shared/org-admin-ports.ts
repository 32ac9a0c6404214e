import type { Org } from './org.ts';

/*
 * The outside systems org administration needs, declared here beside their user (org-admin.ts,
 * and Sync Now for reading an org); the AWS implementations are in adapters/.
 */

export interface GroupRecord {
  groupId: number;
  createdAt: string;
}

export interface OrgRegistry {
  getGroup(groupId: number): Promise<GroupRecord | null>;
  putGroup(groupId: number): Promise<void>;
  /** Every registered group, by id; includes groups registered before the group index existed once an org is paired with them. */
  listGroups(): Promise<GroupRecord[]>;
  /** Forgets the group (its pairings must be gone first: the caller checks). */
  deleteGroup(groupId: number): Promise<void>;
  getOrg(orgId: string): Promise<Org | null>;
  /**
   * Writes the org and brings its group pairings in line with `org.groups`, in one transaction,
   * so the processor never sees an org paired with a group it does not list (or the reverse).
   * `previous` is the org as read before the change (null when new); a concurrent change fails.
   */
  saveOrg(org: Org, previous: Org | null): Promise<void>;
  deleteOrg(org: Org): Promise<void>;
  listOrgs(): Promise<Org[]>;
  orgsForGroup(groupId: number): Promise<Org[]>;
}

/** The org's sync schedule as EventBridge Scheduler holds it. */
export interface OrgScheduleState {
  scheduleName: string;
  groupName: string;
  expression: string | null;
  /** The zone the expression is read in: always UTC here (install times are UTC). */
  timezone: string | null;
  state: string | null;
  description: string | null;
  targetArn: string | null;
  /** The role the scheduler assumes to send to the target. */
  roleArn: string | null;
  /** The target's Input as parsed JSON (what the sync run receives). */
  input: unknown;
  /** Next fire time of the schedule's own expression; null when disabled or unreadable. */
  nextFireAt: string | null;
}

export type ScheduledOrg = Pick<Org, 'orgId' | 'name' | 'installedAt' | 'settings'>;

export interface OrgSchedules {
  /** Creates, replaces or (for `never`) removes the org's schedule so it matches its settings. */
  apply(org: ScheduledOrg): Promise<OrgScheduleState | null>;
  /** Removes the org's schedule; nothing to remove is not an error. */
  remove(orgId: string): Promise<void>;
  describe(orgId: string): Promise<OrgScheduleState | null>;
}

export interface SecretWriter {
  /** Creates the secret or stores a new version of it (the version it replaces becomes AWSPREVIOUS). */
  write(name: string, value: string): Promise<void>;
  remove(name: string): Promise<void>;
  /** Whether some version still carries AWSPREVIOUS; reads labels only, never a value. */
  hasPrevious(name: string): Promise<boolean>;
  /** Takes AWSPREVIOUS off whatever version carries it; false when none did. */
  retirePrevious(name: string): Promise<boolean>;
}
