import type { Org } from '../org.ts';
import type { GlanceSession } from '../session.ts';
import { chatterDecision, chatterPost, sessionMarker, type ChatterPost } from '../chatter.ts';
import type { LinkDecision } from '../record-links.ts';
import { callMessage, describeFault, faultKind, SalesforceCallError } from '../salesforce-errors.ts';
import { chunkForIn, soqlStringList } from '../soql.ts';
import type { DedupeLedger } from './ledger.ts';
import type { OrgSalesforce, PostResult } from './org-batch.ts';

/**
 * Exactly one Chatter post per session and org. Salesforce cannot make a post idempotent (a
 * retried create duplicates), so the post is a claimed side effect in the dedupe ledger:
 *  0. the post is due when the session reached the pipeline live (the first version taken was
 *     live), whatever version is written now: a first try that failed, or an org that was down,
 *     cannot cost a session its post;
 *  1. claim `CHATTER#{orgId}#{sessionId}` with a lease; `done` means posted already, `busy` that
 *     another attempt holds it: the share waits until that lease ends (not counted as a failed
 *     attempt, so however the lease and the queue's visibility timeout fall, the post is made);
 *  2. a claim `recovered` from an attempt that died, and every attempt after a failed call, first
 *     looks on the record's feed for a post carrying the session's marker and completes the claim
 *     with it instead of posting again;
 *  3. post the rest in one batch call; a passing failure is tried again within the invocation
 *     (after step 2), up to CHATTER_ATTEMPTS;
 *  4. complete the claim with the feed item id, or release it when Salesforce refused the post
 *     (nothing was made). A failed call keeps the claims: the post may have gone through.
 * Why Powertools idempotency does not replace this: docs/exactly-once.md.
 */

/** The part of one session's work in an org batch that the Chatter step reads and writes. */
export interface ChatterWork {
  session: GlanceSession;
  link: LinkDecision;
  /** What happened to the post, for the Debug Mode trace. */
  chatter: string;
  /** Whether this attempt made the post (for Sync History's counts). */
  posted: boolean;
  /** `setup`: the org lacks what the package declares; `wait`: try again at `retryAt` (epoch ms) without counting a failed attempt. */
  problems: Array<{ kind: 'setup' | 'permanent' | 'transient' | 'wait'; reason: string; retryAt?: number }>;
  /** The first version of the session the pipeline took was live: its post is due even if it has ended since. */
  reachedLive: boolean;
}

export interface ChatterOnceDeps {
  ledger: Pick<DedupeLedger, 'claimEffect' | 'completeEffect' | 'releaseEffect'>;
  /** How long a Chatter claim keeps others from posting; after it, a retry first looks for the post. */
  chatterLeaseMs: number;
}

export const CHATTER_ATTEMPTS = 3;

interface Wanted {
  w: ChatterWork;
  key: string;
  post: ChatterPost;
  recovered: boolean;
}

/** Posts once, for each recorded session whose org wants a post, following the protocol above. */
export async function postToChatterOnce(org: Org, recorded: ChatterWork[], sf: OrgSalesforce, deps: ChatterOnceDeps): Promise<void> {
  const wanted = await claimPosts(org, recorded, deps);
  if (wanted.length === 0) return;

  let toPost = wanted;
  let results: PostResult[] | null = null;
  for (let attempt = 1; !results; attempt++) {
    const unsure = attempt === 1 ? toPost.filter((x) => x.recovered) : toPost;
    if (unsure.length) {
      let alreadyPosted: Map<string, string>;
      try {
        alreadyPosted = await findEarlierPosts(unsure, sf);
      } catch (error) {
        // Nothing is posted blind: every claim stays, so the retry looks first.
        for (const x of toPost) x.w.problems.push({ kind: 'transient', reason: `checking earlier Chatter posts: ${callMessage(error)}` });
        return;
      }
      for (const x of unsure.filter((y) => alreadyPosted.has(y.key))) {
        await deps.ledger.completeEffect(x.key, alreadyPosted.get(x.key)!);
        x.w.chatter = `no post: found the post ${alreadyPosted.get(x.key)} an interrupted attempt made`;
      }
      toPost = toPost.filter((x) => !alreadyPosted.has(x.key));
      if (toPost.length === 0) return;
    }
    try {
      results = await sf.postChatter(toPost.map((x) => x.post));
    } catch (error) {
      const passing = error instanceof SalesforceCallError && error.kind === 'transient';
      if (passing && attempt < CHATTER_ATTEMPTS) continue;
      // The claims stay: the posts may have gone through, so the retry looks for them first.
      for (const x of toPost) {
        x.w.chatter = `post failed: ${callMessage(error)}`;
        x.w.problems.push({ kind: 'transient', reason: `Chatter post: ${callMessage(error)}` });
      }
      return;
    }
  }
  await settlePosts(toPost, results, deps);
}

