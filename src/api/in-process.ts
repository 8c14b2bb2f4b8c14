import type { FastifyInstance } from 'fastify';

/**
 * A `fetch` answered by a Fastify app in this process through `inject`: the request goes through every
 * hook, schema and route as it would over HTTP, but nothing listens on a socket. The CLI's direct mode
 * hands it to the typed client, so that a command run on the store directly and one sent to a server go
 * through the same API.
 */
export function injectFetch(app: FastifyInstance): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const payload = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const res = await app.inject({
      method: request.method as 'GET',
      url: `${url.pathname}${url.search}`,
      headers: Object.fromEntries(request.headers),
      ...(payload ? { payload } : {}),
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers))
      for (const v of [value ?? []].flat()) headers.append(name, String(v));
    const empty = res.statusCode === 204 || res.statusCode === 304 || request.method === 'HEAD';
    return new Response(empty ? null : res.rawPayload, { status: res.statusCode, headers });
  };
}
