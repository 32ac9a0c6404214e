import type { FaultSpec } from './faults.ts';
import { isPlainObject, type Reply } from './http.ts';
import type { Simulator } from './sim.ts';

const bad = (status: number, error: string): Reply => ({ status, body: { error } });

function orgParam(sim: Simulator, url: URL): string | Reply {
  const given = url.searchParams.get('orgId');
  if (given) return given;
  const orgs = [...sim.state.store.orgs.keys()];
  if (orgs.length === 1) return orgs[0] as string;
  return bad(400, 'orgId is required when the simulator holds more than one org');
}

/** JSON cannot say Infinity, so `"times": "Infinity"` (or null) stands for it. */
function faultFrom(body: unknown): FaultSpec {
  if (!isPlainObject(body)) throw new Error('a FaultSpec JSON object is required');
  const times = body.times === 'Infinity' || body.times === null ? Infinity : body.times;
  return { ...(body as unknown as FaultSpec), ...(times === undefined ? {} : { times: times as number }) };
}

/** Test and demo inspection under `/__sim/`: never counted, never authenticated. */
export function handleInspect(sim: Simulator, method: string, url: URL, rawBody: string): Reply {
  const path = url.pathname.replace(/^\/__sim\/?/, '');
  try {
    const body = rawBody.trim() ? (JSON.parse(rawBody) as unknown) : undefined;
    if (path === 'orgs' && method === 'GET') return { status: 200, body: sim.orgSummaries() };
    if (path === 'orgs' && method === 'POST') {
      sim.addOrg(body as never);
      return { status: 201, body: sim.orgSummaries() };
    }
    if (path === 'faults' && method === 'GET') return { status: 200, body: sim.pendingFaults() };
    if (path === 'faults' && method === 'POST') {
      sim.injectFault(faultFrom(body));
      return { status: 201, body: sim.pendingFaults() };
    }
    if (path === 'faults' && method === 'DELETE') {
      sim.clearFaults();
      return { status: 204 };
    }
    if (path === 'reset' && method === 'POST') {
      sim.reset();
      return { status: 204 };
    }
    const objectMatch = /^sobjects\/([^/]+)$/.exec(path);
    if ((objectMatch || path === 'calls') && method === 'GET') {
      const orgId = orgParam(sim, url);
      if (typeof orgId !== 'string') return orgId;
      if (!objectMatch) return { status: 200, body: sim.callLog(orgId) };
      return { status: 200, body: sim.records(orgId, decodeURIComponent(objectMatch[1] as string)) };
    }
    return bad(404, `no simulator endpoint ${method} /__sim/${path}`);
  } catch (error) {
    return bad(400, (error as Error).message);
  }
}
