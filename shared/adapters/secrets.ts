import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  RestoreSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { secretsManager } from './aws-clients.ts';
import type { SecretWriter } from '../org-admin-ports.ts';

export interface SecretReader {
  /** The secret's string, or null when no such secret exists. */
  read(name: string): Promise<string | null>;
}

/**
 * Caches for a few minutes: a warm Lambda should not pay a Secrets Manager call per request,
 * but a rotated secret must be picked up without a redeploy.
 */
export function cachedSecretReader(ttlMs = 5 * 60_000, now: () => number = Date.now): SecretReader & { clear(): void } {
  const cache = new Map<string, { value: string | null; until: number }>();
  return {
    async read(name) {
      const hit = cache.get(name);
      if (hit && hit.until > now()) return hit.value;
      let value: string | null;
      try {
        const out = await secretsManager().send(new GetSecretValueCommand({ SecretId: name }));
        value = out.SecretString ?? null;
      } catch (error) {
        if (error instanceof ResourceNotFoundException || (error as { name?: string }).name === 'ResourceNotFoundException') {
          value = null;
        } else {
          throw error;
        }
      }
      // A missing secret is cached briefly only, so a newly registered group works within a minute.
      cache.set(name, { value, until: now() + (value === null ? Math.min(ttlMs, 60_000) : ttlMs) });
      return value;
    },
    clear() {
      cache.clear();
    },
  };
}

export function secretsManagerWriter(): SecretWriter {
  return {
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
