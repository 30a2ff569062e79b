/** GET /v1/gateways: the `gateways/<id>` documents ingest keeps, with the uplink lag now. */

import type { RequestContext } from './context.ts';
import type { GatewayList } from './contract.ts';
import { ParamProblems, rejectUnknown } from './params.ts';
import type { GatewayReads } from './ports.ts';

export async function listGateways(ctx: RequestContext, store: GatewayReads): Promise<GatewayList> {
  const problems = new ParamProblems();
  rejectUnknown(ctx.query, [], problems);
  problems.throwIfAny();
  ctx.budget.reserve(1, 'the gateways');
  const got = await store.list(ctx.budget.remaining - 1);
  ctx.budget.charge(got.reads + (got.more ? 1 : 0));
  if (got.more) ctx.budget.refuse('listing the gateways');
  return {
    items: got.gateways.map((g) => ({
      gatewayId: g.gatewayId,
      lastBatchAtMs: g.lastBatchAtMs,
      newestReadingAtMs: g.newestReadingAtMs,
      uplinkLagMs: g.newestReadingAtMs === null ? null : Math.max(0, ctx.nowMs - g.newestReadingAtMs),
      lastSeq: g.lastSeq,
      seqGapCount: g.seqGapCount,
      recentGaps: g.recentGaps.map((x) => ({
        fromSeq: x.fromSeq,
        toSeq: x.toSeq,
        detectedAtMs: x.detectedAtMs,
      })),
      health: g.health
        ? {
            outboxRecords: g.health.outboxRecords,
            outboxBytes: g.health.outboxBytes,
            oldestUnsentAgeMs: g.health.oldestUnsentAgeMs,
            evictedReadings: g.health.evictedReadings,
            rejectedByReason: { ...g.health.rejectedByReason },
            clientsConnected: g.health.clientsConnected,
            rulesVersion: g.health.rulesVersion ?? null,
            uptimeS: g.health.uptimeS,
            rssBytes: g.health.rssBytes,
            reportedAtMs: g.health.reportedAtMs,
          }
        : null,
    })),
  };
}
