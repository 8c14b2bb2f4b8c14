import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

/**
 * The OpenAPI document as served at /openapi.json: the zod type provider writes every named schema twice
 * (as `X` for responses and `XInput` for requests); only those the paths use, directly or through other
 * schemas, are kept.
 */

type Doc = { paths?: unknown; components?: { schemas?: Record<string, unknown> } };

function refsIn(value: unknown, found: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) refsIn(v, found);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/'))
      found.add(v.slice('#/components/schemas/'.length));
    else refsIn(v, found);
  }
}

/** Drops component schemas that nothing in the paths refers to. */
export function pruneSchemas<T extends Doc>(doc: T): T {
  const schemas = doc.components?.schemas;
  if (!schemas) return doc;
  const used = new Set<string>();
  refsIn(doc.paths, used);
  // follow references between schemas until nothing new turns up
  for (let size = -1; size !== used.size; ) {
    size = used.size;
    for (const name of [...used]) refsIn(schemas[name], used);
  }
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return { ...doc, components: { ...doc.components, schemas: kept } };
}

type Operation = { requestBody?: { required?: boolean; content?: Record<string, { schema?: unknown }> } };

/**
 * Marks a request body optional where every field of it is: the server reads no body as `{}`
 * (src/api/plugins/request-input.ts), while @fastify/swagger marks every declared body required.
 */
export function optionalBodies<T extends Doc>(doc: T): T {
  const schemas = doc.components?.schemas ?? {};
  const resolve = (s: unknown): { required?: unknown[] } | undefined => {
    const ref = (s as { $ref?: string } | undefined)?.$ref;
    return (ref ? schemas[ref.slice('#/components/schemas/'.length)] : s) as { required?: unknown[] };
  };
  for (const ops of Object.values((doc.paths ?? {}) as Record<string, Record<string, Operation>>)) {
    for (const op of Object.values(ops)) {
      const body = op.requestBody;
      const schema = resolve(body?.content?.['application/json']?.schema);
      if (body && schema && !schema.required?.length) body.required = false;
    }
  }
  return doc;
}

export const transformObject: typeof jsonSchemaTransformObject = (input) =>
  optionalBodies(pruneSchemas(jsonSchemaTransformObject(input) as Doc)) as ReturnType<
    typeof jsonSchemaTransformObject
  >;

const baseTransform: ReturnType<typeof createJsonSchemaTransform> = createJsonSchemaTransform({
  skipList: ['/openapi.json'],
});

/**
 * Each operation as the zod type provider writes it, plus the scope it needs (`x-gridshift-scope`:
 * public, read, write or admin); public operations need no bearer token (`security: []`).
 */
export const transform: typeof baseTransform = (input) => {
  const out = baseTransform(input);
  const route = (input as { route?: { config?: { scope?: string } } }).route;
  const schema = out.schema as Record<string, unknown> | undefined;
  if (schema && !schema.hide) {
    const scope = route?.config?.scope ?? 'admin';
    schema['x-gridshift-scope'] = scope;
    if (scope === 'public') schema.security = [];
  }
  return out;
};

type PathItem = Record<string, { tags?: string[] } | unknown>;

/**
 * The part of a document whose operations carry `tag`, with only the schemas those use: what a client
 * generator for that part of the API should see.
 */
export function documentOfTag<T extends Doc & { tags?: { name: string }[] }>(doc: T, tag: string): T {
  const paths: Record<string, PathItem> = {};
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, PathItem>)) {
    const ops = Object.entries(item).filter(
      ([, op]) =>
        Array.isArray((op as { tags?: unknown }).tags) && (op as { tags: string[] }).tags.includes(tag),
    );
    if (ops.length) paths[path] = Object.fromEntries(ops);
  }
  return pruneSchemas({ ...doc, paths, tags: doc.tags?.filter((t) => t.name === tag) });
}
