/**
 * Checks HTTP responses against the shipped OpenAPI document (`openapi.json`) with Ajv
 * (JSON Schema 2020-12, the dialect of OpenAPI 3.1): the path and method must be an operation
 * (or be answered as the document says unknown paths and methods are: 404 / 405 with the error
 * body), the status one of the operation's responses, the content type one it lists, required
 * headers present, and a JSON body valid against the response's schema.
 */
import { readFileSync } from "node:fs";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";

interface MediaType {
  schema?: unknown;
}
interface ResponseObject {
  description: string;
  headers?: Record<string, { required?: boolean } | { $ref: string }>;
  content?: Record<string, MediaType>;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  responses: Record<string, ResponseObject | { $ref: string }>;
}
/** A parameter object (after `$ref` resolution). */
export interface Parameter {
  name: string;
  in: "query" | "header" | "path" | "cookie";
  required?: boolean;
  schema?: unknown;
}
type PathItem = { parameters?: (Parameter | { $ref: string })[] } & Partial<Record<Method, Operation>>;
type Method = "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace";

/** The document as shipped. */
export const openapi = JSON.parse(readFileSync(new URL("../../openapi.json", import.meta.url), "utf8")) as {
  openapi: string;
  info: { version: string };
  paths: Record<string, PathItem>;
  components: { schemas: Record<string, unknown>; parameters: Record<string, Parameter>; responses: Record<string, ResponseObject> };
};

const DOC_ID = "https://log-event-hub.invalid/openapi.json";
const ajv = new Ajv2020({ allErrors: true, strict: true });
// The document's `#/components/schemas/X` references become `DOC_ID#/$defs/X` in one schema
// that holds every component schema.
const rewrite = (schema: unknown): unknown => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${DOC_ID}#/$defs/`));
ajv.addSchema({ $id: DOC_ID, $defs: rewrite(openapi.components.schemas) as object });
const compiled = new Map<string, ValidateFunction>();

function validator(key: string, schema: unknown): ValidateFunction {
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(rewrite(schema) as object);
    compiled.set(key, validate);
  }
  return validate;
}

/** Follows a local `$ref` (`#/components/...`) once. */
export function deref<T>(value: T | { $ref: string }): T {
  if (value && typeof value === "object" && "$ref" in value) {
    const path = value.$ref.replace(/^#\//, "").split("/");
    return path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], openapi) as T;
  }
  return value as T;
}

/** The document's path template matching a concrete path, with its path parameters. */
export function matchPath(path: string): { template: string; params: Record<string, string> } | undefined {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  for (const template of Object.keys(openapi.paths)) {
    const names: string[] = [];
    const pattern = new RegExp(`^${template.replace(/\{(\w+)\}/g, (_m, name: string) => (names.push(name), "([^/]+)"))}$`);
    const match = pattern.exec(trimmed);
    if (match) return { template, params: Object.fromEntries(names.map((n, i) => [n, match[i + 1]!])) };
  }
  return undefined;
}

/** Every operation: method, path template, and its parameters (path-level ones included). */
export function operations(): { method: Method; template: string; operation: Operation; parameters: Parameter[] }[] {
  const list: ReturnType<typeof operations> = [];
  for (const [template, item] of Object.entries(openapi.paths)) {
    for (const method of ["get", "put", "post", "delete", "patch"] as const) {
      const operation = item[method];
      if (!operation) continue;
      const parameters = [...(item.parameters ?? []), ...(operation.parameters ?? [])].map((p) => deref<Parameter>(p));
      list.push({ method, template, operation, parameters });
    }
  }
  return list;
}

/** What a test received. */
export interface ReceivedResponse {
  method: string;
  /** Path relative to the API's mount point, without the query string. */
  path: string;
  status: number;
  headers: Headers | Record<string, string | string[] | undefined>;
  /** The body as text; `undefined` when the test did not read it (a stream). */
  body?: string;
}

function header(headers: ReceivedResponse["headers"], name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** Throws (failing the test) unless the response is what the document says. */
export function expectMatchesOpenApi(response: ReceivedResponse): void {
  const what = `${response.method} ${response.path} -> ${response.status}`;
  const fail = (why: string): never => {
    throw new Error(`Response does not match openapi.json: ${what}: ${why}`);
  };
  const found = matchPath(response.path);
  const method = response.method.toLowerCase() as Method;
  const item = found ? openapi.paths[found.template] : undefined;
  const operation = item?.[method] ?? (method === "head" ? item?.get : undefined);
  let documented: ResponseObject | undefined;
  if (!found || !operation) {
    // The document's stated rule for what is not an operation: 404 / 405 with the error body.
    const status = found ? 405 : 404;
    if (response.status !== status) fail(`not an operation, so expected ${status}`);
    if (status === 405 && !header(response.headers, "allow")) fail("405 without Allow");
    documented = { description: "", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
  } else {
    const entry = operation.responses[String(response.status)] ?? operation.responses.default;
    if (!entry) fail(`status not documented for ${operation.operationId} (has ${Object.keys(operation.responses).join(", ")})`);
    documented = deref<ResponseObject>(entry!);
    for (const [name, spec] of Object.entries(documented.headers ?? {})) {
      if (deref<{ required?: boolean }>(spec).required && header(response.headers, name) === undefined) fail(`missing header ${name}`);
    }
  }
  const contentType = header(response.headers, "content-type")?.split(";")[0]?.trim();
  const content = documented.content ?? {};
  if (Object.keys(content).length === 0) {
    if (response.body) fail("a body where the document has none");
    return;
  }
  if (!contentType || !(contentType in content)) fail(`content type ${contentType} is not one of ${Object.keys(content).join(", ")}`);
  if (method === "head" || response.body === undefined) return;
  const schema = content[contentType!]!.schema;
  if (schema === undefined) return;
  let value: unknown = response.body;
  if (contentType === "application/json") {
    try {
      value = JSON.parse(response.body);
    } catch {
      fail("the body is not JSON");
    }
  }
  const validate = validator(`${found?.template}|${method}|${response.status}|${contentType}`, schema);
  if (!validate(value)) fail(`${ajv.errorsText(validate.errors)}; body: ${response.body.slice(0, 300)}`);
}
