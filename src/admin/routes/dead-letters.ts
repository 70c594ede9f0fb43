/**
 * Dead-letter routes: list with filters, search and facets, top failures, stats, one entry, the
 * operator actions (replay, force-replay, resolve — each naming the generation the operator saw),
 * batch preview / resolve / replay, purge.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DeadLetterStatus } from '../../core/dead-letter.js';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { OPEN_STATUSES as OPEN, openIdsMatching } from '../../dlq/open-entries.js';
import { MAX_PAGE_SIZE } from '../../dlq/queries.js';
import { fullDeadLetter, summarizeDeadLetter } from '../../dlq/summary.js';
import { expectedGenerationOf } from '../../store/dead-letter-store.js';
import { type AdminContext, identityOf, requireRole } from '../context.js';
import { facetsMatching } from '../dead-letter-facets.js';
import { filterBodySchema, filterFromBody, filterFromQuery } from '../dead-letter-filter.js';
import { intParam, parseBody, parseQuery, parseWith, textParam } from '../validation.js';

/** Entries a preview shows. */
const PREVIEW_SAMPLE = 10;

/** Most ids (or filter matches) one batch action takes. */
export const MAX_BATCH_IDS = 10_000;

const idParams = z.object({ id: z.string().min(1).max(200, { error: 'must be at most 200 characters' }) });
const generation = z.number().int().min(0);
const note = z.string().max(2000, { error: 'must be at most 2000 characters' });

const listQuery = z.object({
  page: intParam(1, 1_000_000).optional(),
  pageSize: intParam(1, MAX_PAGE_SIZE).optional(),
  order: z.enum(['newest', 'oldest']).optional(),
  cursor: textParam(500).optional(),
});

const replayBody = z.strictObject({ generation, dryRun: z.boolean().optional() });
const forceReplayBody = z.strictObject({
  generation,
  reason: z
    .string()
    .trim()
    .min(1, { error: 'must say why (it goes to the audit trail)' })
    .max(2000, { error: 'must be at most 2000 characters' }),
  ticket: z.string().max(200, { error: 'must be at most 200 characters' }).optional(),
});
const resolveBody = z.strictObject({ generation, note: note.optional() });

const idsSchema = z
  .array(z.string().min(1).max(200))
  .min(1, { error: 'must name at least one id' })
  .max(MAX_BATCH_IDS, { error: `must name at most ${MAX_BATCH_IDS} ids` });

const previewBody = z.strictObject({ filter: filterBodySchema.optional(), ids: idsSchema.optional() });
const batchResolveBody = z.strictObject({
  ids: idsSchema.optional(),
  filter: filterBodySchema.optional(),
  /** Per id, the generation the operator saw; entries that moved on are skipped. */
  generations: z.record(z.string(), generation).optional(),
  note: note.optional(),
  dryRun: z.boolean().optional(),
});
const batchReplayBody = z.strictObject({
  filter: z
    .strictObject({
      domain: z.string().max(200).optional(),
      queue: z.string().max(200).optional(),
      failureType: z.string().max(100).optional(),
    })
    .optional(),
  batchSize: z.number().int().min(1).max(1000).optional(),
  dryRun: z.boolean().optional(),
});
const purgeBody = z.strictObject({
  olderThanDays: z.number().min(0).max(36_500),
  dryRun: z.boolean().optional(),
});

const topQuery = z.object({ limit: intParam(1, 100).optional() });

function exactlyOne(body: { ids?: unknown; filter?: unknown }): void {
  if ((body.ids === undefined) === (body.filter === undefined)) {
    throw new ValidationError('body', 'give either ids or filter');
  }
}