/** Step 1: decides and claims each post; returns the ones this attempt may make. */
async function claimPosts(org: Org, recorded: ChatterWork[], deps: ChatterOnceDeps): Promise<Wanted[]> {
  const wanted: Wanted[] = [];
  // Claimed together: the claims are independent items, one round trip each.
  const decisions = recorded.map((w) => chatterDecision(w.session, org.settings.chatterOnSessionStart, w.link.linked ? w.link.recordId : null, w.reachedLive));
  const claims = await Promise.all(
    recorded.map((w, i) => (decisions[i]!.post ? deps.ledger.claimEffect(`CHATTER#${org.orgId}#${w.session.id}`, deps.chatterLeaseMs) : null)),
  );
  for (const [i, w] of recorded.entries()) {
    const decision = decisions[i]!;
    if (!decision.post) {
      w.chatter = `no post: ${decision.reason}`;
      continue;
    }
    const key = `CHATTER#${org.orgId}#${w.session.id}`;
    const claim = claims[i]!;
    if (claim.result === 'done') w.chatter = 'no post: already posted for this session';
    else if (claim.result === 'busy') {
      // The holder may still be posting, or may have died: after its lease a retry looks first.
      const retryAt = claim.leaseUntil ?? Date.now() + deps.chatterLeaseMs;
      w.chatter = `waiting: another attempt holds the post until ${new Date(retryAt).toISOString()}`;
      w.problems.push({ kind: 'wait', reason: 'Chatter post claimed by another attempt', retryAt });
    } else wanted.push({ w, key, post: chatterPost(w.session, decision.subjectId), recovered: claim.recovered });
  }
  return wanted;
}

/** Step 4: completes the claims of the posts made, releases those Salesforce refused. */
async function settlePosts(posted: Wanted[], results: PostResult[], deps: ChatterOnceDeps): Promise<void> {
  await Promise.all(posted.map(async (x, i) => {
    const result = results[i]!;
    if (result.ok) {
      await deps.ledger.completeEffect(x.key, result.id);
      x.w.chatter = `posted ${result.id} on ${x.post.subjectId}`;
      x.w.posted = true;
    } else {
      await deps.ledger.releaseEffect(x.key);
      const reason = result.faults.map(describeFault).join('; ');
      x.w.chatter = `post refused: ${reason}`;
      x.w.problems.push({ kind: faultKind(result.faults), reason: `Chatter post: ${reason}` });
    }
  }));
}

/** Step 2: the feed items on the posts' records that carry a session's marker, by claim key. */
async function findEarlierPosts(items: Wanted[], sf: OrgSalesforce): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const parents = [...new Set(items.map((x) => x.post.subjectId))];
  for (const chunk of chunkForIn(parents)) {
    const rows = await sf.query<{ Id: string; Body?: string }>(`SELECT Id, Body FROM FeedItem WHERE ParentId IN ${soqlStringList(chunk)}`);
    for (const x of items) {
      const hit = rows.find((r) => r.Body?.includes(sessionMarker(x.w.session.id)));
      if (hit) found.set(x.key, hit.Id);
    }
  }
  return found;
}
