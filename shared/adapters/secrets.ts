import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  RestoreSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { secretsManager } from './aws-clients.ts';
import type { SecretWriter } from '../org-admin-ports.ts';

/**
 * Secrets Manager's version labels. A new value becomes AWSCURRENT and the value it replaced
 * AWSPREVIOUS (https://docs.aws.amazon.com/secretsmanager/latest/userguide/whats-in-a-secret.html#term_version):
 * webhook secret rotation lets the AWSPREVIOUS value keep verifying until an admin retires it.
 */
export type SecretStage = 'AWSCURRENT' | 'AWSPREVIOUS';

export interface SecretReadOptions {
  /** Which version; AWSCURRENT when not given. */
  stage?: SecretStage;
  /**
   * Read again unless the cached value is younger than the reader's refresh floor: after a failed
   * verification, a warm Lambda may hold a value from before a rotation.
   */
  fresh?: boolean;
  /** Read again when the cached value is older than this (0: always), whatever the refresh floor. */
  maxAgeMs?: number;
}

export interface SecretReader {
  /** The secret's string, or null when no such secret (or no version with that label) exists. */
  read(name: string, options?: SecretReadOptions): Promise<string | null>;
}

const isNotFound = (error: unknown) =>
  error instanceof ResourceNotFoundException || (error as { name?: string }).name === 'ResourceNotFoundException';

/**
 * Caches for a few minutes: a warm Lambda should not pay a Secrets Manager call per request,
 * but a rotated secret must be picked up without a redeploy. `fresh` reads re-read at most once
 * per `refreshFloorMs`, so a caller sending bad signatures cannot turn each request into a
 * Secrets Manager call.
 */
export function cachedSecretReader(ttlMs = 5 * 60_000, now: () => number = () => Date.now(), refreshFloorMs = 30_000): SecretReader & { clear(): void } {
  const cache = new Map<string, { value: string | null; at: number; until: number }>();
  return {
    async read(name, options = {}) {
      const stage = options.stage ?? 'AWSCURRENT';
      const key = `${name}@${stage}`;
      const hit = cache.get(key);
      const stale = hit && ((options.fresh && now() - hit.at >= refreshFloorMs) || (options.maxAgeMs !== undefined && now() - hit.at >= options.maxAgeMs));
      if (hit && hit.until > now() && !stale) return hit.value;
      let value: string | null;
      try {
        const out = await secretsManager().send(new GetSecretValueCommand({ SecretId: name, ...(stage === 'AWSCURRENT' ? {} : { VersionStage: stage }) }));
        value = out.SecretString ?? null;
      } catch (error) {
        if (!isNotFound(error)) throw error;
        value = null;
      }
      // A missing secret is cached briefly only, so a newly registered group works within a minute.
      cache.set(key, { value, at: now(), until: now() + (value === null ? Math.min(ttlMs, 60_000) : ttlMs) });
      return value;
    },
    clear() {
      cache.clear();
    },
  };
}

/** The version id carrying AWSPREVIOUS (and not AWSCURRENT too), from the secret's metadata. */
async function previousVersionId(name: string): Promise<string | null> {
  try {
    const out = await secretsManager().send(new DescribeSecretCommand({ SecretId: name }));
    const entry = Object.entries(out.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes('AWSPREVIOUS') && !stages.includes('AWSCURRENT'));
    return entry ? entry[0] : null;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

export function secretsManagerWriter(): SecretWriter {
  return {
    hasPrevious: async (name) => (await previousVersionId(name)) !== null,
    async retirePrevious(name) {
      const versionId = await previousVersionId(name);
      if (!versionId) return false;
      await secretsManager().send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS', RemoveFromVersionId: versionId }));
      return true;
    },
    async write(name, value) {
      // A secret pending deletion (an org removed and registered again within the recovery
      // window) must be restored first: AWS refuses new values for it and the name stays taken.
      let exists = true;
      try {
        const described = await secretsManager().send(new DescribeSecretCommand({ SecretId: name }));
        if (described.DeletedDate) await secretsManager().send(new RestoreSecretCommand({ SecretId: name }));
      } catch (error) {
        if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
        exists = false;
      }
      if (!exists) {
        try {
          await secretsManager().send(new CreateSecretCommand({ Name: name, SecretString: value }));
          return;
        } catch (error) {
          // Created by someone else meanwhile: store a new version instead.
          if ((error as { name?: string }).name !== 'ResourceExistsException') throw error;
        }
      }
      await secretsManager().send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
    },
    async remove(name) {
      await secretsManager()
        .send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }))
        .catch((error: { name?: string; message?: string }) => {
          if (error.name === 'ResourceNotFoundException') return;
          // Already scheduled for deletion (removed before): as gone as it gets.
          if (error.name === 'InvalidRequestException' && /marked (for )?delet/i.test(error.message ?? '')) return;
          throw error;
        });
    },
  };
}

/** Whether a secret is stored and not scheduled for deletion; never reads its value. */
export async function secretExists(name: string): Promise<boolean> {
  try {
    const out = await secretsManager().send(new DescribeSecretCommand({ SecretId: name }));
    return !out.DeletedDate;
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return false;
    throw error;
  }
}

/**
 * A secret's metadata (never its value): when it was made and last changed, and how many versions
 * carry AWSCURRENT or AWSPREVIOUS (two while a rotation keeps the old value valid). Null when it
 * is not stored. DescribeSecret only: admins need no GetSecretValue for it.
 */
export async function secretMetadata(name: string): Promise<{ createdAt: string | null; changedAt: string | null; stagedVersions: number } | null> {
  try {
    const out = await secretsManager().send(new DescribeSecretCommand({ SecretId: name }));
    if (out.DeletedDate) return null;
    const iso = (d: Date | undefined) => (d ? d.toISOString() : null);
    const staged = Object.values(out.VersionIdsToStages ?? {}).filter((stages) => stages.includes('AWSCURRENT') || stages.includes('AWSPREVIOUS')).length;
    return { createdAt: iso(out.CreatedDate), changedAt: iso(out.LastChangedDate ?? out.CreatedDate), stagedVersions: staged };
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return null;
    throw error;
  }
}