export function registerDeadLetterRoutes(app: FastifyInstance, ctx: AdminContext): void {
  const viewer = { onRequest: requireRole(ctx, 'viewer') };
  const operator = { onRequest: requireRole(ctx, 'operator') };
  const admin = { onRequest: requireRole(ctx, 'admin') };

  app.get('/api/dead-letters', viewer, async (request) => {
    const filter = filterFromQuery(request.query);
    const q = parseQuery(listQuery, request.query);
    const page = await ctx.dlq.list(filter, {
      page: q.page ?? 1,
      pageSize: q.pageSize ?? 25,
      ...(q.order ? { order: q.order } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
    return {
      items: page.results.map(summarizeDeadLetter),
      total: page.totalCount,
      page: page.page,
      pageSize: page.pageSize,
      totalPages: page.totalPages,
      nextCursor: page.nextCursor,
      scan: page.scan ?? null,
    };
  });

  app.get('/api/dead-letters/facets', viewer, async (request) => {
    return facetsMatching(ctx.store, filterFromQuery(request.query));
  });

  app.get('/api/dead-letters/top-failures', viewer, async (request) => {
    const filter = filterFromQuery(request.query);
    const { limit } = parseQuery(topQuery, request.query);
    const top = await ctx.dlq.topFailures({ ...filter, limit: limit ?? 10 });
    return {
      items: top.groups.map((g) => ({
        fingerprint: g.fingerprint,
        count: g.count,
        firstSeen: g.firstSeenAt,
        lastSeen: g.lastSeenAt,
        sampleId: g.sampleId,
        errorClass: g.errorClass,
        message: g.normalizedMessage,
        frame: g.frame,
        domain: g.domain,
        /** What identifies the group: class, parameterized message, first application frame. */
        signature: g.signature,
        fingerprintVersion: g.fingerprintVersion,
        domains: g.domains,
      })),
      scan: top.scan,
    };
  });

  app.get('/api/dead-letters/stats', viewer, async () => ctx.dlq.stats());

  app.get('/api/dead-letters/:id', viewer, async (request) => {
    const { id } = parseWith(idParams, request.params, 'params');
    const entry = await ctx.dlq.mustGet(id);
    return { ...fullDeadLetter(entry), replay: await ctx.dlq.replayability(entry) };
  });

  // `retry` and `redrive` are the old names of `replay` and `force-replay` (docs/glossary.md), kept
  // for one minor version.
  for (const action of ['replay', 'retry']) {
    app.post(`/api/dead-letters/:id/${action}`, operator, async (request) => {
      const { id } = parseWith(idParams, request.params, 'params');
      const body = parseBody(replayBody, request.body);
      const who = identityOf(request);
      request.log.info({ id, actor: who.actor, generation: body.generation }, 'dead letter replay');
      return ctx.dlq.replayOne(id, {
        expectedGeneration: body.generation,
        actor: who.actor,
        ...(body.dryRun ? { dryRun: true } : {}),
      });
    });
  }

  for (const action of ['force-replay', 'redrive']) {
    app.post(`/api/dead-letters/:id/${action}`, admin, async (request) => {
      const { id } = parseWith(idParams, request.params, 'params');
      const body = parseBody(forceReplayBody, request.body);
      const who = identityOf(request);
      request.log.info(
        { id, actor: who.actor, reason: body.reason, ticket: body.ticket },
        'dead letter force-replay',
      );
      return ctx.dlq.forceReplay(id, {
        actor: who.actor,
        reason: body.reason,
        expectedGeneration: body.generation,
        ...(body.ticket !== undefined ? { ticket: body.ticket } : {}),
      });
    });
  }

  app.post('/api/dead-letters/:id/resolve', operator, async (request) => {
    const { id } = parseWith(idParams, request.params, 'params');
    const body = parseBody(resolveBody, request.body);
    const who = identityOf(request);
    request.log.info({ id, actor: who.actor }, 'dead letter resolve');
    return ctx.dlq.resolve(id, {
      actor: who.actor,
      expectedGeneration: body.generation,
      ...(body.note !== undefined ? { note: body.note } : {}),
    });
  });

  app.post('/api/dead-letters/batch/preview', viewer, async (request) => {
    const body = parseBody(previewBody, request.body);
    exactlyOne(body);
    if (body.filter) {
      const page = await ctx.dlq.list(filterFromBody(body.filter), { pageSize: PREVIEW_SAMPLE });
      return { count: page.totalCount, sample: page.results.map(summarizeDeadLetter) };
    }
    const ids = [...new Set(body.ids)];
    const found = [];
    const notFound: string[] = [];
    const byStatus: Partial<Record<DeadLetterStatus, number>> = {};
    for (const id of ids) {
      const entry = await ctx.dlq.get(id);
      if (!entry) {
        notFound.push(id);
        continue;
      }
      byStatus[entry.status] = (byStatus[entry.status] ?? 0) + 1;
      if (found.length < PREVIEW_SAMPLE) found.push(summarizeDeadLetter(entry));
    }
    return { count: ids.length - notFound.length, sample: found, byStatus, notFound };
  });

  app.post('/api/dead-letters/batch/resolve', operator, async (request) => {
    const body = parseBody(batchResolveBody, request.body);
    exactlyOne(body);
    const who = identityOf(request);
    let ids: string[];
    let truncated = false;
    if (body.filter) {
      ({ ids, truncated } = await openIdsMatching(ctx.store, filterFromBody(body.filter), MAX_BATCH_IDS));
    } else {
      ids = [...new Set(body.ids)];
    }
    if (body.dryRun) {
      const wouldResolve: string[] = [];
      const skippedItems: { id: string; status: string; reason: string }[] = [];
      const notFoundIds: string[] = [];
      for (const id of ids) {
        const entry = await ctx.dlq.get(id);
        const expected = expectedGenerationOf(body.generations, id);
        if (!entry) notFoundIds.push(id);
        else if (!OPEN.includes(entry.status))
          skippedItems.push({ id, status: entry.status, reason: 'invalid_status' });
        else if (expected !== undefined && expected !== entry.generation)
          skippedItems.push({ id, status: entry.status, reason: 'stale_generation' });
        else wouldResolve.push(id);
      }
      return {
        resolved: wouldResolve.length,
        skipped: skippedItems.length,
        notFound: notFoundIds.length,
        dryRun: true,
        truncated,
        ids: wouldResolve,
        skippedItems,
        notFoundIds,
      };
    }
    request.log.info({ count: ids.length, actor: who.actor }, 'dead letter batch resolve');
    const result =
      ids.length === 0
        ? { resolved: [], skipped: [], notFound: [] }
        : await ctx.dlq.resolveBatch(ids, {
            actor: who.actor,
            ...(body.note !== undefined ? { note: body.note } : {}),
            ...(body.generations ? { expectedGenerations: body.generations } : {}),
          });
    return {
      resolved: result.resolved.length,
      skipped: result.skipped.length,
      notFound: result.notFound.length,
      dryRun: false,
      truncated,
      ids: result.resolved,
      skippedItems: result.skipped,
      notFoundIds: result.notFound,
    };
  });

  app.post('/api/dead-letters/batch/replay', operator, async (request) => {
    const body = parseBody(batchReplayBody, request.body);
    const who = identityOf(request);
    const batchSize = body.batchSize ?? 100;
    if (!body.dryRun)
      request.log.info({ filter: body.filter, batchSize, actor: who.actor }, 'dead letter batch replay');
    const { plannedIds, ...result } = await ctx.dlq.replay({
      ...(body.filter ?? {}),
      batchSize: Math.min(batchSize, 100),
      maxEntries: batchSize,
      dryRun: body.dryRun === true,
      actor: who.actor,
    });
    if (!plannedIds) return result;
    // A dry run shows the first entries the run would take, in the order it takes them.
    const sample = [];
    for (const id of plannedIds.slice(0, PREVIEW_SAMPLE)) {
      const entry = await ctx.dlq.get(id);
      if (entry) sample.push(summarizeDeadLetter(entry));
    }
    return { ...result, sample };
  });

  app.post('/api/dead-letters/purge', admin, async (request) => {
    const body = parseBody(purgeBody, request.body);
    const who = identityOf(request);
    if (body.dryRun) {
      return { purged: await ctx.dlq.countArchivedOlderThan(body.olderThanDays), dryRun: true };
    }
    request.log.info({ olderThanDays: body.olderThanDays, actor: who.actor }, 'dead letter purge');
    const purged = await ctx.dlq.purgeArchived({ olderThanDays: body.olderThanDays, actor: who.actor });
    return { purged, dryRun: false };
  });

  const auditQuery = z.object({
    deadLetterId: textParam(200).optional(),
    action: textParam(100).optional(),
    actor: textParam(200).optional(),
    limit: intParam(1, 500).optional(),
    before: intParam(0, Number.MAX_SAFE_INTEGER).optional(),
  });

  app.get('/api/audit', viewer, async (request) => {
    const q = parseQuery(auditQuery, request.query);
    return ctx.dlq.audit({
      limit: q.limit ?? 50,
      ...(q.deadLetterId !== undefined ? { id: q.deadLetterId } : {}),
      ...(q.action !== undefined ? { action: q.action } : {}),
      ...(q.actor !== undefined ? { actor: q.actor } : {}),
      ...(q.before !== undefined ? { before: q.before } : {}),
    });
  });
}

/** A 404 for an unknown dead letter (used by job routes). */
export function deadLetterNotFound(id: string): NotFoundError {
  return new NotFoundError(`dead letter ${id} does not exist`, { id });
}
