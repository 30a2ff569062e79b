/**
 * Validates API responses against the committed OpenAPI document (cloud/src/api/openapi.json),
 * not against the TypeScript types: what users and the console read is what is checked.
 * Schemas are compiled with TypeBox (plain JSON Schema in, the project's validator).
 */
import { readFileSync } from 'node:fs';
import { Compile, type Validator } from 'typebox/compile';
import { OPENAPI_PATH } from '../../src/api/openapi.ts';

interface OpenApiDoc {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
  components: { schemas: Record<string, unknown> };
}

export const openApiDoc = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as OpenApiDoc;

function resolveRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(resolveRefs);
  if (schema === null || typeof schema !== 'object') return schema;
  const ref = (schema as { $ref?: string }).$ref;
  if (typeof ref === 'string') {
    const name = ref.replace('#/components/schemas/', '');
    return resolveRefs(openApiDoc.components.schemas[name]);
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, resolveRefs(v)]));
}

const compiled = new Map<string, Validator>();

/** Throws naming every problem when `body` does not match the documented response. */
export function assertMatchesOpenApi(path: string, method: string, status: number, body: unknown): void {
  const key = `${method} ${path} ${status}`;
  let validator = compiled.get(key);
  if (!validator) {
    const response = openApiDoc.paths[path]?.[method.toLowerCase()]?.responses[String(status)];
    const schema = response?.content?.['application/json']?.schema;
    if (!schema) throw new Error(`openapi.json documents no JSON response for ${key}`);
    validator = Compile(resolveRefs(schema) as never) as unknown as Validator;
    compiled.set(key, validator);
  }
  if (!validator.Check(body)) {
    const problems = [...validator.Errors(body)].map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new Error(`${key} does not match openapi.json: ${problems.join('; ')}`);
  }
}

/** A named component schema, e.g. for SSE event payloads. */
export function assertMatchesComponent(name: string, value: unknown): void {
  const validator = Compile(
    resolveRefs(openApiDoc.components.schemas[name]) as never,
  ) as unknown as Validator;
  if (!validator.Check(value)) {
    const problems = [...validator.Errors(value)].map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new Error(`${name} does not match openapi.json: ${problems.join('; ')}`);
  }
}
