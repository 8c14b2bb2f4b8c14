import type { FastifyInstance } from 'fastify';
import { MAX_JSON_DEPTH } from '../../core/limits.ts';
import { findTextProblem } from '../../core/text.ts';
import { badRequest } from '../problem.ts';
import { unencapsulated } from './unencapsulated.ts';

/**
 * What every route may receive, checked before its own schema:
 * - bodies are JSON: any other content type is refused with 415 (Fastify's `text/plain` parser is removed);
 *   no body, or an empty one with `content-type: application/json`, reads as `{}` on a route that takes a
 *   body, so a route whose body fields are all optional takes a bare POST, and one with required fields
 *   names them;
 * - no string in the body, the query or the path (values and field names) holds text PostgreSQL refuses
 *   (NUL, a lone surrogate), and no body nests deeper than MAX_JSON_DEPTH: a 400 naming the field.
 */

const PARTS = ['body', 'query', 'params'] as const;

export const requestInputPlugin = unencapsulated(async (app: FastifyInstance) => {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    return parseJson(request, body as string, done);
  });

  app.addHook('preValidation', (request, _reply, done) => {
    if (request.body == null && request.routeOptions.schema?.body !== undefined) request.body = {};
    for (const part of PARTS) {
      const problem = findTextProblem(request[part], part, MAX_JSON_DEPTH);
      if (problem) return done(badRequest(problem.path, problem.message));
    }
    done();
  });
});
