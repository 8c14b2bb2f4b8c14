import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assertTimeZone } from '../../core/human-time.ts';
import { parseIsoMs } from '../../core/time.ts';
import type { ReportQuery } from '../../runner/service.ts';
import type { ApiContext } from '../context.ts';
import { badRequest, inputErrorIn, problemResponses } from '../problem.ts';
import { isoTimeInput, reportSchema } from '../schemas.ts';
import { reportView } from '../views.ts';

/** GET /v1/reports: energy, emissions, cost and savings of what ran, per period, tag or zone. */

export const reportRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/v1/reports',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['reports'],
        summary: 'Energy, emissions, cost and savings of what ran',
        description:
          'Loads that ran in [from, to), accounted with the measured intensity and price of the slots they ' +
          'used (or the forecast they ran on, counted in `forecastBasis`), against running each at once.',
        querystring: z.object({
          from: isoTimeInput.optional(),
          to: isoTimeInput.optional(),
          groupBy: z.enum(['day', 'week', 'month', 'tag', 'zone', 'none']).default('none'),
          zone: z.string().min(1).max(64).optional(),
          tag: z.string().min(1).max(64).optional(),
          tz: z
            .string()
            .min(1)
            .max(64)
            .optional()
            .describe('IANA time zone the days, weeks and months begin in (default UTC)'),
        }),
        response: { 200: reportSchema, ...problemResponses(400, 401, 403, 503) },
      },
    },
    async (request) => {
      const q = request.query;
      const query: ReportQuery = { groupBy: q.groupBy };
      if (q.from) query.fromMs = parseIsoMs(q.from, 'from');
      if (q.to) query.toMs = parseIsoMs(q.to, 'to');
      if (query.fromMs !== undefined && query.toMs !== undefined && query.toMs <= query.fromMs)
        throw badRequest('query.to', 'must be after from');
      if (q.zone) query.zone = q.zone;
      if (q.tag) query.tag = q.tag;
      if (q.tz) {
        try {
          query.timeZone = assertTimeZone(q.tz, 'tz');
        } catch (err) {
          throw inputErrorIn('query', err);
        }
      }
      return reportView(await ctx.scheduler().report(query));
    },
  );
};
