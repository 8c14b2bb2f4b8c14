import type { ServerResponse } from 'node:http';
import { type Recorded, sendJson, startServer, type TestServer } from './http-server.ts';

/**
 * A small OpenAI-compatible server, as Ollama, vLLM and llama.cpp's server speak it under /v1:
 * `GET /v1/models`, `POST /v1/chat/completions` and `POST /v1/completions`, whole or streamed as
 * Server-Sent Events (`data: {chunk}` lines, then `data: [DONE]`), with OpenAI's error bodies
 * (`{error: {message, type, param, code}}`) for an unknown model, a missing field and a wrong key.
 * Answers are deterministic: `<model> answers: <the last user message or the prompt>`, streamed a word
 * per chunk. A test may hold a stream after its first chunk (`holdStreams`) to see that the gateway passes
 * chunks through as they come, or make the next requests fail with a status (`failNext`).
 */

export interface OpenAiDouble {
  url: string;
  /** the base URL a client configures: `<url>/v1` */
  baseUrl: string;
  requests: Recorded[];
  /** the request bodies of the completion requests, parsed, in order */
  completions(): Record<string, unknown>[];
  /** streams whose client went away before they ended */
  abandonedStreams(): number;
  /** streams stop after their first chunk until `releaseStreams` */
  holdStreams(): void;
  releaseStreams(): void;
  /** the next `count` completion requests get no answer at all (until the server closes) */
  hangNext(count?: number): void;
  /** the next `count` completion requests answer `status` with an OpenAI error body */
  failNext(status: number, message: string, count?: number): void;
  close(): Promise<void>;
}

export interface OpenAiDoubleOptions {
  models: string[];
  /** require `Authorization: Bearer <apiKey>` */
  apiKey?: string;
  /** listen on this port (default an ephemeral one) */
  port?: number;
}

const CREATED = 1_700_000_000;

const errorBody = (message: string, type: string, code: string | null, param: string | null = null) => ({
  error: { message, type, param, code },
});

export async function startOpenAiDouble(options: OpenAiDoubleOptions): Promise<OpenAiDouble> {
  let held = false;
  let release: () => void = () => {};
  let gate = Promise.resolve();
  const failures: { status: number; message: string }[] = [];
  let hangs = 0;
  let abandoned = 0;
  let n = 0;

  const server: TestServer = await startServer(
    async (req, res) => {
      const path = req.url.split('?')[0];
      if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`)
        return sendJson(
          res,
          401,
          errorBody('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'),
        );
      if (req.method === 'GET' && path === '/v1/models')
        return sendJson(res, 200, {
          object: 'list',
          data: options.models.map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'double' })),
        });
      const chat = path === '/v1/chat/completions';
      if (req.method !== 'POST' || (!chat && path !== '/v1/completions'))
        return sendJson(
          res,
          404,
          errorBody(`Unknown request URL: ${req.method} ${path}`, 'invalid_request_error', 'unknown_url'),
        );
      if (hangs > 0) {
        hangs--;
        return new Promise<void>(() => {});
      }
      const failure = failures.shift();
      if (failure) return sendJson(res, failure.status, errorBody(failure.message, 'server_error', null));
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(req.body);
      } catch {
        return sendJson(
          res,
          400,
          errorBody('We could not parse the JSON body of your request.', 'invalid_request_error', null),
        );
      }
      const model = body.model;
      if (typeof model !== 'string')
        return sendJson(
          res,
          400,
          errorBody('you must provide a model parameter', 'invalid_request_error', null, 'model'),
        );
      if (!options.models.includes(model))
        return sendJson(
          res,
          404,
          errorBody(
            `The model \`${model}\` does not exist`,
            'invalid_request_error',
            'model_not_found',
            'model',
          ),
        );
      let asked: string;
      if (chat) {
        const messages = body.messages as { role: string; content: string }[] | undefined;
        if (!Array.isArray(messages) || messages.length === 0)
          return sendJson(
            res,
            400,
            errorBody(
              "Missing required parameter: 'messages'.",
              'invalid_request_error',
              'missing_required_parameter',
              'messages',
            ),
          );
        asked = String([...messages].reverse().find((m) => m.role === 'user')?.content ?? '');
      } else {
        if (body.prompt === undefined)
          return sendJson(
            res,
            400,
            errorBody(
              "Missing required parameter: 'prompt'.",
              'invalid_request_error',
              'missing_required_parameter',
              'prompt',
            ),
          );
        asked = Array.isArray(body.prompt) ? body.prompt.join(' ') : String(body.prompt);
      }
      const text = `${model} answers: ${asked}`;
      const id = `${chat ? 'chatcmpl' : 'cmpl'}-${++n}`;
      const usage = {
        prompt_tokens: words(asked).length,
        completion_tokens: words(text).length,
        total_tokens: words(asked).length + words(text).length,
      };
      if (body.stream === true) {
        res.on('close', () => {
          if (!res.writableFinished) abandoned++;
        });
        return stream(res, { chat, id, model, text, gate: () => gate, held: () => held });
      }
      res.setHeader('x-request-id', `req_${n}`);
      return sendJson(
        res,
        200,
        chat
          ? {
              id,
              object: 'chat.completion',
              created: CREATED,
              model,
              choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
              usage,
            }
          : {
              id,
              object: 'text_completion',
              created: CREATED,
              model,
              choices: [{ index: 0, text, logprobs: null, finish_reason: 'stop' }],
              usage,
            },
      );
    },
    { port: options.port },
  );

  return {
    url: server.url,
    baseUrl: `${server.url}/v1`,
    requests: server.requests,
    completions: () =>
      server.requests
        .filter((r) => r.method === 'POST' && r.url.includes('completions'))
        .map((r) => JSON.parse(r.body)),
    abandonedStreams: () => abandoned,
    holdStreams() {
      held = true;
      gate = new Promise<void>((r) => {
        release = r;
      });
    },
    releaseStreams() {
      held = false;
      release();
    },
    hangNext(count = 1) {
      hangs += count;
    },
    failNext(status, message, count = 1) {
      for (let i = 0; i < count; i++) failures.push({ status, message });
    },
    close: () => server.close(),
  };
}

const words = (text: string) => text.split(/\s+/).filter(Boolean);

/** Server-Sent Events as OpenAI streams them: a role chunk (chat), a chunk per word, a finish chunk, [DONE]. */
async function stream(
  res: ServerResponse,
  s: {
    chat: boolean;
    id: string;
    model: string;
    text: string;
    gate: () => Promise<void>;
    held: () => boolean;
  },
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
  const chunk = (delta: Record<string, unknown> | string, finish: string | null) =>
    s.chat
      ? {
          id: s.id,
          object: 'chat.completion.chunk',
          created: CREATED,
          model: s.model,
          choices: [{ index: 0, delta, finish_reason: finish }],
        }
      : {
          id: s.id,
          object: 'text_completion',
          created: CREATED,
          model: s.model,
          choices: [{ index: 0, text: delta, logprobs: null, finish_reason: finish }],
        };
  const pieces = words(s.text).map((w, i) => (i === 0 ? w : ` ${w}`));
  send(chunk(s.chat ? { role: 'assistant', content: '' } : '', null));
  if (s.held()) await s.gate();
  for (const p of pieces) send(chunk(s.chat ? { content: p } : p, null));
  send(chunk(s.chat ? {} : '', 'stop'));
  res.write('data: [DONE]\n\n');
  res.end();
}
